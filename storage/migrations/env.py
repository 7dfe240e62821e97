"""Alembic environment for deskbot: async engines, SQLite batch mode, no alembic.ini.

Build the configuration with `storage.migrate.alembic_config()`. When the caller puts
a (sync-facing) connection into `config.attributes["connection"]`, migrations run on
it: that is how `storage.migrate` runs them inside a running event loop through
`await conn.run_sync(...)`. Otherwise an async engine is built from the URL.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from storage.database import Database, normalise_url
from storage.migrate import migration_transaction
from storage.models import SEARCH_FTS_COLUMN, SEARCH_FTS_TABLE_PREFIX, Base
from storage.types import UTCDateTime

config = context.config
target_metadata = Base.metadata

# Tables made by a migration for a library's own store, not mapped in our models:
# slack_sdk's installation and OAuth state tables (0004). Autogenerate must neither
# drop them nor compare them with models that do not describe them.
FOREIGN_TABLE_PREFIXES = ("slack_", SEARCH_FTS_TABLE_PREFIX)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the library-owned tables (and so their indexes) out of autogenerate, and
    the full-text index of `search_document` (0020: DDL the models do not map)."""
    if type_ == "table" and name is not None:
        return not name.startswith(FOREIGN_TABLE_PREFIXES)
    if type_ == "column" and parent_names.get("table_name") == "search_document":
        return name != SEARCH_FTS_COLUMN
    if type_ == "index" and name == "ix_search_document_words":
        return False
    return True


def render_item(type_: str, obj: Any,
                autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the project's column types as plain SQLAlchemy ones in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        include_name=include_name,
        compare_type=True,
        **kwargs,
    )


def run_migrations_on(connection: Connection) -> None:
    """Run the pending migrations on one connection (the caller commits)."""
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _run_standalone(connection: Connection) -> None:
    with migration_transaction(connection):
        run_migrations_on(connection)


async def run_migrations_with_url(url: str) -> None:
    """Build a throw-away async engine from `url` and migrate it in one transaction."""
    db = Database(url, poolclass=NullPool)
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(_run_standalone)
    finally:
        await db.dispose()


def run_migrations_offline() -> None:
    """Emit the SQL to stdout instead of running it (`alembic upgrade --sql`)."""
    url = normalise_url(config.get_main_option("sqlalchemy.url") or "")
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"),
               dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the given connection, or a database reached through the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url in the Alembic config")
    asyncio.run(run_migrations_with_url(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
