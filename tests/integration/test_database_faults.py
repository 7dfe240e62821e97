"""The database away under load: nothing acknowledged is lost, nothing crashes or spins.

PostgreSQL: deskbot's Slack app (tests/slack/harness.py) on a server of the test's own
(tests/own_postgres.py), stopped (`pg_ctl stop -m fast`) while a relay is in flight
(Slack takes it; deskbot cannot mark it) and started again between signed follow-ups.
While it is down every delivery is refused with a 503 (Slack sends it again), the
background tasks live on without busy-looping; once it is back Slack's retries and new
follow-ups are acknowledged, and every acknowledged follow-up reaches the card's thread
exactly once, in order (the relay in flight too: marked, not sent again).

SQLite: another connection holds the write lock (`BEGIN IMMEDIATE`): a delivery waits
for the busy timeout, then gets a 503; once the lock is let go it is acknowledged.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role
from desks.service import add_members, create_desk
from storage.clock import FrozenClock
from storage.database import SQLITE_ON_LOOP_BUSY_TIMEOUT_MS, Database
from tests.own_postgres import OwnPostgres
from tests.slack.harness import ADA, DANA, ELI, IT_CHANNEL, NAMES, TEAM, SlackWorld, slack_world
from tests.slack.test_story import posts

_event_ids = itertools.count(1)


async def one_desk(world: SlackWorld) -> None:
    """IT alone (Dana its agent): Eli's DMs go straight to it."""
    async with world.db.unit_of_work() as uow:
        workspace = await ensure_workspace(uow, "slack", TEAM)
        people = {user: await ensure_person(uow, workspace, user, name,
                                            is_platform_admin=user == ADA)
                  for user, name in NAMES.items()}
        admin = Actor(people[ADA], is_admin=True)
        await create_desk(uow, admin, "IT", agent_channel=IT_CHANNEL)
        await add_members(uow, admin, "IT", [people[DANA]], Role.AGENT)
        await uow.commit()


class FollowUp:
    """One of Eli's follow-ups as Slack delivers it: the same event id on every retry."""

    def __init__(self, world: SlackWorld, text: str, thread_ts: str) -> None:
        self.world = world
        self.text = text
        self.event = world.requests.message_event(ELI, f"D{ELI}", text, world.new_ts(),
                                                  thread_ts=thread_ts)
        self.event_id = f"EvFault{next(_event_ids):05d}"
        self.tries = 0
        self.acknowledged = False

    async def send(self) -> int:
        """Deliver (again, as Slack's retry after the first); returns the HTTP status."""
        status, _ = await self.world.event(self.event, event_id=self.event_id,
                                           retry_num=self.tries or None)
        self.tries += 1
        self.acknowledged = self.acknowledged or status == 200
        return status


async def until_acknowledged(follow_up: FollowUp, tries: int = 10) -> None:
    """Slack's retries: send again until deskbot acknowledges (the pool may need a turn
    to find its connections gone)."""
    for _ in range(tries):
        if await follow_up.send() == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{follow_up.text!r} never acknowledged")


def relayed(world: SlackWorld, card_ts: str) -> list[str]:
    return [m["text"] for m in posts(world, IT_CHANNEL, thread_ts=card_ts)
            if "follow-up" in m["text"]]


@pytest.fixture
async def own_postgres(clock: FrozenClock) -> AsyncIterator[tuple[OwnPostgres, Database]]:
    server = OwnPostgres()
    try:
        await asyncio.to_thread(server.start)
        db = Database(server.url, clock=clock)
        await db.create_all()
        try:
            yield server, db
        finally:
            await db.dispose()
    finally:
        await asyncio.to_thread(server.destroy)


@pytest.mark.own_postgresql
@pytest.mark.sweeps_may_fail
async def test_postgresql_restarted_mid_load_loses_nothing(
        own_postgres: tuple[OwnPostgres, Database], clock: FrozenClock):
    server, db = own_postgres
    async with slack_world(db, clock) as world:
        await one_desk(world)
        asked = await world.dm(ELI, "my laptop will not start")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        before = [FollowUp(world, f"follow-up {n}", asked) for n in range(4)]
        for follow_up in before:
            assert await follow_up.send() == 200
        await world.settled()

        # A relay in flight as the server stops: Slack takes it, deskbot cannot mark it.
        answer = asyncio.Event()
        world.api.hold_next("chat.postMessage", answer)
        in_flight = FollowUp(world, "follow-up 4", asked)
        assert await in_flight.send() == 200
        await world.api.wait_for(lambda: "chat.postMessage" in world.api.holding)
        await asyncio.to_thread(server.stop)
        answer.set()
        await world.api.wait_for(lambda: len(relayed(world, card["ts"])) == 5)
        async with asyncio.timeout(5):
            while not world.deps.outbox_worker.idle.is_set():  # noqa: ASYNC110 - no event
                await asyncio.sleep(0.01)

        connects: list[float] = []
        event.listen(db.engine.sync_engine, "do_connect",
                     lambda *_: connects.append(time.monotonic()))
        during = [FollowUp(world, f"follow-up {n}", asked) for n in range(5, 8)]
        for follow_up in during:
            assert await follow_up.send() == 503, "acknowledged with the database down"
        # Left alone for a while, the background work neither dies nor spins.
        cpu, connects_before = time.process_time(), len(connects)
        world.deps.outbox_worker.wake()
        world.deps.slack.inbox.wake()
        await asyncio.sleep(1.5)
        assert time.process_time() - cpu < 0.5
        assert len(connects) - connects_before <= 6, "reconnecting in a loop"
        tasks: list[Any] = [world.deps.outbox_worker._task, world.deps.slack.inbox._task]
        assert all(task is not None and not task.done() for task in tasks)
        # A sweep that falls due meanwhile fails, logged, and keeps its schedule.
        async with asyncio.timeout(10):
            await world.deps.scheduler.run_once()
        assert world.deps.scheduler._scheduler.running

        await asyncio.to_thread(server.start)
        for follow_up in during:  # Slack's retries of what was refused
            await until_acknowledged(follow_up)
        after = [FollowUp(world, f"follow-up {n}", asked) for n in range(8, 11)]
        for follow_up in after:
            await until_acknowledged(follow_up)
        clock.advance(seconds=61)  # the in-flight relay's lease runs out
        await world.settled(limit=20)

        assert all(f.acknowledged for f in [*before, in_flight, *during, *after])
        texts = relayed(world, card["ts"])
        assert [f"follow-up {n}" in text for n, text in enumerate(texts)] == [True] * 11, texts


async def test_sqlite_locked_by_another_process_waits_then_503_then_recovers(
        tmp_path: Path, clock: FrozenClock):
    path = tmp_path / "deskbot.db"
    db = Database(f"sqlite+aiosqlite:///{path}", clock=clock)
    await db.create_all()
    try:
        async with slack_world(db, clock) as world:
            await one_desk(world)
            asked = await world.dm(ELI, "my laptop will not start")
            await world.settled()
            [card] = posts(world, IT_CHANNEL)

            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # another process's write lock
            try:
                blocked = FollowUp(world, "follow-up 0", asked)
                started = time.monotonic()
                assert await blocked.send() == 503
                waited = time.monotonic() - started
            finally:
                other.execute("ROLLBACK")
                other.close()
            # It waited for the lock (the busy timeout), then refused; Slack retries.
            assert waited >= SQLITE_ON_LOOP_BUSY_TIMEOUT_MS / 1000 * 0.9, waited
            assert world.deps.slack.inbox._task is not None
            assert not world.deps.slack.inbox._task.done()
            await until_acknowledged(blocked)
            await world.settled()
            assert relayed(world, card["ts"]) == ["follow-up 0"] or \
                [("follow-up 0" in t) for t in relayed(world, card["ts"])] == [True]
    finally:
        await db.dispose()


async def test_teams_gets_an_error_status_while_sqlite_is_locked_then_its_retry_goes_in(
        tmp_path: Path, clock: FrozenClock):
    from tests.teams.harness import teams_world

    path = tmp_path / "deskbot.db"
    db = Database(f"sqlite+aiosqlite:///{path}", clock=clock)
    await db.create_all()
    try:
        async with teams_world(db, clock) as world:
            activity = world.teams.personal_message(world.eli, "is anyone there?")
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            try:
                status, _ = await world.post(activity)
            finally:
                other.execute("ROLLBACK")
                other.close()
            assert status == 503  # Teams sends it again
            assert world.deps.teams.inbox._task is not None
            assert not world.deps.teams.inbox._task.done()
            status, _ = await world.post(activity)  # Teams' retry: the same activity
            assert status in (200, 201)
            await world.settled()
            answers = world.chat_of(world.eli)
            assert len(answers) == 1, answers  # answered once, not lost, not twice
    finally:
        await db.dispose()
