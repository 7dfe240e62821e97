"""Keeping to Slack's pace in each channel: about one post per second, with short bursts.

Slack lets an app post about once a second in a channel, a few more in a burst, and
answers 429 with `Retry-After` beyond. `ChannelPacer` is a token bucket per channel
(a burst of `burst` posts, then one every 1/`per_second` s) that books the next free
moment for a notice instead of making it wait: the Slack sender turns a booking in the
future into a `RetryLater(paced=True)`, so only that notice's conversation waits in the
outbox (no send is held, no outbox worker task sleeps, no other channel or DM waits)
and it finds its booking when it comes back. A 429 in a channel parks the channel for
its `Retry-After`. In memory, per process; `clock` (seconds) is injectable, so tests
move it with deskbot's own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Channel:
    # The moment the bucket would be full again if nothing else were sent (GCRA's
    # "theoretical arrival time"); a post is allowed while now >= due - tolerance.
    due: float = 0.0
    booked: dict[int, float] = field(default_factory=dict)  # notice id -> its moment


class ChannelPacer:
    """Slack's posting pace per channel, with bookings; see the module docstring."""

    def __init__(self, per_second: float = 1.0, burst: int = 5, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be > 0 and burst >= 1")
        self.interval = 1.0 / per_second
        self.tolerance = (burst - 1) * self.interval
        self.clock = clock
        self._channels: dict[str, _Channel] = {}
        self._since_prune = 0

    def wait(self, channel: str, notice_id: int) -> float:
        """Seconds notice `notice_id` must wait before posting in `channel`; 0: post now.

        Asked first, the notice books the channel's next free moment (counted at once);
        asked again, it gets its booking: 0 once the moment has come.
        """
        now = self.clock()
        state = self._channels.setdefault(channel, _Channel())
        moment = state.booked.pop(notice_id, None)
        if moment is None:
            moment = max(now, state.due - self.tolerance)
            state.due = max(state.due, moment) + self.interval
        if moment > now:
            state.booked[notice_id] = moment
            return moment - now
        self._prune(now)
        return 0.0

    def take(self, channel: str) -> None:
        """Count one more post in `channel` now, without waiting (the further posts of a
        notice already let through: the burst absorbs them)."""
        state = self._channels.setdefault(channel, _Channel())
        state.due = max(state.due, self.clock()) + self.interval

    def park(self, channel: str, seconds: float) -> None:
        """Slack answered 429 in `channel`: nothing goes there for `seconds`; every
        booking there is dropped, so each notice books again after the pause."""
        state = self._channels.setdefault(channel, _Channel())
        state.due = max(state.due, self.clock() + max(0.0, seconds) + self.tolerance)
        state.booked.clear()

    def _prune(self, now: float) -> None:
        # Forget quiet channels now and then (and bookings never claimed: a notice
        # delivered by another process), so the memory follows the busy channels.
        self._since_prune += 1
        if self._since_prune < 1000:
            return
        self._since_prune = 0
        horizon = now - 600.0
        for name in list(self._channels):
            state = self._channels[name]
            state.booked = {n: m for n, m in state.booked.items() if m > horizon}
            if not state.booked and state.due <= now:
                del self._channels[name]
