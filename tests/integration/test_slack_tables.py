"""Migration 0004 makes exactly slack_sdk's installation and OAuth state tables.

The migration writes the columns out (the core does not import slack_sdk); these tests
compare what it made with slack_sdk's own table definitions, on SQLite and PostgreSQL,
so a slack_sdk upgrade that changes its tables fails here rather than at install time.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from storage import migrate

SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
BEFORE_SLACK = "0003_inbound_events"


def slack_sdk_metadata() -> MetaData:
    """slack_sdk's tables, under the default names our stores use."""
    metadata = MetaData()
    store = AsyncSQLAlchemyInstallationStore
    store.build_installations_table(metadata, store.default_installations_table_name)
    store.build_bots_table(metadata, store.default_bots_table_name)
    states = AsyncSQLAlchemyOAuthStateStore
    states.build_oauth_states_table(metadata, states.default_table_name)
    return metadata


def _slack_only(name: str | None, type_: str, parent_names: Any) -> bool:
    return type_ != "table" or name in SLACK_TABLES


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _slack_only})
    return compare_metadata(context, slack_sdk_metadata())


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _run(db: Any, fn: Any) -> Any:
    async with db.engine.connect() as conn:
        return await conn.run_sync(fn)


def test_our_names_are_slack_sdks_defaults() -> None:
    assert set(slack_sdk_metadata().tables) == SLACK_TABLES


async def test_migrated_tables_match_slack_sdk(database_factory: Any) -> None:
    db = database_factory()
    await migrate.upgrade(db)

    assert SLACK_TABLES <= await _run(db, _tables)
    assert await _run(db, _diff) == []


async def test_the_comparison_sees_missing_tables(database_factory: Any) -> None:
    # Proves the comparison above can fail: before 0004, every slack_sdk table is missing.
    db = database_factory()
    await migrate.upgrade(db, BEFORE_SLACK)

    diff = await _run(db, _diff)

    assert {entry[1].name for entry in diff if entry[0] == "add_table"} == SLACK_TABLES


async def test_downgrade_drops_the_slack_tables(database_factory: Any) -> None:
    db = database_factory()
    await migrate.upgrade(db)

    result = await migrate.downgrade(db, BEFORE_SLACK)

    assert result.after == BEFORE_SLACK
    assert not SLACK_TABLES & await _run(db, _tables)
    assert (await migrate.upgrade(db)).after == migrate.head_revision()
    assert await _run(db, _diff) == []
