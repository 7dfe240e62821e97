"""Cards that never contradict themselves, and user text that cannot reorder ours
(issue 14 points 7 and 8, issue 20 point 9): on Slack and on Teams alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cards import slack, teams
from conversations import button_ids
from conversations.view_models import (
    AgentHome,
    CardMoved,
    PersonRef,
    QueueList,
    QueueRow,
    RequesterUpdate,
    ResolvePrompt,
    SlaState,
)
from tests.unit.cards_checks import FSI, PDI, check_home, check_message, elements, texts
from tests.unit.test_cards_slack import NOW, ticket
from tests.unit.test_cards_teams import check_card, executes, shown_text

HEBREW_TITLE = "המחשב הנייד שלי לא נדלק"
DANA = PersonRef("Dana", None)


def slack_text(message: dict) -> str:
    """The message's own text and every block text, isolates kept."""
    return "\n".join([message["text"], *(
        e["text"] for b in message["blocks"] for e in
        ([b["text"]] if "text" in b else []) + b.get("elements", []) + b.get("fields", [])
        if isinstance(e, dict) and isinstance(e.get("text"), str))])


# ---------------------------------------------------------------- right to left


def test_a_hebrew_title_in_a_moved_line_is_isolated_on_slack() -> None:
    moved = check_message(slack.message(CardMoved(1011, HEBREW_TITLE, "IT", "HR", by=DANA)))
    assert moved["text"] == (f"↪️ *#1011* {FSI}{HEBREW_TITLE}{PDI} moved from *{FSI}IT{PDI}* "
                             f"to *{FSI}HR{PDI}* by {FSI}Dana{PDI}.")


def test_a_hebrew_title_in_a_moved_line_is_isolated_on_teams() -> None:
    card = check_card(teams.card(CardMoved(1011, HEBREW_TITLE, "IT", "HR", by=DANA)))
    [line] = [item["text"] for item in card["body"] if item["type"] == "TextBlock"]
    assert line == (f"↪️ **#1011** {FSI}{HEBREW_TITLE}{PDI} moved from **{FSI}IT{PDI}** "
                    f"to **{FSI}HR{PDI}** by {FSI}Dana{PDI}.")


@pytest.mark.parametrize("title", ["\u202eevil", "a\u202bb\u202dc", "x\u2069y\u2066z"])
def test_bidi_controls_in_user_text_cannot_reorder_our_words(title: str) -> None:
    """A title with a right-to-left override (or stray isolates) is isolated without its
    controls on both platforms: deskbot's words after the PDI stay in order."""
    clean = "".join(c for c in title if c not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                    "\u2068\u2069")
    moved = slack.message(CardMoved(1011, title, "IT", "HR", by=DANA))
    assert f"*#1011* {FSI}{clean}{PDI} moved from *" in moved["text"]
    card = teams.card(CardMoved(1011, title, "IT", "HR", by=DANA))
    assert f"**#1011** {FSI}{clean}{PDI} moved from **" in shown_text(card)
    for rendered in (slack_text(moved), shown_text(card)):
        assert not any(c in rendered for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067")
    # The same on every card that names the request.
    ticket_card = slack.message(ticket(title))
    assert f"#1042 {FSI}{clean}{PDI}" == ticket_card["blocks"][0]["text"]["text"]
    assert "\u202e" not in slack_text(ticket_card)
    assert "\u202e" not in shown_text(teams.card(ticket(title)))


def test_names_in_sentences_are_isolated_and_alone_on_a_line_they_are_not() -> None:
    update = slack.message(RequesterUpdate(7, "picked_up", "משאבי אנוש", agent=PersonRef("דנה")))
    assert update["text"] == (f"👋 *{FSI}דנה{PDI}* from {FSI}משאבי אנוש{PDI} picked up your "
                              "request #7.")
    # A field's value sets its own line's direction: no isolate there.
    card = slack.message(ticket("x", desk=ticket("x").desk.__class__("hr", "משאבי אנוש")))
    [fields] = [b["fields"] for b in card["blocks"] if b.get("fields")]
    assert fields[0]["text"] == "*Desk*\nמשאבי אנוש"


def test_a_hebrew_request_makes_its_teams_cards_right_to_left() -> None:
    assert check_card(teams.card(ticket(HEBREW_TITLE)))["rtl"] is True
    assert teams.card(CardMoved(1011, HEBREW_TITLE, "IT", "HR"))["rtl"] is True
    assert "rtl" not in teams.card(ticket("VPN drops"))
    # A Hebrew reader's (or a Hebrew desk's) card is right to left whatever it shows.
    assert teams.card(ticket("VPN drops"), locale="he")["rtl"] is True
    assert check_card(teams.card(ticket("VPN drops", language="he")))["rtl"] is True


# ---------------------------------------------------------------- one state, told once


def test_a_claimed_card_names_its_holder_and_offers_take_over_not_claim() -> None:
    held = ticket("VPN", assignee=PersonRef("Dana", "UDANA"))
    message = check_message(slack.message(held))
    ids = [e["action_id"] for e in elements(message["blocks"])]
    assert button_ids.CLAIM not in ids and {button_ids.TAKE_OVER, button_ids.UNASSIGN} <= set(ids)
    assert "*Assignee*\n*Dana*" in texts(message)
    card = check_card(teams.card(held))
    verbs = [a["verb"] for a in executes(card)]
    assert button_ids.CLAIM not in verbs and {button_ids.TAKE_OVER,
                                              button_ids.UNASSIGN} <= set(verbs)


def test_the_prompt_after_a_close_says_closed_once() -> None:
    closed = check_message(slack.message(ResolvePrompt(1010, "IT", closed=True)))
    assert texts(closed).startswith("🔒 #1010 (IT) was closed. *Did this solve it?*")
    assert "resolved" not in texts(closed)
    card = check_card(teams.card(ResolvePrompt(1010, "IT", closed=True)))
    assert "was closed" in shown_text(card) and "resolved" not in shown_text(card)


@pytest.mark.parametrize(("answered", "rating", "left"), [
    (True, None, {button_ids.RATE}), (False, None, set()), (True, 4, set()), (None, 3, set())])
def test_an_answer_replaces_its_buttons(answered: bool | None, rating: int | None,
                                        left: set[str]) -> None:
    view = ResolvePrompt(1010, "IT", answered=answered, rating=rating)
    message = check_message(slack.message(view))
    ids = {e["action_id"] for e in elements(message["blocks"])}
    expected = left | ({button_ids.SOLVED_YES, button_ids.SOLVED_NO} if answered is None else set())
    assert ids == expected
    assert {a["verb"] for a in executes(check_card(teams.card(view)))} == expected
    if answered is False:  # reopened: nothing to rate, and it says so
        assert "not solved" in texts(message) and "Rate" not in texts(message)


def test_unread_rows_have_a_legend_on_slack_and_teams() -> None:
    rows = (QueueRow(1, "VPN", "IT", "Eli", None, "new", 3, NOW, pinned=True, unread=True),)
    for view in (QueueList("all", rows, now=NOW),
                 AgentHome("Dana", True, "all", {"all": 1}, rows, now=NOW)):
        rendered = (check_home(slack.home(view)) if isinstance(view, AgentHome)
                    else check_message(slack.message(view)))
        assert "📌 🔵 *#1*" in texts(rendered)
        assert "🔵 unread for you · 📌 pinned by you" in texts(rendered)
        assert "🔵 unread for you" in shown_text(check_card(teams.card(view)))
    empty = slack.message(QueueList("all", (), now=NOW))
    assert "unread for you" not in texts(empty)


def test_queue_rows_show_due_times_as_date_tokens() -> None:
    due = datetime(2026, 12, 7, 10, 15, tzinfo=UTC)
    rows = (QueueRow(1, "VPN", "IT", "Eli", None, "new", 3, NOW, pinned=False, unread=False,
                     sla=SlaState("warning", due_at=due, target="first_response")),)
    listed = texts(check_message(slack.message(QueueList("all", rows, now=NOW))))
    assert "⚠️ first response due <!date^1796638500^{date_short_pretty} {time}|" in listed
    card = shown_text(check_card(teams.card(QueueList("all", rows, now=NOW))))
    assert "first response due \u2068{{DATE(2026-12-07T10:15:00Z, SHORT)}}" in card


def test_a_queue_row_isolates_its_title_after_the_ref() -> None:
    rows = (QueueRow(1011, HEBREW_TITLE, "IT", "דנה", None, "new", 3, NOW, pinned=False,
                     unread=False),)
    listed = check_message(slack.message(QueueList("all", rows, now=NOW)))
    assert f"*#1011* {FSI}{HEBREW_TITLE}{PDI}" in slack_text(listed)
    assert f"{FSI}דנה{PDI}" in slack_text(listed)  # the requester, in the details line
    card = check_card(teams.card(QueueList("all", rows, now=NOW)))
    assert f"**#1011** {FSI}{HEBREW_TITLE}{PDI}" in shown_text(card)
