"""Answers offered before a request is sent, through the Teams path on both databases,
as tests/slack/test_suggestions.py does through Slack."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from conversations import button_ids
from conversations.knowledge.indexing import index_article
from conversations.reports.periods import month_of
from conversations.reports.report import build_report
from storage import search
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Event
from storage.models import Desk as DeskRow
from tests.teams.harness import TeamsWorld, card_text, executes, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, with_maya


def plain(text: str) -> str:
    """`text` without the isolates around names and values."""
    return text.replace("\u2068", "").replace("\u2069", "")


async def requests(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return int((await uow.session.execute(
            select(func.count()).select_from(Conversation))).scalar_one())


def offers(world: TeamsWorld, person: Any) -> list[dict[str, Any]]:
    return [a for a in world.chat_of(person)
            if a.get("attachments") and "These helped others" in card_text(a)]


async def resolved_wifi(desk: Desk) -> None:
    """#1001 about the wifi, closed by Dana with a resolution note (indexed as it closes)."""
    await desk.open_by_chat(desk.world.eli, "The wifi on floor 3 keeps dropping")
    await desk.command(desk.world.dana, "claim 1001")
    await desk.command(desk.world.dana,
                       "close 1001 Replaced the access point on floor 3\nMore details")


async def test_this_solved_it_opens_no_request_and_counts_as_deflected(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        await resolved_wifi(desk)
        cards_before = len(world.threads_in(world.it_channel))

        await world.dm(world.omer, "wifi keeps dropping on floor 3 again")
        await world.settled()
        [offer] = offers(world, world.omer)
        text = plain(card_text(offer))
        assert "Answered before: **The wifi on floor 3 keeps dropping**" in text
        assert "↳ Replaced the access point on floor 3" in text and "More details" not in text
        assert len(world.threads_in(world.it_channel)) == cards_before  # no request yet
        assert await requests(db) == 1

        status, answer = await world.click(world.omer, offer, button_ids.SUGGESTION_SOLVED)
        assert status == 200, answer
        assert "Glad it helped" in card_text(answer["value"])
        assert not executes(answer["value"])  # the buttons are gone
        status, answer = await world.click(world.omer, offer, button_ids.SUGGESTION_SOLVED)
        await world.settled()
        assert "Glad it helped" not in str(answer)  # a second click does nothing more
        assert len(world.threads_in(world.it_channel)) == cards_before
        assert await requests(db) == 1
        async with db.unit_of_work(readonly=True) as uow:
            events = (await uow.session.scalars(
                select(Event).where(Event.kind == "request.deflected"))).all()
            document = await search.get(uow, search.REQUEST, 1)
            it = (await uow.session.scalars(select(DeskRow))).one()
            report = await build_report(uow, month_of(SUNDAY_9.date()), [it])
        assert len(events) == 1 and events[0].data["document_kind"] == "request"
        assert document is not None and document.solved_count == 1
        assert report.as_dict()["figures"]["deflected"] == 1


async def test_send_my_request_opens_it_and_an_unrelated_question_opens_directly(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        async with db.unit_of_work() as uow:
            it = (await uow.session.scalars(select(DeskRow))).one()
            await index_article(uow, 7, it.id, "Printer jams on floor 2",
                                "Open tray B and pull the paper out gently.")
            await uow.commit()

        await world.dm(world.eli, "the printer on floor 2 jams")
        await world.settled()
        [offer] = offers(world, world.eli)
        assert "Article: **Printer jams on floor 2**" in plain(card_text(offer))
        assert await requests(db) == 0
        status, answer = await world.click(world.eli, offer, button_ids.SUGGESTION_SEND)
        assert status == 200, answer
        assert "Sent to IT as #1001" in plain(card_text(answer["value"]))
        await world.settled()
        [card] = world.threads_in(world.it_channel)
        assert "the printer on floor 2 jams" in card_text(card)

        # Nothing answers it well: no offer, the request opens as today.
        card, receipt = await desk.open_by_chat(world.omer, "my keyboard is broken")
        assert "my keyboard is broken" in card_text(card)
        assert not offers(world, world.omer)
        async with db.unit_of_work(readonly=True) as uow:
            deflected = (await uow.session.execute(select(func.count()).select_from(Event)
                         .where(Event.kind == "request.deflected"))).scalar_one()
        assert deflected == 0
