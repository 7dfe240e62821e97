"""The due-date rules (scheduling/sweep_rules.py `due_date`) with plain values: no
database. Which rows are acted on, what the flag sets, who is told, which timers end."""

from __future__ import annotations

from conversations import timers
from conversations.lifecycle import Status
from desks.notices import CARD_FIRST, NoticeKind
from scheduling import sweep_rules
from storage.sweep_applier import NOW, NOW_IF_UNSET
from tests.unit.test_sweep_rules import (
    AGENT,
    FRIDAY_10,
    ONCALL,
    THURSDAY_10,
    desk,
    due,
    events,
    told,
)


def test_a_due_warning_tells_the_assignee_by_dm_with_the_card_first() -> None:
    flag = sweep_rules.due_date("warning", [due("due_warning", 1, status=Status.WAITING)],
                                desk(THURSDAY_10))
    assert told(flag) == [(1, NoticeKind.DUE_WARNING, AGENT, [])]
    [outcome] = flag.outcomes
    assert outcome.notices[0].payload[CARD_FIRST] is True
    assert events(flag) == [(1, "due.warning", {"assignee_id": AGENT, "on_call": False,
                                                "by": "scheduler"})]
    assert flag.kind is timers.DUE_WARNING and flag.ends == ()
    assert sweep_rules.FLAG_SETS["due_warning"] == {"due_warned_at": NOW}


def test_an_unassigned_request_past_its_due_date_is_told_in_the_cards_thread() -> None:
    flag = sweep_rules.due_date("passed", [due("due_passed", 2, assignee_id=None)],
                                desk(THURSDAY_10))
    assert told(flag) == [(2, NoticeKind.DUE_PASSED, None, [])]
    assert events(flag)[0][1] == "due.passed"


def test_passing_the_due_date_drops_a_warning_not_yet_sent() -> None:
    flag = sweep_rules.due_date("passed", [due("due_passed", 3)], desk(THURSDAY_10))
    assert flag.kind is timers.DUE_PASSED and flag.ends == (timers.DUE_WARNING,)
    assert sweep_rules.FLAG_SETS["due_passed"] == {"due_flagged_at": NOW,
                                                   "due_warned_at": NOW_IF_UNSET}


def test_nothing_is_told_while_the_desk_is_closed_but_priority_5_on_call() -> None:
    rows = [due("due_passed", 1), due("due_passed", 2, priority=5)]
    assert sweep_rules.due_date("passed", rows, desk(FRIDAY_10)).outcomes == []
    flag = sweep_rules.due_date("passed", rows, desk(FRIDAY_10, oncall=(ONCALL,)))
    assert told(flag) == [(2, NoticeKind.DUE_PASSED, ONCALL, [])]
    assert events(flag)[0][2]["on_call"] is True


def test_a_run_decides_the_due_dates_after_the_other_kinds_passed_first() -> None:
    rows = {"due_passed": [due("due_passed", 1)], "due_warning": [due("due_warning", 2)]}
    flags = sweep_rules.decide(rows, desk(THURSDAY_10), THURSDAY_10, None)
    names = [flag.kind.name for flag in flags]
    assert names[-2:] == ["due_passed", "due_warning"]
    assert set(names[:-2]) == timers.ALL - {"due_passed", "due_warning"}
    assert [o.row.id for f in flags[-2:] for o in f.outcomes] == [1, 2]


def test_the_due_timers_are_armed_while_the_request_is_active_only() -> None:
    for status in (Status.NEW, Status.OPEN, Status.WAITING, Status.ON_HOLD):
        assert timers.DUE_PASSED in timers.kinds_armed_in(status)
        assert timers.DUE_WARNING in timers.kinds_armed_in(status)
    for status in (Status.RESOLVED, Status.CLOSED):
        assert timers.DUE_PASSED not in timers.kinds_armed_in(status)
    # A warning is not armed once warned, or once the due date passed.
    assert set(timers.DUE_WARNING.unset) == {"due_warned_at", "due_flagged_at"}
    assert timers.DUE_PASSED.unset == ("due_flagged_at",)
