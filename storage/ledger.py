"""The processed-inbound ledger: recognises a platform delivery seen before.

It keeps the deliveries worked on inside their own HTTP response (Teams card actions,
the Slack modal and shortcut); adapters reach it through `storage.inbound.first`.
`Recorder` records ids on their own, before anything runs (Slack's replay guard):
ids that arrive together share one statement and one commit.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import Database, UnitOfWork, rows_matched
from storage.models import ProcessedInbound


async def first_delivery(uow: UnitOfWork, platform: str, delivery_id: str) -> bool:
    """Record `delivery_id` as processed; True the first time, False for a retry.

    Runs inside the caller's unit of work, so the mark commits with the command it
    guards: a delivery whose command failed is not marked and will be processed
    when the platform retries it.
    """
    insert = pg_insert if uow.db.is_postgresql else sqlite_insert
    statement = (
        insert(ProcessedInbound)
        .values(platform=platform, delivery_id=delivery_id, received_at=uow.clock.now())
        .on_conflict_do_nothing(index_elements=["platform", "delivery_id"])
    )
    result = await uow.session.execute(statement)
    return rows_matched(result) == 1


class Recorder:
    """Records delivery ids of one platform as seen, in their own write (not a command's).

    Ids that arrive while a write is under way join the next one (group commit): one
    INSERT for all of them, its RETURNING naming the new ones, so a request waits a
    few milliseconds at most and a hundred a second cost a few commits, not a hundred.
    """

    def __init__(self, db: Database, platform: str) -> None:
        self.db = db
        self.platform = platform
        insert = pg_insert if db.is_postgresql else sqlite_insert
        table = ProcessedInbound.__table__
        self._insert = (insert(table)
                        .on_conflict_do_nothing(index_elements=["platform", "delivery_id"])
                        .returning(table.c.delivery_id))
        self._waiting: list[tuple[str, asyncio.Future[bool]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def first(self, delivery_id: str) -> bool:
        """Record `delivery_id`; True the first time (committed when this returns),
        False when it was recorded before (or by an earlier caller of the same batch)."""
        seen: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery_id, seen))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        return await asyncio.shield(seen)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            now = self.db.clock.now()
            rows: list[dict[str, Any]] = [
                {"platform": self.platform, "delivery_id": key, "received_at": now}
                for key in dict.fromkeys(key for key, _ in batch)]
            try:
                new = {key for (key,) in await self.db.write(self._insert, rows)}
            except Exception as error:
                for _, seen in batch:
                    if not seen.done():
                        seen.set_exception(error)
                continue
            for key, seen in batch:
                if not seen.done():
                    seen.set_result(key in new)
                new.discard(key)  # the same id twice in a batch: only the first is new


async def forget_before(uow: UnitOfWork, moment: datetime) -> int:
    """Drop ledger rows older than `moment` (platforms stop retrying after minutes)."""
    result = await uow.session.execute(
        delete(ProcessedInbound).where(ProcessedInbound.received_at < moment)
    )
    return rows_matched(result) or 0
