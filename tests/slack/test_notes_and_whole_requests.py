"""Slack: internal notes stay among the agents; the agents see the whole request.

Signed events in through bolt, recorded Web API calls out (issue 20, points 1 and 3).
"""

from __future__ import annotations

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message, OutboxNotice
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    MAYA,
    block_text,
    slack_world,
)
from tests.slack.test_flaky_slack import drain_with_time, keep_failing
from tests.slack.test_story import posts, set_up_desks
from tests.unit.cards_checks import unescape

# What right-to-left keyboards and clients put before `//` by themselves, and worse.
INVISIBLE_LEADS = ("\u200f", "\u200e", "\u200b", "\ufeff", "\u2067\u202e", " \u061c\u2069 ",
                   "<@UBOT> ", "\u200f<@UBOT> \u200f")  # the bot @mentioned first, too


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


def long_text(length: int) -> str:
    """`length` characters of numbered words over many lines: any loss or swap shows."""
    words = "".join(f"w{n:05d}" + ("\n" if n % 12 == 11 else " ")
                    for n in range(length // 7 + 1))
    return words[:length - 1] + "."


def cards_in(world, channel: str) -> list[dict]:
    """The top-level posts of a channel (the cards), not their threads' replies."""
    return [m for m in posts(world, channel) if not m.get("thread_ts")]


def carried(messages: list[dict], name: str) -> str:
    """The text the relay messages carry, in order: sections without the name, unescaped."""
    parts = [b["text"]["text"] for m in messages for b in m.get("blocks") or []
             if b["type"] == "section"]
    prefix = f"*\u2068{name}\u2069*: "  # the name isolated (FSI…PDI)
    assert parts and parts[0].startswith(prefix)
    parts[0] = parts[0][len(prefix):]
    return unescape("".join(parts))


async def test_a_5000_character_request_reaches_the_agents_whole(
        db: Database, clock: FrozenClock) -> None:
    text = long_text(5000)
    assert len(text) == 5000
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.dm(ELI, text)
        await world.settled()
        [card] = cards_in(world, IT_CHANNEL)
        shown = block_text(card)
        assert text[:500] in shown and text[-500:] not in shown  # the card shows the start
        assert "The whole message follows in this thread." in shown
        in_thread = posts(world, IT_CHANNEL, thread_ts=card["ts"])
        assert in_thread and carried(in_thread, "Eli") == text


async def test_a_long_request_arrives_in_marked_parts_in_order(
        db: Database, clock: FrozenClock) -> None:
    text = long_text(25_000)  # more than one Slack message of sections
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.command(ELI, f"ask IT {text}")
        await world.settled()
        [card] = cards_in(world, IT_CHANNEL)
        parts = posts(world, IT_CHANNEL, thread_ts=card["ts"])
        assert len(parts) == 3
        assert carried(parts, "Eli") == text
        marks = [m["blocks"][0]["elements"][0]["text"] for m in parts]
        eli = "*\u2068Eli\u2069*"  # the name isolated (FSI…PDI)
        assert marks == [f"{eli} (1/3)", f"{eli} (continued 2/3)", f"{eli} (continued 3/3)"]
        # Each message stays within Slack's limits (sections of at most 3,000).
        assert all(len(b["text"]["text"]) <= 3000 for m in parts for b in m["blocks"]
                   if b["type"] == "section")
        assert all(len(m["text"]) < 40_000 for m in parts)


async def test_a_short_request_is_all_on_the_card(db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.dm(ELI, "printer on fire")
        await world.settled()
        [card] = cards_in(world, IT_CHANNEL)
        assert "printer on fire" in block_text(card)
        assert "follows in this thread" not in block_text(card)
        assert posts(world, IT_CHANNEL, thread_ts=card["ts"]) == []


async def test_a_long_request_moved_to_another_desk_is_whole_in_its_new_thread(
        db: Database, clock: FrozenClock) -> None:
    text = long_text(5000)
    async with slack_world(db, clock) as world:
        await set_up_desks(world)
        await world.command(ELI, f"ask IT {text}")
        await world.settled()
        await world.command(DANA, "transfer 1001 HR")
        await world.settled()
        [card] = cards_in(world, HR_CHANNEL)
        assert "The whole message follows in this thread." in block_text(card)
        assert carried(posts(world, HR_CHANNEL, thread_ts=card["ts"]), "Eli") == text


async def test_a_part_that_failed_is_posted_again_and_no_part_twice(
        db: Database, clock: FrozenClock) -> None:
    text = long_text(25_000)
    async with slack_world(db, clock) as world:
        await one_desk(world)
        world.api.chaos(ratio=0.5, statuses=(500, 429), seed=3, retry_after=1,
                        methods=("chat.postMessage",))
        await world.command(ELI, f"ask IT {text}")
        await keep_failing(world, failures=4)
        world.api.calm()
        await drain_with_time(world)

        [card] = cards_in(world, IT_CHANNEL)
        failed_parts = [c for c in world.api.calls_to("chat.postMessage")
                        if not c.ok and c.params.get("thread_ts") == card["ts"]]
        # A part after the first failed once: the retry goes on after the parts posted.
        assert any("continued" in c.params.get("text", "") for c in failed_parts)
        parts = posts(world, IT_CHANNEL, thread_ts=card["ts"])
        assert len(parts) == 3  # each part once, in order
        assert carried(parts, "Eli") == text
