"""A Web API that does a post and then fails it as the client sees it (a timeout, a
dropped connection): the retry finds the post by its metadata and does not repeat it.

Issue 21 point 2: at 100 msg/s, relays were posted twice with no fault injected,
because a `chat.postMessage` that timed out on deskbot's side had reached Slack.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import ADA, DANA, ELI, IT_CHANNEL, slack_world
from tests.slack.test_flaky_slack import drain_with_time
from tests.slack.test_story import posts

FOLLOW_UPS = 30


@pytest.mark.parametrize("how", ["timeout", "drop", "500"])
async def test_posts_accepted_then_failed_are_not_posted_again(db: Database,
                                                              clock: FrozenClock, how: str):
    async with slack_world(db, clock) as world:
        await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk>")
        await world.command(ADA, f"admin agents IT add <@{DANA}|dana>")
        asked = await world.dm(ELI, "the printer is on fire")
        await world.settled()
        card = next(c for c in posts(world, IT_CHANNEL)
                    if "the printer is on fire" in str(c["blocks"]))
        # Our side gives up on a held post quickly (the outbox worker's own timeout).
        world.deps.outbox_worker.send_timeout = 0.5

        world.api.accept_then_fail(0.3, how=how, seed=3)
        for n in range(FOLLOW_UPS):
            await world.dm(ELI, f"follow-up {n}", thread_ts=asked)
        await world.worked_on()
        async with asyncio.timeout(60):
            while not any(c.accepted for c in world.api.calls):
                world.deps.outbox_worker.wake()
                await asyncio.sleep(0.02)
        await drain_with_time(world, limit=60)
        world.api.calm()

        accepted = [c for c in world.api.calls if c.accepted]
        assert len(accepted) >= 3, "the fake was meant to accept and fail some posts"
        thread = world.api.thread(IT_CHANNEL, card["ts"])
        relayed = [m["text"] for m in thread if "follow-up" in m["text"]]
        numbers = [int(text.split("follow-up ")[1].split()[0].rstrip(".,:;*_"))
                   for text in relayed]
        repeated = [n for n, times in Counter(numbers).items() if times > 1]
        assert not repeated, f"posted twice: {repeated}"
        assert numbers == list(range(FOLLOW_UPS)), relayed
        # Every post deskbot made for a notice says which notice and part it is.
        marked = [m for m in thread if "follow-up" in m["text"]]
        assert all(m["metadata"]["event_type"] == "deskbot_notice" for m in marked)
        assert len({(m["metadata"]["event_payload"]["notice"],
                     m["metadata"]["event_payload"]["part"]) for m in marked}) == FOLLOW_UPS
        # Every post the Web API took was done: nothing was sent a second time, neither
        # by a retry of the notice nor by the HTTP client on its own.
        sent = Counter((c.params["metadata"]["event_payload"]["notice"],
                        c.params["metadata"]["event_payload"]["part"])
                       for c in world.api.calls_to("chat.postMessage"))
        assert [key for key, times in sent.items() if times > 1] == []
