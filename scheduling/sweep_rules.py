"""What each sweep decides (SPEC §4): per kind, which due rows, what flag, who is told.

Plain values in (the rows due now and their desks' facts), plain decisions out (`Flag`):
no database. `scheduling.sweeps` reads, calls these, and has storage apply them; only
the sweeper whose conditional update sets a row's flag writes that row's `Outcome`.

The window: nothing warns, breaches or nudges while the desk is closed (a check that
fell due then is acted on once the desk opens), except priority 5 where the desk has
on-call agents: then they are told instead of the usual people. Closing is not gated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from conversations import sla, timers
from conversations.lifecycle import Status
from conversations.timers import TimerKind
from desks.notices import ALSO, CARD_FIRST, NoticeKind
from desks.policy import DeskPolicy
from scheduling.calendar import ServiceWindow
from storage.business_time import BusinessTime
from storage.sweep_applier import NOW, NOW_IF_UNSET, ClearedPerDesk, PerDesk

SYSTEM_RESOLVE_NOTE = ("Resolved automatically: the requester did not answer after a "
                       "reminder.")

# At a glance. Kind: which rows -> the flag set -> who is told (each once).
# - SLA warning: a clock at the desk's warning percent -> `*_warned_at` -> the assignee,
#   card updated first.
# - SLA breach: a target passed -> `*_breached_at` -> the assignee, then each lead; a
#   resolution breach also moves the request to the desk's `escalate_to` tier.
# - Unassigned: nobody took it within `stall.unassigned` -> `unassigned_flagged_at` ->
#   the available agents (else the leads) in the card's thread; if agents were pinged,
#   the leads one more period later (Unassigned, leads: each lead by DM).
# - Agent silent: the requester waits `stall.agent_silence` -> `agent_nudged_at` -> the
#   assignee by DM.
# - Requester silent: waiting `stall.requester_silence` -> `requester_reminded_at` -> the
#   requester is reminded; one more period -> resolved, with a note, and asked to rate.
# - Auto-close: resolved for `auto_close_after` -> closed -> the requester.
# - Due date warning: an agent's due date (`/desk due`) is near: at the desk's SLA
#   warning percent of the time from setting it to the due moment -> `due_warned_at` ->
#   the assignee by DM (else the card's thread, for the desk), card updated first.
# - Due date passed: the due moment came -> `due_flagged_at` -> the same people; a
#   warning not yet sent is dropped.
# - Daily digest: at the start of each service day -> `last_digest_at` -> the desk's
#   agent channel.
# - Outside the desk's window: none of these but auto-close, except priority 5 at a
#   desk with on-call agents: they are told instead of the usual people.


# ---------------------------------------------------------------- what a rule reads


class Due(NamedTuple):
    """A conversation due on a check of `kind` (as the sweeps read it)."""

    kind: str
    id: int
    workspace_id: int
    desk_id: int
    priority: int
    assignee_id: int | None
    status: str
    paused: bool  # its SLA clocks are paused
    armed: bool  # its columns still arm the check (else the timer is stale)


@dataclass(frozen=True)
class DeskFacts:
    """What the rules know of a desk with something due."""

    id: int
    settings: Mapping[str, Any]
    policy: DeskPolicy
    window: ServiceWindow
    open_now: bool
    oncall_ids: Sequence[int] = ()
    lead_ids: Sequence[int] = ()
    available_ids: Sequence[int] = ()  # its members who are available


# ---------------------------------------------------------------- what a rule decides


class Event(NamedTuple):
    """An event about the row's conversation. `note`: its data names the outcome's note
    (`note_message_id`), once written."""

    kind: str
    data: dict[str, Any]
    note: bool = False


class Notice(NamedTuple):
    """A notice about the row's conversation: to `person_id` (a DM), or to the card's
    thread (None)."""

    kind: NoticeKind
    person_id: int | None
    payload: dict[str, Any]


class Outcome(NamedTuple):
    """What follows for one row once this sweeper's update has flagged it."""

    row: Due
    events: tuple[Event, ...]
    notices: tuple[Notice, ...]
    arm: tuple[tuple[TimerKind, datetime], ...] = ()  # timers the flag arms
    note: str | None = None  # a system message added to the conversation
    escalate_to: str | None = None  # the desk (slug) the request moves to


@dataclass
class Flag:
    """One kind's decision for a run: set `kind`'s flag (`FLAG_SETS`) on the `acting`
    rows (each with the on-call people to tell instead of the usual ones), with the
    per-desk values it names (`params`); a flagged row loses its timer of the kind and
    those of `ends`. `told` says what follows for a row once its flag is set (it is
    asked only for the rows this sweeper's update flagged, while the next flag goes
    out). `escalating`: some row may move to another desk (a command follows)."""

    kind: TimerKind
    acting: list[tuple[Due, list[int]]]
    told: Callable[[Due, list[int]], Outcome]
    params: dict[str, dict[int, datetime]] = field(default_factory=dict)
    ends: tuple[TimerKind, ...] = ()
    escalating: bool = False

    @property
    def outcomes(self) -> list[Outcome]:
        """What follows for every acting row, were they all flagged."""
        return [self.told(row, oncall) for row, oncall in self.acting]


# What each kind's flag sets on a conversation (see `storage.sweep_applier` for NOW,
# NOW_IF_UNSET, PerDesk, ClearedPerDesk). Set with a conditional update: only where the
# check is still armed (the flag NULL, the situation unchanged), so once across replicas.
FLAG_SETS: dict[str, dict[str, Any]] = {
    "first_response_warning": {"first_response_warned_at": NOW},
    "resolution_warning": {"resolution_warned_at": NOW},
    # A breach makes a warning not yet sent pointless.
    "first_response_breach": {"first_response_breached_at": NOW,
                              "first_response_warned_at": NOW_IF_UNSET},
    "resolution_breach": {"resolution_breached_at": NOW,
                          "resolution_warned_at": NOW_IF_UNSET},
    # Where agents are pinged, the leads are due later (`staged`, per desk).
    "unassigned": {"unassigned_flagged_at": NOW,
                   "unassigned_leads_due_at": PerDesk("staged"),
                   "unassigned_leads_flagged_at": ClearedPerDesk("staged")},
    "unassigned_leads": {"unassigned_leads_flagged_at": NOW},
    "agent_silence": {"agent_nudged_at": NOW},
    # The reminder moves the due time on to the resolve (`second`, per desk).
    "requester_reminder": {"requester_reminded_at": NOW,
                           "requester_silence_due_at": PerDesk("second")},
    # Resolved and closed as `sla.track` would: the clocks pause, the stall checks end.
    "requester_resolve": {"status": Status.RESOLVED, "resolved_at": NOW, "updated_at": NOW,
                          "sla_paused_at": NOW_IF_UNSET,
                          **sla.stall_checks_ended(PerDesk("close_at"))},
    "due_passed": {"due_flagged_at": NOW, "due_warned_at": NOW_IF_UNSET},
    "due_warning": {"due_warned_at": NOW},
    "auto_close": {"status": Status.CLOSED, "closed_at": NOW, "updated_at": NOW,
                   "sla_paused_at": NOW_IF_UNSET, **sla.stall_checks_ended(None)},
}


# ---------------------------------------------------------------- shared steps


def acting(rows: Sequence[Due], desks: Mapping[int, DeskFacts]) -> list[tuple[Due, list[int]]]:
    """The rows that may be acted on now, each with the on-call people to tell instead
    of the usual ones: the desk is open, or (priority 5) it has on-call agents."""
    acted: list[tuple[Due, list[int]]] = []
    for row in rows:
        desk = desks[row.desk_id]
        if desk.open_now:
            acted.append((row, []))
        elif row.priority == 5 and desk.oncall_ids:
            acted.append((row, list(desk.oncall_ids)))
    return acted


def _event(kind: str, *, note: bool = False, **data: Any) -> Event:
    data["by"] = "scheduler"
    return Event(kind, data, note)


def _tell(kind: NoticeKind, people: Sequence[int | None], *, card: bool = False,
          **payload: Any) -> tuple[Notice, ...]:
    """One notice telling `people` one after another (the first as its person, the rest
    as `ALSO`); none for nobody. `card`: it updates the card first."""
    if not people:
        return ()
    if len(people) > 1:
        payload[ALSO] = list(people[1:])
    if card:
        payload[CARD_FIRST] = True
    return (Notice(kind, people[0], payload),)


def _notice(kind: NoticeKind, person_id: int | None = None, *, card: bool = False,
            **payload: Any) -> Notice:
    if card:
        payload[CARD_FIRST] = True
    return Notice(kind, person_id, payload)


def _paused(row: Due, status: str) -> tuple[Event, ...]:
    """The `sla.paused` event `sla.track` writes when the row's clocks stop."""
    data = sla.pause_event(status, paused=row.paused)
    return () if data is None else (Event("sla.paused", data),)


# ---------------------------------------------------------------- SLA


# Which breach moves a request to its desk's next tier (`escalate_to`): resolution only.
# A first-response breach means nobody has picked the request up yet: the leads are
# told, and the specialists of the next tier are no remedy for an untriaged request
# (measured from the same opening, it would breach there at once, and on down the
# chain). A resolution breach means the tier could not solve it: that is what a
# tier's escalation is for.
ESCALATING_TARGET = "resolution"
SLA_TIMERS = {  # (target, stage) -> timer
    ("first_response", "warning"): timers.FIRST_RESPONSE_WARNING,
    ("first_response", "breach"): timers.FIRST_RESPONSE_BREACH,
    ("resolution", "warning"): timers.RESOLUTION_WARNING,
    ("resolution", "breach"): timers.RESOLUTION_BREACH,
}


def sla_warning(target: str, rows: Sequence[Due], desks: Mapping[int, DeskFacts]) -> Flag:
    """A clock reached the desk's warning percent of its target: warn the assignee
    (or the on-call agents) once, the card updated first."""
    def told(row: Due, oncall: list[int]) -> Outcome:
        return Outcome(row, (_event("sla.warning", target=target, on_call=bool(oncall)),),
                       _tell(NoticeKind.SLA_WARNING, oncall or [row.assignee_id], card=True,
                             target=target))
    return Flag(SLA_TIMERS[(target, "warning")], acting(rows, desks), told)


def sla_breach(target: str, rows: Sequence[Due], desks: Mapping[int, DeskFacts]) -> Flag:
    """A target passed: tell the assignee (or the on-call agents), then the desk's leads,
    once; a resolution breach moves the request to the desk's next tier, if it names
    one. The warning not yet sent is dropped."""
    def told(row: Due, oncall: list[int]) -> Outcome:
        desk = desks[row.desk_id]
        people: list[int | None] = list(oncall) or [row.assignee_id]
        people += [lead for lead in desk.lead_ids if lead not in people]
        return Outcome(row, (_event("sla.breach", target=target, on_call=bool(oncall)),),
                       _tell(NoticeKind.SLA_BREACH, people, card=True, target=target),
                       escalate_to=desk.policy.escalate_to if escalating else None)
    escalating = target == ESCALATING_TARGET
    acted = acting(rows, desks)
    return Flag(SLA_TIMERS[(target, "breach")], acted, told,
                ends=(SLA_TIMERS[(target, "warning")],),
                escalating=escalating and any(desks[row.desk_id].policy.escalate_to
                                              for row, _ in acted))


# ---------------------------------------------------------------- stalls


def unassigned(rows: Sequence[Due], desks: Mapping[int, DeskFacts], now: datetime) -> Flag:
    """Nobody took the request: ping the desk's available agents (else its leads) in
    the card's thread, once. Where agents are pinged (or on-call ones, outside the
    window), the leads are due one more `stall.unassigned` of business time later."""
    def told(row: Due, oncall: list[int]) -> Outcome:
        desk = desks[row.desk_id]
        mention = oncall or list(desk.available_ids) or list(desk.lead_ids)
        arm = ((timers.UNASSIGNED_LEADS, staged[desk.id]),) if desk.id in staged else ()
        return Outcome(row, (_event("stall.unassigned", mention_ids=mention),),
                       (_notice(NoticeKind.STALL_UNASSIGNED, mention_ids=mention),), arm)
    acted = acting(rows, desks)
    staged = {desk.id: desk.window.add_business_time(now, desk.policy.stall["unassigned"])
              for desk in (desks[desk_id] for desk_id in {row.desk_id for row, _ in acted})
              if desk.available_ids or not desk.open_now}
    return Flag(timers.UNASSIGNED, acted, told, {"staged": staged})


def unassigned_leads(rows: Sequence[Due], desks: Mapping[int, DeskFacts]) -> Flag:
    """Still unassigned one more period after the agents' ping: DM the desk's leads, once."""
    def told(row: Due, _: list[int]) -> Outcome:
        leads = list(desks[row.desk_id].lead_ids)
        return Outcome(row, (_event("stall.unassigned_leads", lead_ids=leads),),
                       _tell(NoticeKind.STALL_UNASSIGNED, leads, stage="leads"))
    return Flag(timers.UNASSIGNED_LEADS, acting(rows, desks), told)


def agent_silent(rows: Sequence[Due], desks: Mapping[int, DeskFacts]) -> Flag:
    """The requester's message waits too long for an answer: DM the assignee (or the
    on-call agents), once."""
    def told(row: Due, oncall: list[int]) -> Outcome:
        return Outcome(row, (_event("stall.agent_silent", assignee_id=row.assignee_id),),
                       _tell(NoticeKind.AGENT_NUDGE, oncall or [row.assignee_id]))
    return Flag(timers.AGENT_SILENCE, acting(rows, desks), told)


def requester_reminder(rows: Sequence[Due], desks: Mapping[int, DeskFacts], now: datetime,
                       calendar: BusinessTime | None) -> Flag:
    """The requester did not answer: remind them, once; the resolve is due one more
    `stall.requester_silence` of business time later. Without a business-time calendar
    nobody is reminded."""
    def told(row: Due, _: list[int]) -> Outcome:
        resolve_at = second[row.desk_id]
        return Outcome(row, (_event("stall.requester_silent",
                                    resolve_at=resolve_at.isoformat()),),
                       (_notice(NoticeKind.REQUESTER_REMINDER),),
                       ((timers.REQUESTER_RESOLVE, resolve_at),))
    acted = acting(rows, desks) if calendar is not None else []
    second = {desk_id: calendar.add(desks[desk_id].settings, now,
                                    desks[desk_id].policy.stall["requester_silence"])
              for desk_id in {row.desk_id for row, _ in acted}} if calendar else {}
    return Flag(timers.REQUESTER_REMINDER, acted, told, {"second": second})


def requester_resolve(rows: Sequence[Due], desks: Mapping[int, DeskFacts],
                      now: datetime) -> Flag:
    """Still no answer a period after the reminder: resolve with a note, ask the
    requester whether it is solved; auto-close is due the desk's `auto_close_after` on."""
    def told(row: Due, _: list[int]) -> Outcome:
        return Outcome(row, (*_paused(row, Status.RESOLVED),
                             _event("status.changed", old=Status.WAITING, new=Status.RESOLVED,
                                    reason="requester_silence", note=True)),
                       (_notice(NoticeKind.RESOLVE_PROMPT, card=True),),
                       ((timers.AUTO_CLOSE, close_at[row.desk_id]),), note=SYSTEM_RESOLVE_NOTE)
    acted = acting(rows, desks)
    close_at = {desk_id: now + desks[desk_id].policy.auto_close_after
                for desk_id in {row.desk_id for row, _ in acted}}
    return Flag(timers.REQUESTER_RESOLVE, acted, told, {"close_at": close_at},
                timers.kinds_armed_in(Status.WAITING))


def auto_close(rows: Sequence[Due]) -> Flag:
    """Resolved for longer than the desk's `auto_close_after`: close it, tell the
    requester, the card updated first. Every due row, whatever the window: closing a
    resolved request tells nobody to act."""
    def told(row: Due, _: list[int]) -> Outcome:
        return Outcome(row, (*_paused(row, Status.CLOSED),
                             _event("conversation.closed", old=Status.RESOLVED,
                                    reason="auto_close")),
                       (_notice(NoticeKind.REQUESTER_UPDATE, what="closed", card=True),))
    return Flag(timers.AUTO_CLOSE, [(row, []) for row in rows], told,
                ends=timers.kinds_armed_in(Status.RESOLVED))


# ---------------------------------------------------------------- due dates


def due_date(stage: str, rows: Sequence[Due], desks: Mapping[int, DeskFacts]) -> Flag:
    """An agent's due date is near (`stage` "warning") or has passed ("passed"): tell
    the assignee by DM (or the on-call agents, outside the window), or the card's
    thread when nobody holds the request, once; the card updated first. Like an SLA
    target, nothing is told while the desk is closed but priority 5 with on-call agents.
    The passed flag drops the warning not yet sent."""
    kind = NoticeKind.DUE_WARNING if stage == "warning" else NoticeKind.DUE_PASSED

    def told(row: Due, oncall: list[int]) -> Outcome:
        people: list[int | None] = list(oncall) or [row.assignee_id]
        return Outcome(row, (_event(f"due.{stage}", assignee_id=row.assignee_id,
                                    on_call=bool(oncall)),),
                       _tell(kind, people, card=True))
    if stage == "warning":
        return Flag(timers.DUE_WARNING, acting(rows, desks), told)
    return Flag(timers.DUE_PASSED, acting(rows, desks), told, ends=(timers.DUE_WARNING,))


def decide(due: Mapping[str, Sequence[Due]], desks: Mapping[int, DeskFacts], now: datetime,
           calendar: BusinessTime | None) -> list[Flag]:
    """Every kind's flag for a run, in the order they go out: breaches before warnings
    (a late run flags the breach, and the stale warning finds its flag set)."""
    def rows(kind: TimerKind) -> Sequence[Due]:
        return due.get(kind.name, ())
    return [
        sla_breach("first_response", rows(timers.FIRST_RESPONSE_BREACH), desks),
        sla_breach("resolution", rows(timers.RESOLUTION_BREACH), desks),
        sla_warning("first_response", rows(timers.FIRST_RESPONSE_WARNING), desks),
        sla_warning("resolution", rows(timers.RESOLUTION_WARNING), desks),
        unassigned(rows(timers.UNASSIGNED), desks, now),
        unassigned_leads(rows(timers.UNASSIGNED_LEADS), desks),
        agent_silent(rows(timers.AGENT_SILENCE), desks),
        requester_reminder(rows(timers.REQUESTER_REMINDER), desks, now, calendar),
        requester_resolve(rows(timers.REQUESTER_RESOLVE), desks, now),
        auto_close(rows(timers.AUTO_CLOSE)),
        due_date("passed", rows(timers.DUE_PASSED), desks),
        due_date("warning", rows(timers.DUE_WARNING), desks),
    ]


# ---------------------------------------------------------------- daily digest


def service_day(window: ServiceWindow, now: datetime) -> tuple[datetime, datetime] | None:
    """(start of today's service day, local midnight after it), or None if not started."""
    today = now.astimezone(window.zone).date()
    tomorrow = datetime.combine(today + timedelta(days=1), time(), window.zone)
    if window.always_open:
        return datetime.combine(today, time(), window.zone), tomorrow
    intervals = window.open_intervals_on(today)
    if not intervals or intervals[0][0] > now or not window.is_open(now):
        return None
    return intervals[0][0], tomorrow


class Digest(NamedTuple):
    """A desk's digest due now: its service day's start and end."""

    desk_id: int
    workspace_id: int
    start: datetime
    end: datetime
    day: str  # the service day's date in the desk's zone (ISO)


def digests_due(desks: Sequence[tuple[int, int, ServiceWindow, datetime | None]],
                now: datetime) -> list[Digest]:
    """The desks (id, workspace, window, last digest) whose service day has started and
    whose digest for it is not out yet: each posts one in its agent channel, once."""
    due = []
    for desk_id, workspace_id, window, last in desks:
        day = service_day(window, now)
        if day is None or (last is not None and last >= day[0]):
            continue
        due.append(Digest(desk_id, workspace_id, day[0], day[1],
                          day[0].astimezone(window.zone).date().isoformat()))
    return due


def digest_notice(digest: Digest, counts: Mapping[str, int]) -> tuple[Event, Notice]:
    """The digest's event and its notice to the desk's agent channel, with its counts."""
    return (Event("desk.digest", {"counts": dict(counts)}),
            Notice(NoticeKind.DESK_DIGEST, None, {"desk_id": digest.desk_id,
                                                  "counts": dict(counts), "day": digest.day}))
