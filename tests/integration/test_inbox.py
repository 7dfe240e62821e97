"""The inbox: stored before the ack, processed once after it, failures retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from storage.clock import FrozenClock
from storage.database import Database, UnitOfWork
from storage.inbox import Inbox, conflict_id
from storage.models import InboundEvent, Workspace


class Recorder:
    """A handler that records what it processed and writes a row in the same transaction."""

    def __init__(self, fail_times: int = 0) -> None:
        self.seen: list[str] = []
        self.fail_times = fail_times
        self.after: list[str] = []

    async def __call__(self, uow: UnitOfWork, row: InboundEvent, prepared: Any):
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("handler broke")
        self.seen.append(row.delivery_id)
        # A state change that must commit together with the processed mark.
        uow.session.add(Workspace(platform="test", external_id=row.delivery_id,
                                  created_at=uow.clock.now()))

        async def tell() -> None:
            self.after.append(row.delivery_id)
        return tell


async def rows(db: Database) -> list[InboundEvent]:
    async with db.unit_of_work(readonly=True) as uow:
        return list(await uow.session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


async def workspaces(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(
            select(func.count()).select_from(Workspace))).scalar_one()


async def test_accept_stores_and_recognises_a_redelivery(db: Database):
    inbox = Inbox(db, Recorder())
    assert await inbox.accept("slack", "Ev1", "T1", "message", {"n": 1}) is True
    assert await inbox.accept("slack", "Ev1", "T1", "message", {"n": 1}) is False
    assert await inbox.accept("teams", "Ev1", "T1", "message", {"n": 1}) is True
    stored = await rows(db)
    assert [(r.platform, r.delivery_id, r.payload) for r in stored] == [
        ("slack", "Ev1", {"n": 1}), ("teams", "Ev1", {"n": 1})]
    assert await inbox.waiting() == 2


async def test_concurrent_arrivals_share_transactions_and_all_commit(db: Database):
    commits = 0

    def count() -> None:
        nonlocal commits
        commits += 1
    db.on_after_commit(count)
    inbox = Inbox(db, Recorder())
    answers = await asyncio.gather(*(inbox.accept("slack", f"Ev{n % 40}", "T1", "message", {})
                                     for n in range(60)))
    assert answers.count(True) == 40  # 20 were redeliveries of the first 40
    assert len(await rows(db)) == 40
    assert commits < 60  # grouped, not one transaction per arrival


async def test_processing_runs_each_delivery_once_in_order_then_after_commit(db: Database):
    handler = Recorder()
    inbox = Inbox(db, handler, quiet=0)
    for n in range(5):
        await inbox.accept("slack", f"Ev{n}", "T1", "message", {})
    assert await inbox.process_once() == 5
    assert await inbox.process_once() == 0
    assert handler.seen == [f"Ev{n}" for n in range(5)]
    assert handler.after == handler.seen
    assert await workspaces(db) == 5
    assert all(r.outcome == "done" and r.processed_at is not None for r in await rows(db))


async def test_a_failing_handler_is_retried_after_a_back_off(db: Database, clock: FrozenClock):
    handler = Recorder(fail_times=2)
    inbox = Inbox(db, handler, backoff=timedelta(seconds=10), quiet=0)
    await inbox.accept("slack", "Ev1", "T1", "message", {})
    assert await inbox.process_once() == 0
    [row] = await rows(db)
    assert (row.attempts, row.processed_at, row.last_error) == (
        1, None, "RuntimeError: handler broke")
    assert await workspaces(db) == 0  # nothing of the failed attempt stayed
    assert await inbox.process_once() == 0  # not due yet
    clock.advance(seconds=10)
    assert await inbox.process_once() == 0  # second failure: next try in 20 s
    clock.advance(seconds=20)
    assert await inbox.process_once() == 1
    assert handler.seen == ["Ev1"] and await workspaces(db) == 1


async def test_a_failure_at_commit_leaves_the_delivery_waiting(db: Database):
    handler = Recorder()
    inbox = Inbox(db, handler, quiet=0)
    await inbox.accept("slack", "Ev1", "T1", "message", {})

    exploded = []

    def explode(uow: UnitOfWork) -> None:
        if not exploded:  # the processing commit fails; recording the failure works
            exploded.append(True)
            raise RuntimeError("disk full")
    remove = db.on_before_commit(explode)
    assert await inbox.process_once() == 0
    remove()
    [row] = await rows(db)
    assert row.processed_at is None and row.attempts == 1
    assert await workspaces(db) == 0
    assert handler.after == []


async def test_gives_up_after_max_attempts_and_keeps_the_row(db: Database, clock: FrozenClock):
    inbox = Inbox(db, Recorder(fail_times=99), max_attempts=2, backoff=timedelta(seconds=1),
                  quiet=0)
    await inbox.accept("slack", "Ev1", "T1", "message", {})
    await inbox.process_once()
    clock.advance(seconds=5)
    await inbox.process_once()
    [row] = await rows(db)
    assert (row.outcome, row.attempts) == ("failed", 2) and row.processed_at is not None
    assert await inbox.waiting() == 0
    clock.advance(days=30)
    assert await inbox.forget_processed_before(clock.now()) == 0  # failed rows are kept


async def test_two_processors_on_one_database_process_each_delivery_once(
        database_factory: Any):
    first_db = database_factory()
    await first_db.create_all()
    second_db = database_factory()
    seen: list[str] = []

    class Shared(Recorder):
        async def __call__(self, uow, row, prepared):
            seen.append(row.delivery_id)
            await asyncio.sleep(0)  # let the other processor run meanwhile
            return None

    first = Inbox(first_db, Shared(), quiet=0)
    second = Inbox(second_db, Shared(), quiet=0)
    for n in range(100):
        await first.accept("slack", f"Ev{n:03d}", "T1", "message", {})
    await asyncio.gather(first.process_once(), second.process_once())
    assert sorted(seen) == [f"Ev{n:03d}" for n in range(100)]
    assert await first.waiting() == 0


async def test_the_processor_task_picks_up_what_was_stored(db: Database):
    handler = Recorder()
    inbox = Inbox(db, handler, quiet=0, poll_interval=0.05)
    await inbox.accept("slack", "Before", "T1", "message", {})
    await inbox.start()
    try:
        await inbox.accept("slack", "After", "T1", "message", {})
        async with asyncio.timeout(5):
            while True:
                if not await inbox.waiting():
                    break
                await asyncio.sleep(0.01)
    finally:
        await inbox.stop()
    assert handler.seen == ["Before", "After"]


async def test_an_id_that_comes_back_with_another_payload_is_kept_as_failed(
        db: Database, caplog):
    handler = Recorder()
    inbox = Inbox(db, handler, quiet=0)
    assert await inbox.accept("slack", "Ev1", "T1", "message", {"text": "first", "n": 1})
    # The same payload again (key order aside) is a true redelivery: nothing new kept.
    assert not await inbox.accept("slack", "Ev1", "T1", "message", {"n": 1, "text": "first"})
    assert len(await rows(db)) == 1
    caplog.clear()
    # The same id with another payload: not processed as new, but never dropped in silence.
    assert not await inbox.accept("slack", "Ev1", "T1", "message", {"text": "second", "n": 2})
    # ... and in one batch with the first of its id, the same.
    await asyncio.gather(inbox.accept("slack", "Ev2", "T1", "message", {"text": "a"}),
                         inbox.accept("slack", "Ev2", "T1", "message", {"text": "b"}))
    stored = await rows(db)
    assert [(r.delivery_id, r.payload, r.outcome) for r in stored] == [
        ("Ev1", {"text": "first", "n": 1}, None),
        (conflict_id("Ev1", {"text": "second", "n": 2}), {"text": "second", "n": 2}, "failed"),
        ("Ev2", {"text": "a"}, None),
        (conflict_id("Ev2", {"text": "b"}), {"text": "b"}, "failed")]
    assert all(r.processed_at is not None for r in stored[1::2])
    assert "different payload" in (stored[1].last_error or "")
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "inbox" in r.name]
    assert len(errors) == 2
    assert "slack" in errors[0].getMessage() and "Ev1" in errors[0].getMessage()
    assert "T1" in errors[0].getMessage() and "second" not in errors[0].getMessage()
    # The conflicting delivery sent again is kept once; only the originals are processed.
    assert not await inbox.accept("slack", "Ev1", "T1", "message", {"text": "second", "n": 2})
    assert len(await rows(db)) == 4
    await inbox.process_once()
    assert handler.seen == ["Ev1", "Ev2"]
    # Forgetting processed deliveries keeps the failed ones.
    await inbox.forget_processed_before(db.clock.now() + timedelta(days=1))
    assert [r.outcome for r in await rows(db)] == ["failed", "failed"]


async def test_one_processing_round_at_a_time_across_replicas_on_postgresql(db: Database):
    """PostgreSQL: while one replica's processor runs a round, another's finds it taken
    (and looks again soon); once it ends, the other may. SQLite: one process, always."""
    first, second = (Inbox(db, lambda uow, row, prepared: _nothing()) for _ in range(2))
    async with first._round() as mine:
        assert mine
        async with second._round() as theirs:
            assert theirs == db.is_sqlite
    async with second._round() as theirs:
        assert theirs


async def _nothing() -> None:
    return None
