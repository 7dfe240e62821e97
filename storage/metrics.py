"""deskbot's Prometheus metrics: the metric objects, and the cheap reads made at scrape time.

prometheus_client is a library like SQLAlchemy (not a platform), so the metric objects
live here, at the bottom of the arrows, where storage, conversations, scheduling and the
adapters can all reach them. They are registered once, on `REGISTRY` (not the client's
global one), when this module is first imported: tests build many apps in one process
and never register a series twice. Counters only ever grow; a test reads deltas or ≥.

What is a state rather than a count (inbox and outbox depth and the age of their oldest,
conversations by status and desk) is read from the database when `/metrics` is scraped
(`Snapshots.read`, cached a few seconds) and rendered on a registry of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from storage.database import Database
from storage.models import Conversation, Desk, InboundEvent, OutboxNotice

REGISTRY = CollectorRegistry(auto_describe=True)

# Inbound deliveries (storage/inbox.py, storage/inbound.py).
RECEIVED = Counter("deskbot_deliveries_received", "Platform deliveries received",
                   ["platform", "kind"], registry=REGISTRY)
ACKNOWLEDGED = Counter("deskbot_deliveries_acknowledged",
                       "Deliveries stored and committed, so acknowledged (inbox kinds)",
                       ["platform", "kind"], registry=REGISTRY)
PROCESSED = Counter("deskbot_deliveries_processed", "Stored deliveries processed",
                    ["platform", "kind"], registry=REGISTRY)
FAILED = Counter("deskbot_deliveries_failed",
                 "Attempts at processing a stored delivery that failed",
                 ["platform", "kind"], registry=REGISTRY)

# Outbox notices (conversations/outbox_worker.py).
NOTICES_DELIVERED = Counter("deskbot_notices_delivered", "Notices delivered",
                            ["platform", "kind"], registry=REGISTRY)
NOTICES_FAILED = Counter("deskbot_notices_failed", "Notices given up on (kept as failed)",
                         ["platform", "kind"], registry=REGISTRY)
NOTICES_RETRIED = Counter("deskbot_notices_retried", "Notice attempts that failed and wait "
                          "for a retry", ["platform", "kind"], registry=REGISTRY)

# Platform Web API calls (bot/slack/measured.py, bot/teams/measured.py).
API_SECONDS = Histogram("deskbot_platform_api_seconds", "Platform API call latency",
                        ["platform", "method"], registry=REGISTRY,
                        buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
API_ERRORS = Counter("deskbot_platform_api_errors", "Platform API calls that failed",
                     ["platform", "method"], registry=REGISTRY)

# Sweeps (scheduling/sweeps.py).
SWEEP_SECONDS = Histogram("deskbot_sweep_seconds", "How long one run of every sweep took",
                          registry=REGISTRY,
                          buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
SWEEP_FLAGS = Counter("deskbot_sweep_flags", "Flags the sweeps set (committed), by timer kind",
                      ["kind"], registry=REGISTRY)

BUILD = Info("deskbot_build", "deskbot's version", registry=REGISTRY)


def version() -> str:
    """deskbot's installed version (pyproject's), or "unknown" when it is not installed."""
    try:
        return metadata.version("deskbot")
    except metadata.PackageNotFoundError:
        return "unknown"


BUILD.info({"version": version()})


@dataclass(frozen=True)
class Snapshot:
    """The states read at one scrape: queue depths, their oldest, conversations."""

    inbox: dict[str, tuple[int, float]]  # platform -> (waiting, age of the oldest in s)
    outbox: tuple[int, float]  # (undelivered, age of the oldest in s)
    conversations: dict[tuple[str, str], int]  # (status, desk slug) -> how many


def _age(now: datetime, oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    return max(0.0, (now - oldest).total_seconds())


async def read_snapshot(db: Database) -> Snapshot:
    """Three grouped reads (the inbox's and outbox's undone rows, conversations)."""
    now = db.clock.now()
    async with db.unit_of_work(readonly=True) as uow:
        inbox_rows = (await uow.session.execute(
            select(InboundEvent.platform, func.count(), func.min(InboundEvent.received_at))
            .where(InboundEvent.processed_at.is_(None)).group_by(InboundEvent.platform))).all()
        out_count, out_oldest = (await uow.session.execute(
            select(func.count(), func.min(OutboxNotice.created_at))
            .where(OutboxNotice.done_at.is_(None)))).one()
        by_status = (await uow.session.execute(
            select(Conversation.status, Desk.slug, func.count())
            .join(Desk, Desk.id == Conversation.desk_id)
            .group_by(Conversation.status, Desk.slug))).all()
    conversations: dict[tuple[str, str], int] = {}
    for status, slug, count in by_status:  # one slug in several workspaces: summed
        conversations[(status, slug)] = conversations.get((status, slug), 0) + count
    return Snapshot(inbox={platform: (count, _age(now, oldest))
                           for platform, count, oldest in inbox_rows},
                    outbox=(out_count, _age(now, out_oldest)), conversations=conversations)


@dataclass
class Snapshots:
    """`read_snapshot`, cached for `ttl` seconds (a scrape every few seconds costs one read)."""

    db: Database
    ttl: float = 5.0
    monotonic: Callable[[], float] = time.monotonic
    _at: float = field(default=0.0, init=False)
    _last: Snapshot | None = field(default=None, init=False)

    async def read(self) -> Snapshot:
        """The snapshot, read again when the cached one is older than `ttl`."""
        if self._last is None or self.monotonic() - self._at >= self.ttl:
            self._last = await read_snapshot(self.db)
            self._at = self.monotonic()
        return self._last


class _SnapshotCollector:
    """Renders one snapshot as gauge families."""

    def __init__(self, snapshot: Snapshot, platforms: list[str]) -> None:
        self.snapshot = snapshot
        self.platforms = platforms

    def collect(self) -> Any:
        snap = self.snapshot
        depth = GaugeMetricFamily("deskbot_inbox_depth", "Stored deliveries not processed yet",
                                  labels=["platform"])
        age = GaugeMetricFamily("deskbot_inbox_oldest_seconds",
                                "Age of the oldest unprocessed delivery", labels=["platform"])
        for platform in sorted({*self.platforms, *snap.inbox}):
            count, oldest = snap.inbox.get(platform, (0, 0.0))
            depth.add_metric([platform], count)
            age.add_metric([platform], oldest)
        yield depth
        yield age
        yield GaugeMetricFamily("deskbot_outbox_depth", "Notices not delivered yet",
                                value=snap.outbox[0])
        yield GaugeMetricFamily("deskbot_outbox_oldest_seconds",
                                "Age of the oldest undelivered notice", value=snap.outbox[1])
        conversations = GaugeMetricFamily("deskbot_conversations",
                                          "Conversations by status and desk",
                                          labels=["status", "desk"])
        for (status, desk), count in sorted(snap.conversations.items()):
            conversations.add_metric([status, desk], count)
        yield conversations


def render(snapshot: Snapshot, platforms: list[str]) -> bytes:
    """The whole text exposition: the counters, then `snapshot`'s gauges."""
    states = CollectorRegistry(auto_describe=False)
    states.register(_SnapshotCollector(snapshot, platforms))
    return generate_latest(REGISTRY) + generate_latest(states)


__all__ = ["ACKNOWLEDGED", "API_ERRORS", "API_SECONDS", "BUILD", "FAILED", "NOTICES_DELIVERED",
           "NOTICES_FAILED", "NOTICES_RETRIED", "PROCESSED", "RECEIVED", "REGISTRY",
           "SWEEP_FLAGS", "SWEEP_SECONDS", "Snapshot", "Snapshots", "read_snapshot", "render",
           "version"]
