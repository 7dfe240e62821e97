"""The outbox's SQL: leasing due notices, and finishing them (delivered, coalesced, failed, retry).

Rows sharing an `ordering_key` are delivered strictly in id order, so only the *head* of a
key (its earliest undelivered row) can start a run. A outbox worker leases a run of rows
(`lease_owner`, `lease_until`) in one short transaction, delivers outside it, and then
finishes each row in its own transaction, guarded by its owner name: a replica whose lease
ran out and was taken over cannot overwrite the new owner's work. A live worker renews its
leases (`renew`); a row taken over from an owner whose lease ran out counts an attempt.

On PostgreSQL the head query takes `FOR UPDATE SKIP LOCKED`, so replicas leasing at the
same moment pass over each other's rows instead of waiting or taking them twice. SQLite
write transactions begin with `BEGIN IMMEDIATE` (see storage/database.py), so leases are
taken one after the other there.

Every "now" is the unit of work's clock, bound as a parameter (never the database's
`now()`), so tests move time by moving the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from storage.database import Database, UnitOfWork, rows_matched
from storage.models import Conversation, Incident, Message, OutboxNotice

# The only places a sender may tell us about; anything else would let a sender write
# arbitrary columns.
CONVERSATION_LINK_COLUMNS = frozenset(
    {"requester_channel", "requester_thread", "agent_channel", "agent_thread"}
)
MESSAGE_LINK_COLUMNS = frozenset({"requester_side_id", "agent_side_id"})
INCIDENT_LINK_COLUMNS = frozenset({"agent_channel", "agent_thread"})

DELIVERED = "delivered"
COALESCED = "coalesced"
FAILED = "failed"

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class LeasedRow:
    """One outbox row as leased: what a outbox worker needs to deliver it."""

    id: int
    workspace_id: int
    conversation_id: int | None
    person_id: int | None
    kind: str
    payload: dict[str, Any]
    ordering_key: str
    attempts: int
    lease_until: datetime


def _row(notice: OutboxNotice, lease_until: datetime, attempts: int) -> LeasedRow:
    return LeasedRow(id=notice.id, workspace_id=notice.workspace_id,
                     conversation_id=notice.conversation_id, person_id=notice.person_id,
                     kind=notice.kind, payload=dict(notice.payload or {}),
                     ordering_key=notice.ordering_key, attempts=attempts,
                     lease_until=lease_until)


def _free(now: datetime) -> Any:
    return or_(OutboxNotice.lease_until.is_(None), OutboxNotice.lease_until < now)


async def lease_batch(uow: UnitOfWork, owner: str, *, lease: timedelta, max_keys: int,
                      per_key: int) -> list[list[LeasedRow]]:
    """Lease due runs of up to `max_keys` ordering keys and commit; returns one run per key.

    A run starts at the key's head and takes the following undelivered rows in id order,
    at most `per_key`, stopping before the first row that is not due yet or is leased by
    someone else. Runs come back in the order of their heads' ids.
    """
    now = uow.clock.now()
    lease_until = now + lease
    earlier = aliased(OutboxNotice)
    heads_query = (
        select(OutboxNotice.id, OutboxNotice.ordering_key)
        .where(OutboxNotice.done_at.is_(None), OutboxNotice.available_at <= now, _free(now),
               ~exists().where(earlier.ordering_key == OutboxNotice.ordering_key,
                               earlier.done_at.is_(None), earlier.id < OutboxNotice.id))
        .order_by(OutboxNotice.id)
        .limit(max_keys)
    )
    if uow.db.is_postgresql:
        # Lock only the heads (not the subquery's rows); a head another replica is leasing
        # right now is skipped, and with it its whole key.
        heads_query = heads_query.with_for_update(skip_locked=True, of=OutboxNotice)
    heads = {key: head_id for head_id, key in (await uow.session.execute(heads_query)).all()}
    if not heads:
        return []

    ranked = (
        select(OutboxNotice.id.label("id"),
               func.row_number().over(partition_by=OutboxNotice.ordering_key,
                                      order_by=OutboxNotice.id).label("position"))
        .where(OutboxNotice.ordering_key.in_(list(heads)), OutboxNotice.done_at.is_(None))
        .subquery()
    )
    candidates = (await uow.session.execute(
        select(OutboxNotice)
        .join(ranked, ranked.c.id == OutboxNotice.id)
        .where(ranked.c.position <= per_key)
        .order_by(OutboxNotice.ordering_key, OutboxNotice.id)
    )).scalars().all()

    runs: dict[str, list[OutboxNotice]] = {}
    closed: set[str] = set()
    for notice in candidates:
        key = notice.ordering_key
        if key in closed:
            continue
        run = runs.setdefault(key, [])
        if not run and notice.id != heads[key]:
            closed.add(key)  # the head was finished meanwhile; the next round will see
            continue
        due = notice.available_at <= now
        free = notice.lease_until is None or notice.lease_until < now
        if not (due and free):
            closed.add(key)  # a later row may not overtake this one
            continue
        run.append(notice)

    ids = [n.id for run in runs.values() for n in run]
    if not ids:
        return []  # the caller's rollback lets go of the row locks
    # Re-check in the UPDATE itself so a row can never be leased twice, whatever happened
    # between the reads above and this statement. A row whose lease ran out while still
    # owned (its owner died or lost the database mid-send) counts as an attempt: it may
    # have reached the platform, so the sender looks before sending it again.
    taken_over = case((OutboxNotice.lease_owner.is_not(None), 1), else_=0)
    leased = dict((await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.id.in_(ids), OutboxNotice.done_at.is_(None), _free(now))
        .values(lease_owner=owner, lease_until=lease_until,
                attempts=OutboxNotice.attempts + taken_over)
        .returning(OutboxNotice.id, OutboxNotice.attempts)
        .execution_options(synchronize_session=False)
    )).tuples().all())
    await uow.commit()

    result: list[list[LeasedRow]] = []
    for key in sorted(runs, key=heads.__getitem__):
        rows: list[LeasedRow] = []
        for notice in runs[key]:
            if notice.id not in leased:
                break  # a gap would break the key's order; the rest is released below
            rows.append(_row(notice, lease_until, leased[notice.id]))
        if rows:
            result.append(rows)
    taken = {row.id for rows in result for row in rows}
    if leased.keys() - taken:
        async with uow.db.unit_of_work() as again:
            await release(again, owner, leased.keys() - taken)
            await again.commit()
    return result


async def renew(uow: UnitOfWork, owner: str, *, lease: timedelta) -> int:
    """Extend `owner`'s leases on its unfinished rows to `lease` from now; caller commits.

    A live outbox worker renews while it delivers, so a lease can be short: a replica
    that dies (SIGKILL) holds its rows up for one lease at most. A lease that ran out and
    was taken over is not the owner's any more and is left alone. Returns rows renewed.
    """
    result = await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.lease_owner == owner, OutboxNotice.done_at.is_(None))
        .values(lease_until=uow.clock.now() + lease)
        .execution_options(synchronize_session=False))
    return rows_matched(result)


async def mark_delivered(uow: UnitOfWork, owner: str, notice_id: int, *,
                         conversation_id: int | None,
                         conversation_links: Mapping[str, str] | None = None,
                         message_links: Mapping[int, Mapping[str, str]] | None = None,
                         incident_links: Mapping[int, Mapping[str, str]] | None = None) -> bool:
    """Mark a leased row delivered and store the platform's links with it; caller commits.

    Returns False (and writes nothing) when `owner` no longer holds the row's lease.
    """
    now = uow.clock.now()
    result = await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.id == notice_id, OutboxNotice.lease_owner == owner,
               OutboxNotice.done_at.is_(None))
        .values(outcome=DELIVERED, done_at=now, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if rows_matched(result) != 1:
        return False
    await store_links(uow, conversation_id, conversation_links or {}, message_links or {})
    for incident_id, links in (incident_links or {}).items():
        _check_columns(links, INCIDENT_LINK_COLUMNS)
        if links:
            await uow.session.execute(
                update(Incident).where(Incident.id == incident_id)
                .values(**links).execution_options(synchronize_session=False))
    return True


@dataclass
class _Mark:
    owner: str
    notice_id: int
    conversation_id: int | None
    conversation_links: Mapping[str, str]
    message_links: Mapping[int, Mapping[str, str]]
    incident_links: Mapping[int, Mapping[str, str]]
    done: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class DeliveredMarks:
    """`mark_delivered` for rows finished at about the same time (the keys of
    a round go concurrently), written together: what is asked while a transaction
    commits goes into the next one. When that transaction fails, each is written again
    in its own, so only a failing one fails (a row's bad links, say)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[_Mark] = []
        self._writing: asyncio.Task[None] | None = None

    async def mark(self, owner: str, notice_id: int, *, conversation_id: int | None,
                   conversation_links: Mapping[str, str] | None = None,
                   message_links: Mapping[int, Mapping[str, str]] | None = None,
                   incident_links: Mapping[int, Mapping[str, str]] | None = None) -> bool:
        """Like `mark_delivered`, committed when it returns; raises what it would."""
        mark = _Mark(owner, notice_id, conversation_id, conversation_links or {},
                     message_links or {}, incident_links or {})
        self._waiting.append(mark)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        return await asyncio.shield(mark.done)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                owned = await self._write_together(batch)
            except Exception as error:
                if len(batch) == 1:
                    _settle(batch[0].done, error=error)
                    continue
                for mark in batch:  # each on its own: only the failing one fails
                    try:
                        _settle(mark.done, (await self._write_together([mark]))[0])
                    except Exception as alone:
                        _settle(mark.done, error=alone)
                continue
            for mark, was_owned in zip(batch, owned, strict=True):
                _settle(mark.done, was_owned)

    async def _write_together(self, batch: list[_Mark]) -> list[bool]:
        async with self.db.unit_of_work() as uow:
            owned = [await mark_delivered(
                uow, mark.owner, mark.notice_id, conversation_id=mark.conversation_id,
                conversation_links=mark.conversation_links, message_links=mark.message_links,
                incident_links=mark.incident_links) for mark in batch]
            await uow.commit()
        return owned


def _settle(done: asyncio.Future[bool], result: bool = False, *,
            error: BaseException | None = None) -> None:
    if done.done():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


async def store_links(uow: UnitOfWork, conversation_id: int | None,
                      conversation_links: Mapping[str, str],
                      message_links: Mapping[int, Mapping[str, str]]) -> None:
    """Write where a delivered notice landed (channel, thread, message ids); caller commits.

    Raises ValueError for a column that is not a link, or for links without a conversation.
    """
    _check_columns(conversation_links, CONVERSATION_LINK_COLUMNS)
    for links in message_links.values():
        _check_columns(links, MESSAGE_LINK_COLUMNS)
    if (conversation_links or message_links) and conversation_id is None:
        raise ValueError("links given for a notice that has no conversation")
    if conversation_links:
        await uow.session.execute(
            update(Conversation).where(Conversation.id == conversation_id)
            .values(**conversation_links).execution_options(synchronize_session=False))
    for message_id, links in message_links.items():
        if links:
            # Scoped to the notice's conversation: a sender cannot retarget other messages.
            await uow.session.execute(
                update(Message)
                .where(Message.id == message_id, Message.conversation_id == conversation_id)
                .values(**links).execution_options(synchronize_session=False))


def _check_columns(links: Mapping[str, str], allowed: frozenset[str]) -> None:
    unknown = set(links) - allowed
    if unknown:
        raise ValueError(f"not link columns: {sorted(unknown)}; allowed: {sorted(allowed)}")


async def record_told(uow: UnitOfWork, owner: str, notice_id: int,
                      payload: Mapping[str, Any]) -> bool:
    """Keep a leased row's progress through its recipients (its payload, with how many
    were told); caller commits. Returns False when `owner` no longer holds the lease."""
    result = await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.id == notice_id, OutboxNotice.lease_owner == owner,
               OutboxNotice.done_at.is_(None))
        .values(payload=dict(payload))
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


async def mark_coalesced(uow: UnitOfWork, owner: str, notice_ids: Iterable[int]) -> int:
    """Mark leased rows made redundant by a later row; caller commits. Returns rows marked."""
    ids = list(notice_ids)
    if not ids:
        return 0
    result = await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.id.in_(ids), OutboxNotice.lease_owner == owner,
               OutboxNotice.done_at.is_(None))
        .values(outcome=COALESCED, done_at=uow.clock.now(), lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result)


async def schedule_retry(uow: UnitOfWork, owner: str, notice_id: int, *, delay: timedelta,
                         error: str, count: bool = True) -> bool:
    """Count a failed attempt (unless not `count`: a paced send) and make the row due
    again after `delay`; caller commits.

    The row's lease, and the lease on the rest of its key, are released, so the key
    waits for this row (order) and any replica may pick it up when it is due.
    Returns False when `owner` no longer holds the row's lease.
    """
    now = uow.clock.now()
    result = await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.id == notice_id, OutboxNotice.lease_owner == owner,
               OutboxNotice.done_at.is_(None))
        .values(attempts=OutboxNotice.attempts + int(count), available_at=now + delay,
                last_error=error[:MAX_ERROR_CHARS], lease_owner=None, lease_until=None)
        .returning(OutboxNotice.ordering_key)
        .execution_options(synchronize_session=False)
    )
    key = result.scalar_one_or_none()
    if key is None:
        return False
    await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.ordering_key == key, OutboxNotice.lease_owner == owner,
               OutboxNotice.done_at.is_(None))
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return True


async def mark_failed(uow: UnitOfWork, owner: str, notice_id: int, *, error: str) -> bool:
    """Give up on a leased row (`outcome='failed'`), so the rest of its key goes on; caller commits.

    Returns False when `owner` no longer holds the row's lease.
    """
    result = await uow.session.execute(
        update(OutboxNotice)
        .where(OutboxNotice.id == notice_id, OutboxNotice.lease_owner == owner,
               OutboxNotice.done_at.is_(None))
        .values(outcome=FAILED, done_at=uow.clock.now(), attempts=OutboxNotice.attempts + 1,
                last_error=error[:MAX_ERROR_CHARS], lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


async def release(uow: UnitOfWork, owner: str, notice_ids: Iterable[int] | None = None) -> int:
    """Give back `owner`'s leases on undelivered rows (all of them when no ids); caller commits."""
    query = update(OutboxNotice).where(OutboxNotice.lease_owner == owner,
                                       OutboxNotice.done_at.is_(None))
    if notice_ids is not None:
        ids = list(notice_ids)
        if not ids:
            return 0
        query = query.where(OutboxNotice.id.in_(ids))
    result = await uow.session.execute(
        query.values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    return rows_matched(result)


async def pending_count(uow: UnitOfWork) -> int:
    """How many notices are not finished yet (due or not, leased or not)."""
    return (await uow.session.execute(
        select(func.count()).select_from(OutboxNotice).where(OutboxNotice.done_at.is_(None))
    )).scalar_one()


async def forget_finished_before(uow: UnitOfWork, moment: datetime, *,
                                 keep_failed: bool = False) -> int:
    """Delete rows finished before `moment`; caller commits. Returns rows deleted.

    Any outcome goes, unless `keep_failed`: failed notices then stay for a person to look at.
    """
    query = delete(OutboxNotice).where(OutboxNotice.done_at.is_not(None),
                                       OutboxNotice.done_at < moment)
    if keep_failed:
        query = query.where(OutboxNotice.outcome != FAILED)
    result = await uow.session.execute(query.execution_options(synchronize_session=False))
    return rows_matched(result)


__all__ = [
    "COALESCED", "CONVERSATION_LINK_COLUMNS", "DELIVERED", "DeliveredMarks", "FAILED",
    "INCIDENT_LINK_COLUMNS",
    "MESSAGE_LINK_COLUMNS",
    "LeasedRow", "forget_finished_before", "lease_batch", "mark_coalesced", "mark_delivered",
    "mark_failed", "pending_count", "release", "renew", "schedule_retry", "store_links",
]
