"""The figures of one period, counted in plain Python from `reading.RequestFacts`.

What each figure counts (the period is [start, end)):

- **opened** requests opened in the period; **resolved** those whose work was done
  in it (resolved, or closed without a resolve first); **closed** those closed in
  it; **reopened** the reopens that happened in it.
- **by category / priority / kind / way in / platform**: the requests opened.
- **first response** time: business time from opening to the first agent reply, of
  the requests opened in the period that got one; **resolution** time: business time
  from opening to done, without the time the clocks were paused (waiting, on hold,
  resolved before a reopen), of the requests done in the period. Median, and the
  90th percentile by nearest rank (the smallest value at least 90 % of them reach).
- **SLA compliance**, per clock and per priority: of the requests opened in the
  period whose target is decided (met, or breached: flagged by the sweep, answered
  or done late, or still not done past the due time), the share met. Breaches are
  listed.
- **per agent** (the current assignee): requests opened in the period assigned,
  requests done in the period, median first response, average rating (CSAT), and
  (for the report's own period) the active requests assigned to them now.
- **satisfaction**: ratings of the requests done in the period: how many, the
  average, the count of each 1–5, the response rate (rated / done).
  deskbot stores a rating as a number only (`conversation.rating`, the
  `conversation.rated` event): there are no rating comments to list.
- **first-contact resolution**: of the requests done in the period, the share done
  with exactly one agent reply and never reopened.
- **backlog**: requests opened and not yet done at the start, at the end, and at the
  start of every week between.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from conversations.reports.periods import Period
from conversations.reports.reading import RequestFacts

NO_CATEGORY = "(none)"


@dataclass(frozen=True)
class Durations:
    """Business seconds: how many, median and 90th percentile (None when none)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Compliance:
    """Of `decided` targets, `met` were met; `percent` is None when none was decided."""

    decided: int
    met: int
    percent: float | None


@dataclass(frozen=True)
class SlaFigures:
    """One clock's compliance, overall and per priority ("1".."5")."""

    overall: Compliance
    per_priority: dict[str, Compliance]


@dataclass(frozen=True)
class Breach:
    """A target missed: which request, which clock (`first_response`/`resolution`)."""

    ref: int
    desk: str
    clock: str
    priority: int
    opened_at: datetime
    due_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class AgentFigures:
    """One agent's period."""

    person_id: int
    name: str
    assigned: int
    resolved: int
    median_first_response: float | None
    csat: float | None
    ratings: int
    # Active requests assigned now (None in the previous period's figures).
    open_now: int | None = None


@dataclass(frozen=True)
class Satisfaction:
    """Ratings of the requests done in the period."""

    done: int
    rated: int
    response_rate: float | None
    average: float | None
    distribution: dict[str, int]


@dataclass(frozen=True)
class FirstContact:
    """Requests done with one agent reply and never reopened, of those done."""

    done: int
    resolved_first_contact: int
    percent: float | None


@dataclass(frozen=True)
class Backlog:
    """Requests open (opened, not done) at the start, the end, and each week's start."""

    start: int
    end: int
    trend: tuple[tuple[datetime, int], ...]


@dataclass(frozen=True)
class Figures:
    """Every figure of one period."""

    period: Period
    opened: int
    resolved: int
    closed: int
    reopened: int
    by_category: dict[str, int]
    by_priority: dict[str, int]
    by_kind: dict[str, int]
    by_way_in: dict[str, int]
    by_platform: dict[str, int]
    first_response: Durations
    resolution: Durations
    sla_first_response: SlaFigures
    sla_resolution: SlaFigures
    breaches: tuple[Breach, ...]
    agents: tuple[AgentFigures, ...]
    satisfaction: Satisfaction
    first_contact: FirstContact
    backlog: Backlog
    # New requests settled by an answer offered before they were sent (no request opened).
    deflected: int = 0


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the two middle values for an even count); None of none."""
    return float(statistics.median(values)) if values else None


def percentile_90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank; None of none."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; None of a whole of none."""
    return round(100 * part / whole, 1) if whole else None


def durations(values: Iterable[float | None]) -> Durations:
    """Count, median and 90th percentile of the values that are known."""
    known = [v for v in values if v is not None]
    return Durations(len(known), median(known), percentile_90(known))


def _compliance(results: Iterable[bool | None]) -> Compliance:
    decided = [r for r in results if r is not None]
    met = sum(decided)
    return Compliance(len(decided), met, percent(met, len(decided)))


def _sla(opened: Sequence[RequestFacts], clock: str) -> SlaFigures:
    def result(r: RequestFacts) -> bool | None:
        return r.first_response_met if clock == "first_response" else r.resolution_met

    per_priority = {str(p): _compliance(result(r) for r in opened if r.priority == p)
                    for p in sorted({r.priority for r in opened})}
    return SlaFigures(_compliance(result(r) for r in opened), per_priority)


def _breaches(opened: Sequence[RequestFacts]) -> tuple[Breach, ...]:
    found = []
    for r in opened:
        if r.first_response_met is False:
            found.append(Breach(r.ref, r.desk, "first_response", r.priority, r.opened_at,
                                r.first_response_due_at, r.first_response_breached_at))
        if r.resolution_met is False:
            found.append(Breach(r.ref, r.desk, "resolution", r.priority, r.opened_at,
                                r.resolution_due_at, r.resolution_breached_at))
    return tuple(found)


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _agents(opened: Sequence[RequestFacts], done: Sequence[RequestFacts],
            open_now: Mapping[int, tuple[str, int]] | None) -> tuple[AgentFigures, ...]:
    names = {person_id: name for person_id, (name, _) in (open_now or {}).items()}
    names.update({r.assignee_id: r.assignee or "" for r in [*opened, *done] if r.assignee_id})
    agents = []
    for person_id, name in sorted(names.items(), key=lambda item: (item[1], item[0])):
        mine = [r for r in opened if r.assignee_id == person_id]
        finished = [r for r in done if r.assignee_id == person_id]
        ratings = [r.rating for r in finished if r.rating is not None]
        agents.append(AgentFigures(
            person_id=person_id, name=name, assigned=len(mine), resolved=len(finished),
            median_first_response=median([r.first_response_seconds for r in mine
                                          if r.first_response_seconds is not None]),
            csat=round(statistics.fmean(ratings), 2) if ratings else None,
            ratings=len(ratings),
            open_now=None if open_now is None else open_now.get(person_id, ("", 0))[1]))
    return tuple(agents)


def _satisfaction(done: Sequence[RequestFacts]) -> Satisfaction:
    ratings = [r.rating for r in done if r.rating is not None]
    distribution = {str(stars): ratings.count(stars) for stars in range(1, 6)}
    return Satisfaction(len(done), len(ratings), percent(len(ratings), len(done)),
                        round(statistics.fmean(ratings), 2) if ratings else None,
                        distribution)


def first_contact(request: RequestFacts) -> bool:
    """Resolved at first contact: exactly one agent reply, and never reopened."""
    return request.agent_replies == 1 and not request.reopened_at


def open_at(requests: Iterable[RequestFacts], moment: datetime) -> int:
    """How many requests were opened before `moment` and not yet done at it."""
    return sum(1 for r in requests
               if r.opened_at < moment and (r.done_at is None or r.done_at >= moment))


def figures(requests: Sequence[RequestFacts], period: Period,
            open_now: Mapping[int, tuple[str, int]] | None = None) -> Figures:
    """Every figure of `period`, from the requests it touches (and any others);
    `open_now` (`reading.read_open_now`) for the agents' open requests now."""
    opened = [r for r in requests if period.contains(r.opened_at)]
    done = [r for r in requests if period.contains(r.done_at)]
    fcr = sum(1 for r in done if first_contact(r))
    trend = tuple((moment, open_at(requests, moment)) for moment in period.weeks())
    return Figures(
        period=period, opened=len(opened), resolved=len(done),
        closed=sum(1 for r in requests if period.contains(r.closed_at)),
        reopened=sum(1 for r in requests for moment in r.reopened_at
                     if period.contains(moment)),
        by_category=_counts(r.category or NO_CATEGORY for r in opened),
        by_priority=_counts(str(r.priority) for r in opened),
        by_kind=_counts(r.kind for r in opened),
        by_way_in=_counts(r.way_in for r in opened),
        by_platform=_counts(r.platform for r in opened),
        first_response=durations(r.first_response_seconds for r in opened),
        resolution=durations(r.resolution_seconds for r in done),
        sla_first_response=_sla(opened, "first_response"),
        sla_resolution=_sla(opened, "resolution"),
        breaches=_breaches(opened),
        agents=_agents(opened, done, open_now),
        satisfaction=_satisfaction(done),
        first_contact=FirstContact(len(done), fcr, percent(fcr, len(done))),
        backlog=Backlog(open_at(requests, period.start), open_at(requests, period.end), trend),
    )
