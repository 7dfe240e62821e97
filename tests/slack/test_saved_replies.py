"""Saved replies through the Slack path, both databases.

The real deskbot against the fake Slack Web API: the IT lead adds a saved reply with
`/desk replies`, the request's card offers it in a *Saved reply* select, an agent picks
it, and the requester gets it in their DM thread with their name and the ref filled in,
as that agent's reply; the card's thread shows it as the agent's message and the card
says who holds the request now. An employee's `/desk replies` is refused privately.
"""

from __future__ import annotations

import json

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import DANA, ELI, MAYA, OMER, block_text, find_element, slack_world
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, card_now, open_by_dm, set_up_it, thread
from tests.slack.test_story import posts

TEXT = "Hi {name}, please reconnect the VPN and tell me if it works. ({ref})"
FILLED = "Hi Eli, please reconnect the VPN and tell me if it works. (#1002)"


def plain(message: dict) -> str:
    return block_text(message).replace("\u2068", "").replace("\u2069", "")


async def test_a_lead_adds_a_reply_and_an_agent_sends_it_from_the_card(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        # Before the desk has any, a card has no Saved reply control.
        _, bare, _ = await open_by_dm(world, OMER, "printer jammed")
        assert button_ids.SAVED_REPLY not in json.dumps(bare)

        refused = await world.command(ELI, "replies IT")
        assert refused["response_type"] == "ephemeral"
        assert "not an agent of the IT desk" in plain(refused)
        refused = await world.command(DANA, "replies IT add vpn hello")
        assert "Only an admin or a lead of the IT desk" in plain(refused)
        refused = await world.command(MAYA, "replies IT add vpn Hi {first}")
        assert "`{first}` is not a placeholder" in plain(refused)

        added = await world.command(MAYA, f"replies IT add vpn {TEXT}")
        assert "Added the saved reply vpn to the IT desk" in plain(added)
        assert "vpn" in plain(await world.command(DANA, "replies IT"))

        asked, card, _ = await open_by_dm(world, ELI, "the VPN drops every hour")
        block_id, select = find_element(card, button_ids.SAVED_REPLY)
        assert block_id == button_ids.ticket_block(1002)
        assert select["type"] == "static_select"
        assert [o["text"]["text"] for o in select["options"]] == ["vpn"]
        chosen = select["options"][0]["value"]

        dm_before = len(posts(world, f"D{ELI}"))
        status, _ = await world.click(DANA, card, button_ids.SAVED_REPLY, option=chosen)
        assert status == 200
        await world.settled()

        # The requester gets it in their request's DM thread, as Dana's reply (after
        # "Dana picked up your request": choosing it claimed the request).
        new = [plain(m) for m in posts(world, f"D{ELI}")[dm_before:]
               if m.get("thread_ts") == asked]
        [said] = [text for text in new if FILLED in text]
        assert "*Dana*" in said and "{name}" not in said and "{ref}" not in said
        assert any("picked up your request #1002" in text for text in new)
        # The card's thread shows it as Dana's message; the card says Dana holds it.
        in_thread = [t.replace("\u2068", "").replace("\u2069", "") for t in thread(world, card)]
        assert any("*Dana*" in t and FILLED in t for t in in_thread)
        assert "Dana" in card_now(world, card)
        # It counted as the first response: the card no longer shows the first-response clock.
        assert "first response due" not in card_now(world, card)
