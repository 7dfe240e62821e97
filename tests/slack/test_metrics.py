"""Issue 21 point 6: `/metrics` scraped over HTTP from the real deskbot, as Prometheus would.

The real bolt path against the fake Slack Web API (both databases): /desk commands, a
DM that opens a request, a rate-limited views.publish that waits for its retry, a sweep
that warns. `/metrics` is scraped before, while the notice waits, and after, parsed
with prometheus_client's own parser; every metric is there and moved as the traffic
says. The counters live for the process, so the test reads what changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot import server
from conversations import timers
from desks.notices import NoticeKind
from storage import metrics
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk
from tests.slack.harness import ELI, SlackWorld, slack_world
from tests.slack.test_ack_first import until_retry_is_scheduled
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, open_by_dm, set_up_it, sweep

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

FAMILIES = {
    "deskbot_deliveries_received": "counter",
    "deskbot_deliveries_acknowledged": "counter",
    "deskbot_deliveries_processed": "counter",
    "deskbot_deliveries_failed": "counter",
    "deskbot_inbox_depth": "gauge",
    "deskbot_inbox_oldest_seconds": "gauge",
    "deskbot_outbox_depth": "gauge",
    "deskbot_outbox_oldest_seconds": "gauge",
    "deskbot_notices_delivered": "counter",
    "deskbot_notices_failed": "counter",
    "deskbot_notices_retried": "counter",
    "deskbot_platform_api_seconds": "histogram",
    "deskbot_platform_api_errors": "counter",
    "deskbot_sweep_seconds": "histogram",
    "deskbot_sweep_flags": "counter",
    "deskbot_conversations": "gauge",
    "deskbot_build_info": "gauge",  # an Info: one sample, its labels the facts
}
SET_UP_COMMANDS = 9  # what set_up_it types: 3 to make IT, 5 for its policy, 1 to show it


async def scrape(world: SlackWorld) -> tuple[dict[str, str], Samples]:
    """GET /metrics: each family's type, and every sample by (name, labels)."""
    async with world.session.get(f"{world.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    types: dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return types, samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(value for (sample, found), value in samples.items()
               if sample == name and wanted <= found)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return total(after, name, **labels) - total(before, name, **labels)


@pytest.fixture
def fresh_states(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scrape reads the database states again (no cache between the test's scrapes)."""
    monkeypatch.setattr(server, "METRICS_CACHE_SECONDS", 0.0)


async def test_metrics_move_as_the_traffic_says(db: Database, clock: FrozenClock,
                                                fresh_states: Any) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        _, before = await scrape(world)

        await set_up_it(world)  # /desk commands
        await open_by_dm(world, ELI, "my laptop will not start")  # a DM opens #1001

        # The home tab's views.publish is rate-limited: the notice waits 30 s for its retry.
        world.api.fail_next("views.publish", status=429, retry_after=30)
        status, _ = await world.event(world.requests.home_opened_event(ELI, world.new_ts()))
        assert status == 200
        await until_retry_is_scheduled(world, NoticeKind.HOME_PUBLISH)
        await world.worked_on()
        clock.advance(seconds=20)
        _, waiting = await scrape(world)
        assert total(waiting, "deskbot_outbox_depth") == 1
        assert total(waiting, "deskbot_outbox_oldest_seconds") >= 20
        clock.advance(seconds=10)
        world.deps.outbox_worker.wake()
        await world.settled()

        # 12 minutes in: past 75 % of IT's 15-minute first response, the sweep warns.
        clock.advance(minutes=12)
        done = await sweep(world)
        assert done["sla_warning"] == 1
        types, after = await scrape(world)

    assert {name: types.get(name) for name in FAMILIES} == FAMILIES

    # Deliveries: the DM, the commands and the home tab, each received, acked, processed.
    for kind, count in (("message", 1), ("command", SET_UP_COMMANDS), ("home_opened", 1)):
        for counter in ("received", "acknowledged", "processed"):
            assert moved(before, after, f"deskbot_deliveries_{counter}_total",
                         platform="slack", kind=kind) == count, (counter, kind)
    assert moved(before, after, "deskbot_deliveries_failed_total") == 0

    # The queues: the notice waited (above); now both are empty.
    assert total(after, "deskbot_inbox_depth", platform="slack") == 0
    assert ("deskbot_inbox_oldest_seconds", frozenset({("platform", "slack")})) in after
    assert total(after, "deskbot_outbox_depth") == 0
    assert total(after, "deskbot_outbox_oldest_seconds") == 0

    # Notices: the card and the receipt among those delivered; the home tab retried once.
    assert moved(before, after, "deskbot_notices_delivered_total", platform="slack") >= 3
    assert moved(before, after, "deskbot_notices_delivered_total", platform="slack",
                 kind=NoticeKind.HOME_PUBLISH) == 1
    assert moved(before, after, "deskbot_notices_retried_total", platform="slack",
                 kind=NoticeKind.HOME_PUBLISH) == 1
    assert moved(before, after, "deskbot_notices_failed_total") == 0

    # The Web API: every call timed by method; the 429 counted as views.publish's error.
    posted = len(world.api.calls_to("chat.postMessage"))
    assert moved(before, after, "deskbot_platform_api_seconds_count", platform="slack",
                 method="chat.postMessage") == posted > 0
    assert moved(before, after, "deskbot_platform_api_seconds_count", platform="slack",
                 method="views.publish") == 2
    assert moved(before, after, "deskbot_platform_api_errors_total", platform="slack",
                 method="views.publish") == 1
    assert moved(before, after, "deskbot_platform_api_errors_total", platform="slack",
                 method="chat.postMessage") == 0

    # The sweep: timed, and its one warning counted by timer kind.
    assert moved(before, after, "deskbot_sweep_seconds_count") == 1
    assert moved(before, after, "deskbot_sweep_flags_total",
                 kind=timers.FIRST_RESPONSE_WARNING.name) == 1
    assert moved(before, after, "deskbot_sweep_flags_total") == 1

    # Conversations by status and desk: the one Eli opened.
    async with db.unit_of_work(readonly=True) as uow:
        status, slug = (await uow.session.execute(
            select(Conversation.status, Desk.slug).join(Desk))).one()
    assert total(before, "deskbot_conversations") == 0
    assert total(after, "deskbot_conversations", status=status, desk=slug) == 1
    assert total(after, "deskbot_conversations") == 1

    assert total(after, "deskbot_build_info", version=metrics.version()) == 1
