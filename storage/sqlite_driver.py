# ruff: noqa: D102 - the methods are aiosqlite's interface, as its documentation gives them
"""SQLite for the async engine, run on the event loop's thread.

aiosqlite hands every statement to a thread of its own and back. While the event
loop is busy (acknowledging Slack deliveries), each hand-over waits for a free loop
turn and for the GIL, up to the interpreter's 5 ms switch interval, so a transaction
of twenty statements held SQLite's write lock for 10–20 ms and every ack queued
behind it. SQLite itself answers our indexed statements in microseconds.

So this module offers aiosqlite's connection interface (the part SQLAlchemy's
`sqlite+aiosqlite` dialect uses) over a plain `sqlite3` connection that runs each call
right away. Waiting for another *process* holding the file is kept short by the
connection's busy timeout; writers of this process queue on the `Database`'s asyncio
lock and never meet one another in SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any


class Cursor:
    """aiosqlite's cursor interface over a sqlite3 cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid


class _Immediate:
    """Stands in for aiosqlite's job queue: runs the job at once, answers its future."""

    def put_nowait(self, job: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = job
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class Connection:
    """aiosqlite's connection interface over a sqlite3 connection, calls run in place."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._tx = _Immediate()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        cursor = Cursor(self._conn.cursor())
        return await cursor.execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        self._conn.close()


def creator(path: str, *, busy_timeout_s: float) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine` that opens `path` with sqlite3."""

    async def connect() -> Connection:
        # check_same_thread off: SQLAlchemy may close a pooled connection from the
        # thread that garbage-collects it; every use is on the loop's thread.
        connection = sqlite3.connect(path, timeout=busy_timeout_s, check_same_thread=False,
                                     detect_types=0, isolation_level=None)
        return Connection(connection)

    return connect
