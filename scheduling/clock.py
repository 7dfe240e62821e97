"""The injected clock, as the scheduler speaks of it (defined in storage, the lowest layer).

The clock lives in `storage` because every core package may import storage, while
`conversations` and `desks` may not import `scheduling`.
"""

from storage.clock import Clock, FrozenClock, SystemClock

__all__ = ["Clock", "FrozenClock", "SystemClock"]
