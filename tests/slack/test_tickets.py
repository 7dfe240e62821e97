"""Issue 17 (1, 2) through the Slack path: tickets, categories, impact × urgency.

The real deskbot against the fake Slack Web API (both databases), the clock moved by
hand: an inquiry converted to a ticket gets its category's SLA (counted from when it
was opened), the requester is told; the card's control does the same; with the matrix
on, the requester's urgency (picked in the modal) and the agent's impact give the
priority, and the due times follow.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    IT_CHANNEL,
    LEE,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, card_now, dms, open_by_dm, token


async def set_up(world: SlackWorld) -> None:
    """IT, always open (business time is wall time), the desk's first response 4h (the
    default), and Incident's own targets: first response 30m, resolution 1d."""
    await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    await world.command(ADA, f"admin agents IT add <@{DANA}|dana> <@{LEE}|lee>")
    await world.command(ADA, "admin hours IT always")
    answer = await world.command(
        ADA, "admin categories IT add incident sla first-response 30m resolution 1d")
    assert answer["response_type"] == "ephemeral"
    assert "Incident" in block_text(answer) and "30m" in block_text(answer)


async def stored(world: SlackWorld, ref: int) -> Conversation:
    async with world.deps.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.scalars(select(Conversation).where(
            Conversation.ref == ref))).one()


async def test_a_converted_inquiry_gets_its_categorys_sla_and_the_requester_is_told(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up(world)
        _, card, _ = await open_by_dm(world, ELI, "the whole floor lost the network")
        assert f"first response due \u2068{token(SUNDAY_9, minutes=240)}" in block_text(card)

        clock.advance(minutes=10)
        # Without a category: refused privately, with the desk's categories and the form.
        refused = await world.command(DANA, "ticket 1001", channel=IT_CHANNEL)
        assert refused["response_type"] == "ephemeral"
        said = block_text(refused)
        assert "Incident" in said and "Service request" in said and "IMAC" in said
        assert "/desk ticket 1001 Incident" in said
        refused = await world.command(DANA, "ticket 1001 Outage", channel=IT_CHANNEL)
        assert "no category" in block_text(refused)

        answer = await world.command(DANA, "ticket 1001 incident", channel=IT_CHANNEL)
        assert "is now a ticket" in block_text(answer) and "Incident" in block_text(answer)
        await world.settled()
        # The 10 minutes already passed count: due 30 minutes after it was opened.
        now = card_now(world, card)
        assert f"first response due \u2068{token(SUNDAY_9, minutes=30)}" in now
        assert "*Ticket*" in now and "Incident" in now
        conversation = await stored(world, 1001)
        assert conversation.kind == "ticket" and conversation.category == "Incident"
        opened = conversation.opened_at
        assert conversation.first_response_due_at == opened + timedelta(minutes=30)
        assert conversation.resolution_due_at == opened + timedelta(days=1)
        told = [t for t in dms(world, ELI) if "is now a ticket" in t]
        assert len(told) == 1 and "#1001" in told[0] and "Incident" in told[0]

        again = await world.command(DANA, "ticket 1001 IMAC", channel=IT_CHANNEL)
        assert "a ticket already" in block_text(again)
        # The category changes with /desk category; IMAC has no targets: the desk's 4h.
        await world.command(DANA, "category 1001 imac", channel=IT_CHANNEL)
        await world.settled()
        conversation = await stored(world, 1001)
        assert conversation.category == "IMAC"
        assert conversation.first_response_due_at == opened + timedelta(hours=4)
        queue = await world.command(DANA, "queue all")
        assert "🎫 \u2068IMAC\u2069" in block_text(queue) or "🎫 IMAC" in block_text(queue)


async def test_the_cards_make_ticket_select_converts_it(db: Database,
                                                        clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up(world)
        _, card, _ = await open_by_dm(world, OMER, "VPN down for everyone")
        select_ = [e for b in card["blocks"] if b.get("type") == "actions"
                   for e in b["elements"] if e.get("action_id") == button_ids.CATEGORY]
        assert [o["value"] for o in select_[0]["options"]] == [
            "Incident", "Service request", "IMAC"]
        clock.advance(minutes=5)
        status, _ = await world.click(LEE, card, button_ids.CATEGORY, option="Incident",
                                      channel=IT_CHANNEL)
        assert status == 200
        await world.settled()
        conversation = await stored(world, 1001)
        assert conversation.kind == "ticket" and conversation.category == "Incident"
        assert conversation.first_response_due_at == conversation.opened_at + timedelta(
            minutes=30)
        assert f"first response due \u2068{token(SUNDAY_9, minutes=30)}" in card_now(world,
                                                                                 card)
        assert any("is now a ticket" in t and "Incident" in t for t in dms(world, OMER))


async def test_the_matrix_gives_priority_from_urgency_and_impact(db: Database,
                                                                 clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up(world)
        await world.command(ADA, "admin sla IT first-response 1h priority 5")
        await world.command(ADA, "admin sla IT first-response 2h priority 4")
        turned = await world.command(ADA, "admin matrix IT on")
        assert "impact × urgency" in block_text(turned)

        # Eli sends a message with the shortcut; the modal asks how urgent (medium first).
        shortcut = world.requests.interaction({
            "type": "message_action", "callback_id": "send_to_helpdesk", "trigger_id": "t.1",
            "user": {"id": ELI}, "channel": {"id": "CGENERAL"},
            "message": {"type": "message", "text": "payroll system is down",
                        "ts": "1700000001.000100", "user": ELI},
            "response_url": f"{world.api.base_url}response/1"})
        assert (await world.send(shortcut))[0] == 200
        [opened] = world.api.calls_to("views.open")
        modal = opened.params["view"]
        urgency = [b for b in modal["blocks"]
                   if b and b.get("block_id") == button_ids.ASK_URGENCY_BLOCK]
        assert urgency and urgency[0]["element"]["initial_option"]["value"] == "medium"
        submission = world.requests.interaction(world.requests.view_submission(
            {"id": ELI}, {**modal, "id": "V1"},
            {button_ids.ASK_DESK_BLOCK: {button_ids.ASK_DESK: {
                "type": "static_select", "selected_option": {"value": "it"}}},
             button_ids.ASK_TEXT_BLOCK: {button_ids.ASK_TEXT: {
                 "type": "plain_text_input", "value": "payroll system is down"}},
             button_ids.ASK_URGENCY_BLOCK: {button_ids.ASK_URGENCY: {
                 "type": "static_select", "selected_option": {"value": "high"}}}},
            trigger_id="t.2"))
        assert (await world.send(submission))[0] == 200
        await world.settled()
        conversation = await stored(world, 1001)
        # Urgency high, impact not said (medium): priority 4, due in its 2h.
        assert conversation.urgency == "high" and conversation.priority == 4
        assert conversation.first_response_due_at == SUNDAY_9 + timedelta(hours=2)
        [card] = [m for m in world.api.calls_to("chat.postMessage")
                  if m.params.get("channel") == IT_CHANNEL and not m.params.get("thread_ts")]
        card_json = json.dumps(card.params)
        assert button_ids.IMPACT in card_json and button_ids.PRIORITY not in card_json

        # Priority is not set directly now: the answer names the two commands.
        refused = await world.command(DANA, "priority 1001 5", channel=IT_CHANNEL)
        assert refused["response_type"] == "ephemeral"
        assert "/desk impact 1001" in block_text(refused)
        assert "/desk urgency 1001" in block_text(refused)

        clock.advance(minutes=20)
        answer = await world.command(DANA, "impact 1001 high", channel=IT_CHANNEL)
        assert "priority 5" in block_text(answer)
        await world.settled()
        conversation = await stored(world, 1001)
        assert conversation.impact == "high" and conversation.priority == 5
        assert conversation.first_response_due_at == SUNDAY_9 + timedelta(hours=1)
        await world.command(DANA, "urgency 1001 low", channel=IT_CHANNEL)
        conversation = await stored(world, 1001)
        assert conversation.priority == 3
        assert conversation.first_response_due_at == SUNDAY_9 + timedelta(hours=4)

        # Off again: priority is set directly, impact and urgency are refused.
        await world.command(ADA, "admin matrix IT off")
        assert "priority" in block_text(
            await world.command(DANA, "priority 1001 2", channel=IT_CHANNEL))
        refused = await world.command(DANA, "impact 1001 low", channel=IT_CHANNEL)
        assert "sets priority directly" in block_text(refused)
