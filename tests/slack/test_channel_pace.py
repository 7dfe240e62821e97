"""Slack's pace per channel: a flooded desk channel queues without holding back the rest.

The fake Web API keeps Slack's pace in each channel (1 post a second, bursts of 5, 429
with Retry-After beyond); deskbot paces itself the same way. One of three desks is
flooded with follow-ups: its relays drain at the channel's pace, in order, while the
other desks' relays and the requesters' DMs go out at once. Time is deskbot's frozen
clock, moved by the test in half-seconds whenever deskbot is idle; the fake's pace and
its calls' times are on the same clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role
from desks.service import add_members, create_desk, set_routing_keywords
from storage import outbox
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import OutboxNotice
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    LEE,
    MAYA,
    NAMES,
    OMER,
    TEAM,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_story import posts

OPS_CHANNEL = "COPSDESK"
FLOODERS = [f"UFLOOD{n}" for n in range(6)]
FOLLOW_UPS = 4  # per flooder: 24 relays into the flooded channel, ~20 s at its pace
PACE = {"slack_channel_posts_per_minute": 60, "slack_channel_burst": 5,
        "requests_per_person": 0}


def paced_api(clock: FrozenClock, *, burst: int = 5) -> Callable[[FakeSlackApi], None]:
    def setup(api: FakeSlackApi) -> None:
        for user in FLOODERS:
            api.add_user(user, user.lower())
        api.rate_limit(per_second=1, burst=burst, clock=lambda: clock.now().timestamp())
    return setup


async def three_desks(world: SlackWorld) -> None:
    """IT (Dana), HR (Omer) and OPS (Lee); a DM naming laptop, payroll or door goes
    straight to its desk."""
    async with world.db.unit_of_work() as uow:
        workspace = await ensure_workspace(uow, "slack", TEAM)
        people = {user: await ensure_person(uow, workspace, user, name,
                                            is_platform_admin=user == ADA)
                  for user, name in NAMES.items()}
        admin = Actor(people[ADA], is_admin=True)
        for desk, channel, agent, word in (("IT", IT_CHANNEL, DANA, "laptop"),
                                           ("HR", HR_CHANNEL, OMER, "payroll"),
                                           ("OPS", OPS_CHANNEL, LEE, "door")):
            await create_desk(uow, admin, desk, agent_channel=channel)
            await add_members(uow, admin, desk, [people[agent]], Role.AGENT)
            await set_routing_keywords(uow, admin, desk, [word])
        await uow.commit()


async def quiet(world: SlackWorld) -> None:
    """Wait until deskbot has nothing to do at the clock's current moment: every
    delivery processed, and an outbox round begun after the last wake-up found nothing
    more to finish (what is left waits for a later moment)."""
    inbox, worker = world.deps.slack.inbox, world.deps.outbox_worker
    async with asyncio.timeout(20):
        while True:
            inbox.wake()
            worker.wake()
            await asyncio.sleep(0.01)
            while await inbox.waiting() or inbox.in_hand:  # noqa: ASYNC110 - no event
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.01)
            if worker.idle.is_set() and not worker._wake.is_set():
                return


async def pending(world: SlackWorld) -> int:
    async with world.db.unit_of_work(readonly=True) as uow:
        return await outbox.pending_count(uow)


async def run_until_delivered(world: SlackWorld, *, step: float = 0.5,
                              limit: float = 120.0) -> float:
    """Move the clock in `step`s, letting deskbot finish each moment, until nothing is
    pending; returns the clock seconds that took."""
    moved = 0.0
    while True:
        await quiet(world)
        if await pending(world) == 0:
            return moved
        assert moved < limit, f"still {await pending(world)} notices after {moved}s"
        world.clock.advance(seconds=step)
        moved += step


def relays(world: SlackWorld, channel: str, thread_ts: str, word: str) -> list[Any]:
    """Successful posts in a thread whose text has `word`, as the fake's calls."""
    return [c for c in world.api.calls_to("chat.postMessage", ok=True)
            if c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts
            and word in block_text(c.params)]


async def open_requests(world: SlackWorld) -> dict[str, tuple[str, str]]:
    """Each flooder asks IT, Eli asks HR, Maya asks OPS; returns person -> (their DM
    message ts, their card's ts)."""
    asked = {user: await world.dm(user, f"{user} laptop broken") for user in FLOODERS}
    asked[ELI] = await world.dm(ELI, "payroll is wrong")
    asked[MAYA] = await world.dm(MAYA, "door is stuck")
    await run_until_delivered(world)
    opened = {}
    for user, ts in asked.items():
        channel = {ELI: HR_CHANNEL, MAYA: OPS_CHANNEL}.get(user, IT_CHANNEL)
        [card] = [p for p in posts(world, channel)
                  if not p.get("thread_ts") and user in block_text(p)
                  or (user == ELI and "payroll is wrong" in block_text(p))
                  or (user == MAYA and "door is stuck" in block_text(p))]
        opened[user] = (ts, card["ts"])
    return opened


async def test_a_flooded_desk_channel_holds_back_no_other_desk_nor_dm(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock, settings_changes=PACE,
                           api_setup=paced_api(clock)) as world:
        await three_desks(world)
        opened = await open_requests(world)
        start = clock.now().timestamp()

        # The flood: 24 follow-ups for IT's channel, then the other desks' traffic.
        for n in range(FOLLOW_UPS):
            for user in FLOODERS:
                await world.dm(user, f"flood {n} from {user}", thread_ts=opened[user][0])
        sent: list[tuple[str, str, str]] = []  # (channel, thread, word) of calm traffic
        for n in range(3):
            await world.dm(ELI, f"hr follow-up {n}", thread_ts=opened[ELI][0])
            sent.append((HR_CHANNEL, opened[ELI][1], f"hr follow-up {n}"))
            await world.say(OMER, HR_CHANNEL, f"hr answer {n}", thread_ts=opened[ELI][1])
            sent.append((f"D{ELI}", opened[ELI][0], f"hr answer {n}"))
            await world.dm(MAYA, f"ops follow-up {n}", thread_ts=opened[MAYA][0])
            sent.append((OPS_CHANNEL, opened[MAYA][1], f"ops follow-up {n}"))
            await world.say(LEE, OPS_CHANNEL, f"ops answer {n}", thread_ts=opened[MAYA][1])
            sent.append((f"D{MAYA}", opened[MAYA][0], f"ops answer {n}"))
        took = await run_until_delivered(world)

        # The flooded channel drained at its pace, each thread in order, once each.
        flood_times = []
        for user in FLOODERS:
            got = relays(world, IT_CHANNEL, opened[user][1], "flood")
            assert [f"flood {n} from {user}" in block_text(c.params)
                    for n, c in enumerate(got)] == [True] * FOLLOW_UPS, \
                [block_text(c.params) for c in got]
            flood_times += [c.time for c in got]
        drained = max(flood_times) - start
        assert drained >= FOLLOW_UPS * len(FLOODERS) - 5 - 1, drained
        assert took >= drained
        # Deskbot kept to the pace itself: Slack never had to refuse a call.
        assert [c for c in world.api.calls if c.status == 429] == []
        # The card updates queued behind the flood went out as the latest of each.
        async with world.db.unit_of_work(readonly=True) as uow:
            coalesced = await uow.session.scalar(
                select(func.count()).select_from(OutboxNotice).where(
                    OutboxNotice.outcome == outbox.COALESCED))
        assert coalesced > 0

        # The other desks' relays and the requesters' DMs went out at once, in order.
        for channel, thread, word in sent:
            [call] = relays(world, channel, thread, word)
            assert call.time - start <= 1.0, (word, call.time - start, drained)
        for channel, thread, kind in ((HR_CHANNEL, opened[ELI][1], "hr follow-up"),
                                      (f"D{ELI}", opened[ELI][0], "hr answer"),
                                      (OPS_CHANNEL, opened[MAYA][1], "ops follow-up"),
                                      (f"D{MAYA}", opened[MAYA][0], "ops answer")):
            words = [block_text(c.params) for c in relays(world, channel, thread, kind)]
            assert [f"{kind} {n}" in w for n, w in enumerate(words)] == [True] * 3, words


async def test_a_429_parks_only_its_channel_and_retry_after_is_kept(
        db: Database, clock: FrozenClock):
    """Slack is stricter than deskbot's pace (bursts of 2, not 5): its 429s park the
    flooded channel for their Retry-After; nothing is lost, the order holds, and the
    other desks do not wait."""
    async with slack_world(db, clock, settings_changes=PACE,
                           api_setup=paced_api(clock, burst=2)) as world:
        await three_desks(world)
        opened = await open_requests(world)
        start = clock.now().timestamp()
        for n in range(2):
            for user in FLOODERS:
                await world.dm(user, f"flood {n} from {user}", thread_ts=opened[user][0])
        await world.dm(ELI, "hr follow-up", thread_ts=opened[ELI][0])
        await world.say(LEE, OPS_CHANNEL, "ops answer", thread_ts=opened[MAYA][1])
        await run_until_delivered(world)

        refused = [c for c in world.api.calls if c.status == 429]
        assert refused and {c.params["channel"] for c in refused} == {IT_CHANNEL}
        # After a 429 nothing more went to that channel before its Retry-After.
        it_calls = [c for c in world.api.calls
                    if c.params.get("channel") == IT_CHANNEL and c.time >= start
                    and c.method in ("chat.postMessage", "chat.update")]
        for call in refused:
            if call.time < start:
                continue
            after = [c for c in it_calls if c.time > call.time]
            assert not after or after[0].time >= call.time + 1.0  # Retry-After >= 1 s
        for user in FLOODERS:
            got = relays(world, IT_CHANNEL, opened[user][1], "flood")
            assert [f"flood {n} from {user}" in block_text(c.params)
                    for n, c in enumerate(got)] == [True] * 2
        [hr] = relays(world, HR_CHANNEL, opened[ELI][1], "hr follow-up")
        [ops] = relays(world, f"D{MAYA}", opened[MAYA][0], "ops answer")
        assert hr.time - start <= 1.0 and ops.time - start <= 1.0
        async with world.db.unit_of_work(readonly=True) as uow:
            failed = await uow.session.scalar(outbox_failed_count())
        assert failed == 0


def outbox_failed_count() -> Any:
    return select(func.count()).select_from(OutboxNotice).where(
        OutboxNotice.outcome == outbox.FAILED)
