"""Issue 17 on the cards: a due date on the ticket card, a queue row and the requester's
update; the Escalate control and an escalation's note (Slack and Teams)."""

from __future__ import annotations

from cards import slack, teams
from conversations import button_ids
from conversations.view_models import PersonRef, QueueList, RequesterUpdate, SchedulerAlert
from tests.unit.cards_checks import check_message, texts
from tests.unit.test_cards_slack import NOW, queue_rows, ticket
from tests.unit.test_cards_teams import check_card, executes, shown_text
from tests.unit.test_cards_teams_cards import inputs
from tests.unit.test_cards_ticket import controls, fields

SLACK_DATE = f"<!date^{int(NOW.timestamp())}^{{date_short_pretty}} {{time}}|"
TEAMS_DATE = "{{DATE(" + NOW.strftime("%Y-%m-%dT%H:%M:%SZ") + ", SHORT)}}"


def test_the_slack_card_shows_the_due_date_in_the_readers_zone_by_its_state() -> None:
    for state, words in (("ok", "📅 due"), ("warning", "⚠️ due soon:"), ("passed", "🔴 was due")):
        card = check_message(slack.message(ticket("VPN drops", due_at=NOW, due_state=state)))
        assert fields(card)["*Due*"] == f"{words} \u2068{SLACK_DATE}{NOW:%Y-%m-%d %H:%M} UTC>\u2069"
    card = check_message(slack.message(ticket("VPN drops", due_at=NOW, due_state="none")))
    assert "*Due*" not in fields(card)
    assert "*Due*" not in fields(check_message(slack.message(ticket("VPN drops"))))


def test_the_escalate_control_and_the_note_on_slack() -> None:
    plain = controls(check_message(slack.message(ticket("x", kind="ticket"))))
    assert button_ids.ESCALATE not in plain
    card = check_message(slack.message(ticket(
        "x", kind="ticket", can_escalate=True, escalated_from="IT",
        escalated_by=PersonRef("Dana", "UDANA"), escalation_note="needs the DBA")))
    found = controls(card)
    assert found[button_ids.ESCALATE]["value"] == "1042"
    assert list(found)[-3:] == [button_ids.ESCALATE, button_ids.CLOSE,
                                button_ids.DECLARE_INCIDENT]
    shown = texts(card)
    assert "⬆️ Escalated from IT by Dana." in shown
    assert "*Escalation note*\nneeds the DBA" in shown


def test_the_teams_card_shows_the_due_date_and_offers_escalate_under_transfer() -> None:
    card = check_card(teams.card(ticket("VPN drops", kind="ticket", due_at=NOW,
                                        due_state="warning", can_escalate=True,
                                        escalated_from="IT", escalation_note="needs the DBA")))
    shown = shown_text(card)
    assert f"**Due:** ⚠️ due soon: \u2068{TEAMS_DATE}" in shown
    assert "⬆️ Escalated from \u2068IT\u2069." in shown and "needs the DBA" in shown
    escalate = [a for a in executes(card) if a["verb"] == button_ids.ESCALATE]
    assert len(escalate) == 1 and escalate[0]["data"]["ref"] == "1042"
    top = [a.get("title") for a in card["actions"]]
    assert len(top) <= 6  # Teams shows six: Escalate sits with the hand-offs
    without = check_card(teams.card(ticket("VPN drops", kind="ticket")))
    assert not [a for a in executes(without) if a["verb"] == button_ids.ESCALATE]


def test_queue_rows_and_the_requesters_update_and_the_alerts_say_the_due_date() -> None:
    rows = queue_rows("printer", 4)
    queue = check_message(slack.message(QueueList("all", rows, now=NOW)))
    text = texts(queue)
    assert text.count("📅 due") == 1 and "⚠️ due soon" in text and "🔴 was due" in text
    update = check_message(slack.message(RequesterUpdate(1042, "due", "IT", due_at=NOW)))
    assert f"📅 #1042 is due {SLACK_DATE}" in texts(update)
    cleared = check_message(slack.message(RequesterUpdate(1042, "due_cleared", "IT")))
    assert "📅 #1042 no longer has a due date." in texts(cleared)
    moved = check_message(slack.message(RequesterUpdate(1042, "escalated", "IT",
                                                        to_desk="Infra")))
    assert "⬆️ #1042 was moved up a tier, to *Infra*." in texts(moved)
    he = check_message(slack.message(RequesterUpdate(1042, "due", "IT", due_at=NOW),
                                     locale="he"))
    assert "מועד היעד של הפנייה #1042" in texts(he)
    alert = check_message(slack.message(SchedulerAlert("due_passed", 1042, "IT", "VPN",
                                                       due_at=NOW)))
    assert "🔴 *#1042* (IT) is past its due date (was due" in texts(alert)
    teams_alert = check_card(teams.card(SchedulerAlert("due_warning", 1042, "IT", "VPN",
                                                       due_at=NOW)))
    assert "is due soon" in shown_text(teams_alert)


def test_the_slack_card_offers_a_due_date_picker_and_clear_only_when_one_is_set() -> None:
    plain = controls(check_message(slack.message(ticket("VPN drops"))))
    assert plain[button_ids.DUE] == {"type": "datetimepicker", "action_id": button_ids.DUE}
    assert button_ids.DUE_CLEAR not in plain
    due = controls(check_message(slack.message(ticket("VPN drops", due_at=NOW,
                                                      due_state="ok"))))
    assert due[button_ids.DUE]["initial_date_time"] == int(NOW.timestamp())
    assert due[button_ids.DUE_CLEAR]["value"] == "1042"
    assert due[button_ids.DUE_CLEAR]["text"]["text"] == "Clear due date"
    # Before Escalate / Close / Declare, within one actions block of at most 25.
    assert list(due)[-4:] == [button_ids.DUE, button_ids.DUE_CLEAR, button_ids.CLOSE,
                              button_ids.DECLARE_INCIDENT]
    for status in ("resolved", "closed"):  # a done request's due date no longer runs
        card = check_message(slack.message(ticket("VPN drops", status=status, due_at=NOW)))
        found = [e.get("action_id") for b in card["blocks"] if b["type"] == "actions"
                 for e in b["elements"]]
        assert button_ids.DUE not in found and button_ids.DUE_CLEAR not in found
    he = check_message(slack.message(ticket("VPN drops", due_at=NOW), locale="he"))
    assert controls(he)[button_ids.DUE_CLEAR]["text"]["text"] == "ביטול מועד היעד"


def test_the_teams_card_sets_the_due_date_in_the_status_panel_in_the_desks_zone() -> None:
    card = check_card(teams.card(ticket("VPN drops", due_zone="Asia/Jerusalem")))
    assert len(card["actions"]) <= 6
    [status] = [a["card"] for a in card["actions"] if a.get("title") == "Status"]
    found = inputs(status)
    assert found[button_ids.DUE]["type"] == "Input.Date"
    assert found[button_ids.DUE]["label"] == "Due date (desk time, Asia/Jerusalem)"
    assert found[button_ids.DUE_TIME]["type"] == "Input.Time"
    assert "value" not in found[button_ids.DUE] and "value" not in found[button_ids.DUE_TIME]
    [set_due] = [a for a in executes(status) if a["verb"] == button_ids.DUE]
    assert set_due["data"] == {"ref": "1042"} and set_due["title"] == "Set due date"
    assert not [a for a in executes(card) if a["verb"] == button_ids.DUE_CLEAR]
    due = check_card(teams.card(ticket("VPN drops", due_at=NOW, due_state="ok",
                                       due_zone="Asia/Jerusalem",
                                       due_wall="2026-12-10 14:00")))
    assert inputs(due)[button_ids.DUE]["value"] == "2026-12-10"
    assert inputs(due)[button_ids.DUE_TIME]["value"] == "14:00"
    [clear] = [a for a in executes(due) if a["verb"] == button_ids.DUE_CLEAR]
    assert clear["data"]["ref"] == "1042"
    for status_now in ("resolved", "closed"):
        done = check_card(teams.card(ticket("VPN drops", status=status_now, due_at=NOW)))
        assert button_ids.DUE not in inputs(done)
        assert not [a for a in executes(done)
                    if a["verb"] in (button_ids.DUE, button_ids.DUE_CLEAR)]
    he = check_card(teams.card(ticket("VPN drops", due_zone="Asia/Jerusalem"), locale="he"))
    assert inputs(he)[button_ids.DUE]["label"] == "מועד יעד (לפי שעון הדסק, Asia/Jerusalem)"
