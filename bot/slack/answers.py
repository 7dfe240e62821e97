"""Acknowledgements that wait a moment for their command's answer (see bot.slack.slash)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine


class Answers:
    """Acknowledgements waiting for their command's answer, in this process.

    The listener `expect`s an answer and `wait`s for it a short while; the processor
    `claim`s the waiter before it commits. Whoever comes first decides: a waiter that
    gave up is no longer there to claim (the answer goes through the outbox), and a
    claimed one is answered right after the commit, unless it gave up meanwhile (it is
    then cancelled, and the processor sends the answer through the outbox after all).
    """

    def __init__(self, crowd: int = 4) -> None:
        self._waiting: dict[str, asyncio.Future[dict]] = {}
        # More acks than this waiting at once is a burst: the commands queue up in the
        # inbox, so their answers cannot come soon; later ones do not wait at all.
        self.crowd = crowd
        self._running: set[asyncio.Task[object]] = set()

    def expect(self, key: str, *, always: bool = False) -> bool:
        """Start waiting for the answer to delivery `key`; False (and no waiting) in a
        burst, when `crowd` acks wait already, unless `always`."""
        if len(self._waiting) >= self.crowd and not always:
            return False
        self._waiting[key] = asyncio.get_running_loop().create_future()
        return True

    def run(self, work: Coroutine[object, object, object]) -> None:
        """Run `work` beside the waiting ack (kept referenced until it ends)."""
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def claim(self, key: str) -> asyncio.Future[dict] | None:
        """The waiter of `key`, taken; None when nobody waits (any more)."""
        return self._waiting.pop(key, None)

    def forget(self, key: str) -> None:
        """Stop waiting for `key` (the delivery was not stored as new)."""
        self._waiting.pop(key, None)

    async def wait(self, key: str, budget: float) -> dict | None:
        """The answer of `key` if it comes within `budget` seconds, else None."""
        future = self._waiting.get(key)
        if future is None:
            return None
        done, _ = await asyncio.wait({future}, timeout=budget)
        if not done and self._waiting.pop(key, None) is not None:
            return None  # not claimed: the processor will send it through the outbox
        try:
            # Claimed: the answer comes right after the commit.
            async with asyncio.timeout(budget):
                return await asyncio.shield(future)
        except TimeoutError:
            if future.done() and not future.cancelled():
                return future.result()
            # Given up: the processor finds the waiter cancelled after its commit and
            # sends the answer through the outbox (a commit that failed sends nothing;
            # the inbox runs the command again later, with nobody waiting).
            future.cancel()
            return None
