"""The sweeps of SPEC §4: SLA warning and breach, stalls, auto-close, the daily digest.

One run (`sweep_all`, every `DESKBOT_SWEEP_SECONDS`) does every sweep of its moment in
one unit of work, with a handful of statements however many rows are due:
- the due checks of every kind are read at once: one statement, a UNION of one range
  query per kind over `conversation_timer` (one row per armed check, kept in step with
  the conversation's columns: `conversations.timers`) joined to the conversations;
  their desks' facts are looked up once;
- each kind's flag is set with one conditional update for its batch (`... WHERE id IN
  (:ids) AND flag IS NULL` plus the conditions that armed the timer, `RETURNING id`), and
  only the sweeper whose update changed a row writes its event and notices and drops
  the timer: on PostgreSQL the update takes its rows from a `FOR UPDATE SKIP LOCKED`
  subquery, so a second replica skips the rows the first one holds and finds the ones
  it committed flagged; on SQLite write transactions run one after another. As no
  index names a flag, the update is a HOT one on PostgreSQL where the page has room;
- what the sweeps write besides (events, notices, timers dropped and armed) is
  gathered and written at the end, one statement per table (`JournalBatch`), then one
  commit. Reading every kind before any is flagged is safe: a row two kinds are due on
  is flagged by the first only, as the second's update finds its conditions gone.
  A flag is told with one notice: it updates the card first (`CARD_FIRST`) and names
  everyone to tell (`ALSO`: a breach's assignee, then the desk's leads).
The due read, the desks' facts and the flags are statements compiled once
(`storage.prepared`), their ids and per-desk values bound as one parameter each, so a
run builds no SQL; the due rows come back as plain tuples (`Due`).
Each kind's flag is planned from what the run read (`PLANS`: the rows that may be acted
on now and the per-desk values); in a run of every sweep the next kind's update goes
out as soon as one's result is taken, so the database flags the next batch while the
sweep writes the events and notices of the last one in Python (`_Run.flagged`: one
update in flight at a time, in `FLAG_ORDER`, and every other statement waits for it).
Resolving and closing are one update too, with what `sla.track` would set.
`bench/sweep.py` measures a run. If a run fails, its sweeps are run again one by one,
each in its own unit of work, so one failing sweep does not hold up the others.

Nothing warns, breaches or nudges while the desk's window is closed (a due time that
passed outside the window is flagged once the desk opens), except priority 5 where
the desk has on-call agents: then the on-call agents are told.

A resolution breach of a desk whose policy names a next tier (`escalate_to`) also moves
the request there, as `transfer_to_desk` would, by the sweeper that flagged it, in the
same transaction (`sla.escalated`): once, like the breach.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
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
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from conversations import commands, sla, timers
from conversations.lifecycle import ACTIVE, Status
from conversations.timers import TimerKind
from desks.notices import ALSO, CARD_FIRST, NoticeKind
from desks.permissions import Role
from desks.policy import DeskPolicy
from scheduling.calendar import ServiceWindow
from scheduling.desk_calendar import window_of
from storage.clock import Clock
from storage.database import Database, UnitOfWork
from storage.journal import JournalBatch, record_event, write_notice
from storage.models import (
    AgentMark,
    Conversation,
    ConversationTimer,
    Desk,
    DeskMember,
    Message,
    Person,
)
from storage.prepared import Prepared, in_ids, keyed
from storage.types import from_driver

log = logging.getLogger(__name__)

BATCH = 1000  # rows one sweep handles per run; the rest wait for the next run
C = Conversation
T = ConversationTimer
SYSTEM_RESOLVE_NOTE = ("Resolved automatically: the requester did not answer after a "
                       "reminder.")


class DeskRow(NamedTuple):
    """What the sweeps read of a desk (`DESK_READ`)."""

    id: int
    workspace_id: int
    settings: dict[str, Any]
    agent_channel: str | None
    archived: bool
    last_digest_at: datetime | None


@dataclass
class _DeskFacts:
    desk: DeskRow
    policy: DeskPolicy
    window: ServiceWindow
    open_now: bool
    oncall_ids: list[int]
    lead_ids: list[int]
    available_ids: list[int]  # its members who are available, by person id


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
    """A desk's settings text parsed: (settings, policy, service window). A run reads
    every due desk's; they change rarely, and parsing a policy takes ~0.2 ms."""
    settings = json.loads(text) if text else {}
    return settings, sla.settings_policy(desk_id, settings), window_of(settings)


@dataclass
class _Desks:
    """What the sweeps of one run need to know of the desks, looked up once (`load`)."""

    now: datetime
    seen: dict[int, _DeskFacts] = field(default_factory=dict)
    # The desks that post a daily digest (live, with an agent channel).
    digesting: list[DeskRow] = field(default_factory=list)
    windows: dict[int, ServiceWindow] = field(default_factory=dict)  # of the desks read

    async def load(self, uow: UnitOfWork, desk_ids: set[int]) -> None:
        """The facts of `desk_ids` (the desks of the run's due rows) and the desks that
        post a digest: three queries at most (desks, their members, on-call people)."""
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
        self.digesting = [d for d in found if not d.archived and d.agent_channel is not None]
        self.windows = {desk_id: window for desk_id, (_, _, window) in parsed.items()}
        desks = [desk for desk in found if desk.id in desk_ids]
        if not desks:
            return
        external_ids = sorted({x for _, policy, _ in parsed.values() for x in policy.oncall})
        people: dict[tuple[int, str], int] = {}
        if external_ids:
            people = {(workspace_id, external_id): person_id
                      for person_id, workspace_id, external_id in await connection.execute(
                          _oncall_read(), {"workspaces": sorted({d.workspace_id for d in desks}),
                                           "external_ids": external_ids})}
        leads: dict[int, list[int]] = {}
        available: dict[int, list[int]] = {}
        for desk_id, person_id, role, is_available in await MEMBERS_READ.rows(connection,
                                                                             ids=wanted):
            if role == Role.LEAD:
                leads.setdefault(desk_id, []).append(person_id)
            if is_available:
                available.setdefault(desk_id, []).append(person_id)
        for desk in desks:
            _, policy, window = parsed[desk.id]
            oncall = sorted({people[(desk.workspace_id, x)] for x in policy.oncall
                             if (desk.workspace_id, x) in people})
            self.seen[desk.id] = _DeskFacts(desk, policy, window, window.is_open(self.now),
                                            oncall, leads.get(desk.id, []),
                                            available.get(desk.id, []))

    def facts(self, desk_id: int) -> _DeskFacts:
        """The facts of a desk `load` has seen."""
        return self.seen[desk_id]

    def gate(self, desk_id: int, priority: int) -> tuple[bool, list[int]]:
        """(may act now, on-call people to tell instead of the usual ones)."""
        facts = self.seen[desk_id]
        if facts.open_now:
            return True, []
        if priority == 5 and facts.oncall_ids:
            return True, facts.oncall_ids
        return False, []


@dataclass
class FlagRequest:
    """One kind's flag for this run: the rows it is due on that may be acted on now
    (with the on-call people to tell instead of the usual ones), the update that flags
    them (`flagging`), the checks the flag ends besides its own, and its parameters
    besides `:now` (per-desk values)."""

    kind: TimerKind
    flag: Prepared
    acting: list[tuple[Due, list[int]]]
    ended: tuple[TimerKind, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Run:
    """One moment's sweeps in one unit of work: what they read, and what they write.

    The due rows of every kind and their desks' facts are read once, on the first
    sweep's asking (`request`, `desk_facts`); timers dropped and armed (`disarm`,
    `arm`), events and notices (`journal`) are gathered and written by `flush`, before
    the commit (or before a command that must see them: an escalation).

    Flags go out one after another, in `FLAG_ORDER`, each planned from what was read
    (`request`, `PLANS`). In a run of every sweep (`pipelined`) the next kind's update
    is sent as soon as one's result is taken (`flagged`), so the database works on it
    while the sweep writes its events and notices in Python. Every other statement of
    the run waits for that update first (`settle`); a sweep that will run a command
    right after its flag (an escalation) takes it without sending the next.
    """

    uow: UnitOfWork
    now: datetime
    desks: _Desks
    journal: JournalBatch
    pipelined: bool = False
    _due: dict[str, list[Any]] | None = None
    _disarming: dict[str, list[int]] = field(default_factory=dict)  # kind -> conversations
    _arming: list[tuple[int, str, datetime]] = field(default_factory=list)
    _requests: dict[str, FlagRequest] = field(default_factory=dict)
    _sent: set[str] = field(default_factory=set)  # kinds whose update went out
    _ready: dict[str, set[int]] = field(default_factory=dict)  # sent ahead, not yet taken
    _ahead: tuple[str, asyncio.Future[set[int]]] | None = None  # the update in flight

    @classmethod
    async def start(cls, uow: UnitOfWork, now: datetime, *, pipelined: bool = False) -> _Run:
        """A run in `uow` (just begun); `pipelined` for a run of every sweep (`SWEEPS`).

        On PostgreSQL its commit does not wait for the WAL to reach the disk. A crash
        in that moment loses the whole run, which the next run does again; nothing of
        it has reached anyone yet: a notice goes out only after a dispatcher's lease
        of it commits, and that commit, later in the WAL, is only durable with it.
        """
        if uow.db.is_postgresql:
            await (await uow.session.connection()).exec_driver_sql(
                "SET LOCAL synchronous_commit = off")
        return cls(uow, now, _Desks(now), JournalBatch(uow), pipelined)

    async def desk_facts(self) -> _Desks:
        """The desks' facts (`_Desks`), the due rows read first."""
        await self._read()
        return self.desks

    async def _read(self) -> dict[str, list[Any]]:
        """Every kind's due rows, and their desks' facts: read on the first asking."""
        if self._due is None:
            self._due = await read_due(self.uow, self.now)
            await self.desks.load(self.uow, {row.desk_id for rows in self._due.values()
                                             for row in rows})
        return self._due

    def read_rows(self, kind: TimerKind) -> list[Due]:
        """The rows `kind` is due on, as read (none before the read)."""
        return (self._due or {}).get(kind.name, [])

    def acting(self, kind: TimerKind) -> list[tuple[Due, list[int]]]:
        """`kind`'s due rows that may be acted on now (their desk's window, or on call),
        oldest first, each with the on-call people to tell instead of the usual ones."""
        acting = []
        for row in self.read_rows(kind):
            act, oncall = self.desks.gate(row.desk_id, row.priority)
            if act:
                acting.append((row, oncall))
        return acting

    async def request(self, kind: TimerKind) -> FlagRequest:
        """`kind`'s flag for this run (`PLANS`), planned once from what the run read."""
        await self._read()
        return self._plan(kind.name)

    def _plan(self, name: str) -> FlagRequest:
        request = self._requests.get(name)
        if request is None:
            request = self._requests[name] = PLANS[name](self)
        return request

    async def flagged(self, request: FlagRequest, *,
                      ahead: bool = True) -> list[tuple[Due, list[int]]]:
        """The rows of `request` this sweeper flagged, with their on-call people; another
        sweeper's rows are left out. They lose their timer of the kind and those the
        flag ends. `ahead`: send the next kind's update now (the caller writes in Python
        only until it asks for it)."""
        name = request.kind.name
        if name in self._ready:
            flagged = self._ready.pop(name)
        elif self._ahead is not None and self._ahead[0] == name:
            flagged = await self._ahead[1]
            self._ahead = None
        elif not request.acting:
            flagged = set()  # nothing to flag: no statement
        else:
            await self.settle()
            self._sent.add(name)
            flagged = await self._send(request)
        self.disarm(flagged, (request.kind, *request.ended))
        if ahead and self.pipelined:
            await self._send_next(name)
        return [(row, oncall) for row, oncall in request.acting if row.id in flagged]

    async def _send(self, request: FlagRequest) -> set[int]:
        return await _flag(self.uow, request.flag, [row.id for row, _ in request.acting],
                           now=self.now, **request.params)

    async def _send_next(self, after: str) -> None:
        """Send the first kind's update after `after` (in `FLAG_ORDER`) not sent yet,
        unless one is in flight already (it sends the next when it is taken)."""
        if self._ahead is not None:
            return
        names = [kind.name for kind in FLAG_ORDER]
        for name in names[names.index(after) + 1:]:
            if name in self._sent:
                continue
            self._sent.add(name)
            request = self._plan(name)
            if not request.acting:
                continue  # nothing to flag: no statement
            self._ahead = (name, asyncio.ensure_future(self._send(request)))
            await asyncio.sleep(0)  # let it reach the database before the caller goes on
            return

    async def settle(self) -> None:
        """Wait for the update in flight, if any (its rows kept for its sweep): before
        any other statement of the run."""
        if self._ahead is not None:
            name, pending = self._ahead
            self._ahead = None
            self._ready[name] = await pending

    async def abandon(self) -> None:
        """On a failed run: wait for the update in flight, whatever it ends in, so the
        rollback finds the connection free."""
        if self._ahead is not None:
            pending, self._ahead = self._ahead[1], None
            with contextlib.suppress(Exception):
                await pending

    def disarm(self, conversation_ids: Iterable[int], kinds: Iterable[TimerKind]) -> None:
        """Drop these timers of these conversations (at `flush`)."""
        ids = list(conversation_ids)
        for kind in kinds:
            self._disarming.setdefault(kind.name, []).extend(ids)

    def arm(self, rows: Iterable[tuple[int, TimerKind, datetime]]) -> None:
        """Add timers (conversation id, kind, due time) (at `flush`, after the drops)."""
        self._arming += [(conversation_id, kind.name, due) for conversation_id, kind, due in rows]

    async def flush(self) -> None:
        """Write what was gathered: timers dropped, then armed; events and notices."""
        await self.settle()
        disarming, self._disarming = self._disarming, {}
        arming, self._arming = self._arming, []
        await timers.disarm_kinds(self.uow, disarming)
        await timers.arm(self.uow, arming)
        await self.journal.write()

    async def finish(self) -> None:
        """Write what was gathered, once every flag sent has been taken by its sweep:
        a row flagged with nobody told would never be told (the run fails instead)."""
        await self.settle()
        untold = sorted(name for name, flagged in self._ready.items() if flagged)
        if untold:
            raise RuntimeError(f"flags sent but not taken by their sweeps: {untold}")
        await self.flush()


def _event(batch: JournalBatch, row: Any, kind: str, **data: object) -> None:
    data["by"] = "scheduler"
    batch.event(row.workspace_id, kind, row.id, row.desk_id, None, data)


def _notice(batch: JournalBatch, row: Any, kind: NoticeKind, person_id: int | None = None,
            *, card: bool = False, **payload: object) -> None:
    """A notice about the row's conversation; `card`: it updates the card first
    (`CARD_FIRST`)."""
    if card:
        payload[CARD_FIRST] = True
    batch.notice(row.workspace_id, kind, row.id, person_id, payload)


def _tell(batch: JournalBatch, row: Any, kind: NoticeKind, people: Sequence[int | None], *,
          card: bool = False, **payload: object) -> None:
    """One notice telling `people` one after another (the first as its person, the rest
    as `ALSO`); none for nobody."""
    if len(people) > 1:
        payload[ALSO] = list(people[1:])
    if people:
        _notice(batch, row, kind, people[0], card=card, **payload)


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
    members of a compound SELECT). Only what the sweeps read is selected: the due time
    orders the rows, and is left unconverted.
    """
    branches = union_all(*(due_branch(kind).subquery(kind.name).select()
                           for kind in timers.KINDS)).subquery("due")
    return (select(*(branches.c[name] for name in (
        "kind", "id", "workspace_id", "desk_id", "priority", "assignee_id", "status", "paused",
        "armed"))).order_by(branches.c.kind, branches.c.due_at, branches.c.id))


class Due(NamedTuple):
    """A row of `due_query`: a conversation due on a check of `kind`."""

    kind: str
    id: int
    workspace_id: int
    desk_id: int
    priority: int
    assignee_id: int | None
    status: str
    paused: bool
    armed: bool


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


def conditions(kind: TimerKind, now: Any) -> list[ColumnElement[bool]]:
    """What makes a conversation due for `kind` at `now`: its flag's conditional update."""
    return [kind.due_column <= now, *kind.armed_sql()]


def flagging(kind: TimerKind,
             values: Callable[[Any, bool], dict[str, Any]]) -> Prepared:
    """`kind`'s flag: one conditional update of a batch, built once per dialect.

    Sets `values(now, postgresql)` (`now` is the bind parameter `:now`) on the rows
    among `:ids` that still meet `conditions`, and returns their ids. On PostgreSQL the
    rows are locked by a subquery that skips rows another replica holds (`FOR UPDATE
    SKIP LOCKED`): two sweepers never wait on each other (so never deadlock), the
    holder flags those rows, and a row the other one flagged and committed meanwhile
    fails the conditions when it is locked.
    """
    def build(postgresql: bool) -> Any:
        now = bindparam("now", None, type_=T.due_at.type)
        which: list[ColumnElement[bool]] = [in_ids(C.id, postgresql), *conditions(kind, now)]
        if postgresql:
            which = [C.id.in_(select(C.id).where(*which).with_for_update(skip_locked=True)
                              .correlate(None))]
        return update(C).where(*which).values(**values(now, postgresql)).returning(C.id)
    return Prepared(build)


async def _flag(uow: UnitOfWork, flag: Prepared, conversation_ids: list[int],
                **params: Any) -> set[int]:
    """Run `flag` (`flagging`) over these rows; the ids this caller changed."""
    if not conversation_ids:
        return set()
    rows = await flag.rows(await uow.session.connection(), ids=conversation_ids, **params)
    return {row[0] for row in rows}


def _plain(kind: TimerKind, flag: Prepared,
           ended: tuple[TimerKind, ...] = ()) -> Callable[[_Run], FlagRequest]:
    """The plan of a flag that takes only `:now`, on the rows that may be acted on now."""
    return lambda run: FlagRequest(kind, flag, run.acting(kind), ended)


def _by_desk(column: InstrumentedAttribute[Any], name: str, postgresql: bool) -> Any:
    """The value for the row's desk bound in `name` (desk id -> value), NULL if none."""
    return keyed(name, C.desk_id, column.type, postgresql)


# ---------------------------------------------------------------- SLA


# target -> ((warning timer, its flag), (breach timer, its flag))
TARGETS = {
    "first_response": ((timers.FIRST_RESPONSE_WARNING, C.first_response_warned_at),
                       (timers.FIRST_RESPONSE_BREACH, C.first_response_breached_at)),
    "resolution": ((timers.RESOLUTION_WARNING, C.resolution_warned_at),
                   (timers.RESOLUTION_BREACH, C.resolution_breached_at)),
}


def _sla_flag(stage: str, warned: InstrumentedAttribute[Any],
              breached: InstrumentedAttribute[Any]) -> Callable[[Any, bool], dict[str, Any]]:
    """The values a warning (or breach) of one target sets."""
    if stage == "warning":
        return lambda now, _: {warned.key: now}
    # A breach makes a warning not yet sent pointless.
    return lambda now, _: {breached.key: now, warned.key: func.coalesce(warned, now)}


# (target, stage) -> (the timer, the flag's update)
SLA_FLAGS = {
    (target, stage): (timer, flagging(timer, _sla_flag(stage, warned, breached)))
    for target, ((warning, warned), (breach, breached)) in TARGETS.items()
    for stage, timer in (("warning", warning), ("breach", breach))}


async def _sla_sweep(run: _Run, stage: str) -> int:
    """Both targets' warnings (or breaches)."""
    desks, batch = run.desks, run.journal
    kind = NoticeKind.SLA_WARNING if stage == "warning" else NoticeKind.SLA_BREACH
    done = 0
    escalating: list[Any] = []
    for target in TARGETS:
        request = await run.request(SLA_FLAGS[(target, stage)][0])
        # An escalation (a command) follows a breach that moves the request: the next
        # kind's update waits for it, as it would if the sweeps ran one by one.
        moving = stage == "breach" and target == ESCALATING_TARGET and any(
            desks.facts(row.desk_id).policy.escalate_to is not None
            for row, _ in request.acting)
        won = await run.flagged(request, ahead=not moving)
        done += len(won)
        for row, oncall in won:
            _event(batch, row, f"sla.{stage}", target=target, on_call=bool(oncall))
            recipients: list[int | None] = list(oncall) or [row.assignee_id]
            if stage == "breach":
                recipients += [p for p in desks.facts(row.desk_id).lead_ids
                               if p not in recipients]
            _tell(batch, row, kind, recipients, card=True, target=target)
            if stage == "breach" and target == ESCALATING_TARGET and \
                    desks.facts(row.desk_id).policy.escalate_to is not None:
                escalating.append(row)
    await _escalate(run, escalating)
    return done


# Which breach moves a request to its desk's next tier (`escalate_to`): resolution only.
# A first-response breach means nobody has picked the request up yet: the leads are
# told, and the specialists of the next tier are no remedy for an untriaged request
# (measured from the same opening, it would breach there at once, and on down the
# chain). A resolution breach means the tier could not solve it: that is what a
# tier's escalation is for.
ESCALATING_TARGET = "resolution"


async def _escalate(run: _Run, rows: list[Any]) -> int:
    """Move each row (its resolution breach just flagged by this sweeper) to its desk's
    next tier, as `transfer_to_desk` does, recorded as `sla.escalated`; how many moved.

    Only the sweeper that won the breach gets here, so a breach escalates once. A next
    tier that is gone or archived leaves the request where it is (logged). What the
    run gathered is written first: the breach's notices go out before the move's, and
    the move's own timers are not dropped by the run's.
    """
    if not rows:
        return 0
    await run.flush()
    uow = run.uow
    moved = 0
    targets: dict[tuple[int, str], Desk | None] = {}
    for row in rows:
        slug = run.desks.facts(row.desk_id).policy.escalate_to
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
                                   breached=ESCALATING_TARGET) is not None:
            moved += 1
    return moved


async def sla_warnings(run: _Run) -> int:
    """Warn once when a clock reaches the desk's warning percent of its target."""
    return await _sla_sweep(run, "warning")


async def sla_breaches(run: _Run) -> int:
    """Flag once a first-response or resolution target that has passed."""
    return await _sla_sweep(run, "breach")


# ---------------------------------------------------------------- stalls


def _unassigned_values(now: Any, postgresql: bool) -> dict[str, Any]:
    # `:staged` (desk id -> when the leads are due) names the desks whose leads follow.
    staged = _by_desk(C.unassigned_leads_due_at, "staged", postgresql)
    return {"unassigned_flagged_at": now,
            "unassigned_leads_due_at": func.coalesce(staged, C.unassigned_leads_due_at),
            "unassigned_leads_flagged_at": case((staged.is_not(None), None),
                                                else_=C.unassigned_leads_flagged_at)}


UNASSIGNED_FLAG = flagging(timers.UNASSIGNED, _unassigned_values)
UNASSIGNED_LEADS_FLAG = flagging(timers.UNASSIGNED_LEADS,
                                 lambda now, _: {"unassigned_leads_flagged_at": now})
AGENT_SILENCE_FLAG = flagging(timers.AGENT_SILENCE, lambda now, _: {"agent_nudged_at": now})


async def unassigned_too_long(run: _Run) -> int:
    """Ping the desk's available agents (else its leads) in the card's thread, once.

    Where agents are pinged, the leads are due one more `stall.unassigned` of business
    time later (the desk's window), set by the same update that flags the row (and
    armed as their timer).
    """
    desks = run.desks
    request = await run.request(timers.UNASSIGNED)
    won = await run.flagged(request)
    staged = request.params["staged"]
    run.arm((row.id, timers.UNASSIGNED_LEADS, staged[row.desk_id])
            for row, _ in won if row.desk_id in staged)
    for row, oncall in won:
        # Nobody available: the leads now, so no second stage.
        facts = desks.facts(row.desk_id)
        mention = oncall or facts.available_ids or facts.lead_ids
        _event(run.journal, row, "stall.unassigned", mention_ids=mention)
        _notice(run.journal, row, NoticeKind.STALL_UNASSIGNED, mention_ids=mention)
    return len(won)


def _plan_unassigned(run: _Run) -> FlagRequest:
    # A desk's rows ping its agents when it is open and some are available, or (p5
    # while closed) its on-call agents: then the leads' stage follows.
    acting = run.acting(timers.UNASSIGNED)
    staged: dict[int, datetime] = {}
    for desk_id in {row.desk_id for row, _ in acting}:
        facts = run.desks.facts(desk_id)
        if facts.available_ids or not facts.open_now:
            staged[desk_id] = facts.window.add_business_time(run.now,
                                                             facts.policy.stall["unassigned"])
    return FlagRequest(timers.UNASSIGNED, UNASSIGNED_FLAG, acting, params={"staged": staged})


async def unassigned_leads(run: _Run) -> int:
    """Still unassigned one more period after the agents' ping: tell the desk's leads, once."""
    won = await run.flagged(await run.request(timers.UNASSIGNED_LEADS))
    for row, _ in won:
        leads = run.desks.facts(row.desk_id).lead_ids
        _event(run.journal, row, "stall.unassigned_leads", lead_ids=leads)
        _tell(run.journal, row, NoticeKind.STALL_UNASSIGNED, leads, stage="leads")
    return len(won)


async def agent_silent(run: _Run) -> int:
    """Nudge the assignee by DM when the requester's message waits too long, once."""
    won = await run.flagged(await run.request(timers.AGENT_SILENCE))
    for row, oncall in won:
        _event(run.journal, row, "stall.agent_silent", assignee_id=row.assignee_id)
        _tell(run.journal, row, NoticeKind.AGENT_NUDGE, oncall or [row.assignee_id])
    return len(won)


def _paused(batch: JournalBatch, row: Any, status: str) -> None:
    """The `sla.paused` event `sla.track` writes when a running clock stops."""
    if not row.paused:
        batch.event(row.workspace_id, "sla.paused", row.id, row.desk_id, None,
                    {"status": status})


# The reminder moves the due time on to the resolve (`:second`, per desk); the resolve
# sets what `sla.track` would, auto-close due per desk (`:close_at`). Resolved: every
# check a waiting conversation can have ends.
REMINDER_FLAG = flagging(timers.REQUESTER_REMINDER, lambda now, postgresql: {
    "requester_reminded_at": now,
    "requester_silence_due_at": func.coalesce(
        _by_desk(C.requester_silence_due_at, "second", postgresql), C.requester_silence_due_at)})
RESOLVE_FLAG = flagging(timers.REQUESTER_RESOLVE, lambda now, postgresql: {
    "status": Status.RESOLVED, "resolved_at": now, "updated_at": now,
    **sla.settled_values(now, _by_desk(C.auto_close_at, "close_at", postgresql))})


async def requester_silent(run: _Run) -> int:
    """Remind a requester who has not answered; after a second period, resolve with a note.

    Both steps are one update each for the batch (the second period and auto-close
    time per desk); resolving sets what `sla.track` would (see `sla.settled_values`),
    and the timers follow: the reminder arms the resolve, the resolve the auto-close.
    """
    batch, now = run.journal, run.now
    done = 0
    if run.uow.db.business_time is not None:
        request = await run.request(timers.REQUESTER_REMINDER)
        won = await run.flagged(request)
        second = request.params["second"]
        run.arm((row.id, timers.REQUESTER_RESOLVE, second[row.desk_id]) for row, _ in won)
        done += len(won)
        for row, _ in won:
            _event(batch, row, "stall.requester_silent",
                   resolve_at=second[row.desk_id].isoformat())
            _notice(batch, row, NoticeKind.REQUESTER_REMINDER)

    request = await run.request(timers.REQUESTER_RESOLVE)
    resolved = [row for row, _ in await run.flagged(request)]
    if resolved:
        close_at = request.params["close_at"]
        run.arm((row.id, timers.AUTO_CLOSE, close_at[row.desk_id]) for row in resolved)
        await run.settle()  # the next kind's update, sent ahead, first
        notes = dict((await (await run.uow.session.connection()).execute(
            insert(Message).returning(Message.conversation_id, Message.id,
                                      sort_by_parameter_order=True),
            [{"conversation_id": row.id, "author_id": None, "kind": "system",
              "body": SYSTEM_RESOLVE_NOTE, "created_at": now} for row in resolved])).all())
        for row in resolved:
            done += 1
            _paused(batch, row, Status.RESOLVED)
            _event(batch, row, "status.changed", old=Status.WAITING, new=Status.RESOLVED,
                   reason="requester_silence", note_message_id=notes[row.id])
            _notice(batch, row, NoticeKind.RESOLVE_PROMPT, card=True)
    return done


def _plan_reminder(run: _Run) -> FlagRequest:
    # Without a business-time calendar nothing is reminded (the sweep skips the step).
    calendar = run.uow.db.business_time
    if calendar is None:
        return FlagRequest(timers.REQUESTER_REMINDER, REMINDER_FLAG, [])
    acting = run.acting(timers.REQUESTER_REMINDER)
    second = {desk_id: calendar.add(run.desks.facts(desk_id).desk.settings, run.now,
                                    run.desks.facts(desk_id).policy.stall["requester_silence"])
              for desk_id in {row.desk_id for row, _ in acting}}  # one end per desk
    return FlagRequest(timers.REQUESTER_REMINDER, REMINDER_FLAG, acting,
                       params={"second": second})


def _plan_resolve(run: _Run) -> FlagRequest:
    acting = run.acting(timers.REQUESTER_RESOLVE)
    close_at = {desk_id: run.now + run.desks.facts(desk_id).policy.auto_close_after
                for desk_id in {row.desk_id for row, _ in acting}}
    return FlagRequest(timers.REQUESTER_RESOLVE, RESOLVE_FLAG, acting,
                       timers.kinds_armed_in(Status.WAITING), {"close_at": close_at})


AUTO_CLOSE_FLAG = flagging(timers.AUTO_CLOSE, lambda now, _: {
    "status": Status.CLOSED, "closed_at": now, "updated_at": now, **sla.settled_values(now)})


async def auto_close(run: _Run) -> int:
    """Close conversations resolved for longer than the desk's `auto_close_after`.

    One update for the batch, setting what `sla.track` would (`sla.settled_values`);
    a closed conversation has no timer left. (Not gated by the window: closing a
    resolved request tells nobody to act.)
    """
    won = await run.flagged(await run.request(timers.AUTO_CLOSE))
    for row, _ in won:
        _paused(run.journal, row, Status.CLOSED)
        _event(run.journal, row, "conversation.closed", old=Status.RESOLVED,
               reason="auto_close")
        _notice(run.journal, row, NoticeKind.REQUESTER_UPDATE, what="closed", card=True)
    return len(won)


def _plan_auto_close(run: _Run) -> FlagRequest:
    # Every due row, whatever the window; a closed conversation has no check armed.
    return FlagRequest(timers.AUTO_CLOSE, AUTO_CLOSE_FLAG,
                       [(row, []) for row in run.read_rows(timers.AUTO_CLOSE)],
                       timers.kinds_armed_in(Status.RESOLVED))


# ---------------------------------------------------------------- flags in order

# The order the flags go out in a run, as `SWEEPS` takes them: breaches before
# warnings (a late run flags the breach and skips the stale warning).
FLAG_ORDER = (timers.FIRST_RESPONSE_BREACH, timers.RESOLUTION_BREACH,
              timers.FIRST_RESPONSE_WARNING, timers.RESOLUTION_WARNING, timers.UNASSIGNED,
              timers.UNASSIGNED_LEADS, timers.AGENT_SILENCE, timers.REQUESTER_REMINDER,
              timers.REQUESTER_RESOLVE, timers.AUTO_CLOSE)
# How each kind's flag is planned from what a run read.
PLANS: dict[str, Callable[[_Run], FlagRequest]] = {
    **{timer.name: _plain(timer, flag, (TARGETS[target][0][0],) if stage == "breach" else ())
       for (target, stage), (timer, flag) in SLA_FLAGS.items()},
    timers.UNASSIGNED.name: _plan_unassigned,
    timers.UNASSIGNED_LEADS.name: _plain(timers.UNASSIGNED_LEADS, UNASSIGNED_LEADS_FLAG),
    timers.AGENT_SILENCE.name: _plain(timers.AGENT_SILENCE, AGENT_SILENCE_FLAG),
    timers.REQUESTER_REMINDER.name: _plan_reminder,
    timers.REQUESTER_RESOLVE.name: _plan_resolve,
    timers.AUTO_CLOSE.name: _plan_auto_close,
}
assert set(PLANS) == set(timers.ALL) and {kind.name for kind in FLAG_ORDER} == timers.ALL


# ---------------------------------------------------------------- digest


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


async def daily_digest(run: _Run) -> int:
    """Post each desk's digest in its agent channel once, at the start of its service day."""
    uow, now = run.uow, run.now
    desks = await run.desk_facts()
    await run.settle()
    posting: list[tuple[DeskRow, datetime, datetime]] = []  # desk, day's start, its end
    for desk in desks.digesting:
        day = service_day(desks.windows[desk.id], now)
        if day is None:
            continue
        start, end = day
        if desk.last_digest_at is not None and desk.last_digest_at >= start:
            continue  # posted already today (the update below would match nothing)
        result = await uow.session.execute(
            update(Desk).where(Desk.id == desk.id, or_(Desk.last_digest_at.is_(None),
                                                       Desk.last_digest_at < start))
            .values(last_digest_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            posting.append((desk, start, end))
    counts = await digest_counts(uow, now, {desk.id: end for desk, _, end in posting})
    for desk, start, _ in posting:
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id,
                     kind="desk.digest", counts=counts[desk.id])
        write_notice(uow, workspace_id=desk.workspace_id, kind=NoticeKind.DESK_DIGEST,
                     ordering_key=f"desk:{desk.id}",
                     payload={"desk_id": desk.id, "counts": counts[desk.id],
                              "day": start.astimezone(desks.windows[desk.id].zone)
                              .date().isoformat()})
    return len(posting)


# ---------------------------------------------------------------- all of them

Sweep = Callable[[_Run], Awaitable[int]]
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

    All in one unit of work (see above). If that fails, the sweeps run again one by one
    (`sweep_one`): one that fails then is logged (-1) and the others still run; the
    next run tries again.
    """
    now = (clock or db.clock).now()
    try:
        async with db.unit_of_work() as uow:
            run = await _Run.start(uow, now, pipelined=True)
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
        run = await _Run.start(uow, now)
        done = await sweep(run)
        await run.finish()
        await uow.commit()
    return done
