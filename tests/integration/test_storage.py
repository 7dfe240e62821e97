"""The storage layer itself: unit of work, SQLite settings, time values, ledger."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from desks.people import ensure_workspace
from storage.database import SQLITE_ON_LOOP_BUSY_TIMEOUT_MS, Database, normalise_url
from storage.ledger import first_delivery, forget_before
from storage.models import ProcessedInbound, Workspace


def test_normalise_url_gives_async_drivers():
    assert normalise_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert normalise_url("postgresql+asyncpg://h/db") == "postgresql+asyncpg://h/db"


async def test_sqlite_pragmas(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        async with db.unit_of_work(readonly=True) as uow:
            pragmas = {name: (await uow.session.execute(text(f"PRAGMA {name}"))).scalar()
                       for name in ("journal_mode", "foreign_keys", "busy_timeout",
                                    "wal_autocheckpoint")}
    finally:
        await db.dispose()
    # Connections on the loop never checkpoint; the Checkpointer thread does.
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1,
                       "busy_timeout": SQLITE_ON_LOOP_BUSY_TIMEOUT_MS, "wal_autocheckpoint": 0}


async def test_the_checkpoint_thread_moves_the_wal_into_the_file(tmp_path):
    path = tmp_path / "c.db"
    db = Database(f"sqlite:///{path}")
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x TEXT)"))
        for _ in range(200):
            async with db.unit_of_work() as uow:
                await uow.session.execute(text("INSERT INTO t VALUES (:x)"), {"x": "y" * 2000})
                await uow.commit()
        wal = path.with_name("c.db-wal")
        assert wal.stat().st_size > 400_000  # the WAL grows; the loop never checkpoints
        assert db._checkpointer is not None and db._checkpointer._thread is not None
    finally:
        await db.dispose()
    assert not wal.exists() or wal.stat().st_size == 0  # the last turn truncated it
    with sqlite3.connect(path) as plain:
        assert plain.execute("SELECT count(*) FROM t").fetchone() == (200,)


async def test_readers_are_not_blocked_by_a_writer(db: Database):
    async with db.unit_of_work() as writer:
        await ensure_workspace(writer, "slack", "T1")
        await writer.session.flush()  # the writer holds its transaction open

        async def read() -> list[Workspace]:
            async with db.unit_of_work(readonly=True) as reader:
                return list((await reader.session.execute(select(Workspace))).scalars())

        assert await asyncio.wait_for(read(), timeout=5) == []  # uncommitted is invisible
        await writer.commit()


async def test_times_come_back_aware_utc(db: Database):
    local = datetime(2026, 3, 27, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    async with db.unit_of_work() as uow:
        uow.session.add(Workspace(platform="slack", external_id="T1", created_at=local))
        await uow.commit()
    async with db.unit_of_work(readonly=True) as uow:
        stored = (await uow.session.execute(select(Workspace))).scalar_one().created_at
    assert stored == local and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(db: Database):
    with pytest.raises(Exception, match="naive datetime"):
        async with db.unit_of_work() as uow:
            uow.session.add(Workspace(platform="slack", external_id="T1",
                                      created_at=datetime(2026, 1, 1)))
            await uow.commit()


async def test_ledger_recognises_retries_and_forgets_old_rows(db: Database, clock):
    async with db.unit_of_work() as uow:
        assert await first_delivery(uow, "slack", "Ev1")
        assert not await first_delivery(uow, "slack", "Ev1")
        assert await first_delivery(uow, "teams", "Ev1")  # ids are per platform
        await uow.commit()
    clock.advance(hours=2)
    async with db.unit_of_work() as uow:
        assert await first_delivery(uow, "slack", "Ev2")
        assert await forget_before(uow, clock.now() - timedelta(hours=1)) == 2
        await uow.commit()
    async with db.unit_of_work(readonly=True) as uow:
        left = (await uow.session.execute(select(ProcessedInbound.delivery_id))).scalars().all()
    assert left == ["Ev2"]


async def test_concurrent_duplicates_are_processed_once(db: Database):
    async def deliver() -> bool:
        async with db.unit_of_work() as uow:
            fresh = await first_delivery(uow, "slack", "EvSame")
            await uow.commit()
            return fresh

    results = await asyncio.gather(*(deliver() for _ in range(10)), return_exceptions=True)
    assert results.count(True) == 1 and results.count(False) == 9


async def test_after_commit_hooks_run_only_after_commit(db: Database):
    calls: list[str] = []
    db.on_after_commit(lambda: calls.append("woken"))
    async with db.unit_of_work() as uow:
        await ensure_workspace(uow, "slack", "T1")
    assert calls == []  # rolled back: nothing to wake for
    async with db.unit_of_work() as uow:
        await ensure_workspace(uow, "slack", "T1")
        await uow.commit()
    assert calls == ["woken"]
