"""The sweeps of SPEC §4 with a moved clock: each flag notified once, nothing outside
the window (but priority 5 on call), two sweepers never notify twice (both databases)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from conversations import commands
from conversations.lifecycle import Status
from desks.notices import ALSO, NoticeKind
from scheduling import sweeps
from scheduling.desk_calendar import DeskCalendar
from scheduling.sweeps import sweep_all
from storage import sweep_applier
from storage.clock import FrozenClock
from storage.database import Database, UnitOfWork
from storage.models import Message, Person
from tests.conftest import DatabaseFactory, assert_timers_in_step
from tests.integration.sla_world import ask, ask_many, local, sla_world
from tests.integration.world import World

SUNDAY_9 = local(2026, 1, 11, 9, 0)


async def kinds(world: World, kind: str) -> list[tuple[int | None, int | None]]:
    """(conversation, person) told by `kind`'s notices: each one's person, then its ALSO."""
    return [(n.conversation_id, person) for n in await world.notices(kind)
            for person in (n.person_id, *n.payload.get(ALSO, ()))]


def replace_sweep(monkeypatch: pytest.MonkeyPatch, name: str, sweep: Any = None) -> None:
    """Run `sweep` in place of the sweep `name` in a run of every sweep (None: leave it out)."""
    monkeypatch.setattr(sweeps, "SWEEPS", tuple(
        (each, sweep if each == name else original) for each, original in sweeps.SWEEPS
        if each != name or sweep is not None))


async def test_warning_then_breach_each_once(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    clock.advance(minutes=10)
    await sweep_all(db)
    assert await kinds(world, NoticeKind.SLA_WARNING) == []
    clock.advance(minutes=2)  # 12 min: past 75 % of 15
    await sweep_all(db)
    await sweep_all(db)
    assert await kinds(world, NoticeKind.SLA_WARNING) == [(conversation.id, None)]
    card = await world.conversation(conversation.ref)
    assert card.first_response_warned_at == clock.now()
    clock.advance(minutes=4)
    await sweep_all(db)
    await sweep_all(db)
    noa = world.people["noa"].id  # the IT lead
    assert await kinds(world, NoticeKind.SLA_BREACH) == [(conversation.id, None),
                                                         (conversation.id, noa)]
    assert [e.data["target"] for e in await world.events("sla.warning")] == ["first_response"]
    assert [e.data["target"] for e in await world.events("sla.breach")] == ["first_response"]


@pytest.mark.sweeps_may_fail
async def test_a_failing_sweep_leaves_the_others_done_once(
        db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # A run is one unit of work; when one of its sweeps fails, the run is rolled back
    # whole and the sweeps run again one by one: the others' work is done, once.
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    conversation = await ask(world)

    async def broken(run: Any) -> int:
        await sweeps.sla_warnings(run)  # its writes are rolled back with the run
        raise RuntimeError("agent silence sweep broke")

    replace_sweep(monkeypatch, "agent_silent", broken)
    clock.advance(minutes=12)
    done = await sweep_all(db)
    assert done["agent_silent"] == -1
    assert done["sla_warning"] == 1 and done["digest"] == 2  # IT's and HR's
    assert await kinds(world, NoticeKind.SLA_WARNING) == [(conversation.id, None)]
    assert len(await world.notices(NoticeKind.DESK_DIGEST)) == 2
    assert len(await world.events("sla.warning")) == 1
    assert "failed together" in caplog.text and "sweep agent_silent failed" in caplog.text
    await assert_timers_in_step(db)


@pytest.mark.sweeps_may_fail
async def test_a_run_failing_with_an_update_in_flight_falls_back_cleanly(
        db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # In a run of every sweep, the next kind's update is sent while a sweep writes
    # its events (`SweepApplier.flag`). A sweep failing then leaves an update in flight:
    # the run waits for it before the rollback, and the sweeps run one by one.
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    late = await ask(world)
    clock.advance(minutes=5)
    warned = await ask(world)
    sent_ahead: list[str] = []
    real_breaches = sweeps.sla_breaches

    async def breaches_then_break(run: Any) -> int:
        await real_breaches(run)
        sent_ahead.append(run.applier.in_flight or "none")
        raise RuntimeError("breach sweep broke")

    replace_sweep(monkeypatch, "sla_breach", breaches_then_break)
    clock.advance(minutes=12)  # the first: breach due (and its warning); the second: warning
    done = await sweep_all(db)
    assert sent_ahead[0] == "first_response_warning"  # it was in flight when the sweep broke
    assert done["sla_breach"] == -1 and done["sla_warning"] == 2
    assert "another operation" not in caplog.text
    assert sorted(await kinds(world, NoticeKind.SLA_WARNING)) == [(late.id, None),
                                                                 (warned.id, None)]
    assert await kinds(world, NoticeKind.SLA_BREACH) == []
    assert (await world.conversation(late.ref)).first_response_breached_at is None
    await assert_timers_in_step(db)


@pytest.mark.sweeps_may_fail
async def test_a_flag_sent_ahead_that_no_sweep_takes_fails_the_run(
        db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # A row flagged and nobody told would never be told: the run fails instead, and
    # one by one (here without the warnings' sweep) nothing is flagged untold.
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    replace_sweep(monkeypatch, "sla_warning")
    clock.advance(minutes=12)
    await sweep_all(db)
    assert "flags sent but not taken by their sweeps: ['first_response_warning']" \
        in caplog.text
    assert (await world.conversation(conversation.ref)).first_response_warned_at is None
    assert await world.events("sla.warning") == []
    assert await world.notices(NoticeKind.SLA_WARNING) == []
    await assert_timers_in_step(db)


async def test_card_shows_the_sla_state(db: Database, clock: FrozenClock) -> None:
    from conversations import view_queries as views

    world = await sla_world(db)
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    due = SUNDAY_9 + timedelta(minutes=15)
    sla = (await world.view(views.ticket_card, conversation.ref)).sla
    assert (sla.state, sla.target, sla.due_at) == ("ok", "first_response", due)
    clock.advance(minutes=12)
    await sweep_all(db)
    sla = (await world.view(views.ticket_card, conversation.ref)).sla
    assert (sla.state, sla.target, sla.due_at) == ("warning", "first_response", due)
    clock.advance(minutes=5)
    await sweep_all(db)
    sla = (await world.view(views.ticket_card, conversation.ref)).sla
    assert (sla.state, sla.target, sla.due_at) == ("breached", "first_response", due)


async def test_card_names_the_day_and_time_when_due_in_a_later_opening(
        db: Database, clock: FrozenClock) -> None:
    from conversations import queues
    from conversations import view_queries as views

    world = await sla_world(db)
    clock.set(local(2026, 1, 8, 17, 50))  # Thursday, 10 open minutes left: due Fri 08:05
    conversation = await ask(world)

    async def due_times() -> tuple[object, object]:
        async with db.unit_of_work(readonly=True) as uow:
            card = await views.ticket_card(uow, await world.conversation(conversation.ref))
            items = await queues.queue(uow, world.actor("dana"), queues.QueueView.ALL)
        [row] = [views.queue_row(i, clock.now()) for i in items if i.ref == conversation.ref]
        return card.sla.due_at, row.sla.due_at

    # The due time itself (the cards write it in the reader's zone), whatever the hour.
    friday = local(2026, 1, 9, 8, 5)
    assert await due_times() == (friday,) * 2
    clock.set(local(2026, 1, 8, 23, 0))  # closed
    assert await due_times() == (friday,) * 2
    clock.set(local(2026, 1, 9, 8, 0))  # open, due within this opening
    assert await due_times() == (friday,) * 2


async def test_agent_reply_before_the_breach_prevents_it(db: Database,
                                                         clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    clock.advance(minutes=12)
    await sweep_all(db)
    await world.run(commands.agent_reply, world.actor("dana"), conversation.ref, "on it")
    clock.advance(minutes=10)
    await sweep_all(db)
    assert len(await kinds(world, NoticeKind.SLA_WARNING)) == 1
    assert await kinds(world, NoticeKind.SLA_BREACH) == []


async def test_requester_silence_reminds_then_resolves(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, stall={"unassigned": "8h", "agent_silence": "8h",
                                       "requester_silence": "1h"})
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    dana = world.actor("dana")
    await world.run(commands.agent_reply, dana, conversation.ref, "which laptop?")
    await world.run(commands.set_status, dana, conversation.ref, Status.WAITING)
    clock.advance(minutes=61)
    await sweep_all(db)
    await sweep_all(db)
    assert await kinds(world, NoticeKind.REQUESTER_REMINDER) == [(conversation.id, None)]
    assert (await world.conversation(conversation.ref)).status == Status.WAITING
    clock.advance(minutes=61)
    await sweep_all(db)
    await sweep_all(db)
    resolved = await world.conversation(conversation.ref)
    assert resolved.status == Status.RESOLVED and resolved.resolved_at == clock.now()
    assert len(await kinds(world, NoticeKind.RESOLVE_PROMPT)) == 1
    async with db.unit_of_work(readonly=True) as uow:
        notes = list((await uow.session.execute(
            select(Message.body).where(Message.kind == "system"))).scalars())
    assert len(notes) == 1 and "Resolved automatically" in notes[0]


async def test_auto_close(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, auto_close_after="1d")
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    dana = world.actor("dana")
    await world.run(commands.agent_reply, dana, conversation.ref, "done")
    await world.run(commands.set_status, dana, conversation.ref, Status.RESOLVED)
    clock.advance(hours=23)
    await sweep_all(db)
    assert (await world.conversation(conversation.ref)).status == Status.RESOLVED
    clock.advance(hours=2)
    await sweep_all(db)
    await sweep_all(db)
    closed = await world.conversation(conversation.ref)
    assert closed.status == Status.CLOSED and closed.closed_at == clock.now()
    assert [e.data.get("reason") for e in await world.events("conversation.closed")] == [
        "auto_close"]


async def test_unassigned_too_long_pings_available_agents(db: Database,
                                                          clock: FrozenClock) -> None:
    world = await sla_world(db, stall={"unassigned": "10m", "agent_silence": "8h",
                                       "requester_silence": "3d"},
                            sla={"first_response": {"default": "4h"}})
    clock.set(SUNDAY_9)
    await world.run(commands.set_availability, world.actor("dana"), True)
    conversation = await ask(world)
    clock.advance(minutes=11)
    await sweep_all(db)
    await sweep_all(db)
    notices = await world.notices(NoticeKind.STALL_UNASSIGNED)
    assert [n.payload["mention_ids"] for n in notices] == [[world.people["dana"].id]]
    assert notices[0].conversation_id == conversation.id


STALL_10M = {"stall": {"unassigned": "10m", "agent_silence": "8h", "requester_silence": "3d"},
             "sla": {"first_response": {"default": "4h"}}}


async def test_still_unassigned_a_period_after_the_ping_tells_the_leads_once(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, **STALL_10M)
    clock.set(SUNDAY_9)
    await world.run(commands.set_availability, world.actor("dana"), True)
    conversation = await ask(world)
    clock.advance(minutes=11)
    await sweep_all(db)  # 09:11: the agents are pinged; the leads are due at 09:21
    assert (await world.conversation(conversation.ref)).unassigned_leads_due_at == \
        clock.now() + timedelta(minutes=10)
    clock.advance(minutes=9)
    await sweep_all(db)
    assert await world.events("stall.unassigned_leads") == []
    clock.advance(minutes=1)
    await sweep_all(db)
    await sweep_all(db)
    noa = world.people["noa"].id
    notices = await world.notices(NoticeKind.STALL_UNASSIGNED)
    assert [(n.person_id, n.payload) for n in notices] == [
        (None, {"mention_ids": [world.people["dana"].id]}), (noa, {"stage": "leads"})]
    [event] = await world.events("stall.unassigned_leads")
    assert event.conversation_id == conversation.id and event.data["lead_ids"] == [noa]
    assert (await world.conversation(conversation.ref)).unassigned_leads_flagged_at == clock.now()
    clock.advance(hours=1)
    await sweep_all(db)
    assert len(await world.notices(NoticeKind.STALL_UNASSIGNED)) == 2


async def test_the_leads_stage_counts_business_time(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, **STALL_10M)
    clock.set(local(2026, 1, 8, 17, 40))  # Thursday: the agents' ping is due 17:50
    await world.run(commands.set_availability, world.actor("dana"), True)
    conversation = await ask(world)
    clock.set(local(2026, 1, 8, 17, 51))
    await sweep_all(db)
    # 9 open minutes left on Thursday, 1 on Friday morning.
    assert (await world.conversation(conversation.ref)).unassigned_leads_due_at == \
        local(2026, 1, 9, 8, 1)
    for moment in (local(2026, 1, 8, 18, 30), local(2026, 1, 9, 8, 0)):
        clock.set(moment)
        await sweep_all(db)
        assert await world.events("stall.unassigned_leads") == [], moment
    clock.set(local(2026, 1, 9, 8, 2))
    await sweep_all(db)
    assert len(await world.events("stall.unassigned_leads")) == 1


async def test_no_leads_stage_once_assigned_or_when_the_leads_were_pinged(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, **STALL_10M)
    clock.set(SUNDAY_9)
    nobody_available = await ask(world)  # the first ping goes to the leads already
    clock.advance(minutes=11)
    await sweep_all(db)
    assert (await world.conversation(nobody_available.ref)).unassigned_leads_due_at is None
    await world.run(commands.set_availability, world.actor("dana"), True)
    taken = await ask(world, "maya")
    clock.advance(minutes=11)
    await sweep_all(db)  # the agents are pinged about the second one
    assert (await world.conversation(taken.ref)).unassigned_leads_due_at is not None
    await world.run(commands.claim, world.actor("dana"), taken.ref)
    assert (await world.conversation(taken.ref)).unassigned_leads_due_at is None
    clock.advance(hours=2)
    await sweep_all(db)
    assert await world.events("stall.unassigned_leads") == []
    assert [n.person_id for n in await world.notices(NoticeKind.STALL_UNASSIGNED)] == [
        None, None]


async def test_agent_silent_nudges_the_assignee(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, stall={"unassigned": "8h", "agent_silence": "1h",
                                       "requester_silence": "3d"},
                            sla={"first_response": {"default": "4h"}})
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    await world.run(commands.claim, world.actor("dana"), conversation.ref)
    clock.advance(minutes=59)
    await sweep_all(db)
    assert await kinds(world, NoticeKind.AGENT_NUDGE) == []
    clock.advance(minutes=2)
    await sweep_all(db)
    await sweep_all(db)
    assert await kinds(world, NoticeKind.AGENT_NUDGE) == [(conversation.id,
                                                          world.people["dana"].id)]


async def test_digest_counts_once_per_service_day(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(local(2026, 1, 8, 10, 0))  # Thursday
    late = await ask(world)
    await ask(world, "maya")
    pinned = await ask(world, text="printer")
    dana = world.actor("dana")
    await world.run(commands.claim, dana, pinned.ref)
    await world.run(commands.pin, dana, pinned.ref)
    await world.run(commands.agent_reply, dana, late.ref, "hello")
    await world.run(commands.set_status, dana, late.ref, Status.RESOLVED)
    it_desk = world.desks["IT"].id

    async def it_digests() -> list:
        return [n for n in await world.notices(NoticeKind.DESK_DIGEST)
                if n.payload["desk_id"] == it_desk]

    clock.set(local(2026, 1, 8, 10, 30))
    await sweep_all(db)  # today's digest, first-response breaches
    assert len(await it_digests()) == 1
    clock.set(local(2026, 1, 9, 7, 59))  # Friday, before opening
    await sweep_all(db)
    assert len(await it_digests()) == 1
    clock.set(local(2026, 1, 9, 8, 1))
    await sweep_all(db)
    await sweep_all(db)
    it = (await it_digests())[1:]
    assert len(it) == 1
    assert it[0].payload["day"] == "2026-01-09"
    assert it[0].payload["counts"] == {"open": 2, "unassigned": 1, "breached": 2,
                                       "due_today": 0, "pinned": 1}


async def test_the_digest_counts_each_desk_by_its_own_day(db: Database,
                                                         clock: FrozenClock) -> None:
    # One statement counts every desk's digest: "due today" ends at each desk's own
    # local midnight (Jerusalem 22:00 UTC in January, London 24:00 UTC).
    from conversations import timers
    from storage.models import Conversation
    from tests.integration.sla_world import set_policy

    world = await sla_world(db)
    await set_policy(world, "HR", time_zone="Europe/London", holidays="GB")
    clock.set(datetime(2026, 1, 8, 9, 0, tzinfo=UTC))  # Thursday: both desks open
    due = {"IT": [21, 23], "HR": [21, 23, 25]}  # hours after Thursday 00:00 UTC
    for desk, hours in due.items():
        for hour in hours:
            opened = await ask(world, desk=desk)
            async with db.unit_of_work() as uow:
                row = await uow.session.get(Conversation, opened.id)
                assert row is not None
                row.first_response_at = clock.now()  # only the resolution target counts
                row.resolution_due_at = datetime(2026, 1, 8, tzinfo=UTC) + timedelta(
                    hours=hour)
                row.resolution_warn_at = row.resolution_due_at
                await timers.sync(uow, row)
                await uow.commit()
    clock.set(datetime(2026, 1, 8, 10, 0, tzinfo=UTC))
    await sweep_all(db)
    counts = {n.payload["desk_id"]: n.payload["counts"]
              for n in await world.notices(NoticeKind.DESK_DIGEST)}
    assert counts[world.desks["IT"].id]["due_today"] == 1  # 21:00; 23:00 is Friday there
    assert counts[world.desks["HR"].id]["due_today"] == 2  # 21:00 and 23:00
    assert counts[world.desks["IT"].id]["open"] == 2
    assert counts[world.desks["HR"].id]["open"] == 3


async def test_nothing_breaches_outside_the_window_but_p5_goes_on_call(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, sla={"first_response": {"default": "10m"}},
                            oncall=["U_LEE"])
    clock.set(local(2026, 1, 8, 17, 50))  # Thursday: due at closing, 18:00
    ordinary = await ask(world)
    critical = await ask(world, "maya")
    await world.run(commands.set_priority, world.actor("dana"), critical.ref, 5)
    clock.set(local(2026, 1, 8, 18, 30))
    await sweep_all(db)
    lee = world.people["lee"].id
    breaches = await kinds(world, NoticeKind.SLA_BREACH)
    assert (critical.id, lee) in breaches
    assert all(c != ordinary.id for c, _ in breaches)
    clock.set(local(2026, 1, 9, 8, 1))  # Friday morning: the desk is open
    await sweep_all(db)
    assert (ordinary.id, None) in await kinds(world, NoticeKind.SLA_BREACH)


class Interleave:
    """Two sweepers made to meet where a replica could double a notice (PostgreSQL).

    `gather` alone rarely has one sweeper act between the other's read of its due rows
    and its conditional update; with this patch of `sweep_applier.flag_rows` they always do:
    - "stale read": the second reads its due rows, then waits for the first to commit
      its whole run before flagging them (only the update's conditions save it);
    - "held rows": the first, holding its rows, runs the whole second sweeper before
      it commits (only SKIP LOCKED lets the second go on, finding nothing to win).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, first: Database, second: Database,
                 mode: str) -> None:
        self.first, self.second, self.mode = first, second, mode
        self.read, self.first_done = asyncio.Event(), asyncio.Event()
        self.held_once = False
        self.results: list[dict[str, int]] = []
        self.original = sweep_applier.flag_rows
        monkeypatch.setattr(sweep_applier, "flag_rows", self._flag)

    async def _flag(self, uow: UnitOfWork, *args: Any, **params: Any) -> set[int]:
        if uow.db is self.second and self.mode == "stale read":
            self.read.set()
            await self.first_done.wait()
        if uow.db is self.first and self.mode == "stale read":
            await self.read.wait()
        won = await self.original(uow, *args, **params)
        if uow.db is self.first and self.mode == "held rows" and won and not self.held_once:
            self.held_once = True
            # Plain FOR UPDATE would wait here for the rows this sweeper holds: stuck.
            try:
                second = await asyncio.wait_for(sweep_all(self.second), timeout=20)
            except TimeoutError:
                second = {"held rows": -1}
            self.results.append(second)
            self.results.append({"second won held rows": -second.get("sla_warning", 0)})
        return won

    @classmethod
    async def of(cls, database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch,
                 mode: str) -> Interleave:
        """Two sweepers' databases on the one test database (the first with its tables)."""
        first = database_factory()
        await first.create_all()
        second = database_factory()
        second.business_time = DeskCalendar()
        return cls(monkeypatch, first, second, mode)

    async def sweep_both(self) -> None:
        """Both sweepers at once, met as `mode` says ("gather": as they come)."""
        async def first() -> dict[str, int]:
            try:
                return await sweep_all(self.first)
            finally:
                self.first_done.set()
                self.read.set()  # nothing was due for the second to read: do not wait

        self.read.clear()
        self.first_done.clear()
        self.results += await asyncio.gather(first(), sweep_all(self.second))


@pytest.mark.parametrize("mode", ["gather", "stale read", "held rows"])
@pytest.mark.postgresql_modes("stale read", "held rows")
async def test_two_sweepers_over_500_due_conversations_notify_once(
        database_factory: DatabaseFactory, clock: FrozenClock, backend: str,
        monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    interleave = await Interleave.of(database_factory, monkeypatch, mode)
    first = interleave.first
    world = await sla_world(first)
    clock.set(SUNDAY_9)
    await ask_many(world, 500)
    for minutes in (12, 4):  # warnings, then breaches
        clock.advance(minutes=minutes)
        await interleave.sweep_both()
    # No sweep failed (a failed one is logged and retried: it would hide a lock wait).
    assert all(n >= 0 for done in interleave.results for n in done.values()), \
        interleave.results
    assert interleave.held_once == (mode == "held rows")
    async with first.unit_of_work(readonly=True) as uow:
        lead = (await uow.session.execute(
            select(Person.id).where(Person.external_id == "U_NOA"))).scalar_one()
    warnings = Counter(await kinds(world, NoticeKind.SLA_WARNING))
    breaches = Counter(await kinds(world, NoticeKind.SLA_BREACH))
    assert len(warnings) == 500 and set(warnings.values()) == {1}
    assert len(breaches) == 1000 and set(breaches.values()) == {1}
    assert {p for _, p in breaches} == {None, lead}
    assert len(await world.events("sla.warning")) == 500
    assert len(await world.events("sla.breach")) == 500
    assert clock.now() - SUNDAY_9 == timedelta(minutes=16)
    await assert_timers_in_step(first)


async def test_two_sweepers_tell_the_leads_once(
        database_factory: DatabaseFactory, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    interleave = await Interleave.of(database_factory, monkeypatch, "gather")
    world = await sla_world(interleave.first, **STALL_10M)
    clock.set(SUNDAY_9)
    await world.run(commands.set_availability, world.actor("dana"), True)
    await ask_many(world, 200)
    for minutes in (11, 11):  # the agents' pings, then the leads'
        clock.advance(minutes=minutes)
        await interleave.sweep_both()
    noa = world.people["noa"].id
    told = Counter((c, p) for c, p in await kinds(world, NoticeKind.STALL_UNASSIGNED)
                   if p is not None)
    assert len(told) == 200 and set(told.values()) == {1} and {p for _, p in told} == {noa}
    assert len(await world.events("stall.unassigned_leads")) == 200
    assert len(await world.events("stall.unassigned")) == 200
    await assert_timers_in_step(interleave.first)


async def test_deleting_a_workspace_removes_what_it_holds_but_its_journal(
        db: Database, clock: FrozenClock) -> None:
    # Events and notices have no foreign keys (storage/models.py): deleting a workspace
    # removes its people, desks, conversations and their timers, and leaves its audit
    # trail and notices (which the senders give up on:
    # conversations/delivery_views.py::workspace_of).
    from sqlalchemy import delete, func

    from storage.models import (
        AgentMark,
        Conversation,
        ConversationTimer,
        Desk,
        DeskMember,
        Event,
        OutboxNotice,
        Workspace,
    )

    world = await sla_world(db)
    clock.set(SUNDAY_9)
    conversation = await ask(world)
    await world.run(commands.pin, world.actor("dana"), conversation.ref)
    await ask(world, "maya")
    clock.advance(minutes=16)
    await sweep_all(db)
    removed = (Person, Desk, DeskMember, Conversation, ConversationTimer, Message, AgentMark)
    kept = (Event, OutboxNotice)

    async def counts(tables: tuple[type[Any], ...]) -> dict[str, int]:
        async with db.unit_of_work(readonly=True) as uow:
            return {model.__tablename__: (await uow.session.execute(
                select(func.count()).select_from(model))).scalar_one() for model in tables}

    assert all((await counts(removed + kept)).values()), await counts(removed + kept)
    journal = await counts(kept)
    async with db.unit_of_work() as uow:
        if db.is_postgresql:
            # Known and older than this test: PostgreSQL checks message.author_id (NO
            # ACTION) before the conversation's cascade has removed the messages, so a
            # workspace with messages cannot go in one statement there. Messages first.
            await uow.session.execute(delete(Message))
        await uow.session.execute(delete(Workspace))
        await uow.commit()
    assert not any((await counts(removed)).values()), await counts(removed)
    assert await counts(kept) == journal
