"""Applies a sweep run's decisions in bulk: flags, timers, events, notices, notes.

A sweep rule decides per row (`scheduling.sweep_rules`); this module carries a batch of
those decisions out in the run's unit of work with a handful of statements however many
rows are due. A flag is a conditional update (`flag_statement`), so only the sweeper
whose update changed a row goes on to tell anyone about it. Why each part is written as
it is, for speed, is said once below ("Speed").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, insert, select, update

from storage import timer_rows
from storage.database import UnitOfWork
from storage.journal import JournalBatch
from storage.models import Conversation, ConversationTimer, Message
from storage.prepared import Prepared, in_ids, keyed

# Speed (timings: bench/README.md). A run every minute flags up to a thousand rows
# per kind; every trick here is for that, and none changes what is written:
# - Prepared statements (`storage.prepared`): each flag is compiled once per dialect,
#   its ids and per-desk values bound as one parameter each, sent to the driver as
#   they are. SQLAlchemy's own per-execution work (cache key, IN list, bind
#   processing) cost about a millisecond per statement, as much as the database's.
# - One update in flight (`SweepApplier.flag`): in a run of every sweep the next
#   kind's update is sent as soon as one's result is taken, so the database flags the
#   next batch while Python turns the last one's decisions into rows. Every other
#   statement waits for it (`settle`), since a connection runs one at a time.
# - Events and notices gathered as plain rows and written at the end, one statement
#   per table (`storage.journal.JournalBatch`: COPY on PostgreSQL, executemany on
#   SQLite); timers dropped and armed likewise (`storage.timer_rows`).
# - `SET LOCAL synchronous_commit = off` on PostgreSQL (`SweepApplier.start`): the
#   commit does not wait for the WAL to reach the disk. A crash in that moment loses
#   the whole run, which the next run does again; nothing of it has reached anyone
#   yet: a notice goes out only after a outbox worker's lease of it commits, and that
#   commit, later in the WAL, is only durable with it.
# - No index names a flag column, so a flag is a HOT update on PostgreSQL where the
#   page has room (`conversation_timer` holds the due times the sweeps search).
# - Generic plans on PostgreSQL (`plan_cache_mode = force_generic_plan`, for the run's
#   transaction): otherwise the due read, whose `:now` a custom plan estimates better
#   than a generic one, was planned afresh at every run (~1.8 ms of the server's time
#   for its ten branches). Its generic plan is the custom one's: per kind, the due
#   index's range, then the conversation by primary key; a flag's, the primary key.

C = Conversation


# ---------------------------------------------------------------- what a flag sets
# The values a flag's update sets, as plain data the rules can state: a constant
# (None, a status), or one of these, turned into SQL by `flag_statement`.


class _Now:
    """The run's moment."""

    def __repr__(self) -> str:
        return "NOW"


class _NowIfUnset:
    """The run's moment where the column is NULL; else the column kept."""

    def __repr__(self) -> str:
        return "NOW_IF_UNSET"


NOW = _Now()
NOW_IF_UNSET = _NowIfUnset()


@dataclass(frozen=True)
class PerDesk:
    """The value given for the row's desk in the parameter `name` (desk id -> value);
    the column kept where that desk has none."""

    name: str


@dataclass(frozen=True)
class ClearedPerDesk:
    """NULL where the parameter `name` (desk id -> value) has a value for the row's desk;
    else the column kept."""

    name: str


def _sql_value(column: str, value: Any, now: Any, postgresql: bool) -> Any:
    current = getattr(C, column)
    if value is NOW:
        return now
    if value is NOW_IF_UNSET:
        return func.coalesce(current, now)
    if isinstance(value, PerDesk | ClearedPerDesk):
        given = keyed(value.name, C.desk_id, current.type, postgresql)
        if isinstance(value, PerDesk):
            return func.coalesce(given, current)
        return case((given.is_not(None), None), else_=current)
    return value


def flag_statement(conditions: Callable[[Any], list[ColumnElement[bool]]],
                   values: Mapping[str, Any]) -> Prepared:
    """A flag: one conditional update of a batch of conversations, built once per dialect.

    Sets `values` (constants or the markers above) on the rows among `:ids` that still
    meet `conditions(now)` (`now` is the bind parameter `:now`), and returns their ids.
    On PostgreSQL the rows are locked by a subquery that skips rows another replica
    holds (`FOR UPDATE SKIP LOCKED`): two sweepers never wait on each other (so never
    deadlock), the holder flags those rows, and a row the other one flagged and
    committed meanwhile fails the conditions when it is locked.
    """
    def build(postgresql: bool) -> Any:
        now = bindparam("now", None, type_=ConversationTimer.due_at.type)
        which: list[ColumnElement[bool]] = [in_ids(C.id, postgresql), *conditions(now)]
        if postgresql:
            which = [C.id.in_(select(C.id).where(*which).with_for_update(skip_locked=True)
                              .correlate(None))]
        return update(C).where(*which).values(
            {name: _sql_value(name, value, now, postgresql)
             for name, value in values.items()}).returning(C.id)
    return Prepared(build)


async def flag_rows(uow: UnitOfWork, flag: Prepared, conversation_ids: list[int],
                    **params: Any) -> set[int]:
    """Run `flag` (`flag_statement`) over these rows; the ids this caller changed."""
    if not conversation_ids:
        return set()
    rows = await flag.rows(await uow.session.connection(), ids=conversation_ids, **params)
    return {row[0] for row in rows}


# ---------------------------------------------------------------- one run


@dataclass
class FlagBatch:
    """One kind's flag for a run: its update, the rows it may flag, its per-desk values
    (parameters besides `:now`), and the timers a flagged row loses (its own kind's
    and those the flag ends)."""

    name: str
    flag: Prepared
    ids: list[int]
    params: dict[str, Any] = field(default_factory=dict)
    drops: tuple[str, ...] = ()


@dataclass
class SweepApplier:
    """Applies one run's decisions in its unit of work (`start`), in bulk.

    Flags go out in the order given (`plan`), one statement each; `flag` returns the
    rows this sweeper flagged. Events, notices (`journal`) and timers dropped and armed
    (`disarm`, `arm`) are gathered and written by `flush`, before the commit (or before
    a command that must see them). In a pipelined run the next flag is sent as soon as
    one's result is taken; every other statement waits for it first (`settle`).
    """

    uow: UnitOfWork
    now: datetime
    journal: JournalBatch
    pipelined: bool = False
    _batches: dict[str, FlagBatch] = field(default_factory=dict)  # in the order planned
    _disarming: dict[str, list[int]] = field(default_factory=dict)  # kind -> conversations
    _arming: list[tuple[int, str, datetime]] = field(default_factory=list)
    _sent: set[str] = field(default_factory=set)  # flags whose update went out
    _ready: dict[str, set[int]] = field(default_factory=dict)  # sent ahead, not yet taken
    _ahead: tuple[str, asyncio.Future[set[int]]] | None = None  # the update in flight

    @classmethod
    async def start(cls, uow: UnitOfWork, now: datetime, *,
                    pipelined: bool = False) -> SweepApplier:
        """An applier in `uow` (just begun); `pipelined` for a run of every sweep."""
        if uow.db.is_postgresql:  # for this transaction only (why: "Speed" above)
            await (await uow.session.connection()).exec_driver_sql(
                "SELECT set_config('synchronous_commit', 'off', true), "
                "set_config('plan_cache_mode', 'force_generic_plan', true)")
        return cls(uow, now, JournalBatch(uow), pipelined)

    def plan(self, batches: Iterable[FlagBatch]) -> None:
        """The run's flags, in the order they go out."""
        self._batches = {batch.name: batch for batch in batches}

    @property
    def in_flight(self) -> str | None:
        """The flag whose update was sent ahead and not yet taken, if any."""
        return self._ahead[0] if self._ahead is not None else None

    async def flag(self, name: str, *, ahead: bool = True) -> set[int]:
        """The rows of the flag `name` this sweeper flagged (another sweeper's are left
        out); they lose the batch's timers. `ahead`: send the next flag now (the caller
        works in Python only until it asks for it)."""
        batch = self._batches[name]
        if name in self._ready:
            flagged = self._ready.pop(name)
        elif self._ahead is not None and self._ahead[0] == name:
            flagged = await self._ahead[1]
            self._ahead = None
        elif not batch.ids:
            flagged = set()  # nothing to flag: no statement
        else:
            await self.settle()
            self._sent.add(name)
            flagged = await self._send(batch)
        self.disarm(flagged, batch.drops)
        if ahead and self.pipelined:
            await self._send_next(name)
        return flagged

    async def _send(self, batch: FlagBatch) -> set[int]:
        return await flag_rows(self.uow, batch.flag, batch.ids, now=self.now, **batch.params)

    async def _send_next(self, after: str) -> None:
        """Send the first flag after `after` not sent yet, unless one is in flight
        already (it sends the next when it is taken)."""
        if self._ahead is not None:
            return
        names = list(self._batches)
        for name in names[names.index(after) + 1:]:
            if name in self._sent:
                continue
            self._sent.add(name)
            batch = self._batches[name]
            if not batch.ids:
                continue  # nothing to flag: no statement
            self._ahead = (name, asyncio.ensure_future(self._send(batch)))
            await asyncio.sleep(0)  # let it reach the database before the caller goes on
            return

    async def settle(self) -> None:
        """Wait for the update in flight, if any (its rows kept for its flag): before
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

    def disarm(self, conversation_ids: Iterable[int], kinds: Iterable[str]) -> None:
        """Drop these timers of these conversations (at `flush`)."""
        ids = list(conversation_ids)
        for kind in kinds:
            self._disarming.setdefault(kind, []).extend(ids)

    def arm(self, rows: Iterable[tuple[int, str, datetime]]) -> None:
        """Add timers (conversation id, kind, due time) (at `flush`, after the drops)."""
        self._arming += rows

    async def add_notes(self, notes: Sequence[tuple[int, str]]) -> dict[int, int]:
        """Add a system message to each conversation (conversation id, text; one each),
        now: conversation id -> the message's id. One statement (each row's id comes
        back with its conversation's, so in whatever order the database returns them)."""
        if not notes:
            return {}
        await self.settle()
        connection = await self.uow.session.connection()
        return dict((await connection.execute(
            insert(Message).returning(Message.conversation_id, Message.id),
            [{"conversation_id": conversation_id, "author_id": None, "kind": "system",
              "body": body, "created_at": self.now}
             for conversation_id, body in notes])).tuples().all())

    async def flush(self) -> None:
        """Write what was gathered: timers dropped, then armed; events and notices."""
        await self.settle()
        disarming, self._disarming = self._disarming, {}
        arming, self._arming = self._arming, []
        await timer_rows.disarm_kinds(self.uow, disarming)
        await timer_rows.arm(self.uow, arming)
        await self.journal.write()

    async def finish(self) -> None:
        """Write what was gathered, once every flag sent has been taken: a row flagged
        with nobody told would never be told (the run fails instead)."""
        await self.settle()
        untold = sorted(name for name, flagged in self._ready.items() if flagged)
        if untold:
            raise RuntimeError(f"flags sent but not taken by their sweeps: {untold}")
        await self.flush()
