"""The daily tidy: bookkeeping tables do not grow for ever; the history is kept.

Pending requests go after a week; delivered notices, processed deliveries and the
ledger of seen deliveries after the retention (DESKBOT_RETENTION_DAYS, 30 by default).
Events and messages, failed notices and failed deliveries stay.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import bootstrap
from bot.settings import Settings
from conversations import commands, intake
from conversations.outbox_worker import OutboxWorker, RecordingSender, Undeliverable
from scheduling.jobs import SweepScheduler, forget_old
from storage import ledger
from storage.clock import FrozenClock
from storage.database import Database
from storage.inbox import Inbox
from storage.models import (
    Event,
    InboundEvent,
    Message,
    OutboxNotice,
    PendingRequest,
    ProcessedInbound,
)
from tests.integration.world import World


async def _handled(uow, row, prepared):
    if row.payload.get("breaks"):
        raise RuntimeError("handler broke")
    return None


async def _history(world: World, n: int, failing: int | None = None) -> None:
    """One request opened and answered (events, messages, notices), a pending request,
    a processed and a failed delivery, a ledger row; its notices delivered (one failed)."""
    db = world.db
    eli = await world.person("eli")
    posted = await world.run(commands.open_conversation, eli, world.desks["IT"],
                             f"printer {n} jams", requester_channel="D1")
    await world.run(commands.agent_reply, world.actor("dana"), posted.conversation.ref, "on it")
    await world.run(intake.hold, eli, f"pending {n}")
    inbox = Inbox(db, _handled, quiet=0, max_attempts=1)
    await inbox.accept("slack", f"Ev{n}", "T1", "message", {})
    await inbox.accept("slack", f"Ev{n}-bad", "T1", "message", {"breaks": True})
    await inbox.process_once()
    async with db.unit_of_work() as uow:
        await ledger.first_delivery(uow, "teams", f"act{n}")
        await uow.commit()
    sender = RecordingSender()
    if failing is not None:
        async with db.unit_of_work(readonly=True) as uow:
            first = (await uow.session.scalars(
                select(OutboxNotice.id).where(OutboxNotice.done_at.is_(None))
                .order_by(OutboxNotice.id))).first()
        sender.fail_notice(first, Undeliverable("gone"))
    await OutboxWorker(db, sender, poll_interval=3600.0).drain()


async def _rows(db: Database, model, *where) -> list:
    async with db.unit_of_work(readonly=True) as uow:
        return list(await uow.session.scalars(select(model).where(*where)))


async def test_the_tidy_drops_what_is_older_and_keeps_newer_rows_and_the_history(
        world: World, clock: FrozenClock) -> None:
    db = world.db
    await _history(world, 1, failing=1)
    old_notices = {n.id: n.outcome for n in await _rows(db, OutboxNotice)}
    assert "failed" in old_notices.values() and "delivered" in old_notices.values()
    clock.advance(days=31)
    await _history(world, 2)
    events, messages = await world.count(Event), await world.count(Message)
    clock.advance(days=2)  # the second history is 2 days old, the first 33

    done = await forget_old(db, timedelta(days=30))

    assert done["notices"] == sum(o != "failed" for o in old_notices.values())
    # Notices: the old delivered ones went; the old failed one and every newer one stayed.
    kept = {n.id: n.outcome for n in await _rows(db, OutboxNotice)}
    assert {i for i, o in old_notices.items() if o == "failed"} <= kept.keys()
    assert not {i for i, o in old_notices.items() if o != "failed"} & kept.keys()
    assert any(i not in old_notices for i in kept)
    # Deliveries: the old processed one went; failed ones and the newer one stayed.
    assert sorted(r.delivery_id for r in await _rows(db, InboundEvent)) == [
        "Ev1-bad", "Ev2", "Ev2-bad"]
    assert [r.delivery_id for r in await _rows(db, ProcessedInbound)] == ["act2"]
    # Pending requests: only the one younger than a week.
    assert [p.text for p in await _rows(db, PendingRequest)] == ["pending 2"]
    # The history is whole.
    assert (await world.count(Event), await world.count(Message)) == (events, messages)
    assert done == {"pending_requests": 1, "notices": done["notices"], "ledger": 1,
                    "deliveries": 1}


async def test_the_retention_setting_reaches_the_scheduler_and_the_tidy_is_daily(
        db: Database, clock: FrozenClock) -> None:
    assert Settings().retention_days == 30
    settings = Settings(retention_days=7, sweep_seconds=3600)
    deps = await bootstrap.build(settings, clock, db=db)
    try:
        scheduler = deps.scheduler
        assert isinstance(scheduler, SweepScheduler)
        assert scheduler.retention == timedelta(days=7)
        await scheduler.start()
        try:
            job = scheduler._scheduler.get_job("tidy")
            assert job is not None and job.trigger.interval == timedelta(days=1)
        finally:
            await scheduler.stop()
    finally:
        await deps.close()


async def test_a_tidy_run_that_fails_is_logged_and_the_job_goes_on(
        db: Database, clock: FrozenClock, caplog, monkeypatch) -> None:
    import scheduling.jobs as jobs

    async def broken(*args, **kwargs):
        raise RuntimeError("database away")
    monkeypatch.setattr(jobs, "forget_old", broken)
    await SweepScheduler(db, clock, 60).tidy_once()
    assert any("tidy run failed" in r.getMessage() for r in caplog.records)
