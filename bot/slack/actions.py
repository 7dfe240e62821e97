"""Slack interactivity: the ticket card's controls, the employee's buttons, the shortcut.

Every click becomes one core command in one unit of work; a refusal ("already claimed
by Dana") goes back privately to the person who clicked. Cards are never edited here:
the core's notices make the dispatcher re-render them from the current state.
"""

from __future__ import annotations

import json
import logging
import uuid

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.slack import home
from bot.slack.app import SlackContext
from bot.slack.replies import tell_privately
from bot.slack.typed_text import typed
from cards import slack as slack_cards
from conversations import button_ids as ids
from conversations import buttons as controls
from conversations import commands, intake
from conversations.view_models import AskModal, DeskOption, Settled
from desks.errors import DeskbotError, UnknownDesk
from desks.service import find_desk

log = logging.getLogger(__name__)

SHORTCUT = "send_to_helpdesk"


def _action(body: dict) -> dict:
    return (body.get("actions") or [{}])[0]


def _value(action: dict) -> str | None:
    selected = action.get("selected_option") or {}
    return selected.get("value") or action.get("selected_user") or action.get("value")


def _where(body: dict) -> tuple[str | None, str | None]:
    """(channel, message ts) of the message whose button was clicked."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return channel, container.get("message_ts")


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach the block-action, shortcut and view-submission listeners."""
    for action_id in ids.TICKET_ACTIONS:
        app.action(action_id)(_ticket_listener(ctx))
    for action_id in (ids.PICK_DESK, ids.ADD_TO, ids.NEW_REQUEST):
        app.action(action_id)(_intake_listener(ctx))
    for action_id in (ids.SOLVED_YES, ids.SOLVED_NO, ids.RATE):
        app.action(action_id)(_resolve_listener(ctx))
    for action_id in ids.HOME_ACTIONS:
        app.action(action_id)(_home_listener(ctx))

    @app.shortcut(SHORTCUT)
    async def on_shortcut(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        await ack()
        await open_ask_modal(ctx, body, context)

    @app.view(ids.ASK_MODAL)
    async def on_ask_submitted(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        await submit_ask_modal(ctx, ack, body, context)


# ---------------------------------------------------------------- ticket card


def _ticket_listener(ctx: SlackContext):
    async def on_ticket_action(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        refusal = await ticket_action(ctx, body, context["team_id"])
        await ack()
        if refusal:
            channel, _ = _where(body)
            if channel:
                await tell_privately(ctx, context["team_id"], channel, body["user"]["id"],
                                     refusal)
    return on_ticket_action


async def ticket_action(ctx: SlackContext, body: dict, team_id: str) -> str | None:
    """Run one ticket-card control; returns the refusal to show, if any."""
    action = _action(body)
    action_id = action.get("action_id")
    value = _value(action)
    ref = ids.ref_of_block(action.get("block_id"))
    if ref is None:
        ref = ids.number(action.get("value"))
    if ref is None:
        return "That card is out of date; use `/desk` commands with the request's number."
    user_id = body["user"]["id"]
    others = [value] if action_id == ids.TRANSFER_AGENT and value else []
    profiles = await ctx.people.lookup(team_id, [user_id, *others])
    async with ctx.db.unit_of_work() as uow:
        workspace, people = await ctx.people.enter(uow, team_id, [user_id, *others], profiles)
        actor = ctx.people.actor(people[user_id], workspace)
        try:
            await controls.ticket_control(uow, workspace, actor, action_id, ref, value, people)
        except DeskbotError as error:
            return error.message
        await uow.commit()
    return None


# ---------------------------------------------------------------- employee side


def _intake_listener(ctx: SlackContext):
    async def on_intake_action(ack: AsyncAck, body: dict, context: AsyncBoltContext,
                               respond: AsyncRespond) -> None:
        await ack()
        await intake_action(ctx, body, context, respond)
    return on_intake_action


async def intake_action(ctx: SlackContext, body: dict, context: AsyncBoltContext,
                        respond: AsyncRespond) -> None:
    """The desk picker and "add to #ref or new request?" buttons."""
    team_id = context["team_id"]
    action = _action(body)
    action_id = action.get("action_id")
    parts = ids.split_value(action.get("value"), 1 if action_id == ids.NEW_REQUEST else 2)
    user_id = body["user"]["id"]
    channel, message_ts = _where(body)
    if not parts or ids.number(parts[0]) is None:
        await tell_privately(ctx, team_id, channel or user_id, user_id,
                             "That button is out of date. Write to me again.")
        return
    pending_id = int(parts[0])
    profiles = await ctx.people.lookup(team_id, [user_id])
    settled: str | None = None
    async with ctx.db.unit_of_work() as uow:
        _, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        person = people[user_id]
        try:
            choice = parts[1] if len(parts) > 1 else None
            settled = await controls.intake_choice(uow, person, action_id, pending_id, choice)
        except DeskbotError as error:
            await tell_privately(ctx, team_id, channel or user_id, user_id, error.message)
            return
        await uow.commit()
    await _settle(ctx, team_id, body, respond, settled or "Done.")


async def _settle(ctx: SlackContext, team_id: str, body: dict, respond: AsyncRespond,
                  text: str) -> None:
    """Replace the answered question with what happened (cosmetic; failures only logged)."""
    message = slack_cards.message(Settled(text=text))
    channel, message_ts = _where(body)
    try:
        if (body.get("container") or {}).get("type") == "message" and channel and message_ts:
            client = await ctx.client_for(team_id)
            await client.chat_update(channel=channel, ts=message_ts, **message)
        elif body.get("response_url"):
            await respond(replace_original=True, **message)
    except Exception as error:
        log.warning("could not settle the question in %s (%s)", channel, type(error).__name__)


def _resolve_listener(ctx: SlackContext):
    async def on_resolve_action(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        await ack()
        await resolve_action(ctx, body, context["team_id"])
    return on_resolve_action


async def resolve_action(ctx: SlackContext, body: dict, team_id: str) -> None:
    """"Did this solve it?" yes / no, and the 1–5 rating."""
    action = _action(body)
    action_id = action.get("action_id")
    user_id = body["user"]["id"]
    channel, message_ts = _where(body)
    parts = ids.split_value(action.get("value"), 2 if action_id == ids.RATE else 1)
    if not parts or not all(ids.number(p) is not None for p in parts):
        await tell_privately(ctx, team_id, channel or user_id, user_id,
                             "That button is out of date.")
        return
    ref = int(parts[0])
    profiles = await ctx.people.lookup(team_id, [user_id])
    async with ctx.db.unit_of_work() as uow:
        _, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        person = people[user_id]
        try:
            view = await controls.resolve_answer(uow, person, action_id, ref,
                                                 int(parts[1]) if len(parts) > 1 else None)
        except DeskbotError as error:
            message = error.message
        else:
            message = None
            await uow.commit()
    if message:
        await tell_privately(ctx, team_id, channel or user_id, user_id, message)
        return
    try:  # the answer replaces its buttons (after "no" too: the request was reopened)
        client = await ctx.client_for(team_id)
        if channel and message_ts:
            await client.chat_update(channel=channel, ts=message_ts, **slack_cards.message(view))
    except Exception as error:
        log.warning("could not update the resolve prompt (%s)", type(error).__name__)


# ---------------------------------------------------------------- home tab


def _home_listener(ctx: SlackContext):
    async def on_home_action(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        # Stored, then acknowledged: the tab is published through the outbox after.
        if home.wanted(body) is not None and (body.get("user") or {}).get("id"):
            delivery = home.delivery_id(body) or f"home-action:{uuid.uuid4()}"
            await ctx.inbox.accept("slack", delivery, context["team_id"], home.ACTION,
                                   {"body": home.kept(body)})
        await ack()
    return on_home_action


# ---------------------------------------------------------------- "Send to helpdesk"


async def open_ask_modal(ctx: SlackContext, body: dict, context: AsyncBoltContext) -> None:
    """The message shortcut: a modal with the message's text and a desk select."""
    team_id = context["team_id"]
    message = body.get("message") or {}
    async with ctx.db.unit_of_work(readonly=True) as uow:
        from sqlalchemy import select

        from storage.models import Workspace

        workspace = (await uow.session.scalars(select(Workspace).where(
            Workspace.platform == "slack", Workspace.external_id == team_id))).first()
        desks = await intake.open_desks(uow, workspace.id) if workspace else []
    if not desks:
        await tell_privately(ctx, team_id, (body.get("channel") or {}).get("id") or "",
                             body["user"]["id"],
                             "No desk is set up yet. An admin creates one with "
                             "`/desk admin create IT #it-helpdesk`.")
        return
    metadata = json.dumps({"channel": (body.get("channel") or {}).get("id"),
                           "ts": message.get("ts")})
    view = AskModal(text=typed(message.get("text") or ""),
                    desks=tuple(DeskOption(d.slug, d.name, d.description) for d in desks),
                    private_metadata=metadata[:3000])
    client = await ctx.client_for(team_id)
    await client.views_open(trigger_id=body["trigger_id"], view=slack_cards.modal(view))


async def submit_ask_modal(ctx: SlackContext, ack: AsyncAck, body: dict,
                           context: AsyncBoltContext) -> None:
    """The modal's submission: open the request on the chosen desk (receipt by DM)."""
    team_id = context["team_id"]
    values = (body.get("view") or {}).get("state", {}).get("values", {})
    slug = ((values.get(ids.ASK_DESK_BLOCK, {}).get(ids.ASK_DESK) or {})
            .get("selected_option") or {}).get("value")
    text = ((values.get(ids.ASK_TEXT_BLOCK, {}).get(ids.ASK_TEXT) or {}).get("value") or "")
    errors = {}
    if not slug:
        errors[ids.ASK_DESK_BLOCK] = "Pick the desk that should help."
    if not text.strip():
        errors[ids.ASK_TEXT_BLOCK] = "Write what you need."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    user_id = body["user"]["id"]
    profiles = await ctx.people.lookup(team_id, [user_id])
    async with ctx.db.unit_of_work() as uow:
        _, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        try:
            desk = await find_desk(uow, people[user_id].workspace_id, slug)
            if desk is None:
                raise UnknownDesk("That desk is gone; pick another.")
            await commands.open_conversation(uow, people[user_id], desk, text, via="shortcut")
        except DeskbotError as error:
            await ack(response_action="errors", errors={ids.ASK_TEXT_BLOCK: error.message[:150]})
            return
        await uow.commit()
    await ack()
