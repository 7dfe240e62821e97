"""The Slack issue's story, end to end: signed requests in, recorded Web API calls out.

Real deskbot (bootstrap + aiohttp server + slack-bolt + core + outbox worker +
Slack sender + cards) on 127.0.0.1, against the fake Slack Web API; both databases.
"""

from __future__ import annotations

from typing import Any

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    LEE,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)


def posts(world: SlackWorld, channel: str, *, thread_ts: str | None = None,
          since: int = 0) -> list[dict[str, Any]]:
    """chat.postMessage calls to `channel` (in `thread_ts`), as the messages they made."""
    found = []
    for call in world.api.calls_to("chat.postMessage")[since:]:
        if not call.ok or call.params.get("channel") != channel:
            continue
        if thread_ts is not None and call.params.get("thread_ts") != thread_ts:
            continue
        found.append({**call.params, "ts": call.response.get("ts"), "channel": channel})
    return found


def elements(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every interactive element of a message: in actions blocks and as accessories."""
    found = []
    for block in message.get("blocks") or []:
        found += block.get("elements") or []
        if block.get("accessory"):
            found.append(block["accessory"])
    return found


def updates(world: SlackWorld, channel: str, ts: str) -> list[dict[str, Any]]:
    """chat.update calls of one message, oldest first."""
    return [{**c.params, "ts": ts, "channel": channel}
            for c in world.api.calls_to("chat.update")
            if c.ok and c.params.get("channel") == channel and c.params.get("ts") == ts]


async def set_up_desks(world: SlackWorld) -> None:
    """Ada, a workspace admin in Slack, creates IT and HR with their agents from chat."""
    answer = await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    assert "IT" in block_text(answer) and answer["response_type"] == "ephemeral"
    answer = await world.command(ADA, f"admin agents IT add <@{DANA}|dana> <@{LEE}|lee>")
    assert "Dana" in block_text(answer) and "Lee" in block_text(answer)
    await world.command(ADA, f"admin create HR <#{HR_CHANNEL}|hr-desk> Leave and payroll")
    answer = await world.command(ADA, f"admin agents HR add <@{OMER}|omer>")
    assert "Omer" in block_text(answer)
    shown = await world.command(ADA, "admin show IT")
    # People show as mentions, which Slack renders as each viewer sees their names.
    assert f"<#{IT_CHANNEL}>" in block_text(shown) and f"<@{DANA}>" in block_text(shown)


async def test_the_whole_story(db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await set_up_desks(world)

        # An employee DMs the bot; two desks and no keyword: the desk picker.
        asked = await world.dm(ELI, "my VPN drops")
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        assert picker["thread_ts"] == asked
        assert "IT" in block_text(picker) and "HR" in block_text(picker)

        # Eli picks IT: the card appears in IT's channel, the receipt under Eli's message.
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        status, _ = await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        assert status == 200
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        assert "#1001" in block_text(card) and "my VPN drops" in block_text(card)
        [receipt] = posts(world, f"D{ELI}", thread_ts=asked)[1:]
        assert "#1001" in block_text(receipt) and "IT" in block_text(receipt)
        home = await world.open_home(DANA)
        assert "#1001" in block_text(home)
        assert "#1001" in block_text(await world.open_home(ELI))

        # Eli's follow-up in the DM thread appears in the card's thread.
        await world.dm(ELI, "it happens every hour", thread_ts=asked)
        await world.settled()
        [relayed] = posts(world, IT_CHANNEL, thread_ts=card["ts"])
        assert "it happens every hour" in block_text(relayed)

        # Dana replies in the thread: relayed to Eli with her name; she is assigned.
        await world.say(DANA, IT_CHANNEL, "Try the new profile, please", thread_ts=card["ts"])
        await world.settled()
        to_eli = posts(world, f"D{ELI}", thread_ts=asked)
        assert any("Try the new profile" in block_text(m) and "Dana" in block_text(m)
                   for m in to_eli)
        assert "Dana" in block_text(updates(world, IT_CHANNEL, card["ts"])[-1])
        dana_home = await world.open_home(DANA)
        assert "#1001" not in block_text(dana_home)  # the default view: unassigned
        assert "Assigned to me (1)" in block_text(dana_home)
        mine = await world.home_click(DANA, dana_home, button_ids.HOME_VIEW, value="mine")
        assert "#1001" in block_text(mine)

        # The card names Dana and offers Take over, not Claim; Lee clicks Claim on the
        # card as his client still showed it: refused, privately, naming Dana.
        before = len(world.api.calls_to("chat.postEphemeral"))
        current = updates(world, IT_CHANNEL, card["ts"])[-1]
        shown = [e["action_id"] for b in current["blocks"] if b["type"] == "actions"
                 for e in b["elements"]]
        assert button_ids.CLAIM not in shown and button_ids.TAKE_OVER in shown
        status, _ = await world.click(LEE, card, button_ids.CLAIM)
        assert status == 200
        [refusal] = world.api.calls_to("chat.postEphemeral")[before:]
        assert refusal.params["user"] == LEE
        assert "already claimed by Dana" in block_text(refusal.params)

        # Dana transfers to Lee with the select; Lee pins; priority 4; Lee closes.
        status, _ = await world.click(DANA, current, button_ids.TRANSFER_AGENT, option=LEE)
        assert status == 200
        await world.settled()
        current = updates(world, IT_CHANNEL, card["ts"])[-1]
        assert "Lee" in block_text(current)
        lee_home = await world.open_home(LEE)
        assert "Assigned to me (1)" in block_text(lee_home)
        assert "Assigned to me (0)" in block_text(await world.open_home(DANA))
        await world.click(LEE, current, button_ids.PIN)
        await world.settled()
        assert [c.params["timestamp"] for c in world.api.calls_to("pins.add")
                if c.ok] == [card["ts"]]
        current = updates(world, IT_CHANNEL, card["ts"])[-1]
        await world.click(LEE, current, button_ids.PRIORITY, option="4")
        await world.settled()
        current = updates(world, IT_CHANNEL, card["ts"])[-1]
        assert "★★★★☆" in block_text(current)
        told_before = len(posts(world, f"D{ELI}", thread_ts=asked))
        await world.click(LEE, current, button_ids.CLOSE)
        await world.settled()
        final = updates(world, IT_CHANNEL, card["ts"])[-1]
        assert "Closed" in block_text(final) or "closed" in block_text(final)
        assert not any(b.get("type") == "actions" for b in final["blocks"])
        # The closed card: its own ref to reopen with, no SLA, no pin, unpinned (14.7).
        assert "/desk reopen 1001" in block_text(final) and "SLA" not in block_text(final)
        assert "Pinned" not in block_text(final)
        assert [c.params["timestamp"] for c in world.api.calls_to("pins.remove")
                if c.ok] == [card["ts"]]

        # Eli gets one message, in the final state: closed, did this solve it?
        [prompt] = posts(world, f"D{ELI}", thread_ts=asked)[told_before:]
        assert "was closed" in block_text(prompt) and "resolved" not in block_text(prompt)
        assert any(e.get("action_id") == button_ids.RATE for e in elements(prompt))
        # Eli answers and rates 5: each answer replaces its buttons.
        await world.click(ELI, prompt, button_ids.SOLVED_YES)
        answered = next(c.params for c in reversed(world.api.calls_to("chat.update"))
                        if c.params["ts"] == prompt["ts"])
        assert {e.get("action_id") for e in elements(answered)} - {None} == {button_ids.RATE}
        await world.click(ELI, prompt, button_ids.RATE, value="1001:5")
        await world.settled()
        rated = next(c.params for c in reversed(world.api.calls_to("chat.update"))
                     if c.params["ts"] == prompt["ts"])
        assert not any(e.get("action_id") for e in elements(rated))
        assert "You rated it ★★★★★" in block_text(rated)
        async with db.unit_of_work(readonly=True) as uow:
            from sqlalchemy import select

            from storage.models import Conversation

            conversation = (await uow.session.scalars(select(Conversation))).one()
            assert (conversation.status, conversation.rating) == ("closed", 5)
        # Homes after the close: nothing active left for anyone.
        lee_home = await world.open_home(LEE)
        assert "Assigned to me (0)" in block_text(lee_home)
        assert "#1001" not in block_text(
            await world.home_click(LEE, lee_home, button_ids.HOME_VIEW, value="all"))
        assert "#1001" in block_text(await world.open_home(ELI))


async def test_a_plain_follow_up_leaves_the_card_and_one_ending_a_wait_updates_it(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        asked = await world.dm(ELI, "my VPN drops")
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        await world.say(DANA, IT_CHANNEL, "Which office?", thread_ts=card["ts"])
        await world.settled()
        shown = updates(world, IT_CHANNEL, card["ts"])
        assert "Dana" in block_text(shown[-1])

        # Open and Dana's: a follow-up is relayed, the card shows nothing new.
        await world.dm(ELI, "Tel Aviv, every hour", thread_ts=asked)
        await world.settled()
        assert "Tel Aviv" in block_text(posts(world, IT_CHANNEL, thread_ts=card["ts"])[-1])
        assert updates(world, IT_CHANNEL, card["ts"]) == shown

        # Waiting on Eli: his follow-up opens it again, and the card says so.
        await world.command(DANA, "status 1001 waiting")
        await world.settled()
        shown = updates(world, IT_CHANNEL, card["ts"])
        assert "Eli⁩; Waiting on requester)" in block_text(shown[-1])
        await world.dm(ELI, "it dropped again", thread_ts=asked)
        await world.settled()
        after = updates(world, IT_CHANNEL, card["ts"])
        assert len(after) == len(shown) + 1
        assert "Eli⁩; Open)" in block_text(after[-1])
        assert "clock paused" not in block_text(after[-1])
