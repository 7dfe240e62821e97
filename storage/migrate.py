"""Alembic migrations, run from code: upgrade, downgrade, current and pending revisions.

There is no alembic.ini: `alembic_config()` points Alembic at `storage/migrations`,
which ships inside the package. Every function takes a `Database`, an `AsyncEngine`
or a URL and runs Alembic on one connection through `run_sync`, so it works inside
a running event loop (the server migrates SQLite at start this way).

A new revision: change `storage/models.py`, then
`python -m storage.migrate revision 0002_what_changed "What changed"` autogenerates
it against a scratch SQLite database at head; read and tidy the result, and check it
on PostgreSQL (`tests/integration/test_migrations.py` does).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Serialises `deskbot db upgrade` run by several replicas at once on PostgreSQL.
PG_ADVISORY_LOCK_KEY = 0x6465736B626F74  # "deskbot"

Target = Database | AsyncEngine | str
T = TypeVar("T")


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (it was rolled back)."""


@dataclass(frozen=True)
class MigrationResult:
    """What an upgrade or downgrade did: the revision before and after it."""

    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        """Whether any migration ran."""
        return self.before != self.after


def alembic_config(url: str | None = None) -> Config:
    """An Alembic `Config` for deskbot's migrations, built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Revision files are named by their id alone: versions/0001_initial.py.
    config.set_main_option("file_template", "%%(rev)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def script_directory() -> ScriptDirectory:
    """The revisions shipped with this version of deskbot."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str | None:
    """The newest revision this version of deskbot knows."""
    return script_directory().get_current_head()


def _sqlite_pragma(connection: Connection, statement: str) -> Any:
    # PRAGMA foreign_keys only works outside a transaction, and SQLAlchemy would
    # begin one on the first execute: go through the DB-API connection instead.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else None


@contextmanager
def migration_transaction(connection: Connection) -> Iterator[None]:
    """Hold `connection` for one migration run, committed at the end of the block.

    On SQLite, foreign keys are off while it runs (batch migrations copy and drop
    tables, and a drop with foreign keys on would cascade) and checked before the
    commit. On PostgreSQL an advisory lock keeps two replicas from migrating at once.
    Anything not committed is rolled back.
    """
    sqlite = connection.dialect.name == "sqlite"
    if connection.in_transaction():
        raise MigrationError("migrations need a connection that is not in a transaction")
    foreign_keys_were_on = False
    if sqlite:
        foreign_keys_were_on = bool(_sqlite_pragma(connection, "PRAGMA foreign_keys"))
        _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
    try:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_ADVISORY_LOCK_KEY})")
        yield
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MigrationError(f"foreign key check failed after migrating: {broken[:5]}")
        if connection.in_transaction():
            connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        if foreign_keys_were_on:
            _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


@asynccontextmanager
async def _connect(target: Target, *, readonly: bool = False) -> Any:
    owned: Database | None = None
    if isinstance(target, str):
        owned = target = Database(target)
    engine = target.engine if isinstance(target, Database) else target
    if readonly:
        # Database's SQLite engine takes the write lock at BEGIN unless told not to.
        engine = engine.execution_options(deskbot_readonly=True)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        if owned is not None:
            await owned.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _run_command(target: Target, action: Callable[[Config], None]) -> MigrationResult:
    def run(connection: Connection) -> MigrationResult:
        config = alembic_config()
        config.attributes["connection"] = connection
        with migration_transaction(connection):
            before = _revision_of(connection)
            action(config)
            after = _revision_of(connection)
        return MigrationResult(before, after)

    conn: AsyncConnection
    async with _connect(target) as conn:
        return await conn.run_sync(run)


async def upgrade(target: Target, revision: str = "head") -> MigrationResult:
    """Migrate the database up to `revision` (default: the newest); a no-op when there.

    Runs in one transaction on both SQLite and PostgreSQL: a failed migration leaves
    the database as it was.
    """
    return await _run_command(target, lambda config: command.upgrade(config, revision))


async def downgrade(target: Target, revision: str) -> MigrationResult:
    """Migrate the database down to `revision` (`"base"`: drop everything deskbot made)."""
    return await _run_command(target, lambda config: command.downgrade(config, revision))


async def current_revision(target: Target) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    conn: AsyncConnection
    async with _connect(target, readonly=True) as conn:
        return await conn.run_sync(_revision_of)


async def pending(target: Target) -> list[str]:
    """Revisions not yet applied to the database, oldest first."""
    current = await current_revision(target)
    scripts = script_directory()
    revisions = scripts.iterate_revisions("heads", current or "base")
    return [script.revision for script in reversed(list(revisions))]


async def autogenerate_revision(rev_id: str, message: str) -> list[str]:
    """Write a new revision file from the difference between the models and head.

    Compares against a scratch SQLite database migrated to head. Returns the paths of
    the files written.
    """
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}")
        try:
            await upgrade(db)

            def generate(connection: Connection) -> list[str]:
                config = alembic_config()
                config.attributes["connection"] = connection
                scripts = command.revision(config, message=message, autogenerate=True,
                                           rev_id=rev_id)
                listed = scripts if isinstance(scripts, list) else [scripts]
                return [script.path for script in listed if script is not None]

            async with db.engine.connect() as conn:
                return await conn.run_sync(generate)
        finally:
            await db.dispose()


def _main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "revision":
        print("usage: python -m storage.migrate revision REV_ID MESSAGE", file=sys.stderr)
        return 2
    for path in asyncio.run(autogenerate_revision(argv[1], argv[2])):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
