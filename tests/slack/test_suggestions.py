"""Answers offered before a request is sent, through the Slack path on both databases:
an employee's new DM request like a resolved one (or a desk's article) gets "These
helped others: …"; *This solved it* opens no request and counts as deflected; *Send my
request* opens it as without the offer; a question nothing answers opens as today."""

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
from storage.models import Conversation, Desk, Event
from tests.slack.harness import (
    DANA,
    ELI,
    IT_CHANNEL,
    MAYA,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, open_by_dm, set_up_it
from tests.slack.test_story import elements, posts, updates


def plain(message: dict[str, Any]) -> str:
    """The message's text without the isolates around names and values."""
    return block_text(message).replace("\u2068", "").replace("\u2069", "")


async def requests(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return int((await uow.session.execute(
            select(func.count()).select_from(Conversation))).scalar_one())


async def resolved_wifi(world: SlackWorld) -> None:
    """#1001 about the wifi, closed by Dana with a resolution note (indexed as it closes)."""
    await open_by_dm(world, ELI, "The wifi on floor 3 keeps dropping")
    await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
    await world.command(DANA, "close 1001 Replaced the access point on floor 3\nMore details",
                        channel=IT_CHANNEL)
    await world.settled()


async def it_article(db: Database, title: str, text: str) -> None:
    """Article 7 of the (only) desk, IT, in the search index."""
    async with db.unit_of_work() as uow:
        desk = (await uow.session.scalars(select(Desk))).one()
        await index_article(uow, 7, desk.id, title, text)
        await uow.commit()


async def test_this_solved_it_opens_no_request_and_counts_as_deflected(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await resolved_wifi(world)
        cards_before = len(posts(world, IT_CHANNEL))

        asked = await world.dm(OMER, "wifi keeps dropping on floor 3 again")
        await world.settled()
        [offer] = posts(world, f"D{OMER}", thread_ts=asked)
        text = plain(offer)
        assert "These helped others" in text
        assert "Answered before: *The wifi on floor 3 keeps dropping*" in text
        assert "↳ Replaced the access point on floor 3" in text and "More details" not in text
        assert len(posts(world, IT_CHANNEL)) == cards_before  # no card: no request yet
        assert await requests(db) == 1

        status, _ = await world.click(OMER, offer, button_ids.SUGGESTION_SOLVED)
        assert status == 200
        await world.settled()
        [settled] = updates(world, f"D{OMER}", offer["ts"])
        assert "Glad it helped" in plain(settled)
        assert not elements(settled)  # the buttons are gone
        # A second click (a retry) does nothing more.
        status, _ = await world.click(OMER, offer, button_ids.SUGGESTION_SOLVED)
        await world.settled()
        assert len(posts(world, IT_CHANNEL)) == cards_before
        assert await requests(db) == 1
        async with db.unit_of_work(readonly=True) as uow:
            events = (await uow.session.scalars(
                select(Event).where(Event.kind == "request.deflected"))).all()
            document = await search.get(uow, search.REQUEST, 1)
            desk = (await uow.session.scalars(select(Desk))).one()
            report = await build_report(uow, month_of(SUNDAY_9.date()), [desk])
        assert len(events) == 1 and events[0].data["document_kind"] == "request"
        assert events[0].desk_id == desk.id
        assert document is not None and document.solved_count == 1
        assert report.as_dict()["figures"]["deflected"] == 1


async def test_send_my_request_opens_it_and_an_unrelated_question_opens_directly(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await resolved_wifi(world)
        await it_article(db, "Printer jams on floor 2",
                         "Open tray B and pull the paper out gently.")

        asked = await world.dm(MAYA, "the printer on floor 2 jams")
        await world.settled()
        [offer] = posts(world, f"D{MAYA}", thread_ts=asked)
        assert "Article: *Printer jams on floor 2*" in plain(offer)
        assert "↳ Open tray B and pull the paper out gently." in plain(offer)
        before = len(posts(world, IT_CHANNEL))
        status, _ = await world.click(MAYA, offer, button_ids.SUGGESTION_SEND)
        assert status == 200
        await world.settled()
        [card] = posts(world, IT_CHANNEL)[before:]
        assert "the printer on floor 2 jams" in block_text(card)
        receipts = [m for m in posts(world, f"D{MAYA}", thread_ts=asked) if m is not offer]
        assert any("#1002" in block_text(m) for m in receipts)
        assert "Sent to IT as #1002" in plain(updates(world, f"D{MAYA}", offer["ts"])[-1])

        # Nothing answers it well: no offer, the request opens as today.
        asked, card, receipt = await open_by_dm(world, ELI, "my keyboard is broken")
        assert "my keyboard is broken" in block_text(card)
        assert "These helped others" not in block_text(receipt)
        async with db.unit_of_work(readonly=True) as uow:
            deflected = (await uow.session.execute(select(func.count()).select_from(Event)
                         .where(Event.kind == "request.deflected"))).scalar_one()
        assert deflected == 0


async def test_a_known_incident_is_offered_instead_of_answers(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await world.set_up_desks_directly()  # IT and HR: the desk picker
        await world.command(DANA, 'incident open "Email is down"', channel=IT_CHANNEL)
        async with db.unit_of_work() as uow:
            desk = (await uow.session.scalars(select(Desk).where(Desk.name == "IT"))).one()
            await index_article(uow, 3, desk.id, "Email is down",
                                "Restart Outlook and wait a minute.")
            await uow.commit()
        await world.settled()

        asked = await world.dm(ELI, "my email is down since this morning")
        await world.settled()
        [picker] = posts(world, f"D{ELI}", thread_ts=asked)
        assert "These helped others" not in block_text(picker)
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        shown = [block_text(m) for m in posts(world, f"D{ELI}", thread_ts=asked)]
        assert any("known incident" in s for s in shown)
        assert not any("These helped others" in s for s in shown)

        # Without the incident's words, the same desks' answers are offered.
        asked = await world.dm(MAYA, "how do I restart outlook")
        await world.settled()
        [offer] = posts(world, f"D{MAYA}", thread_ts=asked)
        assert "These helped others" in block_text(offer)


async def test_a_new_request_beside_an_open_one_is_offered_answers_too(
        db: Database, clock: FrozenClock) -> None:
    """With a request still open, "add to #ref or new request?" comes first; *New
    request* then offers the answers before opening (most employees have one open)."""
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await resolved_wifi(world)
        await open_by_dm(world, OMER, "my keyboard is broken")  # #1002, still open

        asked = await world.dm(OMER, "wifi keeps dropping on floor 3 again")
        await world.settled()
        [question] = posts(world, f"D{OMER}", thread_ts=asked)
        assert "#1002" in plain(question) and "These helped others" not in plain(question)
        status, _ = await world.click(OMER, question, button_ids.NEW_REQUEST)
        assert status == 200
        await world.settled()
        offers = [m for m in posts(world, f"D{OMER}", thread_ts=asked)
                  if "These helped others" in plain(m)]
        assert len(offers) == 1 and "The wifi on floor 3" in plain(offers[0])
        assert await requests(db) == 2  # nothing opened yet
        status, _ = await world.click(OMER, offers[0], button_ids.SUGGESTION_SEND)
        await world.settled()
        assert await requests(db) == 3  # *Send my request* opens it, no offer again
        assert sum("These helped others" in plain(m)
                   for m in posts(world, f"D{OMER}", thread_ts=asked)) == 1


async def test_a_desk_offering_articles_only_never_shows_another_persons_request(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await resolved_wifi(world)  # Eli's #1001, resolved: an answer IT could offer
        refused = block_text(await world.command(DANA, "admin suggest IT articles"))
        assert "Only an admin or a lead of the IT desk" in refused
        said = plain(await world.command(MAYA, "admin suggest IT articles"))  # IT's lead
        assert "offered only its articles that match, never other people's requests" in said
        shown = plain(await world.command(MAYA, "admin show IT"))
        assert "Offered before sending" in shown and "articles only" in shown
        await it_article(db, "Wifi drops on floor 3", "Forget the network, then join it again.")

        asked = await world.dm(OMER, "wifi keeps dropping on floor 3 again")
        await world.settled()
        [offer] = posts(world, f"D{OMER}", thread_ts=asked)
        assert "Article: *Wifi drops on floor 3*" in plain(offer)
        assert "Answered before" not in plain(offer)
        assert "The wifi on floor 3 keeps dropping" not in plain(offer)

        said = plain(await world.command(MAYA, "admin suggest IT off"))
        assert "no longer offered answers" in said
        asked, card, receipt = await open_by_dm(world, ELI, "wifi keeps dropping again")
        assert "wifi keeps dropping again" in block_text(card)
        assert "These helped others" not in block_text(receipt)
        assert "*Offered before sending*: nothing" in plain(
            await world.command(MAYA, "admin show IT"))
