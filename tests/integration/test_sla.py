"""SLA due times: computed in business time at open, on priority change, on a move to
another desk, and moved by the business time of every pause (both databases)."""

from __future__ import annotations

from datetime import timedelta

from conversations import commands
from conversations.lifecycle import Status
from scheduling.desk_calendar import window_of
from storage.clock import FrozenClock
from storage.database import Database
from tests.integration.sla_world import ask, local, set_policy, sla_world
from tests.integration.world import build_world


async def test_opened_friday_1255_is_due_sunday_0810(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(local(2026, 1, 9, 12, 55))  # a Friday
    conversation = await ask(world)
    assert conversation.first_response_due_at == local(2026, 1, 11, 8, 10)
    # 75 % of 15 minutes: 5 on Friday, 6¼ on Sunday.
    assert conversation.first_response_warn_at == local(2026, 1, 11, 8, 6) + timedelta(
        seconds=15)
    # 48 business hours: 5 min on Friday, 10 h Sun–Wed, 7 h 55 min on Thursday.
    assert conversation.resolution_due_at == local(2026, 1, 15, 15, 55)


async def test_opened_thursday_1750_is_due_sunday_0805(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    # Before Shavuot (Fri 2026-05-22, closed): 10 min Thursday, 5 min Sunday.
    clock.set(local(2026, 5, 21, 17, 50))
    conversation = await ask(world)
    assert conversation.first_response_due_at == local(2026, 5, 24, 8, 5)
    # An ordinary Thursday: the window opens Friday 08:00.
    clock.set(local(2026, 1, 8, 17, 50))
    conversation = await ask(world)
    assert conversation.first_response_due_at == local(2026, 1, 9, 8, 5)


async def test_priority_change_recomputes(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db, sla={"first_response": {"default": "15m", "5": "5m"},
                                     "resolution": {"default": "2d", "5": "4h"}})
    clock.set(local(2026, 1, 11, 9, 0))
    conversation = await ask(world)
    clock.advance(minutes=1)
    await world.run(commands.set_priority, world.actor("dana"), conversation.ref, 5)
    now = await world.conversation(conversation.ref)
    assert now.first_response_due_at == local(2026, 1, 11, 9, 5)
    assert now.resolution_due_at == local(2026, 1, 11, 13, 0)
    assert [e.data for e in await world.events("priority.changed")] == [{"old": 3, "new": 5}]


async def test_hold_for_two_business_hours_moves_due_times_by_two_hours(
        db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(local(2026, 1, 11, 9, 0))
    conversation = await ask(world)
    dana = world.actor("dana")
    await world.run(commands.claim, dana, conversation.ref)
    before = await world.conversation(conversation.ref)
    clock.advance(minutes=5)
    await world.run(commands.set_status, dana, conversation.ref, Status.ON_HOLD)
    paused = await world.conversation(conversation.ref)
    assert paused.sla_paused_at == clock.now()
    clock.advance(hours=2)
    await world.run(commands.set_status, dana, conversation.ref, Status.OPEN)
    after = await world.conversation(conversation.ref)
    assert after.sla_paused_at is None
    assert after.sla_paused_seconds == 7200
    assert after.first_response_due_at == before.first_response_due_at + timedelta(hours=2)
    window = window_of(world.desks["IT"].settings)
    assert window.business_time_between(before.resolution_due_at,
                                        after.resolution_due_at) == timedelta(hours=2)
    paused_events = await world.events("sla.paused")
    resumed = await world.events("sla.resumed")
    assert [e.data["status"] for e in paused_events] == ["on_hold"]
    assert [e.data["business_seconds"] for e in resumed] == [7200]


async def test_pause_overnight_counts_only_business_time(db: Database,
                                                         clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(local(2026, 1, 11, 17, 0))
    conversation = await ask(world)
    dana = world.actor("dana")
    await world.run(commands.set_status, dana, conversation.ref, Status.WAITING)
    clock.set(local(2026, 1, 12, 9, 0))  # next morning: 1 h + 1 h of open time passed
    await world.run(commands.requester_message, await world.person("eli"), conversation.ref,
                    "here is the answer")
    after = await world.conversation(conversation.ref)
    assert after.status == Status.NEW
    assert [e.data["business_seconds"] for e in await world.events("sla.resumed")] == [7200]
    assert after.first_response_due_at == local(2026, 1, 12, 9, 15)


async def test_move_to_another_desk_takes_its_policy(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    await set_policy(world, "HR", hours="always", time_zone="UTC", holidays=None,
                     sla={"first_response": {"default": "1h"}})
    clock.set(local(2026, 1, 11, 9, 0))
    conversation = await ask(world)
    await world.run(commands.transfer_to_desk, world.actor("dana"), conversation.ref,
                    world.desks["HR"])
    moved = await world.conversation(conversation.ref)
    assert moved.first_response_due_at == local(2026, 1, 11, 10, 0)


async def test_an_internal_note_is_not_a_first_response(db: Database,
                                                        clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(local(2026, 1, 11, 9, 0))
    conversation = await ask(world)
    dana = world.actor("dana")
    await world.run(commands.add_note, dana, conversation.ref, "checking AD")
    assert (await world.conversation(conversation.ref)).first_response_at is None
    await world.run(commands.agent_reply, dana, conversation.ref, "on it")
    assert (await world.conversation(conversation.ref)).first_response_at == clock.now()


async def test_without_a_calendar_nothing_is_computed(db: Database, clock: FrozenClock) -> None:
    world = await build_world(db)
    conversation = await ask(world)
    assert conversation.first_response_due_at is None
    assert conversation.resolution_due_at is None
    assert conversation.unassigned_due_at is None


async def test_receipt_says_when_to_expect_an_answer(db: Database, clock: FrozenClock) -> None:
    from conversations import view_queries as views

    world = await sla_world(db, oncall=["U_LEE"])
    clock.set(local(2026, 1, 11, 9, 0))
    open_now = await ask(world)
    clock.set(local(2026, 1, 9, 14, 0))  # Friday afternoon: closed until Sunday
    closed = await ask(world)
    async with db.unit_of_work(readonly=True) as uow:
        # The receipt carries the promise's facts; str() is their English.
        assert str((await views.receipt(uow, open_now)).expected_response) == \
            "within 15 minutes"
        assert str((await views.receipt(uow, closed)).expected_response) == \
            "when the desk opens Sunday 08:00"
        closed.priority = 5
        assert "on-call" in str((await views.receipt(uow, closed)).expected_response)
