"""Two `deskbot serve` replicas on one PostgreSQL database, one killed (SIGKILL) mid-load.

The test makes a PostgreSQL database of its own (unique name, dropped after) on the
server `DESKBOT_TEST_DATABASE_URL` names, migrates it, and starts two `deskbot serve
--port 0` subprocesses on it, both talking to one fake Slack Web API (loopback aiohttp,
recording every call). There is no balancer process: the client alternates its target
request by request (round robin), as a balancer would.

Employees each have an open request and send signed follow-ups in their DM thread,
numbered, one after another (the next once the previous is acknowledged, so their
order is defined), all employees at once, at a bounded rate for a bounded time. Midway
one replica is killed with SIGKILL; from then on the client sends only to the survivor,
and a delivery that got no acknowledgement (refused, cut, timed out) is sent again as
Slack would, same event id, with `X-Slack-Retry-Num`. In the end every follow-up was
acknowledged, and each was relayed to its card's thread exactly once, in order per
conversation: nothing the killed replica stored, processed or leased is lost or repeated,
and its leases do not hold its work up for long. What the killed replica has in hand at
that moment varies from run to run; each window also has a test of its own (a replica
killed between recording a request and storing it: tests/slack/test_guards.py; leases
taken over: tests/integration/test_outbox_worker.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.playground.signed import SlackRequests
from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role
from desks.service import add_members, create_desk
from storage import migrate
from storage.database import Database, normalise_url
from storage.models import InboundEvent, OutboxNotice
from tests.conftest import PG_URL
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parents[2]
SECRET = "replicas-signing-secret"
TOKEN = "xoxb-replicas"
TEAM = "T1"
AGENT_CHANNEL = "CIT"
EMPLOYEES = 8
PER_EMPLOYEE_PER_SECOND = 2.5  # 20 follow-ups a second in all
LOAD_SECONDS = 12.0
KILL_AFTER = 5.0
SETTLE_SECONDS = 45.0  # at most, for the last relays
STAMP = re.compile(r"follow-up e(\d+) #(\d+)")


def employee(e: int) -> str:
    return f"UEMP{e:04d}"


def opening_ts(e: int) -> str:
    return f"1800000000.{e:06d}"


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A PostgreSQL database of this test's own, migrated, with one desk; dropped after."""
    server = make_url(normalise_url(PG_URL))
    name = f"deskbot_replicas_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        await migrate.upgrade(url)
        db = Database(url)
        try:
            async with db.unit_of_work() as uow:
                workspace = await ensure_workspace(uow, "slack", TEAM)
                admin_person = await ensure_person(uow, workspace, "UADMIN", "Admin",
                                                   is_platform_admin=True)
                agent = await ensure_person(uow, workspace, "UAGENT", "Agent")
                actor = Actor(admin_person, is_admin=True)
                await create_desk(uow, actor, "IT", agent_channel=AGENT_CHANNEL)
                await add_members(uow, actor, "IT", [agent], Role.AGENT)
                await uow.commit()
        finally:
            await db.dispose()
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


class Replica:
    """One `deskbot serve --port 0` subprocess; its output goes to files."""

    def __init__(self, name: str, folder: Path, database_url: str, api_url: str) -> None:
        self.name = name
        self.stdout = folder / f"{name}.out"
        self.stderr = folder / f"{name}.err"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DESKBOT_", "SLACK_", "MICROSOFT_", "DATABASE_URL"))}
        env.update(DATABASE_URL=database_url, SLACK_BOT_TOKEN=TOKEN,
                   SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
                   # Slack's pace per channel is not what this test is about
                   DESKBOT_SLACK_CHANNEL_POSTS_PER_MINUTE="0",
                   DESKBOT_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.url = ""
        self.alive = True

    async def listening(self, limit: float = 60.0) -> str:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            for line in self.stdout.read_text().splitlines():
                if line.startswith("deskbot listening on "):
                    self.url = line.removeprefix("deskbot listening on ").strip() + "/slack/events"
                    return self.url
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"replica {self.name} did not start: {self.stderr.read_text()}")

    def kill(self) -> None:
        self.alive = False
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except Exception:
                self.process.kill()
                self.process.wait()


class Client:
    """Slack's side: signed deliveries to the replicas, round robin, retried until acked."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self.requests = SlackRequests(SECRET, TEAM)
        self.turn = 0
        self.acked_by: dict[str, int] = {r.name: 0 for r in replicas}
        self.retries = 0

    def target(self) -> Replica:
        alive = [r for r in self.replicas if r.alive]
        self.turn += 1
        return alive[self.turn % len(alive)]

    async def deliver(self, session: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        event_id = self.requests.next_event_id()
        for tries in range(30):
            replica = self.target()
            signed = self.requests.event(event, event_id=event_id, retry_num=tries or None)
            try:
                async with session.post(replica.url, data=signed.body.encode(),
                                        headers=signed.headers,
                                        timeout=aiohttp.ClientTimeout(total=3)) as response:
                    await response.read()
                    if response.status == 200:
                        self.acked_by[replica.name] += 1
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.retries += 1
            await asyncio.sleep(0.2)  # Slack's retries come later still
        raise AssertionError(f"delivery {event_id} was never acknowledged")


def message(e: int, text: str, ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    user = employee(e)
    event = {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
             "text": text, "ts": ts, "event_ts": ts}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def relayed(api: FakeSlackApi) -> dict[int, list[int]]:
    """Follow-up numbers posted to the agents' channel, per employee, in posting order."""
    found: dict[int, list[int]] = {}
    for call in api.calls:
        if call.method != "chat.postMessage" or not (call.ok or call.accepted):
            continue
        if call.params.get("channel") != AGENT_CHANNEL:
            continue
        match = STAMP.search(json.dumps(call.params))
        if match is not None:
            found.setdefault(int(match.group(1)), []).append(int(match.group(2)))
    return found


async def unfinished(db: Database) -> tuple[int, int]:
    """Inbox rows not processed, outbox notices not finished."""
    async with db.unit_of_work(readonly=True) as uow:
        inbox = (await uow.session.execute(select(func.count()).select_from(InboundEvent)
                                           .where(InboundEvent.processed_at.is_(None))))
        outbox = (await uow.session.execute(select(func.count()).select_from(OutboxNotice)
                                            .where(OutboxNotice.done_at.is_(None))))
        return inbox.scalar_one(), outbox.scalar_one()


async def test_two_replicas_one_killed_lose_repeat_and_reorder_nothing(database: str,
                                                                        tmp_path: Path):
    async with FakeSlackApi(validate_blocks=False) as api:
        api.add_user("UADMIN", "Admin")
        api.add_user("UAGENT", "Agent")
        for e in range(EMPLOYEES):
            api.add_user(employee(e), f"Employee {e}")
        replicas = [Replica(name, tmp_path, database, api.base_url) for name in ("a", "b")]
        db = Database(database)
        began = time.monotonic()
        try:
            for replica in replicas:
                await replica.listening()
            print(f"replicas listening after {time.monotonic() - began:.1f} s")
            client = Client(replicas)
            async with aiohttp.ClientSession() as session:
                # Each employee's first DM opens their request; wait for every card.
                await asyncio.gather(*(
                    client.deliver(session, message(e, f"my laptop is slow, says {e}",
                                                    opening_ts(e)))
                    for e in range(EMPLOYEES)))
                await api.wait_for(lambda: len(api.top_level(AGENT_CHANNEL)) >= EMPLOYEES,
                                   timeout=30)

                sent = [0] * EMPLOYEES
                started = time.monotonic()
                print(f"requests open after {started - began:.1f} s")

                async def employee_sends(e: int) -> None:
                    n = 0
                    while (due := started + n / PER_EMPLOYEE_PER_SECOND) < \
                            started + LOAD_SECONDS:
                        await asyncio.sleep(max(0.0, due - time.monotonic()))
                        ts = f"1800001000.{e * 10000 + n:06d}"
                        await client.deliver(session, message(
                            e, f"follow-up e{e} #{n}: still slow", ts, opening_ts(e)))
                        n += 1
                        sent[e] = n

                async def killer() -> None:
                    await asyncio.sleep(KILL_AFTER)
                    replicas[0].kill()

                await asyncio.gather(killer(), *(employee_sends(e)
                                                 for e in range(EMPLOYEES)))

            # Everything stored gets processed and every notice finished (the killed
            # replica's leases included); only then can no more relays come.
            deadline = time.monotonic() + SETTLE_SECONDS
            while time.monotonic() < deadline:
                if await unfinished(db) == (0, 0):
                    break
                await asyncio.sleep(0.25)
            left = await unfinished(db)
            print(f"settled {time.monotonic() - started - LOAD_SECONDS:.1f} s after the load; "
                  f"acknowledged by replica: {client.acked_by}, retries {client.retries}")
        finally:
            for replica in replicas:
                replica.stop()
            await db.dispose()

        assert client.acked_by["a"] > 0 and client.acked_by["b"] > 0, client.acked_by
        assert left == (0, 0), (f"still unprocessed / undelivered after {SETTLE_SECONDS} s: "
                                f"{left}; survivor's log: {replicas[1].stderr.read_text()[-3000:]}")
        found = relayed(api)
        wrong = {e: found.get(e, []) for e in range(EMPLOYEES)
                 if found.get(e, []) != list(range(sent[e]))}
        assert not wrong, f"relayed (not 0..n-1 once each, in order): {wrong}; sent {sent}"
        assert sum(sent) >= EMPLOYEES * PER_EMPLOYEE_PER_SECOND * LOAD_SECONDS * 0.5
