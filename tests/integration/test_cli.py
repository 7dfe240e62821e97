"""The `deskbot` command run for real (a subprocess), and the server in process."""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot import bootstrap
from bot.cli import JsonFormatter, configure_logging, main
from bot.server import create_app
from bot.settings import Settings
from storage import migrate
from storage.clock import FrozenClock
from storage.database import Database, normalise_url
from storage.models import Base

PG_URL = os.environ.get("DESKBOT_TEST_DATABASE_URL", "").strip()
HEAD = migrate.head_revision()
TIMEOUT = 60


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without any deskbot setting, plus `extra`."""
    prefixes = ("DESKBOT_", "SLACK_", "MICROSOFT_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


def deskbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=clean_env(**env),
                          capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


# ---------------------------------------------------------------- deskbot db


def test_db_upgrade_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    url = f"sqlite+aiosqlite:///{path}"

    first = deskbot("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"database at {url} upgraded to {HEAD} (was empty)"
    # Plus slack_sdk's installation tables (migration 0004; not in the models).
    slack_sdk_tables = {"slack_installations", "slack_bots", "slack_oauth_states"}
    # And the search index's FTS5 table with its shadow tables (0020; not in the models).
    search_fts = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
                  "search_fts_config"}
    assert sqlite_tables(path) == (set(Base.metadata.tables) | slack_sdk_tables | search_fts
                                   | {"alembic_version"})

    second = deskbot("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)

    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"database at {url} already at head ({HEAD})"

    current = deskbot("db", "current", cwd=tmp_path, DATABASE_URL=url)
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == f"database at {url}: {HEAD} (head)"


def test_db_current_on_a_new_database_says_so(tmp_path: Path) -> None:
    result = deskbot("db", "current", cwd=tmp_path)  # the default ./deskbot.db, in cwd
    assert result.returncode == 0, result.stderr
    assert "not migrated (run `deskbot db upgrade`)" in result.stdout


def test_database_url_flag_overrides_the_environment(tmp_path: Path) -> None:
    from_env, from_flag = tmp_path / "env.db", tmp_path / "flag.db"

    result = deskbot("db", "upgrade", "--database-url", f"sqlite:///{from_flag}",
                     cwd=tmp_path, DATABASE_URL=f"sqlite:///{from_env}")

    assert result.returncode == 0, result.stderr
    assert "alembic_version" in sqlite_tables(from_flag)
    assert not from_env.exists()


def test_env_file_is_read_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'dotenv.db'}\n")
    result = deskbot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dotenv.db upgraded" in result.stdout


def test_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = deskbot("db", "upgrade", cwd=tmp_path,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("deskbot db upgrade: error: database at sqlite:///")
    assert "Traceback" not in result.stderr


# Defined only when a PostgreSQL URL is given, so nothing is skipped to get green.
if PG_URL:
    @pytest.fixture
    def pg_database() -> Iterator[str]:
        """A fresh PostgreSQL database of its own (the CLI cannot be given a schema)."""
        import asyncio

        name = f"deskbot_cli_{uuid.uuid4().hex[:10]}"
        admin_url = normalise_url(PG_URL)

        async def run(sql: str) -> None:
            engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                async with engine.connect() as conn:
                    await conn.exec_driver_sql(sql)
            finally:
                await engine.dispose()

        asyncio.run(run(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


    def test_db_upgrade_on_postgresql(tmp_path: Path, pg_database: str) -> None:
        first = deskbot("db", "upgrade", cwd=tmp_path, DATABASE_URL=pg_database)
        assert first.returncode == 0, first.stderr
        assert f"upgraded to {HEAD} (was empty)" in first.stdout

        second = deskbot("db", "upgrade", cwd=tmp_path, DATABASE_URL=pg_database)
        assert second.returncode == 0, second.stderr
        assert f"already at head ({HEAD})" in second.stdout

        current = deskbot("db", "current", cwd=tmp_path, DATABASE_URL=pg_database)
        assert f": {HEAD} (head)" in current.stdout


    # ---------------------------------------------------------------- bad input


    @pytest.mark.parametrize(
        ("args", "env", "expected"),
        [
            (["serve"], {"DESKBOT_PORT": "eighty"},
             "deskbot: DESKBOT_PORT must be a port number from 0 to 65535, got 'eighty'"),
            (["db", "upgrade"], {"DESKBOT_LOG_FORMAT": "xml"},
             "deskbot: DESKBOT_LOG_FORMAT must be text or json, got 'xml'"),
            (["serve", "--port", "x"], {}, "deskbot serve: argument --port: must be a port number"),
            (["serve", "--database-url", "nope"], {}, "deskbot serve: argument --database-url: "
                                                      "must be a SQLAlchemy URL"),
            (["serve", "--bogus"], {}, "deskbot: unrecognized arguments: --bogus"),
            ([], {}, "deskbot: the following arguments are required: COMMAND"),
            (["db"], {}, "deskbot db: the following arguments are required: COMMAND"),
        ],
    )
    def test_bad_arguments_and_settings_exit_2_with_one_line(
            tmp_path: Path, args: list[str], env: dict[str, str], expected: str) -> None:
        result = deskbot(*args, cwd=tmp_path, **env)

        assert result.returncode == 2
        assert result.stderr.startswith(expected), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""



def test_serve_help_documents_every_variable(tmp_path: Path) -> None:
    result = deskbot("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for name in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
                 "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID",
                 "MICROSOFT_APP_TYPE", "DESKBOT_HOST", "DESKBOT_PORT", "DESKBOT_ADMINS",
                 "DESKBOT_SWEEP_SECONDS", "DESKBOT_RETENTION_DAYS", "DESKBOT_NOTE_PREFIX",
                 "DESKBOT_LOG_LEVEL", "DESKBOT_LOG_FORMAT", "--host", "--port", "--database-url",
                 "SLACK_APP_ID", "DESKBOT_TEAMS_EMULATOR", "DESKBOT_TEAMS_SERVICE_URLS",
                 "--teams-emulator"):
        assert name in result.stdout


def test_main_in_process_returns_the_exit_code(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DESKBOT_PORT", "99999")
    assert main(["serve"]) == 2
    assert "DESKBOT_PORT" in capsys.readouterr().err


# ---------------------------------------------------------------- deskbot serve


class Served:
    """A `deskbot serve --port 0` subprocess and its stdout lines."""

    def __init__(self, cwd: Path, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=cwd,
            env=clean_env(**env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()

    def _pump(self, stream: io.TextIOBase) -> None:
        for line in stream:
            self.lines.put(line)

    def base_url(self) -> str:
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT)
            except queue.Empty:
                self.process.kill()
                pytest.fail(f"no 'listening' line; stderr: {self.process.communicate()[1]}")
            if line.startswith("deskbot listening on "):
                return line.removeprefix("deskbot listening on ").strip()

    def stop(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        try:
            _, stderr = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return self.process.returncode, stderr


def get_json(url: str) -> tuple[int, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_on_a_free_port_answers_healthz_and_stops_cleanly(tmp_path: Path,
                                                                 signum: int) -> None:
    database = tmp_path / "served.db"
    served = Served(tmp_path, DATABASE_URL=f"sqlite:///{database}",
                    SLACK_BOT_TOKEN="xoxb-do-not-log-me", DESKBOT_LOG_FORMAT="json")
    try:
        base = served.base_url()
        assert base.startswith("http://127.0.0.1:")
        assert not base.endswith(":0")

        assert get_json(f"{base}/healthz") == (200, {"status": "ok", "database": "ok"})
        # Teams is not configured: /api/messages is not served at all.
        activity = json.dumps({"type": "message", "text": "hi"}).encode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/messages", data=activity,
                headers={"Content-Type": "application/json"}), timeout=10)
        assert refused.value.code == 404
    finally:
        code, stderr = served.stop(signum)

    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "xoxb-do-not-log-me" not in stderr
    records = [json.loads(line) for line in stderr.splitlines()]
    messages = [record["message"] for record in records]
    assert "Slack is off: missing SLACK_SIGNING_SECRET" in messages
    # No MICROSOFT_APP_ID and no emulator switch: Teams is off, and said so (issue 20.5;
    # it used to be served unauthenticated on loopback).
    assert any(m.startswith("Teams is off: MICROSOFT_APP_ID is not set") for m in messages)
    assert not any("Teams is on" in m for m in messages)
    # SQLite is migrated at start.
    assert "alembic_version" in sqlite_tables(database)


def test_serve_refuses_a_busy_port_with_one_line(tmp_path: Path) -> None:
    first = Served(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}")
    try:
        port = first.base_url().rsplit(":", 1)[1]
        second = deskbot("serve", "--port", port, cwd=tmp_path,
                         DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")
    finally:
        first.stop(signal.SIGTERM)
    assert second.returncode == 1
    last = second.stderr.strip().splitlines()[-1]
    assert last.startswith("deskbot serve: error:"), second.stderr
    assert "Traceback" not in second.stderr


# ---------------------------------------------------------------- the app in process


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[bootstrap.Deps]:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"},
                                 env_file=None)
    deps = await bootstrap.build(settings, clock=FrozenClock())
    yield deps
    await deps.close()


async def test_build_migrates_sqlite_and_uses_the_given_clock(built: bootstrap.Deps) -> None:
    from storage import migrate

    assert await migrate.current_revision(built.db) == HEAD
    assert isinstance(built.db.clock, FrozenClock)
    assert built.clock is built.db.clock
    # No credentials: Slack and Teams off (Teams needs an app id or the emulator switch).
    assert (built.slack, built.teams, built.outbox_worker) == (None, None, None)


async def test_build_with_the_teams_emulator_on_loopback_serves_teams_unauthenticated(
        tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
                                  "DESKBOT_TEAMS_EMULATOR": "1"}, env_file=None)
    deps = await bootstrap.build(settings, clock=FrozenClock())
    try:
        assert deps.slack is None and deps.teams is not None
        assert not deps.teams.authenticated and deps.outbox_worker is not None
    finally:
        await deps.close()


async def test_build_off_loopback_without_credentials_has_no_platform(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
                                  "DESKBOT_HOST": "0.0.0.0", "DESKBOT_TEAMS_EMULATOR": "1"},
                                 env_file=None)  # the switch is for loopback only
    deps = await bootstrap.build(settings, clock=FrozenClock())
    try:
        assert (deps.slack, deps.teams, deps.outbox_worker) == (None, None, None)
    finally:
        await deps.close()


async def test_healthz_ok(built: bootstrap.Deps) -> None:
    async with TestClient(TestServer(create_app(built.settings, built))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=None)
    unreachable = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    deps = bootstrap.Deps(settings=settings, db=unreachable, clock=FrozenClock())

    async with TestClient(TestServer(create_app(settings, deps))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "error", "database": "unavailable"}


async def test_app_cleanup_closes_the_deps(built: bootstrap.Deps) -> None:
    closed: list[bool] = []
    original = built.db.dispose

    async def dispose() -> None:
        closed.append(True)
        await original()

    built.db.dispose = dispose  # type: ignore[method-assign]
    async with TestClient(TestServer(create_app(built.settings, built))):
        assert closed == []
    assert closed == [True]


# ---------------------------------------------------------------- logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root, alembic = logging.getLogger(), logging.getLogger("alembic")
    saved = (list(root.handlers), root.level, alembic.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    alembic.setLevel(saved[2])


def test_json_logs_are_one_object_per_line_with_context(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(Settings.from_env({"DESKBOT_LOG_FORMAT": "json"}, env_file=None), stream)
    try:
        logging.getLogger("deskbot.test").info("claimed %s", "#1042", extra={"desk": "it"})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("deskbot.test").exception("failed")
    finally:
        logging.getLogger().handlers[0].flush()

    first, second = (json.loads(line) for line in stream.getvalue().splitlines()
                     if line.startswith("{"))
    assert first["message"] == "claimed #1042"
    assert first["level"] == "INFO"
    assert first["logger"] == "deskbot.test"
    assert first["desk"] == "it"
    assert "ValueError: boom" in second["exception"]
    assert isinstance(JsonFormatter().format(logging.makeLogRecord({"msg": "x"})), str)


# ---------------------------------------------------------------- audit export


def audit_export(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`deskbot audit export` for November 2026 writes November's events, one valid JSON
    object a line, oldest first, and nothing from before or after."""
    import asyncio
    from datetime import UTC, datetime

    from sqlalchemy import select

    from conversations import commands
    from storage.models import Event
    from tests.integration.sla_world import sla_world

    assert main(["db", "upgrade", "--database-url", url]) == 0
    moments = [datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC),
               datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
               datetime(2026, 11, 15, 9, 0, tzinfo=UTC),
               datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
               datetime(2026, 12, 1, 0, 0, tzinfo=UTC)]

    async def seed() -> list[tuple[int, datetime, str]]:
        clock = FrozenClock(datetime(2026, 10, 20, 9, tzinfo=UTC))
        db = Database(url, clock=clock)
        try:
            world = await sla_world(db)
            eli = await world.person("eli")
            for n, moment in enumerate(moments):
                clock.set(moment)
                posted = await world.run(commands.open_conversation, eli, world.desks["IT"],
                                         f"printer {n}")
                await world.run(commands.claim, world.actor("dana"), posted.conversation.ref)
            async with db.unit_of_work(readonly=True) as uow:
                rows = (await uow.session.execute(select(Event).order_by(Event.id))).scalars()
                return [(e.id, e.created_at, e.kind) for e in rows]
        finally:
            await db.dispose()

    every = asyncio.run(seed())
    start, end = moments[1], moments[4]
    wanted = [(i, kind) for i, at, kind in every
              if start <= (at if at.tzinfo else at.replace(tzinfo=UTC)) < end]
    assert len(wanted) == 6 and len(every) > len(wanted) + 4  # desks' events, Oct, Dec
    out = tmp_path / "november.jsonl"
    capsys.readouterr()
    assert main(["audit", "export", "--from", "2026-11-01", "--to", "2026-12-01",
                 "-o", str(out), "--database-url", url]) == 0
    assert "6 events" in capsys.readouterr().err
    lines = out.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert [(e["id"], e["kind"]) for e in events] == wanted
    for event in events:
        assert set(event) == {"id", "time", "workspace", "desk", "conversation", "actor",
                              "kind", "data"}
        assert start <= datetime.fromisoformat(event["time"]) < end
        assert event["desk"] == "IT" and event["workspace"].startswith("slack:")
    opened = [e for e in events if e["kind"] == "conversation.opened"]
    assert [e["conversation"] for e in opened] == [1002, 1003, 1004]
    assert len({e["actor"]["id"] for e in opened}) == 1  # Eli, each time
    claimed = [e for e in events if e["kind"] == "conversation.claimed"]
    assert all(e["actor"]["id"] for e in claimed) and len(claimed) == 3
    assert isinstance(claimed[0]["data"], dict) and "assignee_id" in claimed[0]["data"]

    # To standard output; a backwards span and a bad day are refused with exit 2.
    assert main(["audit", "export", "--from", "2026-11-15T09:00", "--to", "2026-11-15T09:01",
                 "--database-url", url]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["audit", "export", "--from", "2026-12-01", "--to", "2026-11-01",
                 "--database-url", url]) == 2
    assert "must come after --from" in capsys.readouterr().err
    assert main(["audit", "export", "--from", "November", "--to", "2026-12-01",
                 "--database-url", url]) == 2


def test_audit_export_writes_the_periods_events_as_json_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    audit_export(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}", tmp_path, capsys)


if PG_URL:
    def test_audit_export_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        pg_database: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        audit_export(pg_database, tmp_path, capsys)


async def test_audit_export_reads_in_batches(db: Database, clock: FrozenClock) -> None:
    """Batches of two give the same lines as one batch of all (keyset by id)."""
    from datetime import UTC, datetime, timedelta

    from conversations import commands
    from conversations.audit import export_events
    from tests.integration.sla_world import sla_world

    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    world = await sla_world(db)
    eli = await world.person("eli")
    for n in range(3):
        await world.run(commands.open_conversation, eli, world.desks["IT"], f"printer {n}")
        clock.advance(minutes=1)
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    whole: list[str] = []
    assert await export_events(db, start, end, whole.append) == len(whole)
    small: list[str] = []

    async def write(line: str) -> None:  # a coroutine writer is awaited
        small.append(line)

    assert await export_events(db, start, end, write, batch=2) == len(whole) > 4
    assert small == whole
    assert await export_events(db, end, end + timedelta(days=1), small.append) == 0
