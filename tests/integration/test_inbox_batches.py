"""The inbox processes in batches: many deliveries a transaction, in order, none lost or
repeated when one of them fails, and never starved while arrivals continue."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.database import Database, UnitOfWork
from storage.inbox import Inbox
from storage.models import InboundEvent, Workspace


class Conversations:
    """A handler for deliveries of several conversations: records what each transaction
    handled and writes a row per delivery, in the same transaction."""

    def __init__(self, *, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.calls: list[tuple[int, str]] = []  # (unit of work, delivery), every call
        # The units themselves, kept alive: a freed one's id may be the next one's.
        self.units: list[UnitOfWork] = []
        self.after: list[str] = []

    async def __call__(self, uow: UnitOfWork, row: InboundEvent, prepared: Any) -> Any:
        self.calls.append((id(uow), row.delivery_id))
        self.units.append(uow)
        if row.delivery_id in self.fail:
            raise RuntimeError(f"{row.delivery_id} broke")
        uow.session.add(Workspace(platform="test", external_id=row.delivery_id,
                                  created_at=uow.clock.now()))

        async def tell() -> None:
            self.after.append(row.delivery_id)
        return tell


async def kept(db: Database) -> list[str]:
    """What the committed transactions wrote, in order."""
    async with db.unit_of_work(readonly=True) as uow:
        return list(await uow.session.scalars(
            select(Workspace.external_id).where(Workspace.platform == "test")
            .order_by(Workspace.id)))


async def stored(db: Database) -> dict[str, InboundEvent]:
    async with db.unit_of_work(readonly=True) as uow:
        return {row.delivery_id: row for row in await uow.session.scalars(select(InboundEvent))}


def delivery(conversation: int, n: int) -> str:
    return f"C{conversation}-{n:02d}"


async def arrive(inbox: Inbox, names: list[str]) -> None:
    for name in names:
        await inbox.accept("slack", name, "T1", "message", {"name": name})


async def test_a_batch_of_several_conversations_commits_together_in_order(db: Database):
    handler = Conversations()
    inbox = Inbox(db, handler, quiet=0, per_transaction=10)
    names = [delivery(n % 3, n // 3) for n in range(30)]  # three conversations, interleaved
    await arrive(inbox, names)
    assert await inbox.process_once() == 30
    assert await kept(db) == names  # arrival order, so each conversation's own order too
    for conversation in range(3):
        mine = [name for name in await kept(db) if name.startswith(f"C{conversation}-")]
        assert mine == [delivery(conversation, n) for n in range(10)]
    assert len({uow for uow, _ in handler.calls}) == 3  # ten deliveries a transaction
    assert handler.after == names  # each after-commit step once, after its commit
    assert all(row.outcome == "done" for row in (await stored(db)).values())


async def test_prepare_steps_of_a_batch_run_concurrently(db: Database):
    in_flight = 0
    most = 0
    handler = Conversations()

    async def prepare(row: InboundEvent) -> str:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0)  # a platform lookup's await: the others start meanwhile
        in_flight -= 1
        return row.delivery_id.lower()

    seen: list[Any] = []

    async def handle(uow: UnitOfWork, row: InboundEvent, prepared: Any) -> Any:
        seen.append(prepared)
        return await handler(uow, row, prepared)

    inbox = Inbox(db, handle, prepare=prepare, quiet=0, prepare_concurrency=4)
    names = [delivery(n % 2, n) for n in range(12)]
    await arrive(inbox, names)
    assert await inbox.process_once() == 12
    assert most == 4  # bounded, but not one at a time
    assert seen == [name.lower() for name in names]  # each handler gets its own


async def test_one_failing_delivery_leaves_the_others_processed_once(
        db: Database, clock: FrozenClock):
    handler = Conversations(fail={"C1-01"})
    inbox = Inbox(db, handler, quiet=0, max_attempts=2, backoff=timedelta(seconds=10))
    names = [delivery(n % 2, n // 2) for n in range(8)]
    await arrive(inbox, names)
    assert await inbox.process_once() == 7
    others = [name for name in names if name != "C1-01"]
    assert await kept(db) == others  # nothing lost, nothing twice
    assert handler.after == others
    rows = await stored(db)
    assert (rows["C1-01"].attempts, rows["C1-01"].processed_at) == (1, None)
    assert rows["C1-01"].last_error == "RuntimeError: C1-01 broke"
    assert all(rows[name].outcome == "done" for name in others)
    # Retried after its back-off, alone; then kept as failed.
    assert await inbox.process_once() == 0
    clock.advance(seconds=10)
    assert await inbox.process_once() == 0
    row = (await stored(db))["C1-01"]
    assert (row.outcome, row.attempts) == ("failed", 2) and row.processed_at is not None
    assert await kept(db) == others and handler.after == others
    assert await inbox.waiting() == 0


async def test_a_failed_prepare_step_retries_that_delivery_alone(
        db: Database, clock: FrozenClock):
    handler = Conversations()
    broken = {"C0-01"}

    async def prepare(row: InboundEvent) -> None:
        if row.delivery_id in broken:
            raise TimeoutError("users.info timed out")

    inbox = Inbox(db, handler, prepare=prepare, quiet=0, backoff=timedelta(seconds=5))
    names = [delivery(0, n) for n in range(4)]
    await arrive(inbox, names)
    assert await inbox.process_once() == 3
    assert await kept(db) == [name for name in names if name not in broken]
    row = (await stored(db))["C0-01"]
    assert (row.attempts, row.processed_at, row.last_error) == (
        1, None, "TimeoutError: users.info timed out")
    broken.clear()
    clock.advance(seconds=5)
    assert await inbox.process_once() == 1
    assert sorted(await kept(db)) == names
    assert sorted(handler.after) == names


async def test_a_batch_whose_commit_fails_is_processed_one_by_one(db: Database):
    handler = Conversations()
    inbox = Inbox(db, handler, quiet=0)
    names = [delivery(n % 3, n) for n in range(6)]
    await arrive(inbox, names)
    failed = []

    def disk_full(uow: UnitOfWork) -> None:
        if not failed:  # the batch's commit fails; each one's own commit works
            failed.append(True)
            raise RuntimeError("disk full")
    remove = db.on_before_commit(disk_full)
    try:
        assert await inbox.process_once() == 6
    finally:
        remove()
    assert await kept(db) == names
    assert handler.after == names  # none of the rolled-back batch's steps ran
    assert all(row.attempts == 0 and row.outcome == "done"
               for row in (await stored(db)).values())


async def test_a_delivery_processed_out_of_turn_is_not_processed_again_by_a_batch(
        db: Database):
    handler = Conversations()
    inbox = Inbox(db, handler, quiet=0)
    await arrive(inbox, ["C0-00", "C1-00", "C2-00"])
    assert await inbox.process_delivery("slack", "C1-00") is True
    assert await inbox.process_once() == 2
    assert await kept(db) == ["C1-00", "C0-00", "C2-00"]


async def test_processing_goes_on_while_deliveries_keep_arriving(db: Database):
    handler = Conversations()
    inbox = Inbox(db, handler, poll_interval=60)  # acks first, with the default pacing
    await inbox.start()
    arrived = 0
    try:
        async with asyncio.timeout(30):
            # Arrivals never pause; processing must still get its share, not wait for a gap.
            while len(handler.after) < 50:
                await asyncio.gather(*(
                    inbox.accept("slack", f"Ev{arrived + n:05d}", "T1", "message", {})
                    for n in range(5)))
                arrived += 5
                assert arrived <= 2000, "processing starved while deliveries kept arriving"
    finally:
        await inbox.stop()
    assert handler.after == [f"Ev{n:05d}" for n in range(len(handler.after))]


async def test_a_request_being_answered_holds_processing_back_only_a_little(db: Database):
    handler = Conversations()
    inbox = Inbox(db, handler, quiet=0.01, poll_interval=60)
    await arrive(inbox, [delivery(0, n) for n in range(3)])
    async with inbox.arriving():  # a request that is never done answering
        async with asyncio.timeout(10):
            assert await inbox.process_once() == 3  # held back a step at a time, not for ever
    assert await kept(db) == [delivery(0, n) for n in range(3)]
    patient = Inbox(db, handler, quiet=60)
    async with asyncio.timeout(10):
        await patient.yield_to_arrivals()  # nobody arriving: no wait at all


async def test_a_batch_gives_the_writer_to_a_waiting_write_and_keeps_each_order(
        db: Database):
    """An arrival being stored (an ack waiting, for SQLite's one writer or on
    PostgreSQL for nothing but its turn) ends the batch transaction after `hold`; the
    rest follows in the next ones, each conversation in its order, each delivery once."""
    handler = Conversations()
    inbox = Inbox(db, handler, quiet=0, per_transaction=30, hold=0)
    names = [delivery(n % 3, n // 3) for n in range(30)]
    await arrive(inbox, names)
    acks: list[asyncio.Task[None]] = []
    units: list[UnitOfWork] = []  # kept alive, so their ids are not reused
    handle = handler.__call__

    async def with_an_ack(uow: UnitOfWork, row: InboundEvent, prepared: Any) -> Any:
        if not row.delivery_id.startswith("late-"):
            units.append(uow)
        if row.delivery_id in (names[0], names[10]):  # an arrival comes in meanwhile
            acks.append(asyncio.create_task(arrive(inbox, [f"late-{row.delivery_id}"])))
            await asyncio.sleep(0)  # it reaches the writer lock and waits there
        return await handle(uow, row, prepared)
    inbox.handler = with_an_ack
    done = 0
    while (step := await inbox.process_once()) and done < 40:
        done += step
    await asyncio.gather(*acks)
    done += await inbox.process_once()
    assert done == 32
    assert [name for name in await kept(db) if not name.startswith("late-")] == names
    assert sorted(name for name in await kept(db) if name.startswith("late-")) == \
        sorted(f"late-{name}" for name in (names[0], names[10]))
    assert [d for _, d in handler.calls].count(names[5]) == 1  # nothing twice
    transactions = [id(uow) for uow in units]
    assert len(transactions) == 30
    assert len(set(transactions)) >= 3  # cut where the acks came
    assert all(row.outcome == "done" for row in (await stored(db)).values())
