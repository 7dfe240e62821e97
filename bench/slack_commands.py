"""A burst of `/desk ask` from many people: ack latency, and one other person's `/desk my`.

deskbot and a bare bolt app (an empty `/desk` listener that acks) run on 127.0.0.1 with
slack-bolt's real request path, against the fake Slack Web API on loopback. Per round,
`--people` different employees send `/desk ask IT …` all at once to each server; in
the middle of deskbot's burst one other employee sends `/desk my`. Printed: ack p50/p99
of both servers, when that `/desk my` was acknowledged and when its answer arrived (in
the ack, or at its response_url), and how long deskbot took to open every request.

    python -m bench.slack_commands [--people 200] [--rounds 3]

Target (issue 20.8): every ack well inside Slack's 3 s during the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.slack_ack import SECRET, TEAM, TOKEN, drained, prepare_desk, serve
from bot import bootstrap
from bot.playground.signed import SlackRequests
from bot.server import create_app
from bot.settings import Settings
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackApi

ASKER = "UMY0001"  # the other person, who only wants to see their requests


def bare_bolt_app(api_url: str) -> web.Application:
    """The baseline: bolt with a `/desk` listener that only acks, mounted the same way."""
    bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api_url))

    @bolt.command("/desk")
    async def nothing(ack: AsyncAck) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


class Burst:
    """Signed `/desk` requests with unique trigger ids and response_urls."""

    def __init__(self, api: FakeSlackApi) -> None:
        self.api = api
        self.requests = SlackRequests(SECRET, TEAM)
        self.ids = itertools.count(1)

    async def send(self, session: aiohttp.ClientSession, url: str, user: str,
                   text: str) -> tuple[float, str, str]:
        """(seconds to the ack, the ack's body, the response id)."""
        n = next(self.ids)
        request = self.requests.command(
            user, user.lower(), text, channel=f"D{user}", channel_name="directmessage",
            response_url=f"{self.api.base_url}response/{n}", trigger_id=f"bench.{n}")
        started = time.perf_counter()
        async with session.post(url, data=request.body.encode(),
                                headers=request.headers) as response:
            body = await response.text()
            if response.status != 200:
                raise RuntimeError(f"/desk answered HTTP {response.status}")
        return time.perf_counter() - started, body, str(n)

    async def answered_at(self, response_id: str) -> float:
        """Wall time (time.time) when deskbot posted to that response_url."""
        call = await self.api.wait_for(lambda: next(
            (c for c in self.api.calls_to(RESPONSE_URL)
             if c.params.get("response_id") == response_id), None), timeout=120)
        return call.time


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000)


async def burst(burst_: Burst, url: str, people: list[str], round_: int,
                with_my: bool) -> tuple[list[float], tuple[float, float] | None]:
    """Everyone asks at once; `with_my`: ASKER's `/desk my` goes out mid-burst.

    Returns the asks' ack latencies, and (ack s, answer s) of `/desk my`."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        asks = [asyncio.create_task(burst_.send(session, url, person,
                                                f"ask IT round {round_}: printer jams"))
                for person in people]
        my: tuple[float, float] | None = None
        if with_my:
            await asyncio.sleep(0)  # let the burst start first
            sent = time.time()
            ack, body, response_id = await burst_.send(session, url, ASKER, "my")
            answer = ack if body else await burst_.answered_at(response_id) - sent
            my = (ack, answer)
        results = await asyncio.gather(*asks)
    return [latency for latency, _, _ in results], my


async def main(people: int, rounds: int) -> bool:
    met = True
    async with FakeSlackApi(validate_blocks=False) as api:
        employees = [f"UB{n:05d}" for n in range(people)]
        for user in [*employees, ASKER]:
            api.add_user(user, user.lower())
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
                                slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                slack_api_url=api.base_url,
                                requests_per_person=0,  # the same people ask every round
                                slack_channel_posts_per_minute=0)  # the fake has no pace
            deps = await bootstrap.build(settings)
            await prepare_desk(deps)
            deskbot_runner, deskbot_url = await serve(create_app(settings, deps))
            bare_runner, bare_url = await serve(bare_bolt_app(api.base_url))
            sender = Burst(api)
            try:
                print(f"/desk burst: {people} people ask at once, {rounds} rounds, SQLite, "
                      "loopback")
                print(f"{'round':<7}{'server':<16}{'p50 ms':>10}{'p99 ms':>10}"
                      f"{'/desk my ack ms':>17}{'answer ms':>11}{'all opened s':>14}")
                for round_ in range(1, rounds + 1):
                    latencies, _ = await burst(sender, bare_url, employees, round_, False)
                    p50, p99 = percentiles(latencies)
                    print(f"{round_:<7}{'bare bolt app':<16}{p50:>10.1f}{p99:>10.1f}")
                    started = time.perf_counter()
                    latencies, my = await burst(sender, deskbot_url, employees, round_, True)
                    await drained(deps)
                    took = time.perf_counter() - started
                    p50, p99 = percentiles(latencies)
                    assert my is not None
                    print(f"{round_:<7}{'deskbot':<16}{p50:>10.1f}{p99:>10.1f}"
                          f"{my[0] * 1000:>17.1f}{my[1] * 1000:>11.1f}{took:>14.1f}")
                    met = met and p99 < 3000 and my[0] < 3.0
            finally:
                await bare_runner.cleanup()
                await deskbot_runner.cleanup()
                await deps.close()
    print(f"every ack inside Slack's 3 s: {'met' if met else 'MISSED'}")
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raise SystemExit(0 if asyncio.run(main(args.people, args.rounds)) else 1)
