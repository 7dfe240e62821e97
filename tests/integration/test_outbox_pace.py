"""The outbox worker and a platform's pace: a paced send waits on its own key only, is
not counted as a failed attempt, and the worker comes back when it is due."""

from __future__ import annotations

from datetime import timedelta

from conversations.outbox_worker import RecordingSender, RetryLater
from storage.clock import FrozenClock
from storage.database import Database
from tests.integration.test_outbox_worker import RELAY, Seed, outbox_worker, rows, seed

__all__ = ["seed"]  # the fixture


async def test_a_paced_send_waits_on_its_key_only_and_is_not_an_attempt(
        db: Database, seed: Seed, clock: FrozenClock):
    busy, calm = await seed.conversations(2)
    b1, c1, b2, c2 = await seed.notices([(busy, RELAY), (calm, RELAY), (busy, RELAY),
                                         (calm, RELAY)])
    sender = RecordingSender()
    # The busy channel's pace sends b1 back 20 times: more than max_attempts.
    sender.fail_notice(b1, *[RetryLater("paced", retry_after=1.0, paced=True)] * 20)
    d = outbox_worker(db, sender, max_attempts=3)
    assert await d.drain() == 2
    assert sender.delivered_ids == [c1, c2]  # the calm key did not wait
    assert d._next_look() == 1.0  # back when b1 is due, not at the next poll
    assert d._next_look() == d.poll_interval
    for _ in range(20):
        clock.advance(timedelta(seconds=1))
        await d.drain()
    assert sender.delivered_ids == [c1, c2, b1, b2]
    stored = await rows(db)
    assert stored[b1].outcome == "delivered" and stored[b1].attempts == 0


async def test_a_real_429_still_counts(db: Database, seed: Seed, clock: FrozenClock):
    [busy] = await seed.conversations(1)
    [b1] = await seed.notices([(busy, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(b1, RetryLater("HTTP 429", retry_after=1.0))
    d = outbox_worker(db, sender)
    assert await d.drain() == 0
    assert (await rows(db))[b1].attempts == 1
