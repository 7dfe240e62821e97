"""Engine, sessions and the unit of work, for SQLite (embedded default) and PostgreSQL.

A unit of work is one transaction: a core command changes state, appends events and
writes outbox notices through it, and all of that commits together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver
from storage.business_time import BusinessTime
from storage.clock import Clock, SystemClock
from storage.limits import OpeningLimit

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./deskbot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# On the loop's thread (storage/sqlite_driver.py) a busy wait blocks everything, so
# waiting for another process that holds the file is kept under Slack's 3 s ack.
SQLITE_ON_LOOP_BUSY_TIMEOUT_MS = 2_000

T = TypeVar("T")
CommitHook = Callable[[], None]
BeforeCommitHook = Callable[["UnitOfWork"], Awaitable[None] | None]


def normalise_url(url: str) -> str:
    """Give a plain `sqlite://` or `postgresql://` URL its async driver."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
                      autocheckpoint: bool = True) -> None:
    """WAL, foreign keys, a busy timeout, and write transactions that lock at BEGIN.

    `BEGIN IMMEDIATE` takes SQLite's write lock when the transaction starts, so two
    commands on one conversation run one after the other instead of failing with
    "database is locked" at commit. Read-only units of work use a deferred BEGIN.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        if not autocheckpoint:  # the Checkpointer thread does it, off the event loop
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("deskbot_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class WriterLock(asyncio.Lock):
    """SQLite's one writer in this process; it knows how many writes wait for it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0

    async def acquire(self) -> Literal[True]:
        """Take the writer (in arrival order), counted among `waiting` meanwhile."""
        self.waiting += 1
        try:
            return await super().acquire()
        finally:
            self.waiting -= 1


# event loop -> SQLite file -> the writer lock of this process (see Database._writer).
_FILE_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, WriterLock]] = (
    weakref.WeakKeyDictionary())


class Checkpointer:
    """Moves SQLite's WAL into the database file from a thread of its own, every second.

    A commit that crosses the WAL's size threshold checkpoints in the committing
    connection: copying pages and an fsync, 5–20 ms. With statements on the event
    loop's thread (storage/sqlite_driver.py) that would stop every request for as long,
    so those connections never checkpoint and this thread does, PASSIVE (it never
    blocks a reader or writer; sqlite3 releases the GIL while it works).
    """

    INTERVAL_SECONDS = 1.0

    def __init__(self, path: str) -> None:
        self.path = path
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        """Start the thread (once; the first write calls this)."""
        if self._thread is None and not self._stopped.is_set():
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="sqlite-checkpoint")
                    self._thread.start()

    def _run(self) -> None:
        connection = None
        try:
            while not self._stopped.wait(self.INTERVAL_SECONDS):
                try:
                    if connection is None:
                        connection = sqlite3.connect(self.path, timeout=0,
                                                     check_same_thread=False)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # busy now; the next turn tries again
                    log.debug("checkpoint skipped: %s", error)
        finally:
            if connection is not None:
                connection.close()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        self._stopped.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        try:  # the last turn: leave a small WAL behind
            with sqlite3.connect(self.path, timeout=1) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            pass


class Database:
    """The engine and its sessions; built once in `bot/bootstrap.py` and passed around."""

    def __init__(self, url: str = DEFAULT_DATABASE_URL, *, clock: Clock | None = None,
                 echo: bool = False, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.clock: Clock = clock or SystemClock()
        # Set by bot/bootstrap.py (and tests): due times are stored only when there is one.
        self.business_time: BusinessTime | None = None
        # How many requests one person may open in a while (None: no limit); bootstrap
        # sets it from the settings.
        self.opening_limit: OpeningLimit | None = None
        parsed = make_url(self.url)
        busy_timeout_ms = SQLITE_BUSY_TIMEOUT_MS
        self._checkpointer: Checkpointer | None = None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and "async_creator" not in engine_kwargs and "creator" not in engine_kwargs:
            # A file: statements run on the loop's thread (see storage/sqlite_driver.py).
            busy_timeout_ms = SQLITE_ON_LOOP_BUSY_TIMEOUT_MS
            engine_kwargs["async_creator"] = sqlite_driver.creator(
                parsed.database, busy_timeout_s=busy_timeout_ms / 1000)
            self._checkpointer = Checkpointer(parsed.database)
        # SQLAlchemy keeps 500 compiled statements by default; deskbot's hot paths use
        # more than that, and a statement compiled again costs more than running it.
        engine_kwargs.setdefault("query_cache_size", 4000)
        self.engine: AsyncEngine = create_async_engine(self.url, echo=echo, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        if self.is_sqlite:
            _configure_sqlite(self.engine.sync_engine, busy_timeout_ms=busy_timeout_ms,
                              autocheckpoint=self._checkpointer is None)
        self._readonly_engine = self.engine.execution_options(deskbot_readonly=True)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._readonly_sessions = async_sessionmaker(self._readonly_engine,
                                                     expire_on_commit=False)
        self._after_commit: list[CommitHook] = []
        self._before_commit: list[BeforeCommitHook] = []
        # SQLite has one writer at a time. Waiting for it in SQLite's busy handler means
        # sleeping in growing steps (tens of ms); queueing writers of this process on an
        # asyncio lock hands the file over at once, in arrival order. (Other processes
        # on the same file still meet the busy timeout.)
        # Several Database objects on one file in one process (tests' "replicas") share
        # the lock: with statements on the loop's thread, one of them waiting in SQLite's
        # busy handler would stop the loop, and with it the other that holds the file.
        self._file = (str(Path(parsed.database).resolve())
                      if self.is_sqlite and parsed.database not in (None, "", ":memory:")
                      else None)
        self._own_writer = WriterLock() if self.is_sqlite else None

    @property
    def _writer(self) -> WriterLock | None:
        if self._checkpointer is not None:
            self._checkpointer.ensure_started()
        if self._file is None:
            return self._own_writer
        locks = _FILE_WRITERS.setdefault(asyncio.get_running_loop(), {})
        lock = locks.get(self._file)
        if lock is None:
            lock = locks[self._file] = WriterLock()
        return lock

    def writer_wanted(self) -> bool:
        """Whether a write of this process waits for SQLite's one writer (never on
        PostgreSQL, whose writers do not wait for each other's transactions)."""
        lock = self._writer
        return lock is not None and lock.waiting > 0

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        """Start a unit of work; use as `async with db.unit_of_work() as uow:`."""
        factory = self._readonly_sessions if readonly else self._sessions
        return UnitOfWork(self, factory(), readonly=readonly)

    def on_after_commit(self, hook: CommitHook) -> None:
        """Call `hook` after every successful commit (the outbox worker's wake-up)."""
        self._after_commit.append(hook)

    def on_before_commit(self, hook: BeforeCommitHook) -> Callable[[], None]:
        """Call `hook(uow)` just before every commit; returns a function that removes it.

        Tests use it to inject a failure between the state change and the commit.
        """
        self._before_commit.append(hook)
        return lambda: self._before_commit.remove(hook)

    async def create_all(self) -> None:
        """Create every table from the models (tests; production uses migrations)."""
        from storage.models import Base

        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def write(self, statement: Any, rows: list[dict[str, Any]] | None = None) -> list[Any]:
        """Run one Core statement as its own write transaction; its rows, if it returns any.

        The lean path for hot single statements (storing arrivals before the ack): no
        ORM session, the same writer lock as a unit of work. After-commit hooks do not
        run: they wake the outbox worker, and such a statement writes no notices
        (waking it for every batch of arrivals had it lease an empty outbox, under the
        writer lock, a hundred times a second).
        """
        if self._writer is not None:
            await self._writer.acquire()
        try:
            async with self.engine.begin() as connection:
                result = await connection.execute(statement, rows)
                returned = list(result.all()) if result.returns_rows else []
        finally:
            if self._writer is not None:
                self._writer.release()
        return returned

    async def dispose(self) -> None:
        """Close every pooled connection (and stop the checkpoint thread)."""
        await self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.stop()


class UnitOfWork:
    """One transaction. Commits on `commit()`; anything not committed is rolled back on exit."""

    def __init__(self, db: Database, session: AsyncSession, *, readonly: bool) -> None:
        self.db = db
        self.session = session
        self.readonly = readonly
        self.clock = db.clock
        self.business_time = db.business_time
        self._committed = False
        self._holds_writer = False
        # Work the core leaves for just before commit, once per unit however many
        # changes asked for it (e.g. refreshing the search documents of what changed).
        self._before_commit_once: dict[str, BeforeCommitHook] = {}

    async def __aenter__(self) -> Self:
        if not self.readonly and self.db._writer is not None:
            await self.db._writer.acquire()
            self._holds_writer = True
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            # A read-only unit keeps what it loaded usable after exit (close() detaches
            # without expiring); a write that did not commit is rolled back and expired.
            if not self._committed and not self.readonly:
                await self.session.rollback()
        finally:
            try:
                # Closing must happen even when the task is being cancelled.
                await asyncio.shield(self.session.close())
            finally:
                if self._holds_writer:
                    self._holds_writer = False
                    self.db._writer.release()  # type: ignore[union-attr]

    def before_commit_once(self, key: str, hook: BeforeCommitHook) -> None:
        """Run `hook(self)` just before this unit commits, once for `key` (a second
        call with the same key keeps the first hook)."""
        self._before_commit_once.setdefault(key, hook)

    async def commit(self) -> None:
        """Flush, run before-commit hooks, commit, then run after-commit hooks."""
        while self._before_commit_once:
            _key, once = self._before_commit_once.popitem()
            result = once(self)
            if result is not None:
                await result
        await self.session.flush()
        for hook in list(self.db._before_commit):
            result = hook(self)
            if result is not None:
                await result
        await self.session.commit()
        self._committed = True
        for after in list(self.db._after_commit):
            try:
                after()
            except Exception:  # a wake-up must never undo a committed command
                log.exception("after-commit hook failed")


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE, DELETE or INSERT matched (the driver's rowcount).

    `AsyncSession.execute` is typed to return a `Result`; for such a statement it is a
    `CursorResult`, which is what carries the count.
    """
    return cast(CursorResult[Any], result).rowcount
