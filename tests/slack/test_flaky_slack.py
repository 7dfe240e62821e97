"""Slack fails 30 % of calls with 500 or 429 for a while: nothing is lost, order holds.

Everything goes through the real server (signed requests) while the fake Web API is
flaky; then it recovers and the clock moves past every back-off. Every relay and the
final card state arrive, in order per conversation.
"""

from __future__ import annotations

import asyncio

from storage import outbox
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import ADA, DANA, ELI, IT_CHANNEL, MAYA, OMER, SlackWorld, slack_world
from tests.slack.test_story import posts


async def drain_with_time(world: SlackWorld, limit: float = 30.0) -> None:
    """Move the clock past back-offs until every notice is delivered."""
    async with asyncio.timeout(limit):
        while True:
            if await world.deps.slack.inbox.waiting() == 0:
                async with world.db.unit_of_work(readonly=True) as uow:
                    if await outbox.pending_count(uow) == 0:
                        return
            world.clock.advance(seconds=30)
            world.deps.slack.inbox.wake()
            world.deps.outbox_worker.wake()
            await asyncio.sleep(0.02)


async def keep_failing(world: SlackWorld, failures: int, limit: float = 30.0) -> None:
    """Let deliveries run (moving the clock past back-offs) until `failures` calls failed."""
    async with asyncio.timeout(limit):
        while sum(not c.ok for c in world.api.calls) < failures:
            world.clock.advance(seconds=30)
            world.deps.slack.inbox.wake()
            world.deps.outbox_worker.wake()
            await asyncio.sleep(0.02)


async def test_relays_and_cards_survive_a_flaky_slack(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk>")
        await world.command(ADA, f"admin agents IT add <@{DANA}|dana>")
        employees = [ELI, MAYA, OMER]
        asked = {}
        for person in employees:
            asked[person] = await world.dm(person, f"{person} cannot print")
        await world.settled()
        assert len(posts(world, IT_CHANNEL)) == 3
        card_of = {}
        for person in employees:
            card_of[person] = next(c for c in posts(world, IT_CHANNEL)
                                   if f"{person} cannot print" in str(c["blocks"]))

        world.api.chaos(ratio=0.3, statuses=(500, 429), seed=7, retry_after=1)
        for n in range(6):
            for person in employees:
                await world.dm(person, f"{person} follow-up {n}", thread_ts=asked[person])
                await world.say(DANA, IT_CHANNEL, f"answer {n} for {person}",
                                thread_ts=card_of[person]["ts"])
        # Deliveries run into the failures for a while, and the failures pile up.
        await keep_failing(world, failures=15)
        failed_meanwhile = [c for c in world.api.calls if not c.ok]
        world.api.calm()
        await drain_with_time(world)

        assert failed_meanwhile, "the fake was meant to fail some calls"
        for person in employees:
            card_ts = card_of[person]["ts"]
            in_card_thread = [m["text"] for m in posts(world, IT_CHANNEL, thread_ts=card_ts)]
            follow_ups = [t for t in in_card_thread if "follow-up" in t]
            assert [f"follow-up {n}" in t for n, t in enumerate(follow_ups)] == [True] * 6, \
                in_card_thread
            to_requester = [m["text"] for m in posts(world, f"D{person}",
                                                     thread_ts=asked[person])]
            answers = [t for t in to_requester if "answer" in t]
            assert [f"answer {n} for {person}" in t for n, t in enumerate(answers)] == \
                [True] * 6, to_requester
            # The card's last successful update shows the final state: Dana has it.
            last = [c for c in world.api.calls_to("chat.update")
                    if c.ok and c.params.get("ts") == card_ts][-1]
            assert "Dana" in str(last.params["blocks"])
