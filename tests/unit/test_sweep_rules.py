"""The sweep rules (scheduling/sweep_rules.py) with plain values: no database.

Each test states what a helpdesk lead would check: which rows are acted on, what the
flag sets, who is told, which timers follow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conversations import sla, timers
from conversations.lifecycle import Status
from desks.notices import ALSO, CARD_FIRST, NoticeKind
from desks.policy import policy_of
from scheduling import sweep_rules
from scheduling.desk_calendar import DeskCalendar, window_of
from scheduling.sweep_rules import DeskFacts, Due
from storage.sweep_applier import NOW, NOW_IF_UNSET, ClearedPerDesk, PerDesk

# Sun-Thu 08:00-18:00 UTC; 2026-01-08 is a Thursday.
HOURS = {"hours": "sun-thu 08:00-18:00", "time_zone": "UTC"}
THURSDAY_10 = datetime(2026, 1, 8, 10, 0, tzinfo=UTC)
THURSDAY_17_50 = datetime(2026, 1, 8, 17, 50, tzinfo=UTC)
FRIDAY_10 = datetime(2026, 1, 9, 10, 0, tzinfo=UTC)  # closed all day
AGENT, OTHER_AGENT, LEAD, SECOND_LEAD, ONCALL = 11, 12, 21, 22, 31


def desk(now: datetime, *, desk_id: int = 1, available: tuple[int, ...] = (AGENT, OTHER_AGENT),
         leads: tuple[int, ...] = (LEAD, SECOND_LEAD), oncall: tuple[int, ...] = (),
         **settings: Any) -> dict[int, DeskFacts]:
    """One desk's facts at `now`, on HOURS and `settings`."""
    settings = {**HOURS, **settings}
    window = window_of(settings)
    return {desk_id: DeskFacts(desk_id, settings, policy_of(settings), window,
                               window.is_open(now), oncall, leads, available)}


def due(kind: str, conversation_id: int = 100, *, priority: int = 3,
        assignee_id: int | None = AGENT, status: str = Status.NEW, paused: bool = False,
        desk_id: int = 1) -> Due:
    return Due(kind, conversation_id, 7, desk_id, priority, assignee_id, status, paused, True)


def told(flag: sweep_rules.Flag) -> list[tuple[int, str, int | None, list[int]]]:
    """(conversation, notice kind, person, ALSO) of every notice the flag's rows get."""
    return [(o.row.id, str(n.kind), n.person_id, n.payload.get(ALSO, []))
            for o in flag.outcomes for n in o.notices]


def events(flag: sweep_rules.Flag) -> list[tuple[int, str, dict[str, Any]]]:
    return [(o.row.id, e.kind, e.data) for o in flag.outcomes for e in o.events]


# ---------------------------------------------------------------- the window


def test_nothing_is_acted_on_while_the_desk_is_closed() -> None:
    rows = [due("first_response_warning", 1), due("first_response_warning", 2, priority=5)]
    flag = sweep_rules.sla_warning("first_response", rows, desk(FRIDAY_10))
    assert flag.outcomes == []


def test_priority_5_outside_the_window_tells_the_on_call_agents_instead() -> None:
    rows = [due("first_response_warning", 1), due("first_response_warning", 2, priority=5)]
    flag = sweep_rules.sla_warning("first_response", rows, desk(FRIDAY_10, oncall=(ONCALL,)))
    assert told(flag) == [(2, NoticeKind.SLA_WARNING, ONCALL, [])]
    assert events(flag)[0][2]["on_call"] is True


def test_an_open_desk_tells_the_usual_people_even_with_on_call_agents() -> None:
    flag = sweep_rules.agent_silent([due("agent_silence", 1, priority=5, status=Status.OPEN)],
                              desk(THURSDAY_10, oncall=(ONCALL,)))
    assert told(flag) == [(1, NoticeKind.AGENT_NUDGE, AGENT, [])]


# ---------------------------------------------------------------- SLA


def test_a_warning_tells_the_assignee_with_the_card_first_and_sets_only_its_flag() -> None:
    flag = sweep_rules.sla_warning("resolution", [due("resolution_warning", status=Status.OPEN)],
                             desk(THURSDAY_10))
    assert flag.kind is timers.RESOLUTION_WARNING and flag.ends == ()
    (outcome,) = flag.outcomes
    (notice,) = outcome.notices
    assert (notice.kind, notice.person_id) == (NoticeKind.SLA_WARNING, AGENT)
    assert notice.payload == {"target": "resolution", CARD_FIRST: True}
    assert outcome.events == (sweep_rules.Event("sla.warning", {"target": "resolution",
                                                          "on_call": False,
                                                          "by": "scheduler"}),)
    assert sweep_rules.FLAG_SETS["resolution_warning"] == {"resolution_warned_at": NOW}


def test_a_breach_tells_the_assignee_then_each_lead_once_and_ends_the_warning() -> None:
    rows = [due("first_response_breach", 1, assignee_id=None),
            due("first_response_breach", 2, assignee_id=LEAD)]
    flag = sweep_rules.sla_breach("first_response", rows, desk(THURSDAY_10))
    assert told(flag) == [(1, NoticeKind.SLA_BREACH, None, [LEAD, SECOND_LEAD]),
                          (2, NoticeKind.SLA_BREACH, LEAD, [SECOND_LEAD])]
    assert flag.ends == (timers.FIRST_RESPONSE_WARNING,)
    # The breach sets its flag, and the warning's where it was not sent.
    assert sweep_rules.FLAG_SETS["first_response_breach"] == {
        "first_response_breached_at": NOW, "first_response_warned_at": NOW_IF_UNSET}


def test_only_a_resolution_breach_moves_the_request_to_the_next_tier() -> None:
    facts = desk(THURSDAY_10, escalate_to="tier-2")
    first = sweep_rules.sla_breach("first_response", [due("first_response_breach")], facts)
    resolution = sweep_rules.sla_breach("resolution", [due("resolution_breach")], facts)
    assert [o.escalate_to for o in first.outcomes] == [None]
    assert [o.escalate_to for o in resolution.outcomes] == ["tier-2"]
    assert resolution.escalating and not first.escalating  # a command follows the flag
    plain = sweep_rules.sla_breach("resolution", [due("resolution_breach")], desk(THURSDAY_10))
    assert [o.escalate_to for o in plain.outcomes] == [None] and not plain.escalating


def test_breaches_go_out_before_warnings() -> None:
    flags = sweep_rules.decide({}, {}, THURSDAY_10, None)
    order = [flag.kind.name for flag in flags]
    assert order.index("first_response_breach") < order.index("first_response_warning")
    assert order.index("resolution_breach") < order.index("resolution_warning")
    assert set(order) == timers.ALL == set(sweep_rules.FLAG_SETS)


# ---------------------------------------------------------------- stalls


def test_unassigned_pings_the_available_agents_and_stages_the_leads() -> None:
    flag = sweep_rules.unassigned([due("unassigned", assignee_id=None)], desk(THURSDAY_17_50),
                            THURSDAY_17_50)
    (outcome,) = flag.outcomes
    assert outcome.notices == (sweep_rules.Notice(NoticeKind.STALL_UNASSIGNED, None,
                                            {"mention_ids": [AGENT, OTHER_AGENT]}),)
    # 30 minutes of business time from 17:50 Thursday: 08:20 Sunday (Fri-Sat closed).
    leads_due = datetime(2026, 1, 11, 8, 20, tzinfo=UTC)
    assert outcome.arm == ((timers.UNASSIGNED_LEADS, leads_due),)
    assert flag.params == {"staged": {1: leads_due}}
    assert sweep_rules.FLAG_SETS["unassigned"] == {
        "unassigned_flagged_at": NOW, "unassigned_leads_due_at": PerDesk("staged"),
        "unassigned_leads_flagged_at": ClearedPerDesk("staged")}


def test_unassigned_with_nobody_available_pings_the_leads_now_and_no_second_stage() -> None:
    flag = sweep_rules.unassigned([due("unassigned", assignee_id=None)],
                            desk(THURSDAY_10, available=()), THURSDAY_10)
    (outcome,) = flag.outcomes
    assert outcome.notices[0].payload == {"mention_ids": [LEAD, SECOND_LEAD]}
    assert outcome.arm == () and flag.params == {"staged": {}}


def test_unassigned_leads_dm_each_lead_in_turn() -> None:
    flag = sweep_rules.unassigned_leads([due("unassigned_leads", assignee_id=None)],
                                  desk(THURSDAY_10))
    assert told(flag) == [(100, NoticeKind.STALL_UNASSIGNED, LEAD, [SECOND_LEAD])]
    assert flag.outcomes[0].notices[0].payload["stage"] == "leads"
    assert events(flag) == [(100, "stall.unassigned_leads",
                             {"lead_ids": [LEAD, SECOND_LEAD], "by": "scheduler"})]


def test_without_a_calendar_nobody_is_reminded() -> None:
    flag = sweep_rules.requester_reminder([due("requester_reminder", status=Status.WAITING)],
                                    desk(THURSDAY_10), THURSDAY_10, None)
    assert flag.outcomes == []


def test_the_reminder_arms_the_resolve_one_more_period_of_business_time_on() -> None:
    facts = desk(THURSDAY_10, stall={"requester_silence": "10h"})
    flag = sweep_rules.requester_reminder([due("requester_reminder", status=Status.WAITING)],
                                    facts, THURSDAY_10, DeskCalendar())
    resolve_at = datetime(2026, 1, 11, 10, 0, tzinfo=UTC)  # 8 h Thursday, 2 h Sunday
    (outcome,) = flag.outcomes
    assert outcome.arm == ((timers.REQUESTER_RESOLVE, resolve_at),)
    assert outcome.notices == (sweep_rules.Notice(NoticeKind.REQUESTER_REMINDER, None, {}),)
    assert outcome.events[0].data["resolve_at"] == resolve_at.isoformat()
    assert flag.params == {"second": {1: resolve_at}}


def test_the_resolve_resolves_with_a_note_as_track_would() -> None:
    rows = [due("requester_resolve", 1, status=Status.WAITING, paused=True),
            due("requester_resolve", 2, status=Status.WAITING, paused=False)]
    facts = desk(THURSDAY_10, auto_close_after="2d")
    flag = sweep_rules.requester_resolve(rows, facts, THURSDAY_10)
    assert [o.note for o in flag.outcomes] == [sweep_rules.SYSTEM_RESOLVE_NOTE] * 2
    # The clocks stop where they ran: `sla.paused` for the second only.
    assert [(i, kind) for i, kind, _ in events(flag)] == [
        (1, "status.changed"), (2, "sla.paused"), (2, "status.changed")]
    changed = flag.outcomes[0].events[-1]
    assert changed.note and changed.data == {"old": Status.WAITING, "new": Status.RESOLVED,
                                             "reason": "requester_silence", "by": "scheduler"}
    close_at = THURSDAY_10 + timedelta(days=2)
    assert flag.outcomes[0].arm == ((timers.AUTO_CLOSE, close_at),)
    assert flag.params == {"close_at": {1: close_at}}
    assert set(flag.ends) == set(timers.kinds_armed_in(Status.WAITING))
    assert told(flag) == [(1, NoticeKind.RESOLVE_PROMPT, None, []),
                          (2, NoticeKind.RESOLVE_PROMPT, None, [])]
    sets = sweep_rules.FLAG_SETS["requester_resolve"]
    assert sets["status"] == Status.RESOLVED and sets["sla_paused_at"] is NOW_IF_UNSET
    assert sets["auto_close_at"] == PerDesk("close_at")
    assert all(sets[column] is None for column in sla.STALL_COLUMNS if column != "auto_close_at")


def test_auto_close_closes_whatever_the_window() -> None:
    rows = [due("auto_close", 1, status=Status.RESOLVED, paused=True)]
    flag = sweep_rules.auto_close(rows)
    assert told(flag) == [(1, NoticeKind.REQUESTER_UPDATE, None, [])]
    assert flag.outcomes[0].notices[0].payload == {"what": "closed", CARD_FIRST: True}
    assert [kind for _, kind, _ in events(flag)] == ["conversation.closed"]
    assert sweep_rules.FLAG_SETS["auto_close"]["auto_close_at"] is None
    assert set(flag.ends) == set(timers.kinds_armed_in(Status.RESOLVED))


# ---------------------------------------------------------------- shared with sla.track


def test_clocks_stop_once_when_a_conversation_settles() -> None:
    assert sla.pause_event(Status.RESOLVED, paused=False) == {"status": Status.RESOLVED}
    assert sla.pause_event(Status.RESOLVED, paused=True) is None
    assert sla.pause_event(Status.OPEN, paused=False) is None
    assert sla.stall_checks_ended(None) == dict.fromkeys(sla.STALL_COLUMNS)


# ---------------------------------------------------------------- daily digest


def test_a_digest_is_due_once_per_service_day_after_it_opens() -> None:
    window = window_of(HOURS)
    before_opening = datetime(2026, 1, 8, 7, 0, tzinfo=UTC)
    assert sweep_rules.digests_due([(1, 7, window, None)], before_opening) == []
    assert sweep_rules.digests_due([(1, 7, window, None)], FRIDAY_10) == []  # closed all day
    (digest,) = sweep_rules.digests_due([(1, 7, window, THURSDAY_10 - timedelta(days=1))],
                                  THURSDAY_10)
    assert (digest.start, digest.day) == (datetime(2026, 1, 8, 8, 0, tzinfo=UTC), "2026-01-08")
    assert sweep_rules.digests_due([(1, 7, window, digest.start)], THURSDAY_10) == []
    event, notice = sweep_rules.digest_notice(digest, {"open": 3})
    assert notice.payload == {"desk_id": 1, "counts": {"open": 3}, "day": "2026-01-08"}
    assert event == sweep_rules.Event("desk.digest", {"counts": {"open": 3}})
