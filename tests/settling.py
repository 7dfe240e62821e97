"""Waiting for a served deskbot to be idle: every stored delivery processed, every due
notice delivered (what the Slack and Teams harnesses call `settled`)."""

from __future__ import annotations

import asyncio
from typing import Any

from storage import outbox


async def settled(deps: Any, inbox: Any, limit: float = 10.0) -> None:
    """Wait until `inbox` has nothing stored or in hand and the outbox nothing pending."""
    async with asyncio.timeout(limit):
        while True:
            # A processed delivery may still be sending its private reply.
            if await inbox.waiting() == 0 and inbox.in_hand == 0:
                async with deps.db.unit_of_work(readonly=True) as uow:
                    if await outbox.pending_count(uow) == 0:
                        return
            inbox.wake()
            deps.outbox_worker.wake()
            await asyncio.sleep(0.01)  # noqa: ASYNC110 - idle has no event of its own
