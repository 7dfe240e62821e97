"""The ticket card: what it shows, and the controls the listeners match."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from cards import slack, teams
from conversations import button_ids
from conversations.view_models import DeskOption, PersonRef, SlaState
from tests.unit.cards_checks import check_message, elements, options, texts
from tests.unit.test_cards_slack import desks, ticket


def controls(card: dict) -> dict[str, dict]:
    [block] = [b for b in card["blocks"] if b["type"] == "actions"]
    assert block["block_id"] == button_ids.ticket_block(1042)
    return {element["action_id"]: element for element in block["elements"]}


def fields(card: dict) -> dict[str, str]:
    [section] = [b for b in card["blocks"] if b.get("fields")]
    return dict(field["text"].split("\n", 1) for field in section["fields"])


def test_an_open_card_shows_every_field_and_control() -> None:
    card = check_message(slack.message(ticket("VPN drops", priority=4, status="waiting")))
    header = card["blocks"][0]
    assert header == {"type": "header", "text": {"type": "plain_text",
                                                  "text": "#1042 \u2068VPN drops\u2069",
                                                  "emoji": True}}
    shown = fields(card)
    assert shown["*Desk*"] == "VPN drops"
    assert shown["*Requester*"] == "<@UELI1>\n3 earlier requests"
    assert shown["*Opened*"].startswith("<!date^1740907800^{date_short_pretty} {time}|")
    assert shown["*Priority*"] == "★★★★☆"
    assert shown["*Status*"] == "⏳ Waiting on requester"
    assert shown["*Assignee*"] == "*VPN drops*"
    assert shown["*SLA*"] == "⚠️ VPN drops"
    assert "#1042" in card["text"] and "VPN drops" in card["text"]

    # Held by someone: who, and Take over / Unassign; never a Claim button (issue 14.7).
    found = controls(card)
    assert list(found) == [button_ids.TAKE_OVER, button_ids.UNASSIGN, button_ids.TRANSFER_AGENT,
                           button_ids.TRANSFER_DESK, button_ids.PIN, button_ids.PRIORITY,
                           button_ids.MAKE_TICKET, button_ids.STATUS, button_ids.DUE,
                           button_ids.CLOSE,
                           button_ids.DECLARE_INCIDENT]
    # An inquiry of a desk without categories: "Make ticket" converts it as it is.
    assert found[button_ids.MAKE_TICKET]["value"] == "1042"
    assert found[button_ids.DECLARE_INCIDENT]["value"] == "1042"  # a major incident from it
    assert found[button_ids.TAKE_OVER]["value"] == found[button_ids.UNASSIGN]["value"] == "1042"
    assert found[button_ids.PIN]["value"] == "1042"
    # Agents without a Slack id cannot be chosen (the select's value is the user id).
    assert [o["value"] for o in options(found[button_ids.TRANSFER_AGENT])] == ["U0001A"]
    assert [o["value"] for o in options(found[button_ids.TRANSFER_DESK])] == [
        "desk0", "desk1", "desk2"]
    assert [o["value"] for o in options(found[button_ids.PRIORITY])] == ["1", "2", "3", "4", "5"]
    assert found[button_ids.PRIORITY]["initial_option"]["value"] == "4"
    assert [o["value"] for o in options(found[button_ids.STATUS])] == [
        "waiting", "on_hold", "open", "resolved"]
    assert found[button_ids.STATUS]["initial_option"]["value"] == "waiting"
    close = found[button_ids.CLOSE]
    assert close["style"] == "danger" and close["value"] == "1042"
    assert close["confirm"]["style"] == "danger" and "#1042" in close["confirm"]["text"]["text"]


def test_a_new_unassigned_card_without_choices() -> None:
    card = check_message(slack.message(ticket("x", status="new", assignee=None, agents=(),
                                              other_desks=(), sla=SlaState())))
    shown = fields(card)
    assert shown["*Assignee*"] == "🟠 *Unassigned*"
    assert shown["*SLA*"] == "No SLA" and shown["*Status*"] == "🆕 New"
    found = controls(card)
    assert button_ids.TRANSFER_AGENT not in found and button_ids.TRANSFER_DESK not in found
    assert "initial_option" not in found[button_ids.STATUS]  # "new" is not a choice
    claim = found[button_ids.CLAIM]
    assert claim["style"] == "primary" and claim["value"] == "1042"
    assert button_ids.TAKE_OVER not in found and button_ids.UNASSIGN not in found


def test_a_pinned_rated_ticket_offers_unpin_and_says_pinned_once() -> None:
    card = check_message(slack.message(ticket("x", pinned=True, rating=2, kind="ticket")))
    shown = fields(card)
    assert shown["*Status*"] == "🟢 Open · 📌 Pinned" and shown["*Rating*"] == "★★☆☆☆"
    assert shown["*Ticket*"] == "🎫" and len(shown) == 9
    # One marker: not in the header, not a field of its own as well (issue 14.7).
    assert texts(card).count("Pinned") == 1 and texts(card).count("📌") == 1
    assert "📌" not in card["blocks"][0]["text"]["text"]
    found = controls(card)
    assert button_ids.UNPIN in found and button_ids.PIN not in found


def test_a_closed_card_shows_its_final_state_and_no_controls() -> None:
    card = check_message(slack.message(ticket("x", status="closed", rating=5, pinned=True)))
    assert not any(b["type"] == "actions" for b in card["blocks"]) and not elements(
        card["blocks"])
    assert fields(card)["*Status*"] == "🔒 Closed" and "Closed" in texts(card)
    # Its real ref to reopen with, no SLA line, no pin (issue 14.7).
    assert "Reopen with `/desk reopen 1042`." in texts(card) and "REF" not in texts(card)
    assert "*SLA*" not in fields(card) and "SLA" not in texts(card)
    assert "Pinned" not in texts(card) and "📌" not in texts(card)


def test_a_finished_card_without_assignee_raises_no_unassigned_alarm() -> None:
    """The orange "Unassigned" asks someone to take it: never on a closed or resolved card."""
    for status in ("closed", "resolved"):
        card = check_message(slack.message(ticket("x", status=status, assignee=None)))
        assert fields(card)["*Assignee*"] == "Nobody" and "🟠" not in texts(card)
        teams_card = teams.card(ticket("x", status=status, assignee=None))
        assert "Nobody" in str(teams_card) and "🟠" not in str(teams_card)
    open_card = check_message(slack.message(ticket("x", status="new", assignee=None)))
    assert fields(open_card)["*Assignee*"] == "🟠 *Unassigned*"


def test_a_resolved_card_has_no_sla_line() -> None:
    card = check_message(slack.message(ticket("x", status="resolved", sla=SlaState())))
    assert "*SLA*" not in fields(card) and "No SLA" not in texts(card)


def test_due_times_are_date_tokens_in_the_readers_zone_never_countdowns() -> None:
    due = datetime(2026, 12, 7, 10, 15, tzinfo=UTC)
    for state, words in (("ok", "first response due"), ("warning", "first response due"),
                         ("breached", "first response was due")):
        card = check_message(slack.message(ticket("x", sla=SlaState(
            state, due_at=due, target="first_response"))))
        sla = fields(card)["*SLA*"]
        token = "<!date^1796638500^{date_short_pretty} {time}|2026-12-07 10:15 UTC>"
        assert sla.endswith(f"{words} \u2068{token}\u2069"), sla
        assert " in " not in sla and "min" not in sla
    paused = slack.message(ticket("x", sla=SlaState("paused", due_at=due, target="resolution")))
    assert fields(paused)["*SLA*"] == "⏸️ resolution clock paused"
    assert fields(paused)["*Opened*"].startswith("<!date^")  # opened: a token, too


def test_agents_who_marked_it_unread_are_named_on_the_card() -> None:
    card = check_message(slack.message(ticket("x", unread_for=(
        PersonRef("Dana", "UDANA"), PersonRef("Lee <!here>", None)))))
    [line] = [b["elements"][0]["text"] for b in card["blocks"] if b["type"] == "context"
              and "Unread" in b["elements"][0]["text"]]
    assert line == "🔵 Unread for \u2068<@UDANA>, Lee &lt;!here&gt;\u2069"
    assert "Unread" not in texts(check_message(slack.message(ticket("x"))))


@pytest.mark.parametrize(("state", "shown"), [
    ("ok", "🟢 On track"), ("warning", "⚠️ Due soon"), ("breached", "🔴 Breached"),
    ("paused", "⏸️ Paused"), ("none", "No SLA"), ("bogus", "No SLA")])
def test_sla_states(state: str, shown: str) -> None:
    card = slack.message(ticket("x", sla=SlaState(state)))
    assert fields(card)["*SLA*"] == shown
    labelled = slack.message(ticket("x", sla=SlaState(state, "due in <5 min>")))
    assert fields(labelled)["*SLA*"].endswith("due in &lt;5 min&gt;")


def test_a_requester_without_a_slack_id_is_named_escaped() -> None:
    card = slack.message(ticket("x", requester=PersonRef("<!here> Eli", "29:teams"),
                                requester_earlier_requests=1))
    assert fields(card)["*Requester*"] == "&lt;!here&gt; Eli\n1 earlier request"


def test_many_agents_and_desks_go_in_option_groups_within_limits() -> None:
    card = check_message(slack.message(ticket(
        "N" * 500, agents=tuple(PersonRef("A" * 100, f"U{n:05d}") for n in range(250)),
        other_desks=desks("D" * 100, 300))))
    found = controls(card)
    assert len(options(found[button_ids.TRANSFER_AGENT])) == 250
    assert len(found[button_ids.TRANSFER_DESK]["option_groups"]) == 3
    assert len(options(found[button_ids.TRANSFER_DESK])) == 300


def test_odd_values_never_break_the_card() -> None:
    for changes in ({"priority": 0}, {"priority": 9}, {"status": "archived"},
                    {"kind": "<!channel>"}, {"desk": DeskOption("<x>", "")},
                    {"requester_earlier_requests": 0}):
        card = check_message(slack.message(dataclasses.replace(ticket("x"), **changes)))
        assert controls(card)[button_ids.PRIORITY]["initial_option"]["value"] in "12345"
