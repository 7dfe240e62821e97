"""The processed-inbound ledger: recognises a platform delivery seen before.

It keeps the deliveries worked on inside their own HTTP response (Teams card actions,
the Slack modal and shortcut); adapters reach it through `storage.inbound.first`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import UnitOfWork, rows_matched
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


async def forget_before(uow: UnitOfWork, moment: datetime) -> int:
    """Drop ledger rows older than `moment` (platforms stop retrying after minutes)."""
    result = await uow.session.execute(
        delete(ProcessedInbound).where(ProcessedInbound.received_at < moment)
    )
    return rows_matched(result) or 0
