"""The sweeps of SPEC §4: one run reads what is due, decides, and applies, in one transaction.

`sweep_all` (every `DESKBOT_SWEEP_SECONDS`) reads every kind's due checks and their
desks' facts, has `scheduling.sweep_rules` decide each kind's flag and who is told,
and has `storage.sweep_applier` set the flags (conditional updates: `... WHERE flag IS
NULL`, so across replicas only one sweeper tells anyone) and write what follows.
If the run fails, its sweeps run again one by one, each in a unit of work of its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
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
    update,
)

from conversations import commands, sla, timers
from conversations.lifecycle import ACTIVE, Status
from conversations.timers import TimerKind
from desks.permissions import Role
from desks.policy import DeskPolicy
from scheduling import sweep_rules as rules
from scheduling.calendar import ServiceWindow
from scheduling.sla import window_of
from scheduling.sweep_rules import DeskFacts, Due, Flag, Outcome
from storage.clock import Clock
from storage.database import Database, UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import AgentMark, Conversation, ConversationTimer, Desk, DeskMember, Person
from storage.prepared import Prepared, in_ids
from storage.sweep_applier import FlagBatch, SweepApplier, flag_statement
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


# ---------------------------------------------------------------- apply


def conditions(kind: TimerKind, now: Any) -> list[ColumnElement[bool]]:
    """What makes a conversation due for `kind` at `now`: its flag's conditional update."""
    return [kind.due_column <= now, *kind.armed_sql()]


# Each kind's flag: `rules.FLAG_SETS` where the check is still due and armed.
FLAGS = {kind.name: flag_statement(lambda now, kind=kind: conditions(kind, now),
                                   rules.FLAG_SETS[kind.name]) for kind in timers.KINDS}


@dataclass
class SweepRun:
    """One moment's sweeps in one unit of work: what they read, decided, and applied.

    The due rows of every kind and their desks' facts are read, and every kind's flag
    decided, on the first sweep's asking (`read`); each sweep then applies its kinds'
    flags (`apply`) and what follows for the rows it flagged.
    """

    uow: UnitOfWork
    now: datetime
    applier: SweepApplier
    desks: Desks = field(default_factory=Desks)
    flags: dict[str, Flag] | None = None

    @classmethod
    async def start(cls, uow: UnitOfWork, now: datetime, *,
                    pipelined: bool = False) -> SweepRun:
        """A run in `uow` (just begun); `pipelined` for a run of every sweep (`SWEEPS`)."""
        return cls(uow, now, await SweepApplier.start(uow, now, pipelined=pipelined))

    async def read(self) -> dict[str, Flag]:
        """Read what is due and decide every kind's flag: once, on the first asking."""
        if self.flags is None:
            due = await read_due(self.uow, self.now)
            self.desks = await read_desks(self.uow, self.now,
                                          {row.desk_id for rows in due.values() for row in rows})
            decided = rules.decide(due, self.desks.facts, self.now, self.uow.db.business_time)
            self.flags = {flag.kind.name: flag for flag in decided}
            self.applier.plan(FlagBatch(
                flag.kind.name, FLAGS[flag.kind.name], [o.row.id for o in flag.outcomes],
                dict(flag.params), tuple(kind.name for kind in (flag.kind, *flag.ends)))
                for flag in decided)
        return self.flags

    async def apply(self, kind: TimerKind, *, ahead: bool = True) -> list[Outcome]:
        """Set `kind`'s flag as decided; what follows for the rows this sweeper flagged
        (another sweeper's are left out) is written, and returned. `ahead`: the next
        kind's update may go out meanwhile (not when a command follows)."""
        flag = (await self.read())[kind.name]
        flagged = await self.applier.flag(kind.name, ahead=ahead)
        won = [outcome for outcome in flag.outcomes if outcome.row.id in flagged]
        noted = [(o.row.id, o.note) for o in won if o.note is not None]
        self._write(won, await self.applier.add_notes(noted) if noted else {})
        return won

    def _write(self, outcomes: Sequence[Outcome], notes: dict[int, int]) -> None:
        journal = self.applier.journal
        for row, events, notices, arm, *_ in outcomes:
            for kind, data, note in events:
                if note:
                    data = {**data, "note_message_id": notes[row.id]}
                journal.event(row.workspace_id, kind, row.id, row.desk_id, None, data)
            for kind, person_id, payload in notices:
                journal.notice(row.workspace_id, kind, row.id, person_id, payload)
            if arm:
                self.applier.arm((row.id, timer.name, due) for timer, due in arm)

    async def finish(self) -> None:
        """Write what was gathered (see `SweepApplier.finish`)."""
        await self.applier.finish()

    async def abandon(self) -> None:
        """On a failed run: leave the connection free for the rollback."""
        await self.applier.abandon()


# ---------------------------------------------------------------- the sweeps


async def sla_breaches(run: SweepRun) -> int:
    """Flag once a first-response or resolution target that has passed; escalate."""
    done = len(await run.apply(timers.FIRST_RESPONSE_BREACH))
    # An escalation (a command) follows a breach that moves the request: the next
    # kind's update waits for it, as it would if the sweeps ran one by one.
    flag = (await run.read())[timers.RESOLUTION_BREACH.name]
    moving = any(outcome.escalate_to for outcome in flag.outcomes)
    won = await run.apply(timers.RESOLUTION_BREACH, ahead=not moving)
    await _escalate(run, [outcome for outcome in won if outcome.escalate_to])
    return done + len(won)


async def _escalate(run: SweepRun, outcomes: list[Outcome]) -> int:
    """Move each request (its resolution breach just flagged by this sweeper) to its
    desk's next tier, as `transfer_to_desk` does, recorded as `sla.escalated`.

    Only the sweeper that won the breach gets here, so a breach escalates once. A next
    tier that is gone or archived leaves the request where it is (logged). What the
    run gathered is written first: the breach's notices go out before the move's, and
    the move's own timers are not dropped by the run's.
    """
    if not outcomes:
        return 0
    await run.applier.flush()
    uow = run.uow
    moved = 0
    targets: dict[tuple[int, str], Desk | None] = {}
    for outcome in outcomes:
        row, slug = outcome.row, outcome.escalate_to
        assert slug is not None
        key = (row.workspace_id, slug)
        if key not in targets:
            targets[key] = (await uow.session.execute(select(Desk).where(
                Desk.workspace_id == row.workspace_id, Desk.slug == slug))).scalar_one_or_none()
        target = targets[key]
        if target is None or target.archived_at is not None:
            log.warning("desk %s escalates to %r, which is %s; conversation %s stays",
                        row.desk_id, slug, "gone" if target is None else "archived", row.id)
            continue
        if await commands.escalate(uow, row.id, target, by="scheduler",
                                   breached=rules.ESCALATING_TARGET) is not None:
            moved += 1
    return moved


async def sla_warnings(run: SweepRun) -> int:
    """Warn once when a clock reaches the desk's warning percent of its target."""
    return (len(await run.apply(timers.FIRST_RESPONSE_WARNING))
            + len(await run.apply(timers.RESOLUTION_WARNING)))


async def unassigned_too_long(run: SweepRun) -> int:
    """Ping the desk's available agents (else its leads) in the card's thread, once."""
    return len(await run.apply(timers.UNASSIGNED))


async def unassigned_leads(run: SweepRun) -> int:
    """Still unassigned one more period after the agents' ping: tell the leads, once."""
    return len(await run.apply(timers.UNASSIGNED_LEADS))


async def agent_silent(run: SweepRun) -> int:
    """Nudge the assignee by DM when the requester's message waits too long, once."""
    return len(await run.apply(timers.AGENT_SILENCE))


async def requester_silent(run: SweepRun) -> int:
    """Remind a requester who has not answered; after a second period, resolve with a note."""
    return (len(await run.apply(timers.REQUESTER_REMINDER))
            + len(await run.apply(timers.REQUESTER_RESOLVE)))


async def auto_close(run: SweepRun) -> int:
    """Close conversations resolved for longer than the desk's `auto_close_after`."""
    return len(await run.apply(timers.AUTO_CLOSE))


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


async def daily_digest(run: SweepRun) -> int:
    """Post each desk's digest in its agent channel once, at the start of its service day."""
    uow, now = run.uow, run.now
    await run.read()
    await run.applier.settle()
    desks = run.desks
    posting: list[rules.Digest] = []
    for digest in rules.digests_due([(d.id, d.workspace_id, desks.windows[d.id],
                                      d.last_digest_at) for d in desks.digesting], now):
        result = await uow.session.execute(  # once across replicas
            update(Desk).where(Desk.id == digest.desk_id,
                               or_(Desk.last_digest_at.is_(None),
                                   Desk.last_digest_at < digest.start))
            .values(last_digest_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            posting.append(digest)
    counts = await digest_counts(uow, now, {digest.desk_id: digest.end for digest in posting})
    for digest in posting:
        event, notice = rules.digest_notice(digest, counts[digest.desk_id])
        record_event(uow, workspace_id=digest.workspace_id, desk_id=digest.desk_id,
                     kind=event.kind, **event.data)
        write_notice(uow, workspace_id=digest.workspace_id, kind=notice.kind,
                     ordering_key=f"desk:{digest.desk_id}", payload=notice.payload)
    return len(posting)


# ---------------------------------------------------------------- all of them

Sweep = Callable[[SweepRun], Awaitable[int]]
# Breaches before warnings: a late run flags the breach and skips the stale warning.
SWEEPS: tuple[tuple[str, Sweep], ...] = (
    ("sla_breach", sla_breaches),
    ("sla_warning", sla_warnings),
    ("unassigned", unassigned_too_long),
    ("unassigned_leads", unassigned_leads),
    ("agent_silent", agent_silent),
    ("requester_silent", requester_silent),
    ("auto_close", auto_close),
    ("digest", daily_digest),
)


async def sweep_all(db: Database, clock: Clock | None = None) -> dict[str, int]:
    """Run every sweep once at `clock.now()`; how many conversations (or desks) each acted on.

    All in one unit of work. If that fails, the sweeps run again one by one
    (`sweep_one`): one that fails then is logged (-1) and the others still run; the
    next run tries again.
    """
    now = (clock or db.clock).now()
    try:
        async with db.unit_of_work() as uow:
            run = await SweepRun.start(uow, now, pipelined=True)
            try:
                done = {name: await sweep(run) for name, sweep in SWEEPS}
                await run.finish()
            except BaseException:
                await run.abandon()
                raise
            await uow.commit()
        return done
    except Exception:
        log.exception("the sweeps at %s failed together; running them one by one",
                      now.isoformat())
    done = {}
    for name, sweep in SWEEPS:
        try:
            done[name] = await sweep_one(db, now, sweep)
        except Exception:
            log.exception("sweep %s failed", name)
            done[name] = -1
    return done


async def sweep_one(db: Database, now: datetime, sweep: Sweep) -> int:
    """Run one sweep at `now` in a unit of work of its own."""
    async with db.unit_of_work() as uow:
        run = await SweepRun.start(uow, now)
        done = await sweep(run)
        await run.finish()
        await uow.commit()
    return done
