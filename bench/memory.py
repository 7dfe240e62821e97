"""RSS of one `deskbot serve` over a large database: an hour of sweeps, then a load.

Builds (or reuses, `--keep PATH`) a SQLite database migrated to head with bench.sweep's
world: 20 desks on the example policy but open round the clock, 10,000 people,
`--conversations` conversations, `--open` of them open, with `--due` of them falling
due each minute of the run (so every sweep has work: warnings, breaches, nudges,
auto-closes posted to the agents' channels), plus bench.slack_ack's desk in a second
workspace for the load's DMs.
Then starts a real `deskbot serve` process on it (the Slack Web API a loopback fake in
this process, the sweeps on their default interval of a minute), samples its VmRSS and
VmHWM (/proc) every 10 s for `--sweep-minutes`, sends bench.relay's signed follow-ups
at `--rate` for `--load-seconds` (40 employees, each with an open request), and samples
for `--after-seconds` more.

    python -m bench.memory [--conversations 1000000] [--open 100000] [--sweep-minutes 60]
                           [--rate 30] [--load-seconds 60] [--keep PATH]

Printed: RSS at start, after the sweeps, after the load, the peak, sweeps run (the
serve's /metrics) and the target. The exit status is 1 when the peak is over it.
A kept database is reused as it is: its due times are those of the day it was built,
so its first sweeps have a backlog to work through.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bench import sweep
from bench.relay import EMPLOYEES, SECRET, TOKEN, Load, employee
from bench.slack_ack import prepare_desk
from storage import migrate
from storage.clock import SystemClock
from storage.database import Database
from storage.models import Desk
from tests.fakes.slack_api import FakeSlackApi

TARGET_MB = 300.0
SAMPLE_SECONDS = 10.0
ROOT = Path(__file__).resolve().parent.parent


def mb(kilobytes: int) -> float:
    return kilobytes * 1024 / 1_000_000


# ---------------------------------------------------------------- the world


async def build_world(path: Path, conversations: int, open_: int, due: int,
                      minutes: int) -> None:
    """bench.sweep's world, its times around now, and the relay's desk beside it."""
    started = time.perf_counter()
    plan = sweep.Plan(conversations, open_, due, waves=minutes + 10, t0=int(time.time()))
    plan.choose_due(random.Random(21))
    db = Database(f"sqlite+aiosqlite:///{path}", clock=SystemClock())
    try:
        await migrate.upgrade(db)
        await sweep.load_small_tables(db, plan.moment(0) - timedelta(days=400))
        # Open round the clock: nothing warns, breaches or nudges while a desk is closed,
        # and the run must not depend on the hour it starts.
        async with db.unit_of_work() as uow:
            for desk in (await uow.session.scalars(select(Desk))).all():
                desk.settings = {**desk.settings, "hours": "always"}
            await uow.commit()
        # Workspace T1, desk IT (channel CIT) with an agent: the employees' DMs open there.
        await prepare_desk(cast(Any, SimpleNamespace(db=db)))
    finally:
        await db.dispose()
    sweep.load_sqlite(str(path), plan)
    print(f"world: {conversations:,} conversations ({open_:,} open, {due} falling due each "
          f"minute) built in {time.perf_counter() - started:.0f} s at {path}", flush=True)


# ---------------------------------------------------------------- the serve


@dataclass
class Sample:
    at: float  # seconds since the serve answered
    phase: str
    rss_kb: int
    hwm_kb: int
    cpu_s: float


@dataclass
class Watch:
    """The serve's process, sampled in the background."""

    pid: int
    started: float = field(default_factory=time.monotonic)
    phase: str = "start"
    samples: list[Sample] = field(default_factory=list)

    def sample(self) -> Sample:
        status = Path(f"/proc/{self.pid}/status").read_text()
        values = {line.split(":")[0]: line.split()[1] for line in status.splitlines()
                  if line.startswith(("VmRSS", "VmHWM"))}
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        found = Sample(time.monotonic() - self.started, self.phase, int(values["VmRSS"]),
                       int(values["VmHWM"]), cpu)
        self.samples.append(found)
        return found

    async def run(self) -> None:
        while True:
            with contextlib.suppress(FileNotFoundError):
                self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)


def open_cards(path: Path) -> list[tuple[str, str]]:
    """(channel, ts) of the cards of every conversation not closed: the fake has them
    posted already, so the sweeps' card updates find them, as they would on Slack."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("select agent_channel, agent_thread, requester_channel, "
                          "requester_thread from conversation where status != 'closed' "
                          "and agent_thread is not null").fetchall()
    return [pair for row in rows for pair in (row[:2], row[2:]) if pair[1]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_serve(db_path: Path, api_url: str, port: int, log_path: Path,
                      folder: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DESKBOT_", "MICROSOFT_", "DATABASE_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite+aiosqlite:///{db_path}",
               DESKBOT_HOST="127.0.0.1", DESKBOT_PORT=str(port), SLACK_BOT_TOKEN=TOKEN,
               SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
               # deskbot's own pace per channel, not Slack's: the fake has none (as bench.relay)
               DESKBOT_SLACK_CHANNEL_POSTS_PER_MINUTE="0")
    with log_path.open("ab") as log:  # the child keeps its own descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", cwd=folder, env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT)  # cwd: no .env of ours is read


async def answered(session: aiohttp.ClientSession, base: str,
                   process: asyncio.subprocess.Process, limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"deskbot serve ended with {process.returncode} before serving")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.5)
    raise RuntimeError("deskbot serve did not answer /healthz")


async def sweeps_run(session: aiohttp.ClientSession, base: str) -> tuple[int, float]:
    """(sweeps run, their seconds in all) from the serve's /metrics."""
    async with session.get(f"{base}/metrics") as response:
        text = await response.text()
    count, total = 0, 0.0
    for family in text_string_to_metric_families(text):
        if family.name == "deskbot_sweep_seconds":
            for s in family.samples:
                if s.name.endswith("_count"):
                    count += int(s.value)
                elif s.name.endswith("_sum"):
                    total += s.value
    return count, total


def show(sample: Sample, sweeps: tuple[int, float] | None = None) -> None:
    extra = f" | sweeps {sweeps[0]} ({sweeps[1]:.1f} s in all)" if sweeps else ""
    print(f"{sample.at:>6.0f} s {sample.phase:<7} RSS {mb(sample.rss_kb):6.1f} MB  "
          f"HWM {mb(sample.hwm_kb):6.1f} MB  cpu {sample.cpu_s:7.1f} s{extra}", flush=True)


# ---------------------------------------------------------------- the run


async def run(args: argparse.Namespace, db_path: Path, folder: str) -> bool:
    log_path = Path(folder) / "serve.log"
    async with FakeSlackApi(validate_blocks=False) as api:
        api.add_user("UADMIN", "Admin")
        api.add_user("UAGENT", "Agent")
        for n in range(EMPLOYEES):
            api.add_user(employee(n), f"Employee {n}")
        cards = await asyncio.to_thread(open_cards, db_path)
        for channel, ts in cards:
            api.state.add_person_message(channel, "card", user=api.state.bot.user_id, ts=ts)
        print(f"fake Slack: {len(cards):,} cards of the conversations not closed", flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = await start_serve(db_path, api.base_url, port, log_path, folder)
        watch = Watch(process.pid)
        sampler: asyncio.Task[None] | None = None
        try:
            connector = aiohttp.TCPConnector(limit=200)
            async with aiohttp.ClientSession(connector=connector) as session:
                await answered(session, base, process)
                watch.started = time.monotonic()
                start = watch.sample()
                show(start, await sweeps_run(session, base))
                sampler = asyncio.create_task(watch.run())
                watch.phase = "sweeps"
                deadline = watch.started + args.sweep_minutes * 60
                while time.monotonic() < deadline:
                    await asyncio.sleep(min(60.0, deadline - time.monotonic()))
                    show(watch.sample(), await sweeps_run(session, base))
                after_sweeps = watch.samples[-1]
                sweeps = await sweeps_run(session, base)

                watch.phase = "load"
                load = Load(api, [f"{base}/slack/events"])
                await load.open_requests(session)
                acks, errors, sent = await load.steady(session, 0, args.rate, args.load_seconds)
                after_load = watch.sample()
                show(after_load)
                watch.phase = "after"
                await asyncio.sleep(args.after_seconds)
                end = watch.sample()
                show(end, await sweeps_run(session, base))
                relayed = sum(1 for x in load.relays(range(sent))[0] if x != float("inf"))
        finally:
            if sampler is not None:
                sampler.cancel()
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
    lines = log_path.read_text(errors="replace").splitlines()
    failures = sum(1 for line in lines if "sweep run failed" in line)
    acted = sum(1 for line in lines if "sweep: " in line)
    peak = max(watch.samples, key=lambda s: s.rss_kb)
    hwm = max(s.hwm_kb for s in watch.samples)
    print(f"\nmemory of one deskbot serve: {args.conversations:,} conversations, "
          f"{args.open:,} open, SQLite; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"sweeps run: {sweeps[0]} in {args.sweep_minutes} min ({sweeps[1]:.1f} s of sweeping;"
          f" in the log: {acted} that acted, {failures} that failed)")
    print(f"load: {sent} follow-ups at {args.rate:.0f}/s for {args.load_seconds:.0f} s, "
          f"{len(acks)} acked, {errors} errors, {relayed} relayed by the end")
    print(f"RSS at start        {mb(start.rss_kb):7.1f} MB")
    print(f"RSS after sweeps    {mb(after_sweeps.rss_kb):7.1f} MB")
    print(f"RSS after the load  {mb(after_load.rss_kb):7.1f} MB")
    print(f"RSS at the end      {mb(end.rss_kb):7.1f} MB ({args.after_seconds:.0f} s later)")
    print(f"RSS peak (sampled)  {mb(peak.rss_kb):7.1f} MB ({peak.phase}, {peak.at:.0f} s)")
    print(f"VmHWM (kernel peak) {mb(hwm):7.1f} MB")
    print(f"serve CPU           {end.cpu_s:7.1f} s")
    ok = mb(hwm) < TARGET_MB
    print(f"target: peak under {TARGET_MB:.0f} MB (MB = 10^6 bytes): "
          f"{'met' if ok else 'MISSED'}", flush=True)
    return ok and failures == 0


async def main(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(args.keep) if args.keep else Path(folder) / "memory.db"
        if args.keep and args.kept:
            print(f"world: reusing {db_path}", flush=True)
        else:
            await build_world(db_path, args.conversations, args.open, args.due,
                              args.sweep_minutes)
        return await run(args, db_path, folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=50, help="conversations due each minute")
    parser.add_argument("--sweep-minutes", type=int, default=60)
    parser.add_argument("--rate", type=float, default=30.0, help="follow-ups a second")
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--after-seconds", type=float, default=30.0)
    parser.add_argument("--keep", help="database file to build once and reuse")
    args = parser.parse_args()
    if args.keep:
        args.keep = str(Path(args.keep).resolve())
    args.kept = bool(args.keep) and Path(args.keep).exists()
    raise SystemExit(0 if asyncio.run(main(args)) else 1)
