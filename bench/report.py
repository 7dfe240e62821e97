"""A quarter's report for one desk over a large database: wall time against a floor.

Builds a fresh database migrated to head (SQLite in a temporary folder; PostgreSQL in
a database of its own, created on the given server and dropped at the end) and loads
one workspace with 20 desks on the docs' example policy (as `bench.sweep`), 10,000
people and `--conversations` conversations spread evenly over the desks and over
`--years` years up to the report's moment (so the measured desk holds a twentieth of
them). Each conversation has its `conversation.opened` event (a tenth through the
app's shortcut), a `conversation.closed` event, a requester message and one or two
agent messages; one in twenty was reopened (an event), three in ten rated, the due
times and some breach flags of its SLA set; the last days' conversations are still open.
The desks' agents have `agent.availability` events. Everything is bulk-inserted (core
SQL: executemany on SQLite, INSERT ... SELECT FROM unnest(arrays) on PostgreSQL).

Then `build_report` (what the CLI, the card and the page call) is timed for one desk's
last full quarter, `--runs` times (min, median, max), each run after its **floor** in
the same unit of work: the raw fetch of the conversation rows the report reads (the
desk's requests open at some time in the quarter or the one before, every column),
and a `SELECT count(*)` of them.

    python -m bench.report [--conversations 1000000] [--years 3] [--runs 7]
                           [--backend sqlite|postgresql|both] [--database-url URL]

Target (issue 18): under 2 s (median) at 1,000,000 conversations, on both databases.
The exit status is 1 when a backend measured misses it; at a smaller size the target
is not checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, or_, select

from bench.sweep import (
    AGENTS_PER_DESK,
    DESKS,
    PEOPLE,
    PRIORITIES,
    _asyncpg_dsn,
    load_small_tables,
    pg_answers,
)
from conversations.reports.periods import Period, quarter_of
from conversations.reports.report import build_report
from scheduling.desk_calendar import DeskCalendar
from storage import migrate
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk

TARGET_S = 2.0
TARGET_CONVERSATIONS = 1_000_000
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The report's moment: a Tuesday in November; the quarter reported is July–September.
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
QUARTER = quarter_of(date(2026, 8, 15), "Asia/Jerusalem")
MEASURED_DESK = 7
HOUR, DAY = 3600, 86400
BATCH = 50_000
CATEGORIES = ("access", "hardware", "software", "network", None)

CONVERSATION = (
    "id", "workspace_id", "ref", "desk_id", "requester_id", "assignee_id", "kind", "status",
    "priority", "category", "subject", "opened_at", "updated_at", "last_requester_message_at",
    "first_response_at",
    "resolved_at", "closed_at", "rating", "first_response_due_at", "resolution_due_at",
    "first_response_breached_at", "resolution_breached_at", "sla_paused_seconds",
    "requester_channel", "agent_channel",
)
EVENT = ("workspace_id", "conversation_id", "desk_id", "actor_id", "kind", "data", "created_at")
MESSAGE = ("conversation_id", "author_id", "kind", "body", "created_at")
TEXTS = frozenset({"kind", "status", "category", "subject", "requester_channel",
                   "agent_channel", "body"})
JSONS = frozenset({"data"})


@dataclass
class Tables:
    """Batches of rows (times in epoch seconds) for the three big tables."""

    conversation: list[tuple[Any, ...]]
    event: list[tuple[Any, ...]]
    message: list[tuple[Any, ...]]


def world(conversations: int, years: int, seed: int = 18) -> Iterator[Tables]:
    """The conversations, their events and messages, in batches."""
    rng = random.Random(seed)
    end = int(NOW.timestamp())
    begin = end - years * 365 * DAY
    span = end - begin
    batch = Tables([], [], [])
    for i in range(conversations):
        r = rng.random()
        desk = i % DESKS
        desk_id = desk + 1
        agent = desk * AGENTS_PER_DESK + 1 + (i // DESKS) % AGENTS_PER_DESK
        requester = DESKS * AGENTS_PER_DESK + 1 + (i * 7919) % (PEOPLE - DESKS * AGENTS_PER_DESK)
        opened = begin + int(span * i / conversations)
        first = opened + 60 + int(r * 3 * HOUR)
        resolved = first + 600 + int(rng.random() * 3 * DAY)
        closed = resolved + 7 * DAY
        done = closed < end
        if not done:
            resolved_at = closed_at = None
            status = "open" if first < end else "new"
            first_at = first if first < end else None
        else:
            resolved_at, closed_at, status, first_at = resolved, closed, "closed", first
        first_due, resolution_due = opened + 15 * 60, opened + 2 * DAY
        priority = PRIORITIES[i % 10]
        batch.conversation.append((
            i + 1, 1, 1001 + i, desk_id, requester, agent, "inquiry", status, priority,
            CATEGORIES[i % len(CATEGORIES)], f"request {i + 1}", opened, closed_at or opened,
            opened, first_at, resolved_at, closed_at,
            1 + int(r * 50) % 5 if done and r < 0.3 else None, first_due, resolution_due,
            first_due + 60 if first > first_due + 60 else None,
            resolution_due + 60 if done and resolved > resolution_due + 60 else None,
            0, f"D{requester:06d}", f"C{desk_id:04d}"))
        via = "shortcut" if i % 10 == 3 else "dm"
        batch.event.append((1, i + 1, desk_id, requester, "conversation.opened",
                            json.dumps({"via": via}), opened))
        batch.message.append((i + 1, requester, "requester", "my laptop will not start",
                              opened))
        if first_at is not None:
            batch.message.append((i + 1, agent, "agent", "looking into it", first_at))
            if r < 0.4:
                batch.message.append((i + 1, agent, "agent", "try this", first_at + 600))
        if i % 20 == 11 and done:
            batch.event.append((1, i + 1, desk_id, requester, "conversation.reopened",
                                json.dumps({}), resolved - 300))
        if done:
            batch.event.append((1, i + 1, desk_id, agent, "conversation.closed",
                                json.dumps({}), closed))
        if (i + 1) % BATCH == 0:
            yield batch
            batch = Tables([], [], [])
    # Every agent went away and came back once a week or so.
    for person in range(1, DESKS * AGENTS_PER_DESK + 1):
        for week in range(0, years * 52, 2):
            at = begin + week * 7 * DAY + person * 600
            batch.event.append((1, None, None, person, "agent.availability",
                                json.dumps({"available": week % 4 == 0}), at))
    yield batch


def load_sqlite(path: str, conversations: int, years: int) -> dict[str, int]:
    """executemany in one transaction; times formatted by SQLite as SQLAlchemy stores them."""
    def insert(table: str, columns: tuple[str, ...]) -> str:
        values = ", ".join("strftime('%Y-%m-%d %H:%M:%S', ?, 'unixepoch') || '.000000'"
                           if c.endswith("_at") else "?" for c in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"
    counts = {"conversation": 0, "event": 0, "message": 0}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")  # 256 MiB for the index inserts
        connection.execute("BEGIN")
        for batch in world(conversations, years):
            for table, columns in (("conversation", CONVERSATION), ("event", EVENT),
                                   ("message", MESSAGE)):
                rows = getattr(batch, table)
                connection.executemany(insert(table, columns), rows)
                counts[table] += len(rows)
        connection.execute("UPDATE workspace SET last_ref = ?", (1000 + conversations,))
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return counts


async def load_postgresql(connection: asyncpg.Connection, conversations: int,
                          years: int) -> dict[str, int]:
    """INSERT ... SELECT FROM unnest(arrays) per batch and table."""
    def insert(table: str, columns: tuple[str, ...]) -> str:
        selected = [f"to_timestamp({c})" if c.endswith("_at") else
                    f"{c}::json" if c in JSONS else c for c in columns]
        arrays = [f"${n}::{'text[]' if c in TEXTS | JSONS else 'bigint[]'}"
                  for n, c in enumerate(columns, 1)]
        return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selected)} "
                f"FROM unnest({', '.join(arrays)}) AS s({', '.join(columns)})")
    counts = {"conversation": 0, "event": 0, "message": 0}
    async with connection.transaction():
        for batch in world(conversations, years):
            for table, columns in (("conversation", CONVERSATION), ("event", EVENT),
                                   ("message", MESSAGE)):
                rows = getattr(batch, table)
                if rows:
                    await connection.execute(insert(table, columns),
                                             *(list(c) for c in zip(*rows, strict=True)))
                counts[table] += len(rows)
        await connection.execute("UPDATE workspace SET last_ref = $1", 1000 + conversations)
        for table in ("conversation", "event", "message"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))")
    # What autovacuum would have done by the time a million conversations accumulated.
    for table in ("conversation", "event", "message", "person", "desk", "desk_member",
                  "workspace"):
        await connection.execute(f"VACUUM ANALYZE {table}")
    return counts


# ---------------------------------------------------------------- measuring


@dataclass
class Figures:
    """One backend's build and timed runs."""

    backend: str
    build_s: float
    rows: dict[str, int]
    report_s: list[float]
    floor_s: list[float]
    count_s: list[float]
    read: int  # conversation rows the floor fetched
    counted: int
    requests: int  # requests in the report (touched in the quarter)
    opened: int


def _scope(desk_id: int, period: Period) -> list[Any]:
    """The rows `reading.read_requests` reads: open at some time in the period or the
    one before it."""
    start, end = period.previous().start, period.end
    done = func.coalesce(Conversation.resolved_at, Conversation.closed_at)
    return [Conversation.desk_id == desk_id, Conversation.opened_at < end,
            or_(done.is_(None), done >= start)]


async def measure(db: Database, backend: str, build_s: float, rows: dict[str, int],
                  runs: int) -> Figures:
    """Warm up once, then time `runs` floors and reports."""
    async with db.unit_of_work(readonly=True) as uow:
        desk = (await uow.session.execute(
            select(Desk).where(Desk.id == MEASURED_DESK))).scalar_one()
    figures = Figures(backend, build_s, rows, [], [], [], 0, 0, 0, 0)
    for run in range(runs + 1):
        async with db.unit_of_work(readonly=True) as uow:
            started = time.perf_counter()
            counted = (await uow.session.execute(
                select(func.count()).select_from(Conversation)
                .where(*_scope(desk.id, QUARTER)))).scalar_one()
            count_s = time.perf_counter() - started
            started = time.perf_counter()
            read = len((await uow.session.execute(
                select(Conversation.__table__).where(*_scope(desk.id, QUARTER)))).all())
            floor_s = time.perf_counter() - started
        async with db.unit_of_work(readonly=True) as uow:
            started = time.perf_counter()
            report = await build_report(uow, QUARTER, [desk])
            report_s = time.perf_counter() - started
        if run == 0:
            continue  # warm-up: caches filled, as on a server that has been running
        figures.count_s.append(count_s)
        figures.floor_s.append(floor_s)
        figures.report_s.append(report_s)
        figures.read, figures.counted = read, counted
        figures.requests, figures.opened = len(report.requests), report.current.opened
        print(f"{backend}: run {run}: report {report_s * 1000:.0f} ms, floor "
              f"{floor_s * 1000:.0f} ms, count {count_s * 1000:.0f} ms", flush=True)
    return figures


def _database(url: str) -> Database:
    db = Database(url, clock=FrozenClock(NOW))
    db.business_time = DeskCalendar()
    return db


async def run_sqlite(conversations: int, years: int, runs: int) -> Figures:
    """Build, load and measure a SQLite database in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.db")
        db = _database(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate.upgrade(db)
            started = time.perf_counter()
            await load_small_tables(db, NOW - timedelta(days=365 * years + 1))
            await db.engine.dispose()  # the loader's connection has the file to itself
            rows = load_sqlite(path, conversations, years)
            build_s = time.perf_counter() - started
            print(f"sqlite: built {rows} in {build_s:.1f} s", flush=True)
            return await measure(db, "sqlite", build_s, rows, runs)
        finally:
            await db.dispose()


async def run_postgresql(conversations: int, years: int, runs: int, url: str) -> Figures:
    """Build, load and measure in a database of its own on `url`'s server, dropped after."""
    name = f"bench_report_{os.getpid()}"
    admin = await asyncpg.connect(_asyncpg_dsn(url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    own = make_url_with_database(url, name)
    db: Database | None = None
    try:
        db = _database(own)
        await migrate.upgrade(db)
        started = time.perf_counter()
        await load_small_tables(db, NOW - timedelta(days=365 * years + 1))
        loader = await asyncpg.connect(_asyncpg_dsn(own))
        try:
            rows = await load_postgresql(loader, conversations, years)
        finally:
            await loader.close()
        build_s = time.perf_counter() - started
        print(f"postgresql: built {rows} in {build_s:.1f} s (with VACUUM ANALYZE)",
              flush=True)
        return await measure(db, "postgresql", build_s, rows, runs)
    finally:
        if db is not None:
            await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def make_url_with_database(url: str, database: str) -> str:
    """`url` on asyncpg, pointing at `database`."""
    from sqlalchemy.engine import make_url
    return (make_url(url).set(drivername="postgresql+asyncpg", database=database)
            .render_as_string(hide_password=False))


def report(results: list[Figures], conversations: int, years: int) -> bool:
    """Print every backend's figures and the target; False when a backend misses it."""
    print()
    print(f"Report benchmark: {conversations:,} conversations over {years} years, {DESKS} "
          f"desks, {PEOPLE:,} people; desk {MEASURED_DESK}'s report for {QUARTER.label} "
          f"({QUARTER.zone}), generated {NOW:%Y-%m-%d}")
    ok = True
    for f in results:
        ms = [s * 1000 for s in f.report_s]
        print()
        print(f"[{f.backend}] built in {f.build_s:.1f} s: " + ", ".join(
            f"{count:,} {table} rows" for table, count in f.rows.items()))
        print(f"  report:   min {min(ms):7.0f}  median {statistics.median(ms):7.0f}  max "
              f"{max(ms):7.0f} ms ({len(ms)} runs; {f.requests:,} requests in the quarter, "
              f"{f.opened:,} opened)")
        floor = [s * 1000 for s in f.floor_s]
        print(f"  floor:    min {min(floor):7.0f}  median {statistics.median(floor):7.0f}  max "
              f"{max(floor):7.0f} ms (the raw fetch of the {f.read:,} conversation rows it "
              f"reads)")
        count = [s * 1000 for s in f.count_s]
        print(f"  count(*): min {min(count):7.0f}  median {statistics.median(count):7.0f}  "
              f"max {max(count):7.0f} ms ({f.counted:,})")
        print(f"  report/floor {statistics.median(ms) / statistics.median(floor):.1f}x")
    print()
    print(f"Target: one desk's quarter over {TARGET_CONVERSATIONS:,} conversations under "
          f"{TARGET_S:.0f} s (median), on SQLite and PostgreSQL")
    if conversations < TARGET_CONVERSATIONS:
        print(f"  not checked: this run is smaller ({conversations:,} conversations)")
        return True
    for f in results:
        median = statistics.median(f.report_s)
        met = median < TARGET_S
        ok = ok and met
        print(f"  {f.backend:<11} median {median:.2f} s: {'met' if met else 'MISSED'}")
    for backend in sorted({"sqlite", "postgresql"} - {f.backend for f in results}):
        print(f"  {backend:<11} not measured")
    return ok


async def main(args: argparse.Namespace) -> bool:
    """Run the chosen backends at the chosen size and report."""
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not await pg_answers(args.database_url):
        print("PostgreSQL does not answer; SQLite only")
        backends = ["sqlite"]
    results = []
    for backend in backends:
        if backend == "sqlite":
            results.append(await run_sqlite(args.conversations, args.years, args.runs))
        else:
            results.append(await run_postgresql(args.conversations, args.years, args.runs,
                                                args.database_url))
    return report(results, args.conversations, args.years)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help="a PostgreSQL server (any database on it: the bench creates "
                             "its own and drops it)")
    parser.add_argument("--runs", type=int, default=7, help="timed reports (min/median/max)")
    raise SystemExit(0 if asyncio.run(main(parser.parse_args())) else 1)
