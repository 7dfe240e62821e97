"""The whole story in Hebrew on Teams (issue 16): every word the bot writes is Hebrew,
every card reads right to left.

Noa (Teams locale he-IL) asks IT, a desk whose language is Hebrew and whose agent Avi
speaks Hebrew too: she picks the desk, gets a Hebrew receipt, Avi claims with the
card's button, answers in the thread, the clock reaches the resolution SLA warning,
Avi closes from the card, Noa answers the resolve prompt and rates. Real activities
through botbuilder's CloudAdapter to the fake Bot Framework connector on loopback,
both databases.

Ada sets the desks up with English text commands first (their answers are hers, in
English); from Noa's first message on, every activity the bot sends (new threads,
replies, card updates) and every invoke answer is checked: no English word but the
product words, code spans and the people's own text; each line of ours starts with a
Hebrew word; `"rtl": true`; and the card passes the Adaptive Card 1.5 schema and
Teams' limits (`tests.unit.test_cards_teams.check_card`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update

from conversations import button_ids
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk
from tests.fakes.bot_connector import Person as TeamsPerson
from tests.slack.test_hebrew_story import (
    ANSWER,
    AVI_NAME,
    DESCRIPTION,
    FOLLOW_UP,
    NOA_NAME,
    POLICY,
    QUESTION,
    QUIET,
    SUNDAY_9,
    check_hebrew,
)
from tests.teams.harness import (
    ADAPTIVE,
    TeamsWorld,
    card_of,
    card_text,
    desk_choice,
    executes,
    teams_world,
)
from tests.unit.test_cards_teams import check_card

INVOKE = "application/vnd.microsoft.card.adaptive"
HR_DESCRIPTION = "חופשות ושכר"
# The desk's time zone is data too: the IANA name its admin set (the due date inputs
# say which zone they are read in).
USER_DATA = (NOA_NAME, AVI_NAME, DESCRIPTION, HR_DESCRIPTION, QUESTION, ANSWER, FOLLOW_UP,
             "IT", "HR", "Asia/Jerusalem")
SHOWN_KEYS = ("text", "title", "label", "placeholder", "fallbackText", "altText",
              "errorMessage")


def card_strings(node: Any, key: str = "") -> Iterator[str]:
    """Every string of an Adaptive Card a person may read: TextBlock and RichText text,
    titles (of actions, facts, choices), labels, placeholders, fallback and alt text, and
    fact values (a choice's value is data)."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name in SHOWN_KEYS and isinstance(value, str):
                yield value
            elif name == "value" and key == "facts" and isinstance(value, str):
                yield value
            elif name != "refresh":
                yield from card_strings(value, name)
    elif isinstance(node, list):
        for item in node:
            yield from card_strings(item, key)


def check_hebrew_card(card: dict[str, Any], what: str) -> None:
    """A Hebrew card Teams accepts: valid, within limits, right to left, all Hebrew."""
    check_card(card)
    assert card.get("rtl") is True, what
    check_hebrew(card_strings(card), what, USER_DATA)


def check_activity(activity: dict[str, Any], what: str) -> None:
    """A message the bot sent: its card (if any) and its notification text."""
    if any(a.get("contentType") == ADAPTIVE for a in activity.get("attachments") or []):
        card = card_of(activity)
        check_hebrew_card(card, what)
        assert activity.get("text") == card["fallbackText"], what
    check_hebrew([activity.get("text") or ""], what, USER_DATA)


def check_answer(answer: Any, what: str) -> None:
    """An invoke's answer: a card (which replaces the one clicked) or a message."""
    assert isinstance(answer, dict), answer
    if answer.get("type") == INVOKE:
        check_hebrew_card(answer["value"], what)
    else:
        check_hebrew([str(answer.get("value") or "")], what, USER_DATA)


class Seen:
    """Every activity the bot sent to the connector after `start`, checked once each;
    HR's channel (an English desk: its digest is English) aside."""

    KINDS = ("create_conversation", "send", "reply", "update")

    def __init__(self, world: TeamsWorld) -> None:
        self.world = world
        self.checked = len(self.calls())

    def calls(self) -> list[Any]:
        hr = self.world.hr_channel.channel_id
        return [c for c in self.world.connector.calls
                if c.kind in self.KINDS and c.ok
                and not (c.conversation_id or "").startswith(hr)
                and not (c.kind == "create_conversation"
                         and ((c.body or {}).get("channelData") or {}).get("channel", {})
                         .get("id") == hr)]

    def check(self) -> int:
        calls = self.calls()
        fresh = calls[self.checked:]
        for call in fresh:
            activity = call.body.get("activity") if call.kind == "create_conversation" \
                else call.body
            if activity:
                check_activity(activity, f"{call.kind} {call.conversation_id}")
        self.checked = len(calls)
        return len(fresh)


async def command(world: TeamsWorld, text: str, channel: Any,
                  mentions: tuple[TeamsPerson, ...] = ()) -> None:
    """Ada's text command in a channel (its English answer is hers, not checked)."""
    await world.say(world.ada, channel, text, mentions=mentions)
    await world.settled()


async def set_up(world: TeamsWorld) -> tuple[TeamsPerson, TeamsPerson]:
    """Noa and Avi (he-IL); IT (Avi) and HR (Omer) made by Ada's commands; IT speaks
    Hebrew and has a Jerusalem service window."""
    noa = world.connector.add_person("aad-noa", NOA_NAME, locale="he-IL")
    avi = world.connector.add_person("aad-avi", AVI_NAME, locale="he-IL")
    await command(world, "admin create IT", world.it_channel)
    await command(world, f"admin agents IT add {{{AVI_NAME}}}", world.it_channel,
                  mentions=(avi,))
    await command(world, "admin create HR", world.hr_channel)
    await command(world, "admin agents HR add {Omer}", world.hr_channel,
                  mentions=(world.omer,))
    async with world.db.unit_of_work() as uow:
        await uow.session.execute(update(Desk).where(Desk.slug == "it").values(
            language="he", settings=POLICY, description=DESCRIPTION))
        await uow.session.execute(update(Desk).where(Desk.slug == "hr")
                                  .values(description=HR_DESCRIPTION))
        await uow.commit()
    return noa, avi


def card_now(world: TeamsWorld, card: dict[str, Any]) -> dict[str, Any]:
    """The card as it shows now (its last update, else as posted)."""
    changed = [c.body for c in world.connector.calls_to("update", ok=True)
               if c.activity_id == card["id"]]
    return changed[-1] if changed else card


async def test_the_whole_story_in_hebrew(db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with teams_world(db, clock, settings_changes=QUIET) as world:
        noa, avi = await set_up(world)
        seen = Seen(world)

        # Noa writes to the bot; two desks and no keyword: the picker, in Hebrew.
        await world.dm(noa, QUESTION)
        await world.settled()
        [picker] = world.chat_of(noa)
        assert picker["text"].startswith("לאיזה דסק")
        assert seen.check() == 1

        # She picks IT: the picker's answer, the receipt (its promise in Hebrew words).
        status, answer = await world.click(noa, picker, button_ids.PICK_DESK,
                                           value=desk_choice(picker, "it")["value"])
        assert status == 200
        check_answer(answer, "the picker's answer")
        await world.settled()
        receipt = world.chat_of(noa)[-1]
        assert receipt["text"].startswith("קיבלנו! הפנייה שלכם היא **#1001**")
        assert "מענה ראשון צפוי: \u2068תוך 15 דקות\u2069." in card_text(receipt)
        # The card's new thread in IT's channel: Hebrew, right to left.
        [card] = world.threads_in(world.it_channel)
        assert card["text"].startswith("פנייה #1001")
        assert QUESTION in card_text(card)
        assert seen.check() >= 2

        # Noa writes again: asked whether to add it to #1001, she adds it; it reaches the
        # card's thread, framed in Hebrew.
        await world.dm(noa, FOLLOW_UP)
        await world.settled()
        question = world.chat_of(noa)[-1]
        status, answer = await world.click(noa, question, button_ids.ADD_TO)
        assert status == 200
        check_answer(answer, "the add-to answer")
        await world.settled()
        assert FOLLOW_UP in card_text(world.thread(world.it_channel, card["id"])[-1])
        assert seen.check() >= 2

        # Avi claims with the card's button: the new card is the answer; Noa is told.
        told = len(world.chat_of(noa))
        status, answer = await world.click(avi, card, button_ids.CLAIM,
                                           channel=world.it_channel)
        assert status == 200 and answer["type"] == INVOKE, answer
        check_answer(answer, "the claim's answer")
        assert AVI_NAME in card_text(answer["value"])
        await world.settled()
        [picked_up] = world.chat_of(noa)[told:]
        assert picked_up["text"].startswith("👋 הפנייה שלכם #1001 בטיפול של")
        assert seen.check() >= 1

        # Avi answers in the thread (no @mention): relayed to Noa with Hebrew framing.
        await world.say(avi, world.it_channel, ANSWER, thread_root=card["id"], mention=False)
        await world.settled()
        relayed = world.chat_of(noa)[-1]
        assert ANSWER in card_text(relayed) and AVI_NAME in card_text(relayed)
        assert seen.check() >= 1

        # 91 business minutes later, past 75 % of the 2-hour resolution target: the
        # card shows the warning and Avi is told in his chat, in Hebrew; Noa hears nothing.
        told = len(world.chat_of(noa))
        clock.advance(minutes=91)
        done = await sweep_all(world.db, world.clock)
        assert all(n >= 0 for n in done.values()), done
        await world.settled()
        [alert] = world.chat_of(avi)
        assert alert["text"].startswith("⚠️ פנייה **#1001**")
        assert "⚠️" in card_text(card_now(world, card))
        assert len(world.chat_of(noa)) == told
        assert seen.check() >= 2

        # Avi closes from the card: the answer is the closed card; Noa is asked.
        status, answer = await world.click(avi, card_now(world, card), button_ids.CLOSE,
                                           channel=world.it_channel)
        assert status == 200 and answer["type"] == INVOKE, answer
        check_answer(answer, "the close's answer")
        assert not executes(answer["value"], button_ids.CLOSE)
        await world.settled()
        [prompt] = world.chat_of(noa)[told:]
        assert prompt["text"].startswith("🔒 הפנייה #1001")
        assert executes(card_of(prompt), button_ids.RATE)
        assert seen.check() >= 2

        # Noa says it is solved and rates 5: each answer replaces the buttons, in Hebrew.
        status, answer = await world.click(noa, prompt, button_ids.SOLVED_YES, value="1001")
        assert status == 200 and answer["type"] == INVOKE, answer
        check_answer(answer, "the yes answer")
        assert not executes(answer["value"], button_ids.SOLVED_YES)
        status, answer = await world.click(noa, prompt, button_ids.RATE, value="1001:5")
        assert status == 200 and answer["type"] == INVOKE, answer
        check_answer(answer, "the rating's answer")
        assert not executes(answer["value"], button_ids.RATE)
        assert "תודה" in card_text(answer["value"]) and "★★★★★" in card_text(answer["value"])
        await world.settled()
        seen.check()

        async with db.unit_of_work(readonly=True) as uow:
            conversation = (await uow.session.scalars(select(Conversation))).one()
        assert (conversation.status, conversation.rating) == ("closed", 5)
        assert seen.checked == len(seen.calls())
