"""The armed checks of a conversation, kept in `conversation_timer` for the sweeps.

A conversation's own columns say which of the scheduler's checks are armed: a due time
is set, the flag the sweep would set is not, and the conversation is in the status the
check applies to (`KINDS`). `conversation_timer` holds one row per armed check with
its due time, written in the same transaction as the columns, so the sweeps read due
checks from one narrow index instead of from partial indexes on `conversation` (whose
flags, in their predicates, made every flag an update of all the table's indexes).

Who keeps the rows in step:
- `sync` after any change of one conversation (`conversations.sla.track` calls it at
  the end of every command's change, so commands need do nothing more);
- the sweeps, which change a batch with one UPDATE, delete the timers they fire and
  add those their update arms (`storage.sweep_applier`, with `storage.timer_rows`).

`arm_all` arms every conversation from its columns (the migration's backfill, the
benchmark's loader); `out_of_step` compares the table with the columns (tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from conversations.lifecycle import ACTIVE, Status
from storage.database import UnitOfWork
from storage.models import Conversation, ConversationTimer
from storage.timer_rows import arm, disarm_kinds

C = Conversation
T = ConversationTimer


@dataclass(frozen=True)
class TimerKind:
    """One check: armed while `due` is set, `unset` are NULL, `set` are not, in `statuses`."""

    name: str
    due: str
    statuses: frozenset[str]
    unset: tuple[str, ...] = ()
    set: tuple[str, ...] = ()

    @property
    def due_column(self) -> InstrumentedAttribute[Any]:
        """The conversation's column holding the due time."""
        return getattr(C, self.due)  # type: ignore[no-any-return]

    def armed_sql(self) -> list[ColumnElement[bool]]:
        """The conditions, as SQL over `conversation`, under which this check is armed."""
        return [self.due_column.is_not(None),
                *(getattr(C, name).is_(None) for name in self.unset),
                *(getattr(C, name).is_not(None) for name in self.set),
                C.status.in_(sorted(self.statuses))]

    def due_for(self, conversation: Conversation) -> datetime | None:
        """When the check is due on this conversation, or None if it is not armed."""
        due: datetime | None = getattr(conversation, self.due)
        if due is None or conversation.status not in self.statuses:
            return None
        if any(getattr(conversation, name) is not None for name in self.unset):
            return None
        if any(getattr(conversation, name) is None for name in self.set):
            return None
        return due


RUNNING = frozenset({Status.NEW, Status.OPEN})
FIRST_RESPONSE_WARNING = TimerKind(
    "first_response_warning", "first_response_warn_at", RUNNING,
    unset=("first_response_warned_at", "first_response_at", "sla_paused_at"))
FIRST_RESPONSE_BREACH = TimerKind(
    "first_response_breach", "first_response_due_at", RUNNING,
    unset=("first_response_breached_at", "first_response_at", "sla_paused_at"))
RESOLUTION_WARNING = TimerKind(
    "resolution_warning", "resolution_warn_at", RUNNING,
    unset=("resolution_warned_at", "sla_paused_at"))
RESOLUTION_BREACH = TimerKind(
    "resolution_breach", "resolution_due_at", RUNNING,
    unset=("resolution_breached_at", "sla_paused_at"))
UNASSIGNED = TimerKind(
    "unassigned", "unassigned_due_at", frozenset({Status.NEW}),
    unset=("unassigned_flagged_at", "assignee_id"))
UNASSIGNED_LEADS = TimerKind(
    "unassigned_leads", "unassigned_leads_due_at", frozenset({Status.NEW}),
    unset=("unassigned_leads_flagged_at", "assignee_id"), set=("unassigned_flagged_at",))
AGENT_SILENCE = TimerKind(
    "agent_silence", "agent_silence_due_at", frozenset({Status.OPEN}),
    unset=("agent_nudged_at",), set=("assignee_id",))
# The requester's silence has two stages on one due time: the reminder, then (the due
# time moved on by the reminder) the resolve.
REQUESTER_REMINDER = TimerKind(
    "requester_reminder", "requester_silence_due_at", frozenset({Status.WAITING}),
    unset=("requester_reminded_at",))
REQUESTER_RESOLVE = TimerKind(
    "requester_resolve", "requester_silence_due_at", frozenset({Status.WAITING}),
    set=("requester_reminded_at",))
AUTO_CLOSE = TimerKind("auto_close", "auto_close_at", frozenset({Status.RESOLVED}))
# A due date an agent set (`conversations.due_dates`): armed while the request is
# active, whatever its SLA clocks do (a due date is a promise of a moment, not of
# business time); resolving or closing disarms it, `/desk due REF off` clears it.
DUE_STATUSES = ACTIVE
DUE_WARNING = TimerKind("due_warning", "due_warn_at", DUE_STATUSES,
                        unset=("due_warned_at", "due_flagged_at"))
DUE_PASSED = TimerKind("due_passed", "due_at", DUE_STATUSES, unset=("due_flagged_at",))

KINDS = (FIRST_RESPONSE_WARNING, FIRST_RESPONSE_BREACH, RESOLUTION_WARNING, RESOLUTION_BREACH,
         UNASSIGNED, UNASSIGNED_LEADS, AGENT_SILENCE, REQUESTER_REMINDER, REQUESTER_RESOLVE,
         AUTO_CLOSE, DUE_PASSED, DUE_WARNING)
ALL = frozenset(kind.name for kind in KINDS)


def kinds_armed_in(status: str) -> tuple[TimerKind, ...]:
    """The checks that can be armed on a conversation in `status`."""
    return tuple(kind for kind in KINDS if status in kind.statuses)


def armed(conversation: Conversation) -> dict[str, datetime]:
    """Every check armed on `conversation` as its attributes are now: kind -> due time."""
    due = {kind.name: kind.due_for(conversation) for kind in KINDS}
    return {name: moment for name, moment in due.items() if moment is not None}


async def sync(uow: UnitOfWork, conversation: Conversation, *, new: bool = False) -> None:
    """Bring the conversation's timer rows in line with its attributes (flushed first).

    Writes only what differs: a check no longer armed, or armed with another due time,
    loses its row; one newly armed (or moved) gets one. The conversation's own UPDATE
    is flushed first, so its row is locked before its timers, as a sweep locks them.
    `new`: the conversation was just opened and has no timers yet (nothing to read).
    """
    await uow.session.flush()
    want = armed(conversation)
    have: dict[str, datetime] = {} if new else {
        kind: due for kind, due in (await uow.session.execute(
            select(T.kind, T.due_at).where(T.conversation_id == conversation.id))).all()}
    gone = sorted(kind for kind, due in have.items() if want.get(kind) != due)
    await disarm(uow, [(conversation.id, kind) for kind in gone])
    await arm(uow, [(conversation.id, kind, due) for kind, due in sorted(want.items())
                    if have.get(kind) != due])


async def disarm(uow: UnitOfWork, timers: Iterable[tuple[int, str]]) -> None:
    """Delete these (conversation id, kind) timers (those that exist): one round trip."""
    by_kind: dict[str, list[int]] = {}
    for conversation_id, kind in timers:
        by_kind.setdefault(kind, []).append(conversation_id)
    await disarm_kinds(uow, by_kind)


def arm_all() -> list[Any]:
    """INSERT ... SELECT statements arming every conversation's checks from its columns.

    For a table of conversations with no timers yet (a bulk load, the migration's
    backfill does the same in its own words).
    """
    return [insert(T).from_select(["conversation_id", "kind", "due_at"],
                                  select(C.id, literal(kind.name), kind.due_column)
                                  .where(*kind.armed_sql()))
            for kind in KINDS]


async def out_of_step(uow: UnitOfWork) -> list[tuple[int, str, datetime | None, datetime | None]]:
    """(conversation id, kind, due by its columns, due by its timer row) wherever they differ.

    Empty when the table is in step; a full read of both, for tests and checks.
    """
    expected: dict[tuple[int, str], datetime] = {}
    for kind in KINDS:
        for conversation_id, due in await uow.session.execute(
                select(C.id, kind.due_column).where(*kind.armed_sql())):
            expected[(conversation_id, kind.name)] = due
    actual: dict[tuple[int, str], datetime] = {
        (row.conversation_id, row.kind): row.due_at
        for row in await uow.session.execute(select(T.conversation_id, T.kind, T.due_at))}
    return sorted((conversation_id, kind, expected.get((conversation_id, kind)),
                   actual.get((conversation_id, kind)))
                  for conversation_id, kind in expected.keys() | actual.keys()
                  if expected.get((conversation_id, kind)) != actual.get((conversation_id, kind)))
