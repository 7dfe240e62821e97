"""The query layer of reports: the requests a report counts, read in three SELECTs.

One SELECT reads every conversation of the desks that the period or the one before
it touches (opened before the period ends and not done before the previous one
began), with its desk, workspace and assignee; one reads their `conversation.opened`
and `conversation.reopened` events (the way in, and the reopens); one counts their
agent messages (those two by the conversations' ids). These three are
`storage.report_reads.PlainRead`s: their rows come back as plain values. Two more read
the desks' agents and their `agent.availability` events (how many were available when
each request was opened). Then each becomes a `RequestFacts`, its business-time
durations counted with the calendar the sweeps use (`uow.business_time`) and its SLA
results read from the stored due times and breach flags the sweeps set.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from conversations.lifecycle import ACTIVE
from conversations.reports.periods import known_zone
from storage.database import UnitOfWork
from storage.models import (
    Conversation,
    Desk,
    DeskMember,
    Event,
    Message,
    Person,
    Workspace,
)
from storage.prepared import in_ids
from storage.report_reads import PlainRead, by_ids
from storage.types import UTCDateTime


@dataclass(frozen=True)
class RequestFacts:
    """One request as a report sees it; durations are business seconds (None without a
    calendar, or while the moment has not come)."""

    conversation_id: int
    ref: int
    desk: str
    desk_id: int
    time_zone: str
    kind: str
    category: str | None
    priority: int
    status: str
    way_in: str
    platform: str
    opened_at: datetime
    first_response_at: datetime | None
    # Resolved, or closed without being resolved first: when the work was done.
    done_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    assignee_id: int | None
    assignee: str | None
    rating: int | None
    first_response_seconds: float | None
    resolution_seconds: float | None
    # True met, False breached, None not decided yet (no target, or not due yet).
    first_response_met: bool | None
    resolution_met: bool | None
    first_response_due_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_due_at: datetime | None
    resolution_breached_at: datetime | None
    agent_replies: int
    reopened_at: tuple[datetime, ...]
    # How many of the desk's agents were available when it was opened.
    agents_available: int = 0


def sla_met(due: datetime | None, flagged: datetime | None, done: datetime | None,
            now: datetime) -> bool | None:
    """Whether a clock's target was met: breached when the sweep flagged it, when the
    moment came after the due time, or when it has not come and the due time passed;
    None when there is no target or it is not due yet."""
    if due is None:
        return None
    if flagged is not None:
        return False
    if done is not None:
        return done <= due
    return None if due > now else False


async def read_open_now(uow: UnitOfWork,
                        desk_ids: list[int] | None) -> dict[int, tuple[str, int]]:
    """Per agent (person id): their name and how many active requests of `desk_ids`
    (None: every desk) are assigned to them now."""
    query = (select(Person.id, Person.display_name, func.count())
             .join(Conversation, Conversation.assignee_id == Person.id)
             .where(Conversation.status.in_([s.value for s in ACTIVE]))
             .group_by(Person.id, Person.display_name))
    if desk_ids is not None:
        query = query.where(Conversation.desk_id.in_(desk_ids))
    return {person_id: (name, int(count))
            for person_id, name, count in (await uow.session.execute(query)).tuples()}


class ConversationRow(NamedTuple):
    """The columns of a conversation a report reads (`_facts`), with its workspace's
    platform and its assignee's name."""

    id: int
    ref: int
    desk_id: int
    kind: str
    category: str | None
    priority: int
    status: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    assignee_id: int | None
    rating: int | None
    first_response_due_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_due_at: datetime | None
    resolution_breached_at: datetime | None
    sla_paused_at: datetime | None
    sla_paused_seconds: int | None
    platform: str
    assignee: str | None


def _conversations(every_desk: bool) -> Callable[[bool], Select[Any]]:
    """The conversations of the desks bound as `desks` (`every_desk`: of every desk)
    open at some time in [`start`, `end`)."""
    def build(postgresql: bool) -> Select[Any]:
        assignee = aliased(Person)
        done = func.coalesce(Conversation.resolved_at, Conversation.closed_at)
        scope = [Conversation.opened_at < bindparam("end", None, type_=UTCDateTime()),
                 or_(done.is_(None), done >= bindparam("start", None, type_=UTCDateTime()))]
        if not every_desk:
            scope.append(in_ids(Conversation.desk_id, postgresql, "desks"))
        columns = [getattr(Conversation, name) for name in ConversationRow._fields[:-2]]
        return (select(*columns, Workspace.platform, assignee.display_name)
                .join(Workspace, Workspace.id == Conversation.workspace_id)
                .outerjoin(assignee, assignee.id == Conversation.assignee_id)
                .where(*scope).order_by(Conversation.opened_at, Conversation.id))
    return build


_OF_DESKS = PlainRead(_conversations(every_desk=False))
_OF_EVERY_DESK = PlainRead(_conversations(every_desk=True))
# Their way in and reopens: only the `via` of an opened event's data is read, by the
# database, so Python does not decode thousands of JSON documents.
_EVENTS = PlainRead(lambda postgresql: (
    select(Event.conversation_id, Event.kind, Event.data["via"].as_string(), Event.created_at)
    .where(Event.kind.in_(("conversation.opened", "conversation.reopened")),
           in_ids(Event.conversation_id, postgresql))))
_AGENT_REPLIES = PlainRead(lambda postgresql: (
    select(Message.conversation_id, func.count())
    .where(Message.kind == "agent", in_ids(Message.conversation_id, postgresql))
    .group_by(Message.conversation_id)))


async def read_requests(uow: UnitOfWork, *, start: datetime, end: datetime,
                        desk_ids: list[int] | None) -> list[RequestFacts]:
    """Every request of `desk_ids` (None: every desk) open at some time in [start, end)."""
    if desk_ids is None:
        found = await _OF_EVERY_DESK.rows(uow, start=start, end=end)
    else:
        found = await _OF_DESKS.rows(uow, start=start, end=end, desks=desk_ids)
    rows = [ConversationRow._make(values) for values in found]
    desks = select(Desk.id, Desk.name, Desk.settings)
    if desk_ids is not None:
        desks = desks.where(Desk.id.in_(desk_ids))
    desk_of = {desk_id: (name, settings or {})
               for desk_id, name, settings in (await uow.session.execute(desks)).tuples()}
    ids = [row.id for row in rows]
    way_in: dict[int, str] = {}
    reopens: dict[int, list[datetime]] = defaultdict(list)
    for conversation_id, kind, via, created_at in await by_ids(uow, _EVENTS, ids):
        if kind == "conversation.opened":
            way_in[conversation_id] = str(via or "dm")
        else:
            reopens[conversation_id].append(created_at)
    replies = {conversation_id: int(count)
               for conversation_id, count in await by_ids(uow, _AGENT_REPLIES, ids)}
    now = uow.clock.now()
    availability = await _availability(uow, desk_ids)
    calendar = uow.business_time
    # Each desk's window and zone are looked up once, not for every span counted.
    between_of = {desk_id: (calendar.between_for(settings) if calendar is not None else None)
                  for desk_id, (_, settings) in desk_of.items()}
    zone_of = {desk_id: known_zone(settings.get("time_zone"))
               for desk_id, (_, settings) in desk_of.items()}
    no_reopens: tuple[datetime, ...] = ()
    return [_facts(row, desk_of[row.desk_id][0], zone_of[row.desk_id],
                   between_of[row.desk_id], now, way_in.get(row.id, "dm"),
                   tuple(sorted(reopens[row.id])) if row.id in reopens else no_reopens,
                   replies.get(row.id, 0),
                   availability[row.desk_id].count_at(row.opened_at)
                   if row.desk_id in availability else 0)
            for row in rows]


@dataclass(frozen=True)
class Availability:
    """One agent's availability over time: its changes, and the state now."""

    person_id: int
    changes: tuple[tuple[datetime, bool], ...]
    now: bool

    @cached_property
    def times(self) -> list[datetime]:
        """When each change happened, in order."""
        return [at for at, _ in self.changes]

    def available_at(self, moment: datetime) -> bool:
        """The last change before `moment`; before the first change, the opposite of
        it; with no change at all, the state now."""
        # The changes are in time order: the ones at or before `moment` come first.
        before = bisect_right(self.changes, moment, key=lambda change: change[0])
        if before:
            return self.changes[before - 1][1]
        return not self.changes[0][1] if self.changes else self.now


class DeskAvailability:
    """How many of a desk's agents were available at a moment: the sum of their
    `Availability.available_at`, worked out once at each change of any of them (the sum
    only changes there), then looked up by bisecting the change times."""

    def __init__(self, agents: list[Availability]) -> None:
        self.agents = agents
        self.times = sorted({at for agent in agents for at in agent.times})
        self.counts = [self.count_of_agents(at) for at in self.times]

    def count_of_agents(self, moment: datetime) -> int:
        """The rule itself: each agent asked."""
        return sum(agent.available_at(moment) for agent in self.agents)

    def count_at(self, moment: datetime) -> int:
        """`count_of_agents(moment)`, looked up."""
        index = bisect_right(self.times, moment)
        return self.counts[index - 1] if index else self.count_of_agents(moment)


async def _availability(uow: UnitOfWork,
                        desk_ids: list[int] | None) -> dict[int, DeskAvailability]:
    members = select(DeskMember.desk_id, Person.id, Person.available).join(
        Person, Person.id == DeskMember.person_id)
    if desk_ids is not None:
        members = members.where(DeskMember.desk_id.in_(desk_ids))
    agents = (await uow.session.execute(members)).tuples().all()
    changes: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    for person_id, data, created_at in (await uow.session.execute(
            select(Event.actor_id, Event.data, Event.created_at)
            .where(Event.kind == "agent.availability",
                   Event.actor_id.in_({person_id for _, person_id, _ in agents}))
            .order_by(Event.created_at, Event.id))).tuples():
        if person_id is not None:
            changes[person_id].append((created_at, bool((data or {}).get("available"))))
    found: dict[int, list[Availability]] = defaultdict(list)
    for desk_id, person_id, now in agents:
        found[desk_id].append(Availability(person_id, tuple(changes[person_id]), bool(now)))
    return {desk_id: DeskAvailability(desk_agents) for desk_id, desk_agents in found.items()}


def _facts(row: ConversationRow, desk: str, time_zone: str,
           between: Callable[[datetime, datetime], timedelta] | None, now: datetime,
           way_in: str, reopened_at: tuple[datetime, ...], agent_replies: int,
           agents_available: int) -> RequestFacts:
    """`between`: the open time of the desk's window from one moment to another (None
    without a calendar)."""
    done_at = row.resolved_at or row.closed_at
    first_seconds = resolution_seconds = None
    if between is not None and row.first_response_at is not None:
        first_seconds = between(row.opened_at, row.first_response_at).total_seconds()
    if between is not None and done_at is not None:
        # Time the clocks stood still does not count: the finished pauses, and the
        # pause still running when the work was done (closed while waiting).
        paused = float(row.sla_paused_seconds or 0)
        if row.sla_paused_at is not None and row.sla_paused_at < done_at:
            paused += between(row.sla_paused_at, done_at).total_seconds()
        whole = between(row.opened_at, done_at).total_seconds()
        resolution_seconds = max(0.0, whole - paused)
    return RequestFacts(
        conversation_id=row.id, ref=row.ref, desk=desk, desk_id=row.desk_id,
        time_zone=time_zone, kind=row.kind,
        category=row.category, priority=row.priority, status=row.status, way_in=way_in,
        platform=row.platform, opened_at=row.opened_at, first_response_at=row.first_response_at,
        done_at=done_at, resolved_at=row.resolved_at, closed_at=row.closed_at,
        assignee_id=row.assignee_id, assignee=row.assignee, rating=row.rating,
        first_response_seconds=first_seconds, resolution_seconds=resolution_seconds,
        first_response_met=sla_met(row.first_response_due_at, row.first_response_breached_at,
                                   row.first_response_at, now),
        resolution_met=sla_met(row.resolution_due_at, row.resolution_breached_at, done_at, now),
        first_response_due_at=row.first_response_due_at,
        first_response_breached_at=row.first_response_breached_at,
        resolution_due_at=row.resolution_due_at,
        resolution_breached_at=row.resolution_breached_at,
        agent_replies=agent_replies, reopened_at=reopened_at,
        agents_available=agents_available)


async def read_deflected(uow: UnitOfWork, *, start: datetime, end: datetime,
                         desk_ids: list[int] | None) -> int:
    """How many new requests of `desk_ids` (None: every desk) were settled in
    [start, end) by an answer offered before they were sent ("This solved it")."""
    query = (select(func.count()).select_from(Event)
             .where(Event.kind == "request.deflected", Event.created_at >= start,
                    Event.created_at < end))
    if desk_ids is not None:
        query = query.where(Event.desk_id.in_(desk_ids))
    return int((await uow.session.execute(query)).scalar_one())
