"""Engine, sessions and the unit of work, for SQLite (embedded default) and PostgreSQL.

A unit of work is one transaction: a core command changes state, appends events and
writes outbox notices through it, and all of that commits together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.clock import Clock, SystemClock

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./deskbot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

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


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, a busy timeout, and write transactions that lock at BEGIN.

    `BEGIN IMMEDIATE` takes SQLite's write lock when the transaction starts, so two
    commands on one conversation run one after the other instead of failing with
    "database is locked" at commit. Read-only units of work use a deferred BEGIN.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("deskbot_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class Database:
    """The engine and its sessions; built once in `bot/bootstrap.py` and passed around."""

    def __init__(self, url: str = DEFAULT_DATABASE_URL, *, clock: Clock | None = None,
                 echo: bool = False, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.clock: Clock = clock or SystemClock()
        self.engine: AsyncEngine = create_async_engine(self.url, echo=echo, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        if self.is_sqlite:
            _configure_sqlite(self.engine)
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
        self._writer: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        """Start a unit of work; use as `async with db.unit_of_work() as uow:`."""
        factory = self._readonly_sessions if readonly else self._sessions
        return UnitOfWork(self, factory(), readonly=readonly)

    def on_after_commit(self, hook: CommitHook) -> None:
        """Call `hook` after every successful commit (the dispatcher's wake-up)."""
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

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


class UnitOfWork:
    """One transaction. Commits on `commit()`; anything not committed is rolled back on exit."""

    def __init__(self, db: Database, session: AsyncSession, *, readonly: bool) -> None:
        self.db = db
        self.session = session
        self.readonly = readonly
        self.clock = db.clock
        self._committed = False
        self._holds_writer = False

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

    async def commit(self) -> None:
        """Flush, run before-commit hooks, commit, then run after-commit hooks."""
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
