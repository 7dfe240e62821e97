"""What requesters and agents read outside the card: receipts, updates, prompts, replies."""

from __future__ import annotations

import pytest

from cards import slack
from conversations import button_ids
from conversations.view_models import (
    AddOrNew,
    AgentNotification,
    CardMoved,
    DeskConfig,
    DeskOption,
    DeskPicker,
    Help,
    HelpLine,
    OpenRequest,
    PersonRef,
    Receipt,
    Reply,
    RequesterUpdate,
    ResolvePrompt,
    Settled,
)
from tests.unit.cards_checks import check_message, elements, texts, without_isolates

DANA = PersonRef("Dana", "UDANA")


def buttons(message: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e.get("value", "")) for e in elements(message["blocks"])]


def test_receipt_with_and_without_an_expected_time() -> None:
    given = check_message(slack.message(Receipt(1042, "IT", "within 15 minutes", 1001)))
    assert "*#1042* with *\u2068IT\u2069*" in given["text"]
    assert "Expected first response: within 15 minutes." in texts(given)
    assert "#1001" in texts(given)
    default = slack.message(Receipt(1042, "IT"))
    assert "An agent will pick it up soon." in texts(default) and "#1001" not in texts(default)


@pytest.mark.parametrize(("what", "status", "expected"), [
    ("picked_up", None, "*Dana* from IT picked up your request #7."),
    ("status", "waiting", "#7 is waiting on you"),
    ("status", "on_hold", "#7 is on hold"),
    ("status", "open", "#7 is being worked on again."),
    ("status", "resolved", "#7 was marked resolved."),
    ("status", "<weird>", "#7 is now &lt;weird&gt;."),
    ("transferred", None, "#7 was moved to *HR &amp; Payroll*."),
    ("closed", None, "#7 was closed."),
    ("reopened", None, "#7 was reopened."),
    ("released", None, "#7 is back in IT's queue"),
    ("something_new", None, "#7 was updated."),
])
def test_every_requester_update(what: str, status: str | None, expected: str) -> None:
    update = RequesterUpdate(7, what, "IT", agent=DANA, status=status, to_desk="HR & Payroll")
    message = check_message(slack.message(update))
    assert expected in without_isolates(message["text"]) and expected in texts(message)


def test_a_closing_note_is_shown_escaped() -> None:
    message = slack.message(RequesterUpdate(7, "closed", "IT", note="Replaced <the> cable"))
    assert "*Closing note*\nReplaced &lt;the&gt; cable" in texts(message)


def test_resolve_prompt_before_and_after_the_answers() -> None:
    asked = check_message(slack.message(ResolvePrompt(1042, "IT")))
    assert buttons(asked) == [(button_ids.SOLVED_YES, "1042"), (button_ids.SOLVED_NO, "1042")] + [
        (button_ids.RATE, f"1042:{n}") for n in range(1, 6)]
    answered = check_message(slack.message(ResolvePrompt(1042, "IT", answered=True)))
    assert buttons(answered) == [(button_ids.RATE, f"1042:{n}") for n in range(1, 6)]
    assert "You said it is solved" in texts(answered)
    done = check_message(slack.message(ResolvePrompt(1042, "IT", answered=False, rating=4)))
    assert buttons(done) == []
    assert "reopened" in texts(done) and "★★★★☆" in texts(done)


@pytest.mark.parametrize("count", [0, 1, 20, 21, 300, 1500])
def test_desk_picker_offers_every_desk_it_can(count: int) -> None:
    desks = tuple(DeskOption(f"d{n}", f"Desk <{n}>", f"About & {n}") for n in range(count))
    picker = check_message(slack.message(DeskPicker(9, "my <!channel> VPN", desks)))
    values = [value for action_id, value in buttons(picker) if action_id == button_ids.PICK_DESK]
    shown = min(count, 400)
    assert values == [f"9:d{n}" for n in range(shown)]
    assert "my &lt;!channel&gt; VPN" in texts(picker)
    if 0 < count <= 20:
        assert "About &amp; 0" in texts(picker)  # few desks: each with its description
    if count == 0:
        assert "no desks" in texts(picker)
    if count > shown:
        assert f"and {count - shown} more desks" in texts(picker)


def test_add_or_new_offers_each_open_request_and_a_new_one() -> None:
    requests = tuple(OpenRequest(1000 + n, f"Subject {n}", "IT") for n in range(3))
    prompt = check_message(slack.message(AddOrNew(5, "also the printer", requests)))
    assert buttons(prompt) == [(button_ids.ADD_TO, f"5:{1000 + n}") for n in range(3)] + [
        (button_ids.NEW_REQUEST, "5")]
    many = tuple(OpenRequest(n, "S" * 500, "D" * 500) for n in range(200))
    capped = check_message(slack.message(AddOrNew(5, "x", many)))
    offered = [v for a, v in buttons(capped) if a == button_ids.ADD_TO]
    assert f"and {200 - len(offered)} more" in texts(capped)
    assert (button_ids.NEW_REQUEST, "5") in buttons(capped)


def test_settled_reply_help_and_moves() -> None:
    assert texts(slack.message(Settled("Sent to IT & Ops as #7."))) == (
        "Sent to IT &amp; Ops as #7.")
    ok = check_message(slack.message(Reply("Claimed #7.")))
    assert ok["text"] == "✅ Claimed #7." and buttons(ok) == []
    error = check_message(slack.message(Reply("Unknown ref #9.", "error", "/desk claim REF")))
    assert error["text"] == "⚠️ Unknown ref #9."
    assert "Usage: `/desk claim REF`" in texts(error)
    helped = check_message(slack.message(Help((
        ("Employee", (HelpLine("/desk my", "your requests"),)),
        ("Agent", tuple(HelpLine(f"/desk cmd{n} <REF>", "d" * 200) for n in range(40)))))))
    assert "`/desk my` your requests" in texts(helped)
    assert "`/desk cmd39 &lt;REF&gt;`" in texts(helped)  # long groups span sections
    moved = check_message(slack.message(CardMoved(7, "VPN", "IT", "HR", by=DANA)))
    assert moved["text"] == ("↪️ *#7* \u2068VPN\u2069 moved from *\u2068IT\u2069* "
                             "to *\u2068HR\u2069* by \u2068Dana\u2069.")


def test_agent_notifications_link_to_the_thread_when_they_can() -> None:
    eli = PersonRef("Eli", "UELI1")
    new = check_message(slack.message(AgentNotification("new_request", 7, "IT", "VPN", eli)))
    assert "New request *#7* on *IT* from <@UELI1>" in without_isolates(new["text"])
    assert buttons(new) == []
    link = "https://acme.slack.com/archives/C1/p1"
    assigned = check_message(slack.message(
        AgentNotification("assigned", 7, "IT", "VPN", eli, by=DANA, link=link)))
    assert "assigned to you by Dana" in without_isolates(assigned["text"])
    [button] = elements(assigned["blocks"])
    assert (button["action_id"], button["url"]) == (button_ids.HOME_OPEN, link)
    unsafe = slack.message(AgentNotification("assigned", 7, "IT", "VPN", eli,
                                              link="javascript:alert(1)"))
    assert elements(unsafe["blocks"]) == []


def test_desk_config_shows_everything() -> None:
    config = check_message(slack.message(DeskConfig(
        "IT", "it", "Laptops <and> VPN", "C0AGENTS", "not a channel",
        (DANA, PersonRef("Lee")), (DANA,), ("vpn", "<!channel>"), archived=True,
        settings=(("Hours", "Sun–Thu 08:00–18:00"), ("SLA", "15 min & 8 h")))))
    shown = texts(config)
    for expected in ("Desk IT (it)", "archived", "Laptops &lt;and&gt; VPN", "<#C0AGENTS>",
                     "not a channel", "*Agents (2)*\n<@UDANA>, Lee", "*Leads (1)*\n<@UDANA>",
                     "`vpn`, `&lt;!channel&gt;`", "*Hours*: Sun–Thu 08:00–18:00",
                     "*SLA*: 15 min &amp; 8 h"):
        assert expected in shown, expected
    bare = check_message(slack.message(DeskConfig("HR", "hr", None, None, None, (), (), ())))
    assert "*Agents (0)*\n—" in texts(bare) and "archived" not in texts(bare)
