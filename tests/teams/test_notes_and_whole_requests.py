"""Teams: internal notes stay among the agents; the agents see the whole request.

Real activities through botbuilder's CloudAdapter; what the fake Bot Framework
connector recorded is what people saw (issue 20, points 1 and 3).
"""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message, OutboxNotice
from tests.teams.harness import card_of, card_text, teams_world
from tests.teams.test_story import eli_asks_it, set_up_desks

INVISIBLE_LEADS = ("\u200f", "\u200e", "\u200b", "\ufeff", "\u2067\u202e", "\u061c\u2069 ")


async def test_a_note_behind_invisible_marks_never_reaches_the_requester(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, "printer on fire")
        [card] = world.threads_in(world.it_channel)
        before = len(world.chat_of(world.eli))
        for number, lead in enumerate(INVISIBLE_LEADS):
            await world.say(world.dana, world.it_channel, f"{lead}// secret {number}",
                            thread_root=card["id"], mention=False)
        # With the bot @mentioned first, a note is still a note (not a command).
        await world.say(world.dana, world.it_channel, f"// secret {len(INVISIBLE_LEADS)}",
                        thread_root=card["id"], mention=True)
        await world.settled()

        assert world.chat_of(world.eli)[before:] == []  # nothing relayed to Eli
        async with db.unit_of_work(readonly=True) as uow:
            said = (await uow.session.execute(
                select(Message.kind, Message.body).order_by(Message.id))).all()
            relays = (await uow.session.execute(
                select(OutboxNotice).where(OutboxNotice.kind == "relay.to_requester"))).all()
            conversation = (await uow.session.execute(select(Conversation))).scalar_one()
        assert said[1:] == [("note", f"secret {n}") for n in range(len(INVISIBLE_LEADS) + 1)]
        assert relays == []
        assert conversation.first_response_at is None  # a note is not an answer
        assert not any("secret" in card_text(a) or "secret" in (a.get("text") or "")
                       for a in world.chat_of(world.eli))


async def test_an_outsider_gets_the_same_answer_for_a_ref_that_exists_and_one_that_does_not(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)

        async def omer_claims() -> str:
            await world.dm(world.omer, "claim 1001")
            await world.settled()
            answer = world.chat_of(world.omer)[-1]
            return card_text(answer) + "\n" + (answer.get("text") or "")

        before = await omer_claims()
        await eli_asks_it(world, "printer on fire")
        assert "#1001" in card_text(world.threads_in(world.it_channel)[0])
        after = await omer_claims()
        assert after == before
        assert "There is no request #1001." in after and "IT" not in after


def long_text(length: int) -> str:
    """`length` characters of numbered words: any loss or swap shows."""
    return "".join(f"w{n:05d} " for n in range(length // 7 + 1))[:length - 1] + "."


def relayed_pieces(activity: dict, name: str) -> list[str]:
    """The text pieces of one relay card, without its name line or "continued" line."""
    body = [item for item in card_of(activity)["body"] if item.get("type") == "TextBlock"]
    head = body[0]["text"]
    assert head.startswith(f"**\u2068{name}\u2069**"), head
    return [item["text"] for item in body[1:] if "not shown" not in item["text"]]


async def test_a_5000_character_request_reaches_the_agents_whole(
        db: Database, clock: FrozenClock) -> None:
    text = long_text(5000)
    assert len(text) == 5000
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, text)
        [card] = world.threads_in(world.it_channel)
        shown = card_text(card)
        assert text[:500] in shown and text[-500:] not in shown  # the card shows the start
        assert "The whole message follows in this thread." in shown
        replies = [a for a in world.thread(world.it_channel, card["id"]) if a["id"] != card["id"]]
        assert replies
        assert "".join(p for r in replies for p in relayed_pieces(r, "Eli")) == text


async def test_a_long_request_arrives_in_marked_parts_in_order(
        db: Database, clock: FrozenClock) -> None:
    text = long_text(39_000)
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, text)
        [card] = world.threads_in(world.it_channel)
        replies = [a for a in world.thread(world.it_channel, card["id"]) if a["id"] != card["id"]]
        count = len(replies)
        assert count >= 3
        heads = [card_of(r)["body"][0]["text"] for r in replies]
        assert heads == [f"**\u2068Eli\u2069** (1/{count})"] + [
            f"**\u2068Eli\u2069** (continued {n}/{count})" for n in range(2, count + 1)]
        # Pieces are cut between words (the space at a cut is not shown).
        carried = " ".join(p for r in replies for p in relayed_pieces(r, "Eli"))
        assert carried == text
        assert all(len(json.dumps(r)) < 28_000 for r in replies)
