"""Similar resolved requests on the ticket card, and `/desk search`, through the Slack
path on both databases: the real deskbot against the fake Slack Web API."""

from __future__ import annotations

import json

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import DANA, ELI, IT_CHANNEL, OMER, block_text, slack_world
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, open_by_dm, set_up_it
from tests.slack.test_story import posts


def _blocks(message: dict) -> list[dict]:
    blocks = message.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def plain(message: dict) -> str:
    """The message's text without the isolates around names and values."""
    return block_text(message).replace("\u2068", "").replace("\u2069", "")


async def test_a_new_request_like_a_resolved_one_shows_it_on_its_card(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        _, first, _ = await open_by_dm(world, ELI, "The wifi on floor 3 keeps dropping")
        assert "Similar resolved requests" not in plain(first)  # nothing resolved yet
        await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
        await world.command(DANA, "close 1001 Replaced the access point on floor 3",
                            channel=IT_CHANNEL)
        await world.settled()
        clock.advance(minutes=5)

        # Omer is offered #1001 before his request is sent (tests/slack/test_suggestions.py);
        # he sends it anyway.
        asked = await world.dm(OMER, "בווי-פי בקומה 3 יש ניתוקים")
        await world.settled()
        [offer] = posts(world, f"D{OMER}", thread_ts=asked)
        await world.click(OMER, offer, button_ids.SUGGESTION_SEND)
        await world.settled()
        card = posts(world, IT_CHANNEL)[-1]
        text = plain(card)
        assert "Similar resolved requests:" in text
        assert "#1001 The wifi on floor 3 keeps dropping, resolved by Dana" in text
        assert "↳ Replaced the access point on floor 3" in text
        # An *Open the thread* button to #1001's card (its permalink, chat.getPermalink).
        [link] = [call.response["permalink"] for call in world.api.calls_to(
            "chat.getPermalink") if call.params.get("message_ts") == first["ts"]]
        assert first["ts"].replace(".", "") in link
        [button] = [b["accessory"] for b in _blocks(card) if "accessory" in b]
        assert button["url"] == link and button["text"]["text"] == "Open the thread"
        _, other, _ = await open_by_dm(world, ELI, "my keyboard is broken")
        assert "Similar resolved requests" not in plain(other)

        # `/desk search`: Omer never sees Eli's request; the desk's agent does.
        mine = await world.command(OMER, "search wifi")
        assert mine["response_type"] == "ephemeral"
        assert "#1001" not in plain(mine) and "#1002" in plain(mine)
        agent = plain(await world.command(DANA, "search וויפי", channel=IT_CHANNEL))
        assert "#1001" in agent and "#1002" in agent
