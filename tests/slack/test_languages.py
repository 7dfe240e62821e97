"""Languages on Slack, end to end: a person is written to in their language (Slack's
`users.info` locale), a desk's channel in the desk's (issue 16).

Noa's Slack speaks Hebrew (users.info says he-IL); Eli's English. IT is an English
desk; HR's language is Hebrew. Hebrew lines come from cards/locales/he.json; where it
has none, the test asks what the renderer was asked for (a spy around `cards.slack`,
the real renderer still rendering).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from cards import slack as slack_cards
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Desk, Person
from tests.slack.harness import ELI, HR_CHANNEL, IT_CHANNEL, SlackWorld, block_text, slack_world
from tests.slack.test_story import elements, posts

NOA = "UNOA"
HEBREW_RECEIPT = "קיבלנו! הפנייה שלכם היא"
HEBREW_CLAIM = "שיוך אליי"


def hebrew_noa(api: Any) -> None:
    api.add_user(NOA, "Noa", locale="he-IL")


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(renderer, locale) of each home tab and modal rendered, the renderer unchanged."""
    calls: list[tuple[str, str]] = []

    def spy(name: str) -> Callable[..., Any]:
        real = getattr(slack_cards, name)

        def render(view: Any, *, locale: str = "en") -> Any:
            calls.append((name, locale))
            return real(view, locale=locale)
        return render

    for name in ("home", "modal"):
        monkeypatch.setattr(slack_cards, name, spy(name))
    return calls


async def ask_by_dm(world: SlackWorld, user: str, text: str, desk: str) -> str:
    """`user` DMs the bot and picks `desk` in the picker; returns their message's ts."""
    ts = await world.dm(user, text)
    await world.settled()
    [picker] = posts(world, f"D{user}", thread_ts=ts)
    pick = next(e for e in elements(picker)
                if e.get("action_id") == button_ids.PICK_DESK
                and e["value"].endswith(f":{desk}"))
    await world.click(user, picker, button_ids.PICK_DESK, value=pick["value"])
    await world.settled()
    return ts


async def hebrew_hr(world: SlackWorld) -> None:
    async with world.db.unit_of_work() as uow:
        await uow.session.execute(update(Desk).where(Desk.slug == "hr").values(language="he"))
        await uow.commit()


async def test_a_hebrew_requester_hears_in_hebrew_while_the_english_desk_card_stays_english(
        db: Database, clock: FrozenClock, asked: list[tuple[str, str]]) -> None:
    async with slack_world(db, clock, api_setup=hebrew_noa) as world:
        await world.set_up_desks_directly()
        ts = await ask_by_dm(world, NOA, "the VPN drops every hour", "it")

        # Slack was asked for the locale, and it was kept.
        looked_up = [c for c in world.api.calls_to("users.info") if c.params["user"] == NOA]
        assert looked_up and all(str(c.params.get("include_locale")).lower() in ("1", "true")
                                 for c in looked_up)
        async with db.unit_of_work(readonly=True) as uow:
            noa = (await uow.session.scalars(
                select(Person).where(Person.external_id == NOA))).one()
        assert noa.locale == "he-IL"

        # The receipt to Noa is Hebrew, and its notification text starts with it.
        [receipt] = posts(world, f"D{NOA}", thread_ts=ts)[1:]
        assert receipt["text"].startswith(HEBREW_RECEIPT)
        # The card in IT's (English) channel is English.
        [card] = posts(world, IT_CHANNEL)
        assert card["text"].startswith("#1001 [\u2068IT\u2069]")
        assert "Claim" in block_text(card) and HEBREW_CLAIM not in block_text(card)

        # Her home tab and the "Send to helpdesk" modal in Hebrew; Eli's home in English.
        await world.open_home(NOA)
        await world.open_home(ELI)
        status, _ = await world.interact({
            "type": "message_action", "callback_id": "send_to_helpdesk", "trigger_id": "t.9",
            "user": {"id": NOA}, "channel": {"id": "CGENERAL"},
            "message": {"type": "message", "text": "the printer is out of toner",
                        "ts": "1700000001.000100", "user": ELI},
            "response_url": f"{world.api.base_url}response/9"})
        assert status == 200
        assert asked == [("home", "he"), ("home", "en"), ("modal", "he")]


async def test_a_hebrew_desk_gets_its_card_in_hebrew_and_an_english_requester_english(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, api_setup=hebrew_noa) as world:
        await world.set_up_desks_directly()
        await hebrew_hr(world)
        ts = await ask_by_dm(world, ELI, "my payslip is missing", "hr")

        [card] = posts(world, HR_CHANNEL)
        assert card["text"].startswith("פנייה #1001")
        assert HEBREW_CLAIM in block_text(card)
        [receipt] = posts(world, f"D{ELI}", thread_ts=ts)[1:]
        assert receipt["text"].startswith("Got it: your request is")

        # Noa asks the Hebrew desk too: Hebrew both ways.
        ts = await ask_by_dm(world, NOA, "the VPN drops", "hr")
        [receipt] = posts(world, f"D{NOA}", thread_ts=ts)[1:]
        assert receipt["text"].startswith(HEBREW_RECEIPT)
        assert [m["text"][:10] for m in posts(world, HR_CHANNEL)] == ["פנייה #100"] * 2
