"""Appending events and writing outbox notices: the two side effects of every command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table

from storage.database import UnitOfWork
from storage.models import Event, OutboxNotice
from storage.types import to_driver


def record_event(uow: UnitOfWork, *, workspace_id: int, kind: str,
                 conversation_id: int | None = None, desk_id: int | None = None,
                 actor_id: int | None = None, **data: Any) -> Event:
    """Append an audit event to the unit of work (committed with it)."""
    event = Event(workspace_id=workspace_id, conversation_id=conversation_id, desk_id=desk_id,
                  actor_id=actor_id, kind=kind, data=data, created_at=uow.clock.now())
    uow.session.add(event)
    return event


def write_notice(uow: UnitOfWork, *, workspace_id: int, kind: str,
                 conversation_id: int | None = None, person_id: int | None = None,
                 payload: dict[str, Any] | None = None, ordering_key: str | None = None,
                 delay: timedelta | None = None) -> OutboxNotice:
    """Put a notice in the outbox, in the caller's transaction.

    Notices of one conversation share an ordering key and are delivered in order;
    a notice about a person alone is ordered with that person's other notices.
    """
    ordering_key = ordering_key or _ordering_key(workspace_id, conversation_id, person_id)
    now = uow.clock.now()
    notice = OutboxNotice(workspace_id=workspace_id, conversation_id=conversation_id,
                          person_id=person_id, kind=kind, payload=payload or {},
                          ordering_key=ordering_key, created_at=now,
                          available_at=now + (delay or timedelta(0)), attempts=0)
    uow.session.add(notice)
    return notice


def _ordering_key(workspace_id: int, conversation_id: int | None, person_id: int | None) -> str:
    if conversation_id is not None:
        return f"conversation:{conversation_id}"
    if person_id is not None:
        return f"person:{person_id}"
    return f"workspace:{workspace_id}"


class JournalBatch:
    """Events and notices gathered as plain rows and written with one statement per table.

    For sweeps that flag a thousand conversations at once (why: bench/README.md): the
    rows go to the driver as they are, not through the ORM's flush nor each value's
    bind processing: on PostgreSQL one binary COPY per table, on SQLite the driver's
    own executemany. Rows are written by `write()`, in the order they were added (ids
    ascend in that order), before the caller commits; use a batch only where nothing
    else in the unit of work writes notices of the same conversations (their order is
    the order they are written in).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.now = uow.clock.now()
        self.events: list[tuple[Any, ...]] = []
        self.notices: list[tuple[Any, ...]] = []
        # Every row ends with the constants (`_constants`), as the driver takes them.
        self._event_fixed = _fixed(uow, Event.__table__, self.now)
        self._notice_fixed = _fixed(uow, OutboxNotice.__table__, self.now)
        self._serialize = _json_serializer(uow)
        self._serialized: dict[tuple[Any, ...], str] = {}

    def event(self, workspace_id: int, kind: str, conversation_id: int | None = None,
              desk_id: int | None = None, actor_id: int | None = None,
              data: dict[str, Any] | None = None) -> None:
        """Like `record_event` (positional: a sweep adds thousands)."""
        self.events.append((workspace_id, conversation_id, desk_id, actor_id, kind,
                            self._json(data or {}), *self._event_fixed))

    def notice(self, workspace_id: int, kind: str, conversation_id: int | None = None,
               person_id: int | None = None, payload: dict[str, Any] | None = None) -> None:
        """Like `write_notice` (due now, in the usual ordering key)."""
        self.notices.append((workspace_id, conversation_id, person_id, str(kind),
                             self._json(payload or {}),
                             _ordering_key(workspace_id, conversation_id, person_id),
                             *self._notice_fixed))

    def _json(self, value: dict[str, Any]) -> str:
        # A sweep's thousand rows carry a handful of distinct small payloads. (The
        # types are in the key: True == 1 and hashes alike, but serializes otherwise.)
        if not value:
            return "{}"
        try:
            key = (*value, *map(type, value.values()), *map(_hashable, value.values()))
            return self._serialized[key]
        except TypeError:  # an unhashable value (a list of ids)
            return self._serialize(value)
        except KeyError:
            text = self._serialized[key] = self._serialize(value)
            return text

    async def write(self) -> None:
        """Insert what was gathered (in the caller's transaction) and start afresh."""
        for table, columns, rows in ((Event.__table__, _EVENT_COLUMNS, self.events),
                                     (OutboxNotice.__table__, _NOTICE_COLUMNS, self.notices)):
            if rows:
                await _insert_rows(self.uow, table, (*columns, *_constants(table, self.now)),
                                   rows)
        self.events, self.notices = [], []


def _hashable(value: Any) -> Any:
    # A list of ids (the leads told, the agents mentioned) keys as a tuple: its type is
    # in the key already, and with only ints in it no True/1 pair can meet.
    if type(value) is list and all(type(item) is int for item in value):
        return tuple(value)
    return value


# The columns a batch fills per row; then every row gets `created_at` (and a notice
# `available_at`) = now, and a notice `attempts` = 0.
_EVENT_COLUMNS = ("workspace_id", "conversation_id", "desk_id", "actor_id", "kind", "data")
_NOTICE_COLUMNS = ("workspace_id", "conversation_id", "person_id", "kind", "payload",
                   "ordering_key")


def _json_serializer(uow: UnitOfWork) -> Callable[[Any], str]:
    # What the JSON column type would use: the engine's serializer, else json.dumps.
    return getattr(uow.db.engine.dialect, "_json_serializer", None) or json.dumps


def _constants(table: Table, now: datetime) -> dict[str, Any]:
    constants: dict[str, Any] = {"created_at": now}
    if "available_at" in table.c:
        constants.update(available_at=now, attempts=0)
    return constants


def _fixed(uow: UnitOfWork, table: Table, now: datetime) -> tuple[Any, ...]:
    """The constants of `table`'s rows as its driver takes them (SQLite: as the column
    type writes them; asyncpg's COPY: as they are)."""
    constants = _constants(table, now)
    if uow.db.is_postgresql:
        return tuple(constants.values())
    dialect = uow.db.engine.dialect
    return tuple(to_driver(table.c[name].type, dialect)(value)
                 for name, value in constants.items())


async def _insert_rows(uow: UnitOfWork, table: Table, columns: tuple[str, ...],
                       rows: list[tuple[Any, ...]]) -> None:
    """Insert `rows` (values of `columns` as the driver takes them, JSON serialized)."""
    connection = await uow.session.connection()
    if uow.db.is_postgresql:
        # COPY, through asyncpg's binary protocol (cheaper than INSERT ... SELECT FROM
        # unnest(arrays): bench/README.md). Ids are handed out in the order the rows come.
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, columns=columns, records=rows)
        return
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    await connection.exec_driver_sql(sql, rows)
