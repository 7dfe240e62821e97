"""Shared fixtures: every storage and flow test runs on SQLite, and on PostgreSQL when
`DESKBOT_TEST_DATABASE_URL` is set (CI sets it). Each PostgreSQL test gets its own schema.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from storage.clock import FrozenClock
from storage.database import Database, normalise_url

PG_URL = os.environ.get("DESKBOT_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"deskbot: database tests run on SQLite and PostgreSQL ({_safe(PG_URL)})"
    return "deskbot: DESKBOT_TEST_DATABASE_URL not set - PostgreSQL was NOT tested (SQLite only)"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not PG_URL:
        terminalreporter.write_line(
            "deskbot: PostgreSQL was not tested (set DESKBOT_TEST_DATABASE_URL to test it)",
            yellow=True,
        )


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Leave out the cases that only exist on PostgreSQL (`postgresql_modes`) for SQLite.

    Two write transactions cannot interleave on SQLite (one writer at a time), so the
    interleavings a test forces there would test nothing: they are not collected, rather
    than collected and skipped.

    Tests marked `own_postgresql` (a PostgreSQL server of their own, tests/own_postgres.py)
    and those marked `postgresql_only` (PostgreSQL's own features: several replicas on
    one database) are collected only when PostgreSQL is tested at all
    (`DESKBOT_TEST_DATABASE_URL`).
    """
    kept, dropped = [], []
    for item in items:
        if not PG_URL and (item.get_closest_marker("own_postgresql") is not None
                           or item.get_closest_marker("postgresql_only") is not None):
            dropped.append(item)
            continue
        marker = item.get_closest_marker("postgresql_modes")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (marker is not None and params.get("backend") == "sqlite"
                and params.get("mode") in marker.args):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


class DatabaseFactory:
    """Makes `Database` objects that all point at the one test database (or schema)."""

    def __init__(self, url: str, engine_kwargs: dict[str, Any], clock: FrozenClock) -> None:
        self.url = url
        self.engine_kwargs = engine_kwargs
        self.clock = clock
        self.made: list[Database] = []

    def __call__(self, clock: Any = None) -> Database:
        db = Database(self.url, clock=clock or self.clock, **self.engine_kwargs)
        self.made.append(db)
        return db


class _FailedRuns(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def sweep_runs_whole(request: pytest.FixtureRequest) -> Iterator[None]:
    """A run of the sweeps that fails and falls back to one by one still gets its work
    done, so a test would pass over the failure: every test fails on one instead,
    unless it breaks a sweep on purpose (`sweeps_may_fail`)."""
    handler = _FailedRuns()
    logger = logging.getLogger("scheduling.sweeps")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if request.node.get_closest_marker("sweeps_may_fail") is None:
        failed = [m for m in handler.messages if "failed together" in m]
        assert not failed, f"a run of the sweeps failed and fell back: {failed}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def database_factory(backend: str, tmp_path: Path,
                           clock: FrozenClock) -> AsyncIterator[DatabaseFactory]:
    if backend == "sqlite":
        factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'deskbot.db'}", {}, clock)
        yield factory
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        url = normalise_url(PG_URL)
        admin = create_async_engine(url)
        async with admin.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        kwargs = {"connect_args": {"server_settings": {"search_path": schema}}}
        factory = DatabaseFactory(url, kwargs, clock)
        try:
            yield factory
        finally:
            for db in factory.made:
                await db.dispose()
            async with admin.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            await admin.dispose()
        return
    for db in factory.made:
        await db.dispose()


@pytest.fixture
async def db(database_factory: DatabaseFactory) -> AsyncIterator[Database]:
    """A migrated-from-models database on the current backend, with a frozen clock."""
    database = database_factory()
    await database.create_all()
    yield database
    await assert_timers_in_step(database)


async def assert_timers_in_step(database: Database) -> None:
    """Every test leaves `conversation_timer` in step with the conversations' columns."""
    from conversations import timers

    async with database.unit_of_work(readonly=True) as uow:
        assert await timers.out_of_step(uow) == [], "conversation_timer out of step"


MakeDb = Callable[..., Database]
