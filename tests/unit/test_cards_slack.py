"""Every Slack template, rendered with hostile and oversize input, validated like Slack would.

Each view type is built with the same awkward text in every user slot (mentions and
links typed by users, entities, quotes, backslashes, newlines, emoji, RTL Hebrew,
empty strings, 500-character names, 100,000-character messages) and must render to
Block Kit that slack_sdk's models accept, within Slack's limits, with nothing live.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards import slack
from conversations.view_models import (
    AddOrNew,
    AgentHome,
    AgentNotification,
    AskModal,
    CardMoved,
    DeskConfig,
    DeskOption,
    DeskPicker,
    EmployeeHome,
    Help,
    HelpLine,
    History,
    HistoryEntry,
    IncidentCard,
    IncidentNews,
    IncidentOffer,
    IncidentProposal,
    MyRequests,
    OpenRequest,
    PersonRef,
    QueueList,
    QueueRow,
    Receipt,
    RelayToAgents,
    RelayToRequester,
    Reply,
    RequesterUpdate,
    RequestRow,
    ResolvePrompt,
    SchedulerAlert,
    Settled,
    SlaState,
    Suggestion,
    SuggestionOffer,
    TicketCard,
)
from desks.wording import Words
from tests.unit.cards_checks import check_home, check_message, check_modal, texts

NOW = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)
HOSTILE = {
    "channel": "<!channel> <!here> hello",
    "link": "<https://evil.example|Your bank> click",
    "mention": "<@U123> and <#C999> and <!subteam^S1>",
    "entity": "&amp; &lt; & AT&T <> >>",
    "quotes": "she said \"hi\" and 'bye' `code` *bold* _it_ ~s~",
    "backslash": "C:\\path\\to\\ \\n \\u003c {0} {name} %s",
    "newlines": "line one\n\nline two\r\n> quoted\n",
    "emoji": "🎉 👩‍💻 🇮🇱 :tada:",
    "hebrew": "שלום, ה-VPN שלי לא עובד <!channel>",
    "empty": "",
    "blank": "   \n\t ",
    "long_name": "N" * 250 + "<!channel>" + "é" * 240,
    "huge": ("word <!channel> & " * 7000)[:100_000],
}
SLACK_ID = "UELI1"


def people(name: str, count: int = 3) -> tuple[PersonRef, ...]:
    return tuple(PersonRef(f"{name} {n}", f"U{n:04d}A" if n % 2 else None) for n in range(count))


def desks(name: str, count: int) -> tuple[DeskOption, ...]:
    return tuple(DeskOption(f"desk{n}", f"{name} {n}", f"{name} about {n}") for n in range(count))


def queue_rows(text: str, count: int) -> tuple[QueueRow, ...]:
    return tuple(QueueRow(ref=1000 + n, subject=text, desk=text, requester=text,
                          assignee=text if n % 2 else None,
                          status=("new", "open", "waiting")[n % 3],
                          priority=n % 5 + 1, opened_at=NOW - timedelta(minutes=7 * n),
                          pinned=n % 4 == 0, unread=n % 3 == 0,
                          sla=SlaState(("ok", "warning", "breached", "paused", "none")[n % 5],
                                       label=text or None),
                          link=f"https://acme.slack.com/archives/C1/p{n}" if n % 2 else None,
                          due_at=NOW + timedelta(hours=n) if n % 4 else None,
                          due_state=("none", "ok", "warning", "passed")[n % 4])
                 for n in range(count))


def request_rows(text: str, count: int) -> tuple[RequestRow, ...]:
    return tuple(RequestRow(ref=2000 + n, subject=text, desk=text, status="open",
                            assignee=text if n % 2 else None, opened_at=NOW, updated_at=NOW)
                 for n in range(count))


def ticket(text: str, **changes) -> TicketCard:
    values = dict(ref=1042, desk=DeskOption("it", text or "IT"), subject=text,
                  first_message=text, requester=PersonRef(text, SLACK_ID),
                  requester_earlier_requests=3, opened_at=NOW, priority=3, status="open",
                  assignee=PersonRef(text or "Dana", "UDANA"), pinned=False,
                  sla=SlaState("warning", text or None, NOW), rating=None,
                  agents=people(text), other_desks=desks(text, 3))
    values.update(changes)
    return TicketCard(**values)


def every_message_view(text: str, n: int = 3) -> list:
    """One of each message view, with `text` in every user slot and lists of `n`."""
    person = PersonRef(text, "not-a-slack-id")
    return [
        ticket(text),
        ticket(text, status="closed", rating=4, pinned=True, assignee=None),
        # Issue 17: a due date in each state; a ticket escalated here, and one that may go on.
        *(ticket(text, kind="ticket", due_at=NOW, due_state=state, escalated_from=text,
                 escalated_by=person if state != "passed" else None, escalation_note=text,
                 can_escalate=state == "ok")
          for state in ("ok", "warning", "passed")),
        *(SchedulerAlert(what, 1042, text, text, due_at=NOW, link=link)
          for what in ("due_warning", "due_passed")
          for link in (None, "https://acme.slack.com/archives/C1/p1")),
        CardMoved(1042, text, text, text, by=person),
        CardMoved(1042, text, text, text),
        RelayToAgents(1042, person, text),
        RelayToRequester(1042, person, text, text),
        AgentNotification("new_request", 1042, text, text, person),
        AgentNotification("assigned", 1042, text, text, person, by=person,
                          link="https://acme.slack.com/archives/C1/p1"),
        Receipt(1042, text, expected_response=text or None, follows_ref=1001),
        Receipt(1042, text),
        *(RequesterUpdate(1042, what, text, agent=person, status=status, to_desk=text,
                          note=text)
          for what, status in [("picked_up", None), ("transferred", None), ("closed", None),
                               ("reopened", None), ("released", None), ("status", "waiting"),
                               ("status", "on_hold"), ("status", "open"),
                               ("status", "resolved"), ("status", text), ("unknown", None)]),
        RequesterUpdate(1042, "due", text, due_at=NOW),
        RequesterUpdate(1042, "due_cleared", text),
        RequesterUpdate(1042, "escalated", text, to_desk=text),
        ResolvePrompt(1042, text),
        ResolvePrompt(1042, text, answered=True, rating=5),
        ResolvePrompt(1042, text, answered=False),
        DeskPicker(7, text, desks(text, n)),
        AddOrNew(7, text, tuple(OpenRequest(1000 + i, text, text) for i in range(n))),
        Settled(text),
        QueueList("mine", queue_rows(text, n), desk=text, now=NOW),
        QueueList("all", queue_rows(text, n)),
        MyRequests(request_rows(text, n)),
        DeskConfig(text, "it", text, "C0123ABC", text, people(text, n), people(text, n),
                   (text,) * n, archived=True, settings=((text, text),) * n),
        Help(((text, tuple(HelpLine(text, text) for _ in range(n))),) * 3),
        Reply(text),
        Reply(text, kind="error", usage=text),
        History(1042, text, text, history_entries(text, n), earlier=True),
        History(1042, text, text, ()),
        # Major incidents: the card, its news, a burst's proposal, the known-incident offer;
        # a ticket card linked to one, and one offering the desk's open ones.
        IncidentCard(3, text, "open", text, n, tuple(range(1000, 1000 + n)),
                     opened_by=person, latest_update=text),
        IncidentCard(3, text, "resolved", text, n, (), resolution_note=text),
        IncidentNews(3, text, text, False, 1042, person),
        IncidentNews(3, text, text, True),
        IncidentProposal(4, text, tuple(range(1000, 1000 + max(n, 1)))),
        IncidentOffer(7, 3, text),
        ticket(text, incident=3),
        ticket(text, open_incidents=tuple((i, text) for i in range(1, n + 1))),
        # Saved replies: a card offering the desk's (issue 19).
        ticket(text, saved_replies=tuple((i, text[:40]) for i in range(1, n + 1))),
        # Answers offered before a request is sent.
        SuggestionOffer(7, tuple(Suggestion("request" if i % 2 else "article", i, text,
                                            text if i % 2 else None) for i in range(3))),
    ]


def history_entries(text: str, n: int) -> tuple[HistoryEntry, ...]:
    """A timeline of every sort of line: plain, with people, desks and levels, unknown."""
    said = [Words("history.conversation.opened"),
            Words("history.conversation.transferred", person=text),
            Words("history.conversation.moved", from_desk=text, to_desk=text),
            Words("history.status.changed", status=Words("status.waiting")),
            Words("history.sla.breach", target=Words("alert.target_first_response")),
            Words("history.category.changed", label=text),
            Words("history.other", kind=text)]
    return tuple(HistoryEntry(NOW, "kind", said[i % len(said)], text if i % 2 else None)
                 for i in range(max(n, len(said))))


def homes(text: str, n: int) -> list:
    return [
        AgentHome(text, True, "mine", {"unassigned": n, "mine": 1, "all": n + 1},
                  queue_rows(text, n), page=2, pages=3, desks=desks(text, n), desk="desk1",
                  own_requests=request_rows(text, n), now=NOW),
        AgentHome(text, False, "unassigned", {}, ()),
        EmployeeHome(text, request_rows(text, n), desks(text, n)),
        EmployeeHome(text, ()),
    ]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_view_renders_valid_and_inert(name: str) -> None:
    text = HOSTILE[name]
    for view in every_message_view(text):
        for message in slack.messages(view):
            check_message(message)
    for view in homes(text, 3):
        check_home(slack.home(view))
    check_modal(slack.modal(AskModal(text, desks(text, 3), private_metadata='{"c": "D1"}')))


@pytest.mark.parametrize("count", [0, 1, 30, 300])
def test_long_lists_stay_within_limits(count: int) -> None:
    text = HOSTILE["long_name"]
    for view in every_message_view(text, count):
        for message in slack.messages(view):
            check_message(message)
    for view in homes(text, count):
        check_home(slack.home(view))
    check_modal(slack.modal(AskModal(text, desks(text, count))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600) | st.sampled_from(sorted(HOSTILE.values())).map(lambda s: s[:600]),
       st.integers(min_value=0, max_value=12))
def test_any_text_in_any_view_renders_valid(text: str, count: int) -> None:
    for view in every_message_view(text, count):
        for message in slack.messages(view):
            check_message(message)
    for view in homes(text, count):
        check_home(slack.home(view))
    check_modal(slack.modal(AskModal(text, desks(text, count))))


def test_user_tokens_are_shown_as_typed_not_live() -> None:
    text = "<!channel> <https://evil|Your bank> <@U123>"
    card = slack.message(ticket(text))
    shown = texts(card) + card["text"]
    assert "&lt;!channel&gt; &lt;https://evil|Your bank&gt; &lt;@U123&gt;" in shown
    assert "<!channel>" not in shown and "<@U123>" not in shown


def test_a_message_view_that_is_not_known_is_refused() -> None:
    with pytest.raises(TypeError):
        slack.messages(AskModal("x", ()))
    with pytest.raises(TypeError):
        slack.home(Settled("x"))
    with pytest.raises(TypeError):
        slack.modal(Settled("x"))
