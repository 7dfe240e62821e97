"""Due dates (`/desk due`) through the core with a moved clock, on both databases: set
and cleared by the desk's agents only, shown on the card, the queue and the requester's
update, warned once and flagged once by the sweeps, disarmed when done."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from conversations import commands, due_dates, queues, view_queries
from conversations.lifecycle import Status
from desks.directory import StaticDirectory
from desks.errors import InvalidInput, NotAnAgent, UnknownRef, WrongState
from desks.notices import NoticeKind
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import ConversationTimer
from tests.conftest import DatabaseFactory, assert_timers_in_step
from tests.integration.sla_world import ask, ask_many, local, sla_world
from tests.integration.test_commands import ADA, DANA, ELI, PROFILES, Chat, asked, at
from tests.integration.test_sweeps import Interleave
from tests.integration.world import World

MONDAY_9 = local(2026, 12, 7, 9, 0)  # Jerusalem; IT is open Sun-Thu 08:00-18:00
TUESDAY_12 = local(2026, 12, 8, 12, 0)


async def timers_of(world: World, ref: int) -> dict[str, object]:
    conversation = await world.conversation(ref)
    async with world.db.unit_of_work(readonly=True) as uow:
        return dict((await uow.session.execute(
            select(ConversationTimer.kind, ConversationTimer.due_at)
            .where(ConversationTimer.conversation_id == conversation.id,
                   ConversationTimer.kind.like("due_%")))).tuples().all())


async def told(world: World, kind: str) -> list[tuple[int | None, int | None]]:
    return [(n.conversation_id, n.person_id) for n in await world.notices(kind)]


async def test_a_due_date_arms_its_timers_and_tells_the_card_and_the_requester(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(MONDAY_9)
    conversation = await ask(world)
    ref = conversation.ref
    updated, shown = await world.run(due_dates.set_due, world.actor("dana"), ref,
                                     "tomorrow 12:00")
    assert shown == "2026-12-08 12:00 Asia/Jerusalem"
    stored = await world.conversation(ref)
    assert stored.due_at == TUESDAY_12
    # Warned at the desk's warning percent (75 %) of the 27 hours from now.
    assert stored.due_warn_at == MONDAY_9 + timedelta(hours=27) * 0.75
    assert await timers_of(world, ref) == {"due_passed": TUESDAY_12,
                                           "due_warning": stored.due_warn_at}
    [event] = await world.events("due.set")
    assert event.actor_id == world.people["dana"].id
    assert event.data["due_at"] == TUESDAY_12.isoformat() and event.data["previous"] is None
    [update] = [n for n in await world.notices(NoticeKind.REQUESTER_UPDATE)
                if n.payload.get("what") == "due"]
    assert update.conversation_id == conversation.id
    view = await world.view(view_queries.requester_update, ref, update.payload)
    assert view.what == "due" and view.due_at == TUESDAY_12
    card = await world.view(view_queries.ticket_card, ref)
    assert (card.due_at, card.due_state) == (TUESDAY_12, "ok")
    clock.set(stored.due_warn_at)
    assert (await world.view(view_queries.ticket_card, ref)).due_state == "warning"
    await assert_timers_in_step(db)


async def test_off_resolving_and_closing_disarm_and_a_reopen_arms_again(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(MONDAY_9)
    ref = (await ask(world)).ref
    dana = world.actor("dana")
    await world.run(due_dates.set_due, dana, ref, "+2d")
    await world.run(due_dates.set_due, dana, ref, "off")
    stored = await world.conversation(ref)
    assert (stored.due_at, stored.due_warn_at) == (None, None)
    assert await timers_of(world, ref) == {}
    assert [e.data["previous"] for e in await world.events("due.cleared")] == [
        (MONDAY_9 + timedelta(days=2)).isoformat()]
    assert [n.payload["what"] for n in await world.notices(NoticeKind.REQUESTER_UPDATE)
            if str(n.payload.get("what", "")).startswith("due")] == ["due", "due_cleared"]
    with pytest.raises(WrongState):
        await world.run(due_dates.set_due, dana, ref, "off")

    await world.run(due_dates.set_due, dana, ref, "+2d")
    await world.run(commands.set_status, dana, ref, Status.WAITING)
    assert set(await timers_of(world, ref)) == {"due_passed", "due_warning"}  # still running
    await world.run(commands.set_status, dana, ref, Status.RESOLVED)
    assert await timers_of(world, ref) == {}
    assert (await world.view(view_queries.ticket_card, ref)).due_state == "none"
    with pytest.raises(WrongState):  # resolved: reopen first
        await world.run(due_dates.set_due, dana, ref, "+3d")
    await world.run(commands.reopen, dana, ref)
    assert set(await timers_of(world, ref)) == {"due_passed", "due_warning"}
    await world.run(commands.close, dana, ref)
    assert await timers_of(world, ref) == {}
    with pytest.raises(WrongState):
        await world.run(due_dates.set_due, dana, ref, "+3d")
    await assert_timers_in_step(db)


async def test_only_the_desks_agents_set_a_due_date(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(MONDAY_9)
    ref = (await ask(world)).ref
    with pytest.raises(UnknownRef):  # HR's agent learns nothing of IT's requests
        await world.run(due_dates.set_due, world.actor("omer"), ref, "+2d")
    with pytest.raises(NotAnAgent):  # the requester is told why
        await world.run(due_dates.set_due, world.actor("eli"), ref, "+2d")
    with pytest.raises(InvalidInput):
        await world.run(due_dates.set_due, world.actor("dana"), ref, "2026-12-07 08:00")
    assert (await world.conversation(ref)).due_at is None
    assert await world.events("due.set") == []


async def test_the_sweep_warns_once_then_flags_once(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, sla={"first_response": {"default": "8h"},
                                     "resolution": {"default": "5d"}})
    clock.set(MONDAY_9)
    mine = await ask(world)
    nobodys = await ask(world, who="maya", text="printer jammed")
    dana = world.actor("dana")
    await world.run(commands.claim, dana, mine.ref)
    for ref in (mine.ref, nobodys.ref):
        await world.run(due_dates.set_due, dana, ref, "today 13:00")  # 4h: warned at 12:00
    clock.set(local(2026, 12, 7, 11, 59))
    await sweep_all(db)
    assert await told(world, NoticeKind.DUE_WARNING) == []
    clock.set(local(2026, 12, 7, 12, 0))
    await sweep_all(db)
    await sweep_all(db)
    # Dana by DM for hers; the card's thread (no person) for the one nobody holds.
    expected = sorted([(mine.id, world.people["dana"].id), (nobodys.id, None)],
                      key=lambda pair: pair[0])
    assert sorted(await told(world, NoticeKind.DUE_WARNING), key=lambda p: p[0]) == expected
    assert all(n.payload.get("card") for n in await world.notices(NoticeKind.DUE_WARNING))
    assert (await world.conversation(mine.ref)).due_warned_at == clock.now()
    assert await told(world, NoticeKind.DUE_PASSED) == []
    clock.set(local(2026, 12, 7, 13, 0))
    await sweep_all(db)
    await sweep_all(db)
    assert sorted(await told(world, NoticeKind.DUE_PASSED), key=lambda p: p[0]) == expected
    assert len(await told(world, NoticeKind.DUE_WARNING)) == 2  # nobody told again
    assert len(await world.events("due.warning")) == 2
    assert len(await world.events("due.passed")) == 2
    card = await world.view(view_queries.ticket_card, mine.ref)
    assert card.due_state == "passed"
    clock.advance(days=1)
    await sweep_all(db)
    assert len(await told(world, NoticeKind.DUE_PASSED)) == 2
    await assert_timers_in_step(db)


async def test_a_late_run_flags_the_passed_due_date_and_drops_the_warning(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(MONDAY_9)
    conversation = await ask(world)
    await world.run(due_dates.set_due, world.actor("dana"), conversation.ref, "+3h")
    clock.advance(hours=5)
    await sweep_all(db)
    assert await told(world, NoticeKind.DUE_WARNING) == []
    assert await told(world, NoticeKind.DUE_PASSED) == [(conversation.id, None)]
    stored = await world.conversation(conversation.ref)
    assert stored.due_warned_at == stored.due_flagged_at == clock.now()
    assert await timers_of(world, conversation.ref) == {}


async def test_a_new_due_date_after_a_flag_can_be_warned_and_flagged_again(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(MONDAY_9)
    conversation = await ask(world)
    dana = world.actor("dana")
    await world.run(due_dates.set_due, dana, conversation.ref, "+1h")
    clock.advance(hours=2)
    await sweep_all(db)
    await world.run(due_dates.set_due, dana, conversation.ref, "+4h")
    stored = await world.conversation(conversation.ref)
    assert (stored.due_warned_at, stored.due_flagged_at) == (None, None)
    clock.advance(hours=4)
    await sweep_all(db)
    assert len(await told(world, NoticeKind.DUE_PASSED)) == 2


async def test_the_queue_puts_due_dates_first_soonest_first(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(MONDAY_9)
    refs = [(await ask(world, text=f"request {n}")).ref for n in range(4)]
    dana = world.actor("dana")
    await world.run(commands.set_priority, dana, refs[0], 5)  # high, but no due date
    await world.run(due_dates.set_due, dana, refs[1], "+3d")
    await world.run(due_dates.set_due, dana, refs[2], "+2h")
    await world.run(commands.pin, dana, refs[3])  # pinned stays on top
    async with db.unit_of_work(readonly=True) as uow:
        items = await queues.queue(uow, dana, queues.QueueView.ALL)
    assert [item.ref for item in items] == [refs[3], refs[2], refs[1], refs[0]]
    rows = view_queries.queue_list(items, "all", now=clock.now()).rows
    assert [(row.ref, row.due_state) for row in rows] == [
        (refs[3], "none"), (refs[2], "ok"), (refs[1], "ok"), (refs[0], "none")]
    assert rows[1].due_at == MONDAY_9 + timedelta(hours=2)


# ---------------------------------------------------------------- typed, malformed

@pytest.fixture
async def helpdesk(db: Database) -> Chat:
    """IT (#it-agents, in UTC: no policy set) with Dana as its agent."""
    chat = Chat(db, StaticDirectory(PROFILES))
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, VPN, accounts")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)}")
    return chat


USAGE = "/desk due REF 2026-12-10 14:00|tomorrow 12:00|+2d|off"


@pytest.mark.parametrize(("text", "fragment"), [
    ("due", "`/desk due` needs a request number"),
    ("due next +2d", "“next” is not a request number"),
    ("due 1001", "Say when it is due, e.g. `2026-12-10 14:00`"),
    ("due 1001 soon", "We could not read soon as a due date. Write one of: `2026-12-10 14:00`"),
    ("due 1001 2026-02-30 10:00", "Write one of:"),
    ("due 1001 tomorrow 25:00", "Write one of:"),
    ("due 1001 +2x", "`+2d`, `+3h`, `off`"),
    ("due 1001 2020-01-01 10:00", "2020-01-01 10:00 UTC has already passed. Give a moment"),
    ("due 1001 2040-01-01", "more than three years away"),
    ("due 1001 off", "#1001 has no due date."),
])
async def test_malformed_due_commands_say_the_right_form(helpdesk: Chat, clock: FrozenClock,
                                                         text: str, fragment: str) -> None:
    clock.set(MONDAY_9)
    await asked(helpdesk)
    reply = await helpdesk.refused(DANA, text, fragment)
    if "no due date" not in fragment:
        assert reply.usage == USAGE, reply.usage


async def test_a_due_date_typed_by_an_agent(helpdesk: Chat, clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    ref = await asked(helpdesk)
    answer = await helpdesk.ok(DANA, f"due {ref} 2026-12-10 14:00")
    assert answer == f"📅 #{ref} is due 2026-12-10 14:00 UTC."  # IT keeps UTC here
    assert await helpdesk.ok(DANA, f"due {ref} OFF") == f"📅 #{ref} no longer has a due date."
    await helpdesk.refused(ELI, f"due {ref} +2d", "not an agent of the IT desk")


@pytest.mark.parametrize("mode", ["gather", "stale read"])
@pytest.mark.postgresql_modes("stale read")
async def test_two_sweepers_warn_and_flag_each_due_date_once(
        database_factory: DatabaseFactory, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    interleave = await Interleave.of(database_factory, monkeypatch, mode)
    world = await sla_world(interleave.first)
    clock.set(MONDAY_9)
    await ask_many(world, 200)
    async with interleave.first.unit_of_work() as uow:
        for ref in range(1001, 1201):
            await due_dates.set_due(uow, world.actor("dana"), ref, "+4h")
        await uow.commit()
    for hours in (3, 1):  # the warnings, then the due dates passed
        clock.advance(hours=hours)
        await interleave.sweep_both()
    assert all(n >= 0 for done in interleave.results for n in done.values()), \
        interleave.results
    warned = Counter(await told(world, NoticeKind.DUE_WARNING))
    passed = Counter(await told(world, NoticeKind.DUE_PASSED))
    assert len(warned) == 200 and set(warned.values()) == {1}
    assert len(passed) == 200 and set(passed.values()) == {1}
    assert {person for _, person in passed} == {None}  # nobody holds them: the thread
    assert len(await world.events("due.warning")) == 200
    assert len(await world.events("due.passed")) == 200
    await assert_timers_in_step(interleave.first)
