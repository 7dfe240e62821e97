"""Bulk writes of `conversation_timer` rows: drop and add many timers in one round trip.

`conversations.timers` says which checks are armed and keeps one conversation's rows in
step; a sweep's applier (`storage.sweep_applier`) drops and adds a batch's with these.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy import text

from storage.database import UnitOfWork
from storage.models import ConversationTimer
from storage.types import to_driver


async def disarm_kinds(uow: UnitOfWork, ids_by_kind: Mapping[str, Collection[int]]) -> None:
    """Delete the timers of each kind of these conversations (kind -> conversation ids;
    those that exist): one round trip.

    The sweeps drop a different set of kinds per conversation, a thousand at a time.
    """
    batches = [(kind, sorted(set(ids))) for kind, ids in sorted(ids_by_kind.items()) if ids]
    if not batches:
        return
    connection = await uow.session.connection()
    if uow.db.is_postgresql:
        # One execution per kind, sent together (asyncpg's executemany): each probes
        # the primary key for its ids. (One statement joining the pairs unnested was
        # planned as a hash join over the whole table.)
        await connection.execute(_DISARM_KIND, [{"kind": kind, "ids": ids}
                                                for kind, ids in batches])
    else:  # one execution per kind, its ids one JSON parameter: a primary-key probe each
        # (a third cheaper than an execution per timer: bench/README.md)
        await connection.exec_driver_sql(_DISARM_KIND_SQLITE,
                                         [(kind, json.dumps(ids)) for kind, ids in batches])


_DISARM_KIND = text("DELETE FROM conversation_timer "
                    "WHERE kind = :kind AND conversation_id = ANY(CAST(:ids AS BIGINT[]))")
_DISARM_KIND_SQLITE = ("DELETE FROM conversation_timer WHERE kind = ? "
                       "AND conversation_id IN (SELECT value FROM json_each(?))")


async def arm(uow: UnitOfWork, rows: Iterable[tuple[int, str, datetime]]) -> None:
    """Add timers (conversation id, kind, due time) not armed yet: one execution.

    A sweep arms a hundred at a time: on PostgreSQL three arrays, on SQLite the
    driver's executemany, the times written as the column type writes them.
    """
    rows = list(rows)
    if not rows:
        return
    connection = await uow.session.connection()
    if uow.db.is_postgresql:
        ids, kinds, dues = zip(*rows, strict=True)
        await connection.execute(_ARM_ARRAYS, {"ids": list(ids), "kinds": list(kinds),
                                               "dues": list(dues)})
        return
    bind = to_driver(ConversationTimer.due_at.type, connection.dialect)
    await connection.exec_driver_sql(
        "INSERT INTO conversation_timer (conversation_id, kind, due_at) VALUES (?, ?, ?)",
        [(conversation_id, kind, bind(due)) for conversation_id, kind, due in rows])


_ARM_ARRAYS = text(
    "INSERT INTO conversation_timer (conversation_id, kind, due_at) "
    "SELECT * FROM unnest(CAST(:ids AS BIGINT[]), CAST(:kinds AS VARCHAR[]), "
    "CAST(:dues AS TIMESTAMPTZ[]))")
