"""Issue 21 point 6 through Teams: `/metrics` scraped from the real deskbot (the real
CloudAdapter, the fake Bot Framework connector; both databases) moves with Teams'
traffic: messages stored and processed, a card click worked on in its response,
notices delivered, connector calls timed, a sweep's warning, the conversation opened.
"""

from __future__ import annotations

from typing import Any

from conversations import button_ids, timers
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.test_metrics import FAMILIES, fresh_states, moved, scrape, total
from tests.teams.harness import card_of, find_action, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, with_maya

__all__ = ["fresh_states"]  # the fixture, used by name


async def test_metrics_move_with_teams_traffic(db: Database, clock: FrozenClock,
                                               fresh_states: Any) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        _, before = await scrape(world)
        desk = Desk(world)
        await desk.set_up_it()  # 9 messages to the bot in IT's channel
        card, _ = await desk.open_by_chat(world.eli, "my laptop will not start")
        data = dict(find_action(card_of(card), button_ids.CLAIM)["data"])
        status, _ = await world.post(world.teams.card_action(
            world.dana, button_ids.CLAIM, data, reply_to_id=card["id"], channel=world.it_channel,
            conversation_id=card["conversation"]["id"]))
        assert status == 200
        await world.settled()
        clock.advance(minutes=12)  # past 75 % of the 15-minute first response
        done = await desk.sweep()
        assert done["sla_warning"] == 1
        types, after = await scrape(world)

    assert {name: types.get(name) for name in FAMILIES} == FAMILIES
    for counter in ("received", "acknowledged", "processed"):
        assert moved(before, after, f"deskbot_deliveries_{counter}_total", platform="teams",
                     kind="message") == 10, counter  # the set-up's 9 and Eli's
    # The claim is worked on in its response: received, with no inbox row to count.
    assert moved(before, after, "deskbot_deliveries_received_total", platform="teams",
                 kind="ticket_action") == 1
    assert moved(before, after, "deskbot_deliveries_acknowledged_total",
                 kind="ticket_action") == 0
    assert moved(before, after, "deskbot_deliveries_failed_total") == 0
    assert total(after, "deskbot_inbox_depth", platform="teams") == 0
    assert total(after, "deskbot_outbox_depth") == 0

    delivered = moved(before, after, "deskbot_notices_delivered_total", platform="teams")
    assert delivered >= 3  # the card, the receipt, the warning at least
    assert moved(before, after, "deskbot_notices_delivered_total", platform="slack") == 0
    assert moved(before, after, "deskbot_notices_retried_total") == 0
    calls = moved(before, after, "deskbot_platform_api_seconds_count", platform="teams")
    assert calls >= delivered
    assert moved(before, after, "deskbot_platform_api_seconds_count", platform="teams",
                 method="send_to_conversation") > 0
    assert moved(before, after, "deskbot_platform_api_errors_total", platform="teams") == 0

    assert moved(before, after, "deskbot_sweep_seconds_count") == 1
    assert moved(before, after, "deskbot_sweep_flags_total",
                 kind=timers.FIRST_RESPONSE_WARNING.name) == 1
    assert total(after, "deskbot_conversations", desk="it") == 1
    assert total(after, "deskbot_conversations") == 1
