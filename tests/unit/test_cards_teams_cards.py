"""What the Teams cards show and how their buttons speak (verbs, data, inputs, refresh)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cards import teams
from conversations import button_ids
from conversations.view_models import (
    AddOrNew,
    AgentHome,
    DeskOption,
    DeskPicker,
    OpenRequest,
    PersonRef,
    QueueList,
    ResolvePrompt,
    SchedulerAlert,
)
from tests.unit.cards_checks import without_isolates
from tests.unit.test_cards_slack import NOW, desks, queue_rows, ticket
from tests.unit.test_cards_teams import check_card, executes, shown_text, walk


def by_verb(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    return [action for action in executes(card) if action["verb"] == verb]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {value["id"]: value for key, value, parent in walk(card)
            if isinstance(value, dict) and value.get("type", "").startswith("Input.")}


def show_cards(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {action["title"]: action["card"] for action in card.get("actions", [])
            if action["type"] == "Action.ShowCard"}


def facts(card: dict[str, Any]) -> dict[str, str]:
    [fact_set] = [item for item in card["body"] if item["type"] == "FactSet"]
    return {fact["title"]: fact["value"] for fact in fact_set["facts"]}


TEAMS_AGENTS = (PersonRef("Ana", "29:1ana"), PersonRef("Ben", None), PersonRef("Cy", "29:1cy"))


def teams_ticket(**changes: Any):
    values = dict(assignee=PersonRef("Dana", "29:1dana"), agents=TEAMS_AGENTS)
    values.update(changes)
    return ticket("VPN drops", **values)


def test_an_open_ticket_card_shows_every_field() -> None:
    card = check_card(teams.card(teams_ticket(priority=4, status="waiting")))
    header = card["body"][0]
    assert header["text"] == "#1042 \u2068VPN drops\u2069" and header["weight"] == "bolder"
    shown = facts(card)
    assert shown["Desk"] == "VPN drops"
    assert shown["Requester"] == "VPN drops\n\n3 earlier requests"
    assert shown["Priority"] == "★★★★☆"
    assert shown["Status"] == "⏳ Waiting on requester"
    assert shown["Assignee"] == "**Dana**"
    # Times in TextBlocks, where Teams writes DATE()/TIME() in the reader's zone.
    assert "Opened" not in shown and "SLA" not in shown
    blocks = {item["text"] for item in card["body"] if item["type"] == "TextBlock"}
    assert ("**Opened:** \u2068{{DATE(2025-03-02T09:30:00Z, SHORT)}} "
            "{{TIME(2025-03-02T09:30:00Z)}}\u2069") in blocks
    assert "**SLA:** ⚠️ VPN drops" in blocks
    assert "**First message**\n\nVPN drops" in shown_text(card)
    assert without_isolates(card["fallbackText"]).startswith("#1042 \\[VPN drops\\] VPN drops")


def test_ticket_buttons_are_executes_with_the_ref() -> None:
    card = check_card(teams.card(teams_ticket(priority=2, status="on_hold")))
    top = [(a["type"], a.get("verb"), a["title"]) for a in card["actions"]]
    # Held by Dana: Take over (and Unassign with the hand-offs), never Claim; six actions.
    assert top == [("Action.Execute", button_ids.TAKE_OVER, "Take over"),
                   ("Action.Execute", button_ids.PIN, "📌 Pin"),
                   ("Action.ShowCard", None, "Transfer"),
                   ("Action.ShowCard", None, "Priority and ticket"),
                   ("Action.ShowCard", None, "Status"), ("Action.ShowCard", None, "Close")]
    assert not by_verb(card, button_ids.CLAIM)
    for verb in (button_ids.TAKE_OVER, button_ids.UNASSIGN, button_ids.PIN, button_ids.CLOSE):
        [action] = by_verb(card, verb)
        assert action["data"] == {"ref": "1042", "value": "1042"}
        assert teams.ref_of(action["data"]) == 1042
    # A button that submits a choice carries only the ref: no value to mistake for a choice.
    for verb in (button_ids.TRANSFER_AGENT, button_ids.TRANSFER_DESK, button_ids.PRIORITY,
                 button_ids.STATUS):
        [action] = by_verb(card, verb)
        assert action["data"] == {"ref": "1042"}
        assert teams.value_of(action["data"], verb) is None
        assert teams.value_of({**action["data"], verb: "4"}, verb) == "4"
    assert by_verb(card, button_ids.CLOSE)[0]["style"] == "destructive"

    found = inputs(card)
    # Agents without a user id cannot be chosen (the choice's value is the user id).
    choices = found[button_ids.TRANSFER_AGENT]["choices"]
    assert [c["value"] for c in choices] == ["29:1ana", "29:1cy"]
    assert [c["value"] for c in found[button_ids.TRANSFER_DESK]["choices"]] == [
        "desk0", "desk1", "desk2"]
    assert [c["value"] for c in found[button_ids.PRIORITY]["choices"]] == ["1", "2", "3", "4", "5"]
    assert found[button_ids.PRIORITY]["value"] == "2"
    assert [c["value"] for c in found[button_ids.STATUS]["choices"]] == [
        "waiting", "on_hold", "open", "resolved"]
    assert found[button_ids.STATUS]["value"] == "on_hold"
    # Each choice set sits with the button that submits it, in the same show card.
    panels = show_cards(card)
    assert set(inputs(panels["Transfer"])) == {button_ids.TRANSFER_AGENT, button_ids.TRANSFER_DESK}
    assert [a["verb"] for a in executes(panels["Transfer"])] == [
        button_ids.UNASSIGN, button_ids.TRANSFER_AGENT, button_ids.TRANSFER_DESK]
    assert "#1042 will be closed" in shown_text({**panels["Close"], "fallbackText": "x"})


def test_the_ticket_card_refreshes_for_its_agents() -> None:
    card = check_card(teams.card(teams_ticket()))
    refresh = card["refresh"]
    assert refresh["action"]["type"] == "Action.Execute"
    assert refresh["action"]["verb"] == teams.REFRESH == "refresh_card"
    assert refresh["action"]["data"] == {"ref": "1042"}
    # The assignee and the desk's agents with a Teams id; Slack ids and None left out.
    assert refresh["userIds"] == ["29:1dana", "29:1ana", "29:1cy"]
    many = tuple(PersonRef(f"A{n}", f"29:{n}") for n in range(100))
    crowded = check_card(teams.card(teams_ticket(agents=many)))
    assert len(crowded["refresh"]["userIds"]) == 60


def test_a_new_card_without_choices_has_no_transfer() -> None:
    card = check_card(teams.card(teams_ticket(status="new", assignee=None, agents=(),
                                              other_desks=())))
    assert "Transfer" not in show_cards(card)
    assert facts(card)["Assignee"] == "🟠 **Unassigned**"
    [claim] = by_verb(card, button_ids.CLAIM)
    assert claim["style"] == "positive" and card["actions"][0] == claim
    assert not by_verb(card, button_ids.TAKE_OVER) and not by_verb(card, button_ids.UNASSIGN)
    assert "value" not in inputs(card)[button_ids.STATUS]  # "new" is not a choice


def test_a_pinned_card_offers_unpin_and_a_closed_one_no_buttons() -> None:
    pinned = check_card(teams.card(teams_ticket(pinned=True, rating=2, kind="ticket")))
    assert "📌" not in pinned["body"][0]["text"]
    assert facts(pinned)["Status"] == "🟢 Open · 📌 Pinned"
    assert shown_text(pinned).count("Pinned") == 1 and shown_text(pinned).count("📌") == 1
    assert by_verb(pinned, button_ids.UNPIN) and not by_verb(pinned, button_ids.PIN)
    assert facts(pinned)["Rating"] == "★★☆☆☆" and facts(pinned)["Ticket"] == "🎫"
    closed = check_card(teams.card(teams_ticket(status="closed", pinned=True)))
    assert "actions" not in closed and "refresh" in closed
    assert facts(closed)["Status"] == "🔒 Closed"
    assert "Reopen with **reopen 1042**" in shown_text(closed)
    assert "SLA" not in shown_text(closed) and "Pinned" not in shown_text(closed)


def test_odd_values_never_break_the_ticket_card() -> None:
    for changes in ({"priority": 0}, {"priority": 9}, {"status": "archived"},
                    {"kind": "<at>x</at>"}, {"desk": DeskOption("<x>", "")},
                    {"requester_earlier_requests": 0}):
        card = check_card(teams.card(dataclasses.replace(teams_ticket(), **changes)))
        assert inputs(card)[button_ids.PRIORITY]["value"] in "12345"


def test_many_agents_and_desks_fit_the_card() -> None:
    agents = tuple(PersonRef("A" * 100, f"29:1{'x' * 84}{n:03d}") for n in range(120))
    card = check_card(teams.card(teams_ticket(agents=agents, other_desks=desks("D" * 100, 400))))
    found = inputs(card)
    assert 10 <= len(found[button_ids.TRANSFER_AGENT]["choices"]) < 120
    assert 10 <= len(found[button_ids.TRANSFER_DESK]["choices"]) < 400
    assert len(card["refresh"]["userIds"]) == 60  # who refreshes is kept; the lists shrink


def test_the_desk_picker_has_a_button_per_desk() -> None:
    card = check_card(teams.card(DeskPicker(7, "my VPN", desks("Desk", 3))))
    buttons = by_verb(card, button_ids.PICK_DESK)
    assert [b["data"] for b in buttons] == [{"value": f"7:desk{n}"} for n in range(3)]
    assert [b["title"] for b in buttons] == ["Send to Desk 0", "Send to Desk 1", "Send to Desk 2"]
    assert button_ids.split_value(teams.value_of(buttons[1]["data"], button_ids.PICK_DESK), 2) == [
        "7", "desk1"]
    assert "Desk about 2" in shown_text(card)


def test_a_picker_with_many_desks_is_a_choice_set() -> None:
    card = check_card(teams.card(DeskPicker(7, "my VPN", desks("Desk", 40))))
    choice = inputs(card)[button_ids.PICK_DESK]
    assert [c["value"] for c in choice["choices"]][:2] == ["7:desk0", "7:desk1"]
    [send] = by_verb(card, button_ids.PICK_DESK)
    submitted = {**send["data"], button_ids.PICK_DESK: "7:desk5"}  # what Teams sends back
    assert teams.value_of(submitted, button_ids.PICK_DESK) == "7:desk5"


def test_the_resolve_prompt_asks_and_rates() -> None:
    card = check_card(teams.card(ResolvePrompt(1042, "IT")))
    assert [b["data"] for b in by_verb(card, button_ids.SOLVED_YES)] == [{"value": "1042"}]
    assert [b["data"] for b in by_verb(card, button_ids.SOLVED_NO)] == [{"value": "1042"}]
    rates = by_verb(card, button_ids.RATE)
    assert [b["data"]["value"] for b in rates] == [f"1042:{n}" for n in range(1, 6)]
    assert [b["title"] for b in rates] == [f"{n} ★" for n in range(1, 6)]
    answered = check_card(teams.card(ResolvePrompt(1042, "IT", answered=True, rating=4)))
    assert not executes(answered)
    assert "You rated it ★★★★☆" in shown_text(answered)


def test_add_or_new_offers_each_open_request() -> None:
    view = AddOrNew(7, "also the printer", (OpenRequest(1001, "VPN", "IT"),
                                           OpenRequest(1002, "Pay", "HR")))
    card = check_card(teams.card(view))
    assert [b["data"]["value"] for b in by_verb(card, button_ids.ADD_TO)] == ["7:1001", "7:1002"]
    assert [b["data"]["value"] for b in by_verb(card, button_ids.NEW_REQUEST)] == ["7"]


def test_the_agent_home_card_has_views_filter_paging_and_links() -> None:
    view = AgentHome("Dana", True, "mine", {"unassigned": 4, "mine": 3, "all": 9},
                     queue_rows("VPN", 3), page=2, pages=3, desks=desks("Desk", 2),
                     desk="desk1", now=NOW)
    card = check_card(teams.card(view))
    assert [b["data"]["value"] for b in by_verb(card, button_ids.HOME_AVAILABLE)] == ["off"]
    tabs = by_verb(card, button_ids.HOME_VIEW)
    assert [(b["data"]["value"], b.get("style")) for b in tabs] == [
        ("unassigned", None), ("mine", "positive"), ("all", None)]
    assert inputs(card)[button_ids.HOME_DESK]["value"] == "desk1"
    assert [b["data"]["value"] for b in by_verb(card, button_ids.HOME_PAGE)] == ["mine:1", "mine:3"]
    links = [value["url"] for key, value, parent in walk(card)
             if key == "selectAction"]
    assert links == ["https://acme.slack.com/archives/C1/p1"]


def test_a_queue_too_long_for_one_card_says_how_many_more() -> None:
    card = check_card(teams.card(QueueList("all", queue_rows("S" * 500, 300), now=NOW)))
    rows = sum(1 for item in card["body"] if item["type"] == "Container")
    assert 10 <= rows < 300
    assert f"…and {300 - rows} more." in shown_text(card)


def test_alert_links_only_to_https() -> None:
    safe = check_card(teams.card(SchedulerAlert("sla_breach", 1042, "IT", "VPN",
                                                link="https://teams.microsoft.com/l/x")))
    assert safe["actions"] == [{"type": "Action.OpenUrl", "title": "Open the thread",
                                "url": "https://teams.microsoft.com/l/x"}]
    for link in ("javascript:alert(1)", "http://x", "https://a b"):
        assert "actions" not in teams.card(SchedulerAlert("sla_breach", 1, "IT", "x",
                                                          link=link))


@pytest.mark.parametrize(("payload", "verb", "value"), [
    ({"ref": "1042", "value": "1042"}, button_ids.CLAIM, "1042"),
    ({"ref": "1042", "value": "1042", button_ids.PRIORITY: "4"}, button_ids.PRIORITY, "4"),
    ({"ref": "1042", button_ids.PRIORITY: " "}, button_ids.PRIORITY, None),
    ({"value": 7}, button_ids.CLAIM, None),
    (None, button_ids.CLAIM, None),
    ("1042", button_ids.CLAIM, None),
])
def test_value_of_reads_a_choice_then_the_value(payload: Any, verb: str, value: Any) -> None:
    assert teams.value_of(payload, verb) == value


def test_ref_of_reads_only_a_plain_number() -> None:
    assert teams.ref_of({"ref": "1042"}) == 1042 and teams.ref_of({"ref": 1042}) == 1042
    for bad in ({"ref": "-1"}, {"ref": "1e3"}, {"ref": True}, {"ref": "9" * 41}, {},
                {"ref": "²"}, {"ref": "١٠٤٢"}, None):
        assert teams.ref_of(bad) is None
    # A number too large for any ref is still a number: it is answered "no request #…".
    assert teams.ref_of({"ref": "9" * 20}) == int("9" * 20)
