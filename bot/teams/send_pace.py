"""Keeping to Teams' pace: its per-conversation send limits, and no retries of msrest's own.

Teams throttles a bot per conversation or thread (7 sends per second, 8 per 2 s, 60 per
30 s, 1800 per hour, PLATFORM_NOTES) and answers 429 beyond. `SendLimiter` keeps under
those limits; what still fails goes back to the outbox, whose back-off has jitter and
keeps each conversation's order — so msrest must not retry by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from botframework.connector.aio import ConnectorClient

from conversations.outbox_worker import RetryLater

# Teams' limits per bot per conversation or thread: (seconds, sends).
TEAMS_LIMITS = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


def no_client_retries(client: ConnectorClient) -> ConnectorClient:
    """Stop msrest retrying on its own, so a throttled call reaches the outbox at once.

    msrest's urllib3 policy repeats PUT/GET/DELETE on 429 and 5xx (sleeping, and
    unseen by the outbox worker's back-off and ordering). The policy object is shared by
    every session the client makes, so changing it in place covers those already made.
    Idempotent; returns `client`.
    """
    policy = client.config.retry_policy.policy
    policy.total = policy.connect = policy.read = policy.status = policy.other = 0
    policy.status_forcelist = frozenset()
    policy.respect_retry_after_header = False
    policy.raise_on_status = False  # hand back the 429 itself, not a MaxRetryError
    return client


class SendLimiter:
    """Teams' send limits per conversation (sliding windows), in memory, per process.

    `acquire(key)` counts a send when every window has room. When one is full it waits
    (asyncio sleep) if a slot frees within `max_wait` seconds — a short wait is cheaper
    than a round trip through the outbox — else raises RetryLater(paced=True: not a
    failed attempt) with the seconds until a slot frees, so only that conversation's
    key waits. `clock` (monotonic seconds) and `sleep` are injectable.
    """

    def __init__(self, limits: tuple[tuple[float, int], ...] = TEAMS_LIMITS, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 max_wait: float = 1.0) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait
        self._horizon = max(window for window, _ in limits)
        self._sent: dict[str, deque[float]] = {}
        self._since_prune = 0

    def reserve(self, key: str) -> float:
        """Seconds until `key` may send (0: it may now, and the send is counted)."""
        now = self.clock()
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self._horizon:
            sent.popleft()
        wait = max((sent[-count] + window - now for window, count in self.limits
                    if len(sent) >= count and sent[-count] > now - window), default=0.0)
        if wait > 0:
            return wait
        sent.append(now)
        self._prune(now)
        return 0.0

    async def acquire(self, key: str) -> None:
        """Count one send in `key`, waiting briefly or raising RetryLater (see the class)."""
        waited = 0.0
        while (wait := self.reserve(key)) > 0:
            if waited + wait > self.max_wait:
                raise RetryLater(f"teams: over the send limit of {key}", retry_after=wait,
                                 paced=True)
            await self.sleep(wait)
            waited += wait

    def _prune(self, now: float) -> None:
        # Forget quiet conversations now and then, so the memory follows the busy ones.
        self._since_prune += 1
        if self._since_prune < 1000:
            return
        self._since_prune = 0
        for key in [k for k, sent in self._sent.items()
                    if not sent or sent[-1] <= now - self._horizon]:
            del self._sent[key]
