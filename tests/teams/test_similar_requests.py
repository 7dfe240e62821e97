"""Similar resolved requests on the ticket card, and `search`, through the Teams path on
both databases, as tests/slack/test_similar_requests.py does through Slack."""

from __future__ import annotations

from typing import Any

from bot.teams.addresses import Address
from bot.teams.sender import card_link
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.teams.harness import card_of, card_text, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, said_back, with_maya


def _opens(node: Any) -> list[str]:
    """The URLs the card's tappable containers open."""
    if isinstance(node, list):
        return [url for item in node for url in _opens(item)]
    if not isinstance(node, dict):
        return []
    own = [node["selectAction"]["url"]] if "selectAction" in node else []
    return own + [url for key, value in node.items() if key != "selectAction"
                  for url in _opens(value)]


def plain(text: str) -> str:
    """`text` without the isolates around names and values."""
    return text.replace("\u2068", "").replace("\u2069", "")


async def test_a_new_request_like_a_resolved_one_shows_it_on_its_card(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        first, _ = await desk.open_by_chat(world.eli, "The wifi on floor 3 keeps dropping")
        assert "Similar resolved requests" not in plain(card_text(first))
        await desk.command(world.dana, "claim 1001")
        await desk.command(world.dana, "close 1001 Replaced the access point on floor 3")
        clock.advance(minutes=5)

        # Omer is offered #1001 before his request is sent (tests/teams/test_suggestions.py);
        # he sends it anyway.
        await world.dm(world.omer, "בווי-פי בקומה 3 יש ניתוקים")
        await world.settled()
        offer = world.chat_of(world.omer)[-1]
        await world.click(world.omer, offer, button_ids.SUGGESTION_SEND)
        await world.settled()
        card = world.threads_in(world.it_channel)[-1]
        text = plain(card_text(card))
        assert "Similar resolved requests:" in text
        assert "#1001 The wifi on floor 3 keeps dropping, resolved by Dana" in text
        assert "↳ Replaced the access point on floor 3" in text
        # The entry opens #1001's thread: the deep link to its card's message.
        tenant = world.connector.tenant_id
        assert _opens(card_of(card)) == [
            card_link(Address("", tenant, world.it_channel.channel_id), first["id"])]
        # So does the card a click refreshes (the invoke's answer, not the sender's).
        status, answer = await world.click(world.dana, card, button_ids.CLAIM,
                                           channel=world.it_channel)
        assert status == 200 and _opens(answer["value"]) == _opens(card_of(card))

        # `search`: Omer never sees Eli's request; the desk's agent does.
        said = await world.dm(world.omer, "/desk search wifi")  # "search …" alone: a request
        await world.settled()
        mine = plain(said_back(world, said["conversation"]["id"]))
        assert "#1001" not in mine and "#1002" in mine
        agent = plain(await desk.command(world.dana, "search וויפי"))
        assert "#1001" in agent and "#1002" in agent
