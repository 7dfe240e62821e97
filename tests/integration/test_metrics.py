"""The metrics at their source: the inbox's failures, the outbox worker's give-ups by platform,
the states read at scrape time (and their cache), Teams' timed connector calls.

The end-to-end scrape is tests/slack/test_metrics.py; these cover what its traffic does
not reach. Counters live for the process, so each test reads what changed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.teams.measured import measure
from conversations.outbox_worker import RecordingSender, Undeliverable
from storage import metrics
from storage.clock import FrozenClock
from storage.database import Database
from storage.inbox import Inbox
from tests.integration.test_inbox import Recorder
from tests.integration.test_outbox_worker import RELAY, Seed, outbox_worker


def value(counter: Any, *labels: str) -> float:
    return counter.labels(*labels)._value.get()


def api_count(platform: str, method: str) -> float:
    return metrics.REGISTRY.get_sample_value(
        "deskbot_platform_api_seconds_count", {"platform": platform, "method": method}) or 0.0


async def test_a_failing_delivery_is_counted_and_waits_in_the_inbox(db: Database,
                                                                   clock: FrozenClock) -> None:
    failed = value(metrics.FAILED, "teams", "welcome")
    processed = value(metrics.PROCESSED, "teams", "welcome")
    inbox = Inbox(db, Recorder(fail_times=1), backoff=timedelta(seconds=10), quiet=0)
    await inbox.accept("teams", "A1", "tenant", "welcome", {})
    assert await inbox.process_once() == 0
    assert value(metrics.FAILED, "teams", "welcome") == failed + 1
    assert value(metrics.PROCESSED, "teams", "welcome") == processed

    clock.advance(seconds=7)
    snapshot = await metrics.read_snapshot(db)
    assert snapshot.inbox == {"teams": (1, 7.0)}
    page = metrics.render(snapshot, ["slack", "teams"]).decode()
    states = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for family in text_string_to_metric_families(page) for s in family.samples}
    assert states[("deskbot_inbox_depth", (("platform", "teams"),))] == 1
    assert states[("deskbot_inbox_oldest_seconds", (("platform", "teams"),))] == 7
    assert states[("deskbot_inbox_depth", (("platform", "slack"),))] == 0

    clock.advance(seconds=3)
    assert await inbox.process_once() == 1
    assert value(metrics.PROCESSED, "teams", "welcome") == processed + 1
    assert (await metrics.read_snapshot(db)).inbox == {}


async def test_the_states_are_cached_for_their_ttl(db: Database, clock: FrozenClock) -> None:
    now = [100.0]
    snapshots = metrics.Snapshots(db, ttl=5.0, monotonic=lambda: now[0])
    first = await snapshots.read()
    inbox = Inbox(db, Recorder(), quiet=0)
    await inbox.accept("slack", "Ev1", "T1", "message", {})
    now[0] += 4.9
    assert await snapshots.read() is first  # cached: no query
    now[0] += 0.1
    assert (await snapshots.read()).inbox == {"slack": (1, 0.0)}


async def test_notices_given_up_on_are_counted_by_platform_and_kind(db: Database) -> None:
    seed = await Seed(db).setup()
    [conversation] = await seed.conversations(1)
    [notice] = await seed.notices([(conversation, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(notice, Undeliverable("channel_not_found"))
    failed = value(metrics.NOTICES_FAILED, "slack", RELAY)
    delivered = value(metrics.NOTICES_DELIVERED, "slack", RELAY)
    worker = outbox_worker(db, sender, platform_of=lambda workspace_id: (
        "slack" if workspace_id == seed.workspace_id else "teams"))
    await worker.drain()
    assert value(metrics.NOTICES_FAILED, "slack", RELAY) == failed + 1
    assert value(metrics.NOTICES_DELIVERED, "slack", RELAY) == delivered

    await seed.notices([(conversation, RELAY)])
    await worker.drain()
    assert value(metrics.NOTICES_DELIVERED, "slack", RELAY) == delivered + 1


class Operations:
    """Stands in for a ConnectorClient's `conversations` operations."""

    async def send_to_conversation(self, conversation_id: str, activity: Any) -> str:
        if conversation_id == "gone":
            raise RuntimeError("Forbidden")
        return "sent"

    def helper(self) -> str:  # not a coroutine: left alone
        return "plain"


class Client:
    def __init__(self) -> None:
        self.conversations = Operations()


async def test_teams_connector_calls_are_timed_and_their_errors_counted() -> None:
    client = measure(measure(Client()))  # twice: wrapped once
    calls = api_count("teams", "send_to_conversation")
    errors = value(metrics.API_ERRORS, "teams", "send_to_conversation")
    assert await client.conversations.send_to_conversation("a:1", {}) == "sent"
    with pytest.raises(RuntimeError):
        await client.conversations.send_to_conversation("gone", {})
    assert client.conversations.helper() == "plain"
    assert api_count("teams", "send_to_conversation") == calls + 2
    assert value(metrics.API_ERRORS, "teams", "send_to_conversation") == errors + 1
