"""Alembic migrations match the models, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from conversations import timers
from storage import migrate
from storage.database import Database
from storage.migrate import MigrationResult
from storage.models import (
    SEARCH_FTS_COLUMN,
    SEARCH_FTS_TABLE_PREFIX,
    Base,
    ConversationTimer,
    Workspace,
)

# Revision files are named by their id and numbered in order: the last one is head.
REVISIONS = sorted(p.stem for p in (migrate.MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
HEAD = REVISIONS[-1]
MODEL_TABLES = set(Base.metadata.tables)
# slack_sdk's installation/OAuth state tables (0004): made by a migration, not in the
# models; compared with slack_sdk's own definitions in test_slack_tables.py instead.
SLACK_SDK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def _ours(name: str | None, type_: str, parent_names: Any) -> bool:
    # The same filter as storage/migrations/env.py's include_name.
    if type_ == "table" and name is not None:
        return not name.startswith(("slack_", SEARCH_FTS_TABLE_PREFIX))
    if type_ == "column" and parent_names.get("table_name") == "search_document":
        return name != SEARCH_FTS_COLUMN
    return not (type_ == "index" and name == "ix_search_document_words")


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                           "include_name": _ours})
    return compare_metadata(context, Base.metadata)


def _search_fts_tables(db: Database) -> set[str]:
    # SQLite's FTS5 table of search_document and its shadow tables (migration 0020).
    return {"search_fts", *(f"search_fts_{s}" for s in ("data", "idx", "docsize",
                                                         "config"))} if db.is_sqlite else set()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _run(db: Database, fn: Any) -> Any:
    async with db.engine.connect() as conn:
        return await conn.run_sync(fn)


def test_head_is_the_last_numbered_revision() -> None:
    assert REVISIONS[0] == "0001_initial"
    assert migrate.head_revision() == HEAD
    assert (migrate.MIGRATIONS_DIR / "versions" / f"{HEAD}.py").is_file()
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()


async def test_upgrade_empty_database_matches_models(database_factory: Any) -> None:
    db = database_factory()
    assert await _run(db, _tables) == set()
    assert await migrate.current_revision(db) is None
    assert await migrate.pending(db) == REVISIONS

    result = await migrate.upgrade(db)

    assert result == MigrationResult(before=None, after=HEAD)
    assert result.changed
    assert await _run(db, _tables) - _search_fts_tables(db) == (
        MODEL_TABLES | SLACK_SDK_TABLES | {"alembic_version"})
    assert await _run(db, _diff) == []
    assert await migrate.current_revision(db) == HEAD
    assert await migrate.pending(db) == []


async def test_partial_indexes_survive_the_migration(database_factory: Any) -> None:
    db = database_factory()
    await migrate.upgrade(db)
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = await conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'"))
        else:
            rows = await conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'outbox'"
                " AND schemaname = current_schema()"))
        definitions = {name: sql for name, sql in rows}
    for name in ("ix_outbox_pending", "ix_outbox_due"):
        assert "done_at IS NULL" in definitions[name], definitions[name]


async def _conversation_indexes(db: Database) -> dict[str, str]:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = await conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'conversation' AND sql IS NOT NULL"))
        else:
            rows = await conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'conversation'"
                " AND schemaname = current_schema()"))
        return dict(rows.all())


async def _fillfactor(db: Database, table: str = "conversation") -> list[str] | None:
    async with db.engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT reloptions FROM pg_class WHERE relname = :table"
            " AND relnamespace = current_schema()::regnamespace"), {"table": table})).scalar_one()


async def test_no_conversation_index_names_a_flag_or_a_due_time(database_factory: Any) -> None:
    # Setting a flag must change no indexed column (a HOT update on PostgreSQL): the
    # sweeps find due conversations in conversation_timer instead.
    db = database_factory()
    await migrate.upgrade(db)
    definitions = await _conversation_indexes(db)
    assert definitions, "the conversation table has indexes"
    moments = [c.name for c in Base.metadata.tables["conversation"].columns
               if c.name.endswith("_at") and c.name not in ("opened_at",)]
    for name, definition in definitions.items():
        assert not any(moment in definition for moment in moments), (name, definition)
    if db.is_postgresql:
        assert await _fillfactor(db) == ["fillfactor=60"]
        assert await _fillfactor(db, "conversation_timer") == ["parallel_workers=0"]
        made = database_factory()
        async with made.engine.begin() as conn:  # create_all (the tests' schema) alike
            await conn.exec_driver_sql("DROP TABLE conversation CASCADE")
            await conn.run_sync(Base.metadata.tables["conversation"].create)
        assert await _fillfactor(made) == ["fillfactor=60"]


async def test_the_timers_migration_arms_what_the_columns_say(database_factory: Any) -> None:
    # Conversations of every status with each flag and due time set or not, made before
    # 0009: its backfill must give the rows conversations.timers would.
    db = database_factory()
    await migrate.upgrade(db, "0008_stall_indexes_armed_only")
    now = db.clock.now()
    table = Base.metadata.tables["conversation"]
    # (The due-date columns came after 0009, with no timers to backfill.)
    moments = [c.name for c in table.columns if c.name.endswith("_at")
               and c.name not in ("opened_at", "updated_at", "last_requester_message_at")
               and not c.name.startswith("due_")]
    rows = []
    for status in ("new", "open", "waiting", "on_hold", "resolved", "closed"):
        for pattern in range(len(moments) + 2):
            row = {name: now + timedelta(minutes=n) for n, name in enumerate(moments)
                   if pattern == 0 or (n + pattern) % 3 != 0}
            if pattern % 2 == 0:  # unset what the checks need unset, some of the time
                for name in ("first_response_at", "sla_paused_at", "first_response_warned_at",
                             "resolution_warned_at", "unassigned_flagged_at",
                             "agent_nudged_at", "first_response_breached_at",
                             "resolution_breached_at"):
                    row.pop(name, None)
            rows.append({**dict.fromkeys(moments), **row, "status": status,
                         "assignee_id": 1 if pattern % 4 < 2 else None})
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO workspace (id, platform, external_id, created_at, "
                                "last_ref) VALUES (1, 'slack', 'T1', :now, 1000)"), {"now": now})
        await conn.execute(text("INSERT INTO person (id, workspace_id, external_id, display_name,"
                                " is_platform_admin, available, created_at, updated_at) VALUES "
                                "(1, 1, 'U1', 'Dana', false, true, :now, :now)"), {"now": now})
        await conn.execute(text("INSERT INTO desk (id, workspace_id, name, slug, language, "
                                "routing_keywords, settings, created_at) VALUES (1, 1, 'IT', "
                                "'it', 'en', '[]', '{}', :now)"), {"now": now})
        await conn.execute(table.insert(), [
            {**row, "id": n, "workspace_id": 1, "ref": 1000 + n, "desk_id": 1,
             "requester_id": 1, "kind": "inquiry", "priority": 3, "subject": "s",
             "opened_at": now, "updated_at": now, "last_requester_message_at": now,
             "sla_paused_seconds": 0} for n, row in enumerate(rows, 1)])

    await migrate.upgrade(db)

    async with db.unit_of_work(readonly=True) as uow:
        assert await timers.out_of_step(uow) == []
        kinds = set((await uow.session.execute(
            select(ConversationTimer.kind).distinct())).scalars())
    # Every kind whose columns existed then (the due dates' came later: none to arm).
    assert kinds == timers.ALL - {timers.DUE_WARNING.name, timers.DUE_PASSED.name}


async def test_second_upgrade_does_nothing(database_factory: Any) -> None:
    db = database_factory()
    await migrate.upgrade(db)

    again = await migrate.upgrade(db)

    assert again == MigrationResult(before=HEAD, after=HEAD)
    assert not again.changed
    assert await _run(db, _diff) == []


async def test_downgrade_to_base_and_up_again(database_factory: Any) -> None:
    db = database_factory()
    await migrate.upgrade(db)

    down = await migrate.downgrade(db, "base")

    assert down == MigrationResult(before=HEAD, after=None)
    assert await _run(db, _tables) <= {"alembic_version"}
    assert await migrate.current_revision(db) is None

    up = await migrate.upgrade(db)

    assert up == MigrationResult(before=None, after=HEAD)
    assert await _run(db, _diff) == []


async def test_migrated_schema_serves_the_unit_of_work(database_factory: Any) -> None:
    db = database_factory()
    await migrate.upgrade(db)
    async with db.unit_of_work() as uow:
        uow.session.add(Workspace(platform="slack", external_id="T1", created_at=db.clock.now()))
        await uow.commit()
    async with db.unit_of_work(readonly=True) as uow:
        workspace = (await uow.session.execute(Workspace.__table__.select())).one()
    assert workspace.last_ref == 1000  # the server default made it into the migration
    assert workspace.created_at == db.clock.now()


async def test_upgrade_by_url_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    url = f"sqlite+aiosqlite:///{path}"

    assert await migrate.upgrade(url) == MigrationResult(None, HEAD)
    assert path.is_file()
    assert await migrate.current_revision(url) == HEAD
    assert (await migrate.upgrade(url)).changed is False


async def test_env_builds_its_own_engine_when_given_only_a_url(tmp_path: Path) -> None:
    # The path `alembic` itself would take: no connection, just sqlalchemy.url.
    url = f"sqlite:///{tmp_path / 'standalone.db'}"
    await asyncio.to_thread(command.upgrade, migrate.alembic_config(url), "head")

    assert await migrate.current_revision(url) == HEAD
    db = Database(url)
    try:
        assert await _run(db, _diff) == []
    finally:
        await db.dispose()


async def test_sqlite_foreign_keys_are_back_on_after_migrating(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fk.db'}", pool_size=1, max_overflow=0)
    try:
        await migrate.upgrade(db)
        async with db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("target", ["head", HEAD])
async def test_upgrade_accepts_a_revision(database_factory: Any, target: str) -> None:
    db = database_factory()
    assert (await migrate.upgrade(db, target)).after == HEAD
