"""Slack clicks are stored, acknowledged, then worked on (issue 15.4, 20.8).

The fake Web API holds `users.info` or `chat.update` for as long as the test wants: a
click on a ticket card or a question must be answered while it holds. The same click
delivered twice (signed at another second, so it is no replay of the request) runs
once; so do a repeated shortcut and modal submission.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlalchemy import func, select

from bot.playground.signed import SignedRequest
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Event
from tests.slack.harness import (
    DANA,
    ELI,
    IT_CHANNEL,
    SlackWorld,
    block_text,
    find_element,
    slack_world,
)
from tests.slack.test_story import elements, posts

# A bound for a wait that a broken build never ends (it is not a speed threshold).
HANGS = 10
STRANGER = "USTRANGER"  # in Slack, never seen by deskbot: users.info is asked about them


async def a_card(world: SlackWorld) -> dict[str, Any]:
    await world.set_up_desks_directly()
    await world.command(ELI, "ask IT the printer is on fire")
    await world.settled()
    [card] = posts(world, IT_CHANNEL)
    return card


def claim_by(world: SlackWorld, user: str, card: dict[str, Any], *,
             action_ts: str = "1800000100.000001") -> dict[str, Any]:
    block_id, element = find_element(card, button_ids.CLAIM)
    action = world.requests.action(element, block_id, action_ts)
    return world.requests.message_actions(
        {"id": user}, card, IT_CHANNEL, action, trigger_id=f"trigger.{user}.{action_ts}",
        response_url=f"{world.api.base_url}response/claim")


def signed_at(request: SignedRequest, world: SlackWorld, stamp: int) -> SignedRequest:
    """The same body signed at another second: for the guard, another request."""
    return SignedRequest(request.body, {**request.headers,
                                        **world.sign(request.body, timestamp=stamp)})


async def count(db: Database, query: Any) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(query)).scalar_one()


async def test_a_card_click_is_acknowledged_while_users_info_is_slow(db: Database,
                                                                    clock: FrozenClock):
    async with slack_world(db, clock, api_setup=lambda api: api.add_user(
            STRANGER, "Stranger")) as world:
        card = await a_card(world)
        looked_up = len(world.api.calls_to("users.info"))
        slow = asyncio.Event()
        world.api.hold_next("users.info", slow)
        try:
            async with asyncio.timeout(HANGS):  # a broken build answers after users.info
                status, body = await world.interact(claim_by(world, STRANGER, card))
            assert (status, body) == (200, "")
            assert len(world.api.calls_to("users.info")) == looked_up  # none answered yet
            # The click is worked on after the ack: its profile lookup is held there.
            await world.api.wait_for(lambda: "users.info" in world.api.holding)
        finally:
            slow.set()
        await world.worked_on()
        [refusal] = world.api.calls_to("chat.postEphemeral")
        assert refusal.params["user"] == STRANGER
        assert "There is no request #1001." in block_text(refusal.params)


async def test_an_answered_question_is_acknowledged_while_chat_update_is_slow(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        await world.dm(ELI, "my VPN drops")
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        block_id, element = find_element(picker, button_ids.PICK_DESK, pick["value"])
        action = world.requests.action(element, block_id, world.new_ts())
        slow = asyncio.Event()
        world.api.hold_next("chat.update", slow)
        try:
            async with asyncio.timeout(HANGS):  # a broken build answers after chat.update
                status, _ = await world.interact(world.requests.message_actions(
                    {"id": ELI}, picker, f"D{ELI}", action, trigger_id="trigger.pick",
                    response_url=f"{world.api.base_url}response/pick"))
            assert status == 200
            assert not [c for c in world.api.calls_to("chat.update")
                        if c.params["ts"] == picker["ts"]]
            await world.api.wait_for(lambda: "chat.update" in world.api.holding)
        finally:
            slow.set()
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        assert "my VPN drops" in block_text(card)
        settled = [c for c in world.api.calls_to("chat.update", ok=True)
                   if c.params["ts"] == picker["ts"]]
        assert settled and "IT" in block_text(settled[-1].params)


async def test_the_same_click_delivered_twice_runs_once(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        card = await a_card(world)
        click = world.requests.interaction(claim_by(world, DANA, card))
        now = int(time.time())
        for stamp in (now, now - 1):  # no replay of the request: the same click again
            assert (await world.send(signed_at(click, world, stamp)))[0] == 200
        await world.settled()
        claimed = await count(db, select(func.count()).select_from(Event).where(
            Event.kind == "conversation.claimed"))
        assert claimed == 1
        # A second run would have told Dana the request is hers already.
        assert world.api.calls_to("chat.postEphemeral") == []
        async with db.unit_of_work(readonly=True) as uow:
            conversation = (await uow.session.scalars(select(Conversation))).one()
        assert conversation.assignee_id is not None


async def test_a_repeated_shortcut_and_modal_submission_run_once(db: Database,
                                                                 clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        now = int(time.time())
        shortcut = world.requests.interaction({
            "type": "message_action", "callback_id": "send_to_helpdesk", "trigger_id": "t.9",
            "user": {"id": ELI}, "channel": {"id": "CGENERAL"},
            "message": {"type": "message", "text": "the printer is out of toner",
                        "ts": "1700000001.000100", "user": ELI},
            "response_url": f"{world.api.base_url}response/9"})
        for stamp in (now, now - 1):
            assert (await world.send(signed_at(shortcut, world, stamp)))[0] == 200
        [opened] = world.api.calls_to("views.open")
        modal = opened.params["view"]
        submission = world.requests.interaction(world.requests.view_submission(
            {"id": ELI}, {**modal, "id": "V9"},
            {button_ids.ASK_DESK_BLOCK: {button_ids.ASK_DESK: {"type": "static_select",
                                                 "selected_option": {"value": "it"}}},
             button_ids.ASK_TEXT_BLOCK: {button_ids.ASK_TEXT: {"type": "plain_text_input",
                                                 "value": "the printer is out of toner"}}},
            trigger_id="t.10"))
        for stamp in (now, now - 1):
            status, body = await world.send(signed_at(submission, world, stamp))
            assert status == 200 and body in ("", "{}"), body
        await world.settled()
        assert await count(db, select(func.count()).select_from(Conversation)) == 1
        [card] = posts(world, IT_CHANNEL)
        assert "printer is out of toner" in json.dumps(card)
