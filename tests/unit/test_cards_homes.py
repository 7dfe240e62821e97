"""Queues, own requests, home tabs and the "Send to helpdesk" modal."""

from __future__ import annotations

import json

import pytest

from cards import slack
from conversations import button_ids
from conversations.view_models import AgentHome, AskModal, EmployeeHome, MyRequests, QueueList
from tests.unit.cards_checks import check_home, check_message, check_modal, elements, texts
from tests.unit.test_cards_slack import NOW, desks, queue_rows, request_rows


def by_action(surface: dict, action_id: str) -> list[dict]:
    return [e for e in elements(surface["blocks"]) if e.get("action_id") == action_id]


def agent_home(rows: int = 3, **changes) -> AgentHome:
    values = dict(name="Dana", available=True, view="mine",
                  counts={"unassigned": 4, "mine": rows, "all": 9},
                  rows=queue_rows("VPN", rows), page=1, pages=1, desks=desks("Desk", 2),
                  desk=None, now=NOW)
    values.update(changes)
    return AgentHome(**values)


def test_queue_rows_show_ref_marks_age_priority_and_sla() -> None:
    listed = check_message(slack.message(QueueList("unassigned", queue_rows("VPN", 3), now=NOW)))
    shown = texts(listed)
    assert "*Unassigned (3)*" in shown
    assert "📌 🔵 *#1000* VPN\nVPN · VPN · now · ★☆☆☆☆ · New · 🟠 unassigned · 🟢" in shown
    assert "*#1001* VPN\nVPN · VPN · 7m · ★★☆☆☆ · Open · VPN · ⚠️ VPN" in shown
    assert "🔴 SLA breached" in shown
    empty = check_message(slack.message(QueueList("mine", ())))
    assert "Nothing here." in texts(empty)


@pytest.mark.parametrize("count", [45, 300])
def test_a_long_queue_is_cut_with_how_many_more(count: int) -> None:
    listed = check_message(slack.message(QueueList("all", queue_rows("S" * 500, count),
                                                   desk="it", now=NOW)))
    shown = sum(1 for b in listed["blocks"] if "*#" in json.dumps(b))
    assert 10 <= shown < count
    assert f"and {count - shown} more" in texts(listed)


def test_my_requests_lists_status_and_assignee() -> None:
    mine = check_message(slack.message(MyRequests(request_rows("Printer", 2))))
    shown = texts(mine)
    assert "*Your requests (2)*" in shown
    assert "*#2000* Printer\nPrinter · 🟢 Open · nobody yet · opened <!date^" in shown
    assert "*#2001* Printer\nPrinter · 🟢 Open · Printer ·" in shown
    assert "You have no requests." in texts(slack.message(MyRequests(())))


def test_agent_home_controls() -> None:
    home = check_home(slack.home(agent_home(desk="desk1")))
    [toggle] = by_action(home, button_ids.HOME_AVAILABLE)
    assert toggle["value"] == "off"
    views = {e["value"]: e for e in by_action(home, button_ids.HOME_VIEW)}
    assert list(views) == ["unassigned", "mine", "all"]
    assert views["mine"].get("style") == "primary" and "style" not in views["all"]
    assert [views[v]["text"]["text"] for v in views] == [
        "Unassigned (4)", "Assigned to me (3)", "All (9)"]
    [desk_filter] = by_action(home, button_ids.HOME_DESK)
    assert [o["value"] for o in desk_filter["options"]] == ["*", "desk0", "desk1"]
    assert desk_filter["initial_option"]["value"] == "desk1"
    assert "*Assigned to me (3)* · Desk 1" in texts(home)
    opens = by_action(home, button_ids.HOME_OPEN)
    assert [(e["value"], e["url"]) for e in opens] == [
        ("1001", "https://acme.slack.com/archives/C1/p1")]  # only rows with a link
    assert by_action(home, button_ids.HOME_PAGE) == []

    away = check_home(slack.home(agent_home(available=False, desks=(), view="bogus")))
    assert by_action(away, button_ids.HOME_AVAILABLE)[0]["value"] == "on"
    assert by_action(away, button_ids.HOME_DESK) == []
    assert by_action(away, button_ids.HOME_VIEW)[0].get("style") == "primary"  # unassigned


def test_agent_home_pages() -> None:
    middle = check_home(slack.home(agent_home(page=2, pages=3, view="all")))
    assert [e["value"] for e in by_action(middle, button_ids.HOME_PAGE)] == ["all:1", "all:3"]
    assert "Page 2 of 3" in texts(middle)
    last = slack.home(agent_home(page=3, pages=3))
    assert [e["value"] for e in by_action(last, button_ids.HOME_PAGE)] == ["mine:2"]


@pytest.mark.parametrize("rows", [0, 1, 99, 300])
def test_agent_home_stays_within_100_blocks(rows: int) -> None:
    home = check_home(slack.home(agent_home(
        rows, own_requests=request_rows("Mine", 50), desks=desks("D" * 300, 300),
        pages=7, page=4)))
    refs = texts(home).count("*#1")
    assert refs == min(rows, 60)
    if rows > refs:
        assert f"and {rows - refs} more" in texts(home)
    assert "Your own requests (50)" in texts(home)
    if rows == 0:
        assert "Nothing assigned to you." in texts(home)


def test_employee_home() -> None:
    home = check_home(slack.home(EmployeeHome("Eli <!here>", request_rows("VPN", 2),
                                              desks("IT", 2))))
    shown = texts(home)
    assert "Helpdesk · Eli &lt;!here&gt;" in shown and "/desk ask" in shown
    assert "• *IT 0*: IT about 0" in shown and "*#2000* VPN" in shown
    assert elements(home["blocks"]) == []
    lots = check_home(slack.home(EmployeeHome("Eli", request_rows("x" * 300, 500))))
    assert "more" in texts(lots)


def test_ask_modal() -> None:
    modal = check_modal(slack.modal(AskModal("my VPN <!channel>\nagain", desks("IT", 3),
                                             private_metadata='{"channel": "C1", "ts": "1.2"}')))
    assert modal["title"]["text"] == "Send to helpdesk"
    assert modal["private_metadata"] == '{"channel": "C1", "ts": "1.2"}'
    desk_block, text_block = modal["blocks"]
    assert (desk_block["block_id"], desk_block["element"]["action_id"]) == (
        button_ids.ASK_DESK_BLOCK, button_ids.ASK_DESK)
    assert [o["value"] for o in desk_block["element"]["options"]] == ["desk0", "desk1", "desk2"]
    assert "initial_option" not in desk_block["element"]
    element = text_block["element"]
    assert (text_block["block_id"], element["action_id"], element["multiline"]) == (
        button_ids.ASK_TEXT_BLOCK, button_ids.ASK_TEXT, True)
    assert element["initial_value"] == "my VPN <!channel>\nagain"  # an input, not a message

    one = check_modal(slack.modal(AskModal("x" * 5000, desks("IT", 1))))
    assert one["blocks"][0]["element"]["initial_option"]["value"] == "desk0"
    assert len(one["blocks"][1]["element"]["initial_value"]) == 3000
    blank = check_modal(slack.modal(AskModal("", desks("IT", 150))))
    assert "initial_value" not in blank["blocks"][1]["element"]
    assert len(blank["blocks"][0]["element"]["option_groups"]) == 2
    none = check_modal(slack.modal(AskModal("x", ())))
    assert "submit" not in none and "no desks" in texts(none)
    with pytest.raises(ValueError):
        slack.modal(AskModal("x", (), private_metadata="m" * 3001))
