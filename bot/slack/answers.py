"""Acknowledgements that wait a moment for their command's answer (see bot.slack.slash)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Answers:
    """Acknowledgements waiting for their command's answer, in this process.

    The listener `expect`s an answer and `wait`s for it a short while; the processor
    `claim`s the waiter before it commits. Whoever comes first decides: a waiter that
    gave up is no longer there to claim (the answer goes through the outbox), and a
    claimed one is answered right after the commit, unless it gave up meanwhile (it is
    then cancelled, and the processor sends the answer through the outbox after all).

    A burst lasts until the processor answers again with no ack waiting (`claim`): the
    waiters leaving when it begins do not end it, since the commands they gave up on are
    still queued, so a few more arriving behind them would wait in vain.
    """

    def __init__(self, crowd: int = 4) -> None:
        self._waiting: dict[str, asyncio.Future[dict]] = {}
        # More acks than this waiting at once is a burst: the commands queue up in the
        # inbox, so their answers cannot come soon. Later ones do not wait at all, and
        # those waiting stop (`_burst`), except the ones that run at once (`_patient`).
        # It ends when the processor claims an answer and no ack waits any more.
        self.crowd = crowd
        self._burst = asyncio.Event()
        self._patient: set[str] = set()
        # How long an ack waits once its command ran, for the commit (seconds).
        self.grace = 0.25
        self._running: set[asyncio.Task[object]] = set()

    def expect(self, key: str, *, always: bool = False) -> bool:
        """Start waiting for the answer to delivery `key`; False (and no waiting) in a
        burst (`crowd` acks wait already, or did and the processor has not answered
        since), unless `always` (a command that runs at once, out of its turn)."""
        if (self._burst.is_set() or len(self._waiting) >= self.crowd) and not always:
            self._burst.set()
            return False
        self._waiting[key] = asyncio.get_running_loop().create_future()
        if always:
            self._patient.add(key)
        return True

    def run(self, work: Coroutine[object, object, object]) -> None:
        """Run `work` beside the waiting ack (kept referenced until it ends)."""
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def claim(self, key: str) -> asyncio.Future[dict] | None:
        """The waiter of `key`, taken; None when nobody waits (any more). The processor
        answering in its turn (not a command run out of it) with no ack left waiting ends
        a burst."""
        in_turn = key not in self._patient
        future = self._drop(key)
        if in_turn and not self._waiting:
            self._burst.clear()
        return future

    def forget(self, key: str) -> None:
        """Stop waiting for `key` (the delivery was not stored as new)."""
        self._drop(key)

    def _drop(self, key: str) -> asyncio.Future[dict] | None:
        future = self._waiting.pop(key, None)
        self._patient.discard(key)
        return future

    async def wait(self, key: str, budget: float) -> dict | None:
        """The answer of `key` if it comes within `budget` seconds (and no burst stops
        the waiting), else None."""
        future = self._waiting.get(key)
        if future is None:
            return None
        watched: set[asyncio.Future[Any]] = {future}
        burst = None
        if key not in self._patient:
            burst = asyncio.ensure_future(self._burst.wait())
            watched.add(burst)
        try:
            await asyncio.wait(watched, timeout=budget, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if burst is not None:
                burst.cancel()
        if not future.done() and self._drop(key) is not None:
            return None  # not claimed: the processor will send it through the outbox
        try:
            # Claimed: the answer comes right after the commit (a moment; if not, it is
            # sent later, so the ack need not wait long for it).
            async with asyncio.timeout(min(budget, self.grace)):
                return await asyncio.shield(future)
        except TimeoutError:
            if future.done() and not future.cancelled():
                return future.result()
            # Given up: the processor finds the waiter cancelled after its commit and
            # sends the answer through the outbox (a commit that failed sends nothing;
            # the inbox runs the command again later, with nobody waiting).
            future.cancel()
            return None
