"""Slack ack latency and throughput: deskbot against a bare bolt app, in the same run.

Both servers run on 127.0.0.1 with slack-bolt's real request path (signature check,
ack); both answer the fake Slack Web API on loopback. The bare app has one empty
`message` listener. deskbot does what it does in production: verifies, records the
event in the ledger, opens the request (state, event, outbox) in one SQLite
transaction, acks — while its outbox worker posts cards and receipts to the fake API.

    python -m bench.slack_ack [--events 2000] [--concurrency 16] [--warmup 200] [--rounds 3]

Target (issue 3): deskbot's p99 within 2x of the bare app's, throughput at least half.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import bootstrap
from bot.server import create_app
from bot.settings import Settings
from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role
from desks.service import add_members, create_desk
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_api import FakeSlackApi

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TEAM = "T1"
EMPLOYEES = 50


@dataclass
class Figures:
    """Latency and throughput of one server under the same load."""

    name: str
    p50_ms: float
    p99_ms: float
    per_second: float
    errors: int


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve `app` on 127.0.0.1 on a free port."""
    runner, port = await serve_on_loopback(app)
    return runner, f"http://127.0.0.1:{port}/slack/events"


def bare_bolt_app(api_url: str) -> web.Application:
    """The baseline: bolt with an empty message listener, mounted the same way."""
    bolt = AsyncApp(signing_secret=SECRET,
                    client=AsyncWebClient(token=TOKEN, base_url=api_url))

    @bolt.event("message")
    async def nothing() -> None:
        return None

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


async def prepare_desk(deps: bootstrap.Deps) -> None:
    """One desk with an agent channel, so every DM opens a request straight away."""
    async with deps.db.unit_of_work() as uow:
        workspace = await ensure_workspace(uow, "slack", TEAM)
        admin = await ensure_person(uow, workspace, "UADMIN", "Admin", is_platform_admin=True)
        agent = await ensure_person(uow, workspace, "UAGENT", "Agent")
        actor = Actor(admin, is_admin=True)
        await create_desk(uow, actor, "IT", agent_channel="CIT")
        await add_members(uow, actor, "IT", [agent], Role.AGENT)
        await uow.commit()


async def drained(deps: bootstrap.Deps) -> None:
    """Wait until every stored message is processed and every notice delivered."""
    from storage import outbox

    while True:
        if await deps.slack.inbox.waiting() == 0:
            async with deps.db.unit_of_work(readonly=True) as uow:
                if await outbox.pending_count(uow) == 0:
                    return
        await asyncio.sleep(0.05)


def dm_body(n: int) -> str:
    user = f"UEMP{n % EMPLOYEES:04d}"
    ts = f"1800000000.{n:06d}"
    return json.dumps({
        "token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
        "event_id": f"EvBench{n:08d}", "event_time": int(time.time()),
        "event": {"type": "message", "channel_type": "im", "channel": f"D{user}",
                  "user": user, "text": f"request number {n}: my laptop is slow",
                  "ts": ts, "event_ts": ts}})


async def load(url: str, first: int, count: int, concurrency: int) -> tuple[list[float], int,
                                                                              float]:
    """Send `count` signed DM events with `concurrency` in flight; latencies in seconds."""
    signer = SignatureVerifier(SECRET)
    latencies: list[float] = []
    errors = 0
    numbers = iter(range(first, first + count))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for n in numbers:
            body = dm_body(n)
            stamp = str(int(time.time()))
            signature = signer.generate_signature(timestamp=stamp, body=body)
            assert signature is not None  # None only without a timestamp
            headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                       "X-Slack-Signature": signature}
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def figures(name: str, latencies: list[float], errors: int, elapsed: float) -> Figures:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figures(name, statistics.median(ordered) * 1000, p99 * 1000,
                   len(ordered) / elapsed, errors)


async def main(events: int, concurrency: int, warmup: int, rounds: int) -> list[list[Figures]]:
    """Per round: [bare, deskbot] figures. Rounds alternate the two servers, so drift in
    the machine's load (other processes, CPU frequency) falls on both alike."""
    results: list[list[Figures]] = []
    # Block validation in the fake costs CPU that deskbot would be charged for.
    async with FakeSlackApi(validate_blocks=False) as api:
        for n in range(EMPLOYEES):
            api.add_user(f"UEMP{n:04d}", f"Employee {n}")
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
                                slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                slack_api_url=api.base_url,
                                slack_channel_posts_per_minute=0)  # the fake has no pace
            deps = await bootstrap.build(settings)
            await prepare_desk(deps)
            deskbot_runner, deskbot_url = await serve(create_app(settings, deps))
            bare_runner, bare_url = await serve(bare_bolt_app(api.base_url))
            try:
                # Warm both (bolt's auth.test, users.info for each employee, JIT caches).
                await load(bare_url, 0, warmup, concurrency)
                await load(deskbot_url, 0, warmup, concurrency)
                await drained(deps)  # measure from a settled deskbot, not a backlog
                first = warmup
                for _ in range(rounds):
                    lat, err, took = await load(bare_url, first, events, concurrency)
                    bare = figures("bare bolt app", lat, err, took)
                    started = time.perf_counter()
                    lat, err, took = await load(deskbot_url, first, events, concurrency)
                    desk = figures("deskbot", lat, err, took)
                    results.append([bare, desk])
                    # Acked is stored; now time how long deskbot takes to process it all
                    # (requests opened, cards and receipts posted to the fake Web API).
                    await drained(deps)
                    processed_in = time.perf_counter() - started
                    print(f"round {len(results)}: deskbot processed its {events} stored "
                          f"messages and delivered every notice {processed_in:.1f} s after "
                          f"its load began ({events / processed_in:.0f} requests/s end to end)")
                    first += events
            finally:
                await bare_runner.cleanup()
                await deskbot_runner.cleanup()
    return results


def report(results: list[list[Figures]], events: int, concurrency: int) -> bool:
    print(f"Slack ack benchmark: {events} signed DM events per server and round, "
          f"{len(results)} rounds, {concurrency} in flight, SQLite, loopback")
    print(f"{'round':<7}{'server':<16}{'p50 ms':>10}{'p99 ms':>10}{'events/s':>12}"
          f"{'errors':>8}")
    for number, pair in enumerate(results, 1):
        for f in pair:
            print(f"{number:<7}{f.name:<16}{f.p50_ms:>10.2f}{f.p99_ms:>10.2f}"
                  f"{f.per_second:>12.1f}{f.errors:>8}")
    bare = [pair[0] for pair in results]
    desk = [pair[1] for pair in results]
    median = statistics.median
    print(f"{'median':<7}{'bare bolt app':<16}{median(f.p50_ms for f in bare):>10.2f}"
          f"{median(f.p99_ms for f in bare):>10.2f}{median(f.per_second for f in bare):>12.1f}")
    print(f"{'median':<7}{'deskbot':<16}{median(f.p50_ms for f in desk):>10.2f}"
          f"{median(f.p99_ms for f in desk):>10.2f}{median(f.per_second for f in desk):>12.1f}")
    p99_ratio = median(f.p99_ms for f in desk) / median(f.p99_ms for f in bare)
    throughput_ratio = median(f.per_second for f in desk) / median(f.per_second for f in bare)
    p99_ok = p99_ratio <= 2.0
    throughput_ok = throughput_ratio >= 0.5
    print(f"p99 ratio deskbot/bare (medians): {p99_ratio:.2f} (target <= 2.00) "
          f"{'met' if p99_ok else 'MISSED'}")
    print(f"throughput ratio deskbot/bare (medians): {throughput_ratio:.2f} (target >= 0.50) "
          f"{'met' if throughput_ok else 'MISSED'}")
    return p99_ok and throughput_ok and not any(f.errors for f in desk)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.events, args.concurrency, args.warmup, args.rounds))
    raise SystemExit(0 if report(outcome, args.events, args.concurrency) else 1)
