"""Teams (issue 20.8): the same per-person limits as on Slack; commands kept like events."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk, InboundEvent, Message, PendingRequest
from tests.teams.harness import TeamsWorld, card_text, teams_world
from tests.teams.test_story import last_text, set_up_desks

LIMIT_SAID = "You have opened 10 requests in the last 10 minutes; please wait"


async def settled_over_time(world: TeamsWorld, limit: float = 20.0) -> None:
    """Settle, moving the clock a second at a time past the channel's send limit."""
    async with asyncio.timeout(limit):
        while True:
            try:
                await world.settled(0.5)
                return
            except TimeoutError:
                world.clock.advance(seconds=1)


async def test_one_person_opens_at_most_ten_requests_in_ten_minutes(db: Database,
                                                                   clock: FrozenClock):
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        chat = world.connector.personal_conversation(world.eli).id
        for n in range(10):
            await world.dm(world.eli, f"/desk ask IT printer {n} jams")
        await settled_over_time(world)
        said = await world.dm(world.eli, "/desk ask IT printer 10 jams")
        await settled_over_time(world)
        assert LIMIT_SAID in last_text(world, said["conversation"]["id"])
        async with db.unit_of_work(readonly=True) as uow:
            assert (await uow.session.execute(
                select(func.count()).select_from(Conversation))).scalar_one() == 10
        assert len(world.threads_in(world.it_channel)) == 10

        clock.advance(minutes=10)
        await world.dm(world.eli, "/desk ask IT printer 11 jams")
        await settled_over_time(world)
        assert "#1011" in last_text(world, chat)


async def test_twenty_quick_messages_ask_once_and_lose_nothing(db: Database,
                                                               clock: FrozenClock):
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await world.dm(world.eli, "/desk ask IT my vpn drops")
        await world.settled()
        before = len(world.chat_of(world.eli))
        for n in range(20):
            await world.dm(world.eli, f"detail {n:02d}")
        await world.settled()
        questions = world.chat_of(world.eli)[before:]
        assert len(questions) == 1, [card_text(q) for q in questions]
        async with db.unit_of_work(readonly=True) as uow:
            [pending] = await uow.session.scalars(select(PendingRequest))
        assert all(f"detail {n:02d}" in pending.text for n in range(20))
        status, answer = await world.click(world.eli, questions[0], button_ids.ADD_TO)
        assert status == 200 and "Added to #1001" in card_text(answer["value"])
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            bodies = "\n".join(await uow.session.scalars(
                select(Message.body).where(Message.kind == "requester")))
        assert all(f"detail {n:02d}" in bodies for n in range(20))


async def test_a_command_commits_with_its_delivery_so_a_crash_loses_nothing(
        db: Database, clock: FrozenClock):
    async with teams_world(db, clock) as world:
        inbox = world.deps.teams.inbox
        armed = False

        def crash_after_the_commit() -> None:
            # The process dies right after the inbox committed the delivery as processed.
            nonlocal armed
            if armed and inbox._task is not None:
                armed = False
                inbox._task.cancel()

        db.on_after_commit(crash_after_the_commit)
        armed = True
        said = await world.say(world.ada, world.it_channel, "admin create IT Laptops, VPN")
        task = inbox._task
        assert task is not None
        await asyncio.wait({task}, timeout=10)
        assert task.cancelled()  # the "crash" came
        async with db.unit_of_work(readonly=True) as uow:
            [stored] = await uow.session.scalars(select(InboundEvent))
            desks = list(await uow.session.scalars(select(Desk.name)))
        assert stored.processed_at is not None
        assert desks == ["IT"]  # acknowledged, processed, and done: not lost
        assert said["id"]
