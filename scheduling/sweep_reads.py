"""What a sweep run reads: every kind's due rows, their desks' facts, a digest's counts.

Few statements, however many rows are due: the due rows of every kind in one (a UNION
of one range query per kind over `conversation_timer`), the desks, their members and
on-call people in three at most; compiled once (`storage.prepared`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from conversations import sla, timers
from conversations.lifecycle import ACTIVE, Status
from conversations.timers import TimerKind
from desks.permissions import Role
from desks.policy import DeskPolicy
from scheduling.calendar import ServiceWindow
from scheduling.desk_calendar import window_of
from scheduling.sweep_rules import DeskFacts, Due
from storage.database import UnitOfWork
from storage.models import AgentMark, Conversation, ConversationTimer, Desk, DeskMember, Person
from storage.prepared import Prepared, in_ids
from storage.types import from_driver

log = logging.getLogger(__name__)

BATCH = 1000  # rows one kind handles per run; the rest wait for the next run
C = Conversation
T = ConversationTimer


# ---------------------------------------------------------------- read: due rows


def due_branch(kind: TimerKind) -> Select[Any]:
    """The batch of `kind`'s timers due at `:now`, oldest first, with their conversations.

    `armed` tells whether the conversation's columns still arm the timer with its due
    time (they do unless something changed them without `timers.sync`); `paused`
    whether its SLA clocks are paused.
    """
    return (select(literal(kind.name).label("kind"), C.id, C.workspace_id, C.desk_id,
                   C.priority, C.assignee_id, C.status,
                   C.sla_paused_at.is_not(None).label("paused"),
                   and_(*kind.armed_sql(), kind.due_column == T.due_at).label("armed"),
                   T.due_at)
            .join_from(T, C, C.id == T.conversation_id)
            .where(T.kind == kind.name, T.due_at <= bindparam("now", None, type_=T.due_at.type))
            .order_by(T.due_at, T.conversation_id).limit(BATCH))


@cache
def due_query() -> Select[Any]:
    """Every kind's batch (`due_branch`) in one statement, by kind, oldest first; built once.

    Each branch is a subquery of its own (SQLite allows no ORDER BY or LIMIT on the
    members of a compound SELECT). Only what the sweeps read is selected.
    """
    branches = union_all(*(due_branch(kind).subquery(kind.name).select()
                           for kind in timers.KINDS)).subquery("due")
    return (select(*(branches.c[name] for name in Due._fields))
            .order_by(branches.c.kind, branches.c.due_at, branches.c.id))


DUE = Prepared(lambda _: due_query())


async def read_due(uow: UnitOfWork, now: datetime) -> dict[str, list[Due]]:
    """The due rows of every kind, oldest first: kind name -> rows.

    A timer out of step with its conversation is dropped (and logged) here.
    """
    due: dict[str, list[Due]] = {}
    stale: list[Due] = []
    for row in map(Due._make, await DUE.rows(await uow.session.connection(), now=now)):
        (due.setdefault(row.kind, []) if row.armed else stale).append(row)
    if stale:
        log.warning("dropping %d timers out of step with their conversations "
                    "(first: conversation %s, %s)", len(stale), stale[0].id, stale[0].kind)
        await timers.disarm(uow, [(row.id, row.kind) for row in stale])
    return due


# ---------------------------------------------------------------- read: desks


class DeskRow(NamedTuple):
    """What the sweeps read of a desk (`DESK_READ`)."""

    id: int
    workspace_id: int
    settings: dict[str, Any]
    agent_channel: str | None
    archived: bool
    last_digest_at: datetime | None


# The desks with something due (`:ids`) and those that post a digest (live, with an
# agent channel); their settings as text, parsed once per distinct text (`_settings`).
DESK_READ = Prepared(lambda postgresql: select(
    Desk.id, Desk.workspace_id, cast(Desk.settings, Text), Desk.agent_channel,
    Desk.archived_at.is_not(None), Desk.last_digest_at)
    .where(or_(in_ids(Desk.id, postgresql),
               and_(Desk.archived_at.is_(None), Desk.agent_channel.is_not(None))))
    .order_by(Desk.id))
# The desks' members: role and availability.
MEMBERS_READ = Prepared(lambda postgresql: select(
    DeskMember.desk_id, DeskMember.person_id, DeskMember.role, Person.available)
    .join(Person, Person.id == DeskMember.person_id)
    .where(in_ids(DeskMember.desk_id, postgresql)).order_by(DeskMember.person_id))


@cache
def _oncall_read() -> Select[Any]:
    # By (workspace, external id): the unique index answers it. Built once.
    return select(Person.id, Person.workspace_id, Person.external_id).where(
        Person.workspace_id.in_(bindparam("workspaces", expanding=True)),
        Person.external_id.in_(bindparam("external_ids", expanding=True)))


@lru_cache(maxsize=1024)
def _settings(desk_id: int, text: str | None) -> tuple[dict[str, Any], DeskPolicy,
                                                       ServiceWindow]:
    """A desk's settings text parsed (cached: they change rarely, and parsing a policy
    takes a while): (settings, policy, service window)."""
    settings = json.loads(text) if text else {}
    return settings, sla.settings_policy(desk_id, settings), window_of(settings)


@dataclass
class Desks:
    """The desks a run reads: the facts of those with something due, the digesters."""

    facts: dict[int, DeskFacts] = field(default_factory=dict)
    # The desks that post a daily digest (live, with an agent channel).
    digesting: list[DeskRow] = field(default_factory=list)
    windows: dict[int, ServiceWindow] = field(default_factory=dict)  # of the desks read


async def read_desks(uow: UnitOfWork, now: datetime, desk_ids: set[int]) -> Desks:
    """The facts of `desk_ids` (the desks of the run's due rows) and the desks that post
    a digest: three queries at most (desks, their members, on-call people)."""
    connection = await uow.session.connection()
    wanted = sorted(desk_ids)
    read_time = from_driver(Desk.last_digest_at.type, connection.dialect)
    found: list[DeskRow] = []
    parsed: dict[int, tuple[dict[str, Any], DeskPolicy, ServiceWindow]] = {}
    for desk_id, workspace_id, text, channel, archived, last_digest_at in \
            await DESK_READ.rows(connection, ids=wanted):
        parsed[desk_id] = _settings(desk_id, text)
        found.append(DeskRow(desk_id, workspace_id, parsed[desk_id][0], channel,
                             bool(archived), read_time(last_digest_at)))
    desks = Desks(digesting=[d for d in found if not d.archived and d.agent_channel is not None],
                  windows={desk_id: window for desk_id, (_, _, window) in parsed.items()})
    due_desks = [desk for desk in found if desk.id in desk_ids]
    if not due_desks:
        return desks
    external_ids = sorted({x for _, policy, _ in parsed.values() for x in policy.oncall})
    people: dict[tuple[int, str], int] = {}
    if external_ids:
        people = {(workspace_id, external_id): person_id
                  for person_id, workspace_id, external_id in await connection.execute(
                      _oncall_read(), {"workspaces": sorted({d.workspace_id for d in due_desks}),
                                       "external_ids": external_ids})}
    leads: dict[int, list[int]] = {}
    available: dict[int, list[int]] = {}
    for desk_id, person_id, role, is_available in await MEMBERS_READ.rows(connection,
                                                                         ids=wanted):
        if role == Role.LEAD:
            leads.setdefault(desk_id, []).append(person_id)
        if is_available:
            available.setdefault(desk_id, []).append(person_id)
    for desk in due_desks:
        settings, policy, window = parsed[desk.id]
        oncall = sorted({people[(desk.workspace_id, x)] for x in policy.oncall
                         if (desk.workspace_id, x) in people})
        desks.facts[desk.id] = DeskFacts(desk.id, settings, policy, window, window.is_open(now),
                                         oncall, leads.get(desk.id, []),
                                         available.get(desk.id, []))
    return desks


# ---------------------------------------------------------------- read: a digest's counts


DIGEST_COUNTS = ("open", "unassigned", "breached", "due_today", "pinned")


async def digest_counts(uow: UnitOfWork, now: datetime,
                        day_ends: dict[int, datetime]) -> dict[int, dict[str, int]]:
    """Open, unassigned, breached, due today (before the desk's `day_ends`) and pinned
    conversations of each desk: desk id -> counts.

    Two grouped statements for every desk (their active conversations read once), built
    per call: a digest runs once per service day.
    """
    if not day_ends:
        return {}
    ids = sorted(day_ends)
    active = and_(C.desk_id.in_(ids), C.status.in_(list(ACTIVE)))
    first_unmet = C.first_response_at.is_(None)
    day_end = case({desk_id: literal(end, C.resolution_due_at.type)
                    for desk_id, end in day_ends.items()}, value=C.desk_id)

    def number(*where: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((and_(*where), 1), else_=0)), 0)

    counts = {desk_id: dict.fromkeys(DIGEST_COUNTS, 0) for desk_id in ids}
    for desk_id, *values in await uow.session.execute(
            select(C.desk_id, func.count(), number(C.status == Status.NEW),
                   number(or_(and_(first_unmet, C.first_response_breached_at.is_not(None)),
                              C.resolution_breached_at.is_not(None))),
                   number(C.sla_paused_at.is_(None), or_(
                       and_(first_unmet, C.first_response_due_at > now,
                            C.first_response_due_at < day_end),
                       and_(C.resolution_due_at > now, C.resolution_due_at < day_end))))
            .where(active).group_by(C.desk_id)):
        counts[desk_id].update(zip(DIGEST_COUNTS[:4], map(int, values), strict=True))
    for desk_id, pinned in await uow.session.execute(
            select(C.desk_id, func.count(func.distinct(AgentMark.conversation_id)))
            .join(C, C.id == AgentMark.conversation_id)
            .where(active, AgentMark.pinned_at.is_not(None)).group_by(C.desk_id)):
        counts[desk_id]["pinned"] = pinned
    return counts
