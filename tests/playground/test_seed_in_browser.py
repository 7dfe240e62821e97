"""`deskbot playground --seed`: the desks, people and history show up in the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.playground.run import Running
from bot.playground.seed import seed
from tests.playground.test_story_in_browser import Person, expect_text


async def test_the_seeded_playground_has_desks_queues_and_history(
        served: Running, page: Any, artifacts: Path) -> None:
    summary = await seed(served)
    assert "seeded desks IT and HR" in summary and "10 requests" in summary
    assert await seed(served) == "desks exist already; nothing seeded"

    await page.goto(served.playground.page_url + "?as=UDANA")
    me = Person(page, artifacts)
    await me.go("it-desk")
    # Cards of the history, as the outbox worker delivered them, right to left included.
    await expect_text(me.message("My laptop stopped charging"), "Rating")
    await expect_text(me.message("A new hire needs an account"), "Lee")
    await expect_text(me.message("המקלדת שלי לא עובדת"), "Lee")
    # Its title sits in our words as an isolate (<bdi>), so both read in order (14.8).
    hebrew_card = me.message("המקלדת שלי לא עובדת")
    assert await hebrew_card.locator("bdi", has_text="המקלדת שלי לא עובדת").count() >= 1
    assert "UTC" not in await hebrew_card.inner_text()  # times in the reader's zone
    await me.shot("seeded-it-desk")
    # Dana asked that one herself: Lee's answer is in her DM thread, right to left.
    await me.go("deskbot")
    await me.open_thread("המקלדת שלי לא עובדת")
    await expect_text(me.thread_pane(), "אני מביא לך מקלדת חדשה")
    assert await me.thread_pane().locator("[dir=auto]", has_text="מקלדת חדשה").count() >= 1
    await me.shot("seeded-rtl-thread")

    await me.go("Home (deskbot)")
    await expect_text(page.locator("#home"), "Unassigned")
    await me.shot("seeded-home")

    # Ada's admin view of the desk: the service window of the example.
    await me.become("Ada")
    await me.go("it-desk")
    await me.write("/desk admin show IT")
    await expect_text(page.locator("#messages"), "Asia/Jerusalem")
    await me.shot("seeded-admin-show")


async def test_the_seeded_it_desk_shows_tickets_and_the_open_incident(
        served: Running, page: Any, artifacts: Path) -> None:
    """Issue 17 in the seed: a ticket of each category on IT's cards, the email outage's
    incident card counting its three requests, and the update in a requester's DM."""
    await seed(served)
    await page.goto(served.playground.page_url + "?as=UDANA")
    me = Person(page, artifacts)
    await me.go("it-desk")
    incident = me.message("Email is down")
    await expect_text(incident, "INC-1")
    await expect_text(incident, "3")
    await incident.scroll_into_view_if_needed()
    await me.shot("incident-card")
    await expect_text(me.message("The Wi-Fi in meeting room 2"), "Incident")
    await expect_text(me.message("A new hire needs an account"), "Service request")
    phone = me.message("Please move my desk phone")
    await expect_text(phone, "IMAC")
    await expect_text(phone, "Due")
    await phone.scroll_into_view_if_needed()
    await me.shot("imac-ticket-with-due-date")
    await me.become("Eli")
    await me.go("deskbot")
    await me.open_thread("Outlook cannot connect to the mail server")
    await expect_text(me.thread_pane(), "mail servers are being restarted")
    await me.shot("incident-update-in-dm")


async def test_a_report_asked_in_the_seeded_desk_channel_shows_card_chart_and_csv(
        served: Running, page: Any, artifacts: Path) -> None:
    """Issue 18 in the page: Dana, IT's lead, asks for the week's report in #it-desk; the
    card with its figures and link, the chart and the CSV appear in the channel."""
    await seed(served)
    await page.goto(served.playground.page_url + "?as=UDANA")
    me = Person(page, artifacts)
    await me.go("it-desk")
    await me.write("/desk report IT week")
    card = me.message("Open the full report")
    await expect_text(card, "Requests opened")
    await expect_text(me.message(".csv"), ".csv")
    await expect_text(me.message(".png"), ".png")
    await card.scroll_into_view_if_needed()
    await me.shot("report-card")
    # The link points at the page's own deskbot (bound to port 0) and opens the report.
    link = await card.get_by_role("link", name="Open the full report").get_attribute("href")
    assert link.startswith(served.url + "/report?")
    await page.goto(link)
    await expect_text(page.locator("body"), "IT")
    await me.shot("report-page-from-card")


async def eli_asks_anew(served: Running, page: Any, artifacts: Path, text: str) -> Person:
    """In the seeded playground, Eli writes `text` to deskbot; he has requests open, so
    "add to one of them, or a new request?" comes first in its thread: *New request*."""
    await seed(served)
    await page.goto(served.playground.page_url + "?as=UELI")
    me = Person(page, artifacts)
    await me.go("deskbot")
    await me.write(text)
    await me.open_thread(text)
    await me.in_thread("You have open requests").get_by_role(
        "button", name="New request").click()
    return me


async def test_an_answer_from_the_seed_is_offered_before_a_request_is_sent(
        served: Running, page: Any, artifacts: Path) -> None:
    """Issue 19 in the page: Eli's new question matches a resolved request of the seed;
    he is offered its answer first, and "This solved it" opens no request."""
    me = await eli_asks_anew(served, page, artifacts, "My laptop is not charging")
    offer = me.in_thread("These helped others")
    await expect_text(offer, "My laptop stopped charging after the update")
    await expect_text(offer, "Swapped the charger")
    await me.shot("suggestion-offer")
    await offer.get_by_role("button", name="This solved it").first.click()
    await expect_text(me.in_thread("Glad it helped"), "No request was opened")
    await me.shot("suggestion-solved")
    # Nothing reached the desk: IT's channel has no card of the question.
    await me.become("Dana")
    await me.go("it-desk")
    await expect_text(me.message("Email is down"), "INC-1")
    assert await page.locator("#messages > li.message",
                              has_text="My laptop is not charging").count() == 0


async def test_a_request_sent_past_the_offer_shows_the_similar_one_on_its_card(
        served: Running, page: Any, artifacts: Path) -> None:
    """Issue 19 in the page: Eli sends his question anyway; its card in IT's channel lists
    the resolved request like it, with a button to that request's own thread."""
    me = await eli_asks_anew(served, page, artifacts, "My laptop is not charging")
    await me.in_thread("These helped others").get_by_role(
        "button", name="Send my request").click()
    await expect_text(me.in_thread("Sent to IT"), "Sent to IT")
    await me.become("Dana")
    await me.go("it-desk")
    card = me.message("My laptop is not charging")
    await expect_text(card, "My laptop stopped charging after the update")
    opens = card.get_by_text("Open the thread")
    assert await opens.count() >= 1
    await card.scroll_into_view_if_needed()
    await me.shot("similar-on-card")
