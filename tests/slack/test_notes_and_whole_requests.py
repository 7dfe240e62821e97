"""Slack: internal notes stay among the agents; the agents see the whole request.

Signed events in through bolt, recorded Web API calls out (issue 20, points 1 and 3).
"""

from __future__ import annotations

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message, OutboxNotice
from tests.slack.harness import ADA, DANA, ELI, IT_CHANNEL, MAYA, block_text, slack_world
from tests.slack.test_story import posts

# What right-to-left keyboards and clients put before `//` by themselves, and worse.
INVISIBLE_LEADS = ("\u200f", "\u200e", "\u200b", "\ufeff", "\u2067\u202e", " \u061c\u2069 ")


async def one_desk(world) -> None:
    await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    await world.command(ADA, f"admin agents IT add <@{DANA}|dana>")


async def test_a_note_behind_invisible_marks_never_reaches_the_requester(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.dm(ELI, "printer on fire")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        to_eli = len(posts(world, f"D{ELI}"))
        for number, lead in enumerate(INVISIBLE_LEADS):
            await world.say(DANA, IT_CHANNEL, f"{lead}// secret {number}",
                            thread_ts=card["ts"])
        await world.settled()

        assert posts(world, f"D{ELI}")[to_eli:] == []  # nothing relayed to Eli
        async with db.unit_of_work(readonly=True) as uow:
            said = (await uow.session.execute(
                select(Message.kind, Message.body).where(Message.author_id.is_not(None))
                .order_by(Message.id))).all()
            relays = (await uow.session.execute(
                select(OutboxNotice).where(OutboxNotice.kind == "relay.to_requester"))).all()
            conversation = (await uow.session.execute(select(Conversation))).scalar_one()
        assert said[1:] == [("note", f"secret {n}") for n in range(len(INVISIBLE_LEADS))]
        assert relays == []
        assert conversation.first_response_at is None  # a note is not an answer
        assert "secret" not in "".join(block_text(m) for m in posts(world, f"D{ELI}"))


async def test_an_outsider_gets_the_same_answer_for_a_ref_that_exists_and_one_that_does_not(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await one_desk(world)
        before = await world.command(MAYA, "claim 1001")
        await world.dm(ELI, "printer on fire")
        await world.settled()
        assert "#1001" in block_text(posts(world, IT_CHANNEL)[0])
        after = await world.command(MAYA, "claim 1001")
        assert after == before
        assert "There is no request #1001." in block_text(after)
        assert "IT" not in block_text(after)
