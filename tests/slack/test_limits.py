"""Per-person limits (issue 20.8): a flood of new requests from one person is refused
with a clear private answer, on every way in; 20 quick DMs ask one question."""

from __future__ import annotations

from sqlalchemy import func, select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message, PendingRequest
from tests.slack.harness import ELI, INTAKE_CHANNEL, IT_CHANNEL, block_text, slack_world
from tests.slack.test_story import elements, posts

LIMIT_SAID = "You have opened 10 requests in the last 10 minutes; please wait"


async def opened_by(db: Database, external_id: str) -> int:
    from storage.models import Person

    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(
            select(func.count()).select_from(Conversation).join(
                Person, Person.id == Conversation.requester_id)
            .where(Person.external_id == external_id))).scalar_one()


async def test_one_person_opens_at_most_ten_requests_in_ten_minutes(db: Database,
                                                                   clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly(intake=INTAKE_CHANNEL)
        for n in range(10):
            answer = await world.command(ELI, f"ask IT printer {n} jams")
            assert f"#{1001 + n}" in block_text(answer)
        refused = await world.command(ELI, "ask IT printer 10 jams")
        assert refused["response_type"] == "ephemeral"
        assert LIMIT_SAID in block_text(refused)
        assert "10 minutes" in block_text(refused).split("please wait", 1)[1]

        # The intake channel shares the limit: refused privately, nothing opened.
        await world.say(ELI, INTAKE_CHANNEL, "the scanner is broken too")
        await world.settled()
        assert LIMIT_SAID in block_text(world.api.ephemerals(ELI)[-1])
        assert await opened_by(world.db, ELI) == 10
        assert len(posts(world, IT_CHANNEL)) == 10

        # The wait counts down from the oldest of the ten.
        clock.advance(minutes=4)
        refused = await world.command(ELI, "ask IT printer 10 jams")
        assert "please wait 6 minutes" in block_text(refused)
        # Once the window has passed, one more may be opened.
        clock.advance(minutes=6)
        answer = await world.command(ELI, "ask IT printer 11 jams")
        assert "#1011" in block_text(answer)
        assert await opened_by(world.db, ELI) == 11


async def test_twenty_quick_dms_ask_once_and_lose_nothing(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        await world.command(ELI, "ask IT my vpn drops")
        await world.settled()
        before = len(posts(world, f"D{ELI}"))
        for n in range(20):
            await world.dm(ELI, f"detail {n:02d}")
        await world.settled()
        questions = posts(world, f"D{ELI}")[before:]
        assert len(questions) == 1, [block_text(q) for q in questions]
        [question] = questions
        assert "#1001" in block_text(question)
        async with db.unit_of_work(readonly=True) as uow:
            [pending] = await uow.session.scalars(select(PendingRequest))
        assert all(f"detail {n:02d}" in pending.text for n in range(20))

        add = next(e for e in elements(question) if e.get("action_id") == button_ids.ADD_TO)
        await world.click(ELI, question, button_ids.ADD_TO, value=add["value"])
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            bodies = "\n".join(await uow.session.scalars(
                select(Message.body).where(Message.kind == "requester")))
        assert all(f"detail {n:02d}" in bodies for n in range(20))
        # In the order they were written.
        assert [bodies.index(f"detail {n:02d}") for n in range(20)] == sorted(
            bodies.index(f"detail {n:02d}") for n in range(20))
