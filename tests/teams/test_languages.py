"""Languages on Teams, end to end: a person is written to in the language their
activities carry (`activity.locale`), a desk's channel in the desk's; Hebrew cards
read right to left (`"rtl": true`), English ones do not (issue 16).

Noa's Teams speaks Hebrew (he-IL); Eli's English. IT is an English desk; HR's language
is Hebrew. Hebrew lines come from cards/locales/he.json (receipt.line, card.claim).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Desk, Person
from tests.fakes.bot_connector import Person as TeamsPerson
from tests.teams.harness import TeamsWorld, card_of, card_text, desk_choice, teams_world
from tests.teams.test_story import set_up_desks

HEBREW_RECEIPT = "קיבלנו! הפנייה שלכם היא"
HEBREW_CLAIM = "שיוך אליי"


def rtl(activity: dict[str, Any]) -> bool:
    return bool(card_of(activity).get("rtl"))


async def asks(world: TeamsWorld, person: TeamsPerson, text: str, desk: str) -> dict[str, Any]:
    """`person` writes to the bot and picks `desk`; returns the invoke's answer."""
    await world.dm(person, text)
    await world.settled()
    picker = world.chat_of(person)[-1]
    status, answer = await world.click(person, picker, button_ids.PICK_DESK,
                                       value=desk_choice(picker, desk)["value"])
    assert status == 200, answer
    await world.settled()
    return answer


async def hebrew_world(world: TeamsWorld) -> TeamsPerson:
    await set_up_desks(world)
    return world.connector.add_person("aad-noa", "Noa", locale="he-IL")


async def test_a_hebrew_requester_hears_in_hebrew_the_english_desk_card_stays_english(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        noa = await hebrew_world(world)
        answer = await asks(world, noa, "the VPN drops every hour", "it")

        async with db.unit_of_work(readonly=True) as uow:
            stored = (await uow.session.scalars(
                select(Person).where(Person.external_id == noa.user_id))).one()
        assert stored.locale == "he-IL"
        # The picker's answer, the receipt: hers, in Hebrew, right to left.
        assert answer["value"].get("rtl") is True
        receipt = world.chat_of(noa)[-1]
        assert HEBREW_RECEIPT in card_text(receipt) and rtl(receipt)
        # The card in IT's (English) channel: English, left to right.
        [card] = world.threads_in(world.it_channel)
        assert "Claim" in card_text(card) and HEBREW_CLAIM not in card_text(card)
        assert not rtl(card)

        # Her welcome on installing the app (her requests) reads right to left; Eli's not.
        for person in (noa, world.eli):
            status, _ = await world.post(world.teams.bot_installed_personal(person))
            assert status in (200, 201)
        await world.settled()
        assert rtl(world.chat_of(noa)[-1]) and not rtl(world.chat_of(world.eli)[-1])


async def test_a_hebrew_desk_gets_a_hebrew_rtl_card_an_english_requester_english(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await hebrew_world(world)
        async with db.unit_of_work() as uow:
            await uow.session.execute(update(Desk).where(Desk.slug == "hr")
                                      .values(language="he"))
            await uow.commit()
        await asks(world, world.eli, "my payslip is missing", "hr")

        [card] = world.threads_in(world.hr_channel)
        assert HEBREW_CLAIM in card_text(card) and rtl(card)
        assert card["text"].startswith("פנייה #1001")  # the notification's fallback
        receipt = world.chat_of(world.eli)[-1]
        assert "Got it: your request is" in card_text(receipt) and not rtl(receipt)
