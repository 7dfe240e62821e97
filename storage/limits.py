"""Per-person limits the core enforces, as plain values (set once at start by bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class OpeningLimit:
    """At most `count` new requests from one person within `window` (count 0: no limit)."""

    count: int = 10
    window: timedelta = timedelta(minutes=10)
