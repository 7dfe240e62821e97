"""Slack interactivity: the ticket card's controls, the employee's buttons, the shortcut.

A click is stored in the inbox and acknowledged at once (so a slow Web API never delays
its ack, and a click delivered twice is kept once); the inbox then runs it (`process`)
as one core command in one unit of work with the delivery's processed mark. A refusal
("already claimed by Dana") goes back privately to the person who clicked. Cards are
never edited here: the core's notices make the outbox worker re-render them from the
current state; only an answered question or prompt is replaced, after the commit.

The message shortcut opens its modal in the request (its trigger_id lives 3 s), and
the modal's submission is answered in its response (field errors go there): both are
recorded as worked on in the request (`storage.inbound.first`). An incident card's
*Post update* and *Resolve incident* open their modal the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import home
from bot.slack.app import SlackContext
from bot.slack.replies import tell_privately
from bot.slack.typed_text import typed
from cards import slack as slack_cards
from cards.i18n import say
from conversations import button_ids, buttons, commands, incident_views, incidents, intake
from conversations.knowledge import articles
from conversations.sla import desk_policy
from conversations.view_models import LEVELS, AskModal, DeskOption, IncidentModal, Settled
from desks import audience
from desks.errors import DeskbotError, UnknownDesk
from desks.languages import DEFAULT_LOCALE, desk_locale, person_locale
from desks.people import find_person
from desks.permissions import Actor
from desks.service import find_desk
from desks.wording import Words
from storage import inbound
from storage.database import UnitOfWork
from storage.inbox import AfterCommit
from storage.models import Desk, InboundEvent

log = logging.getLogger(__name__)

SHORTCUT = "send_to_helpdesk"

# The inbound kinds of interactivity (their rules: storage.inbound).
TICKET, INTAKE, RESOLVE = "ticket_action", "intake_action", "resolve_action"
SHORTCUT_KIND, ASK_SUBMITTED = "shortcut", "ask_submitted"
INCIDENT_MODAL_KIND, INCIDENT_SUBMITTED = "incident_modal", "incident_submitted"
KB_SUBMITTED = "kb_submitted"
CLICKS = (TICKET, INTAKE, RESOLVE)  # stored and processed here (home clicks: bot.slack.home)
# Every entry a listener here is attached to, and the kind its deliveries are recorded as.
ENTRIES = {**{("action", a): TICKET for a in button_ids.TICKET_ACTIONS},
           **{("action", a): INTAKE for a in button_ids.INTAKE_ACTIONS},
           **{("action", a): RESOLVE for a in (button_ids.SOLVED_YES, button_ids.SOLVED_NO,
                                                 button_ids.RATE, button_ids.WITHDRAW)},
           **{("action", a): home.ACTION for a in button_ids.HOME_ACTIONS},
           **{("action", a): INCIDENT_MODAL_KIND for a in button_ids.INCIDENT_ACTIONS},
           ("shortcut", SHORTCUT): SHORTCUT_KIND, ("view", button_ids.ASK_MODAL): ASK_SUBMITTED,
           ("view", button_ids.INCIDENT_MODAL): INCIDENT_SUBMITTED,
           ("view", button_ids.KB_MODAL): KB_SUBMITTED}


def _action(body: dict) -> dict:
    return (body.get("actions") or [{}])[0]


def _value(action: dict) -> str | None:
    moment = action.get("selected_date_time")  # the due date picker: a Unix time
    if isinstance(moment, int) and not isinstance(moment, bool):
        try:
            return datetime.fromtimestamp(moment, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    selected = action.get("selected_option") or {}
    return selected.get("value") or action.get("selected_user") or action.get("value")


def _where(body: dict) -> tuple[str | None, str | None]:
    """(channel, message ts) of the message whose button was clicked."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return channel, container.get("message_ts")


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach the block-action, shortcut and view-submission listeners."""
    for (what, action_id), kind in ENTRIES.items():
        if what == "action" and kind == INCIDENT_MODAL_KIND:
            app.action(action_id)(_incident_modal_listener(ctx))
        elif what == "action":
            app.action(action_id)(_click_listener(ctx, kind))

    @app.shortcut(SHORTCUT)
    async def on_shortcut(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        await ack()
        await open_ask_modal(ctx, body, context)

    @app.view(button_ids.ASK_MODAL)
    async def on_ask_submitted(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        await submit_ask_modal(ctx, ack, body, context)

    @app.view(button_ids.INCIDENT_MODAL)
    async def on_incident_submitted(ack: AsyncAck, body: dict,
                                    context: AsyncBoltContext) -> None:
        await submit_incident_modal(ctx, ack, body, context)

    @app.view(button_ids.KB_MODAL)
    async def on_article_submitted(ack: AsyncAck, body: dict,
                                   context: AsyncBoltContext) -> None:
        await submit_article_modal(ctx, ack, body, context)


def _incident_modal_listener(
        ctx: SlackContext) -> Callable[[AsyncAck, dict, AsyncBoltContext], Awaitable[None]]:
    async def on_click(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        await ack()
        await open_incident_modal(ctx, body, context)
    return on_click


def _click_listener(ctx: SlackContext,
                    kind: str) -> Callable[[AsyncAck, dict, AsyncBoltContext], Awaitable[None]]:
    async def on_click(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
        # Stored, then acknowledged; the inbox runs it after (a link button, which Slack
        # opens by itself, is not stored).
        if (body.get("user") or {}).get("id") and (
                kind != home.ACTION or home.wanted(body) is not None):
            kept = home.kept(body) if kind == home.ACTION else _kept(body)
            new, delivery = await inbound.store(ctx.inbox, "slack", kind, body,
                                                context["team_id"], {"body": kept})
            if not new:
                log.info("slack click %s delivered again; already stored", delivery)
        await ack()
    return on_click


def _kept(body: dict) -> dict:
    """What of a click's payload is stored: who, which control, where, and where to
    answer (not the whole message Slack sends along)."""
    channel, _ = _where(body)
    kept: dict[str, Any] = {"user": {"id": body["user"]["id"]},
                            "actions": (body.get("actions") or [])[:1],
                            "container": body.get("container") or {}}
    if channel:
        kept["channel"] = {"id": channel}
    if body.get("response_url"):
        kept["response_url"] = body["response_url"]
    return kept


# ---------------------------------------------------------------- stored clicks


async def prepare(ctx: SlackContext, row: InboundEvent) -> Any:
    """Before the transaction: the profiles of the clicker (and a transfer's agent)."""
    body = row.payload["body"]
    return await ctx.people.lookup(row.workspace_external_id,
                                   [body["user"]["id"], *_others(row.kind, _action(body))])


def _others(kind: str, action: dict) -> list[str]:
    value = _value(action)
    return [value] if kind == TICKET and action.get("action_id") == button_ids.TRANSFER_AGENT \
        and value else []


async def process(ctx: SlackContext, uow: UnitOfWork, row: InboundEvent,
                  profiles: Any) -> AfterCommit:
    """One stored click, in the inbox's unit of work, by its kind."""
    run = {TICKET: _ticket, INTAKE: _intake, RESOLVE: _resolve}[row.kind]
    return await run(ctx, uow, row.workspace_external_id, row.payload["body"], profiles or {})


async def _attempt(uow: UnitOfWork, command: Callable[[], Awaitable[Any]]
                   ) -> tuple[Any, Words | str | None]:
    """Run `command` in a savepoint: (its result, None), or (None, the refusal) with its
    half-done work undone (the click stays processed)."""
    savepoint = await uow.session.begin_nested()
    try:
        result = await command()
        await savepoint.commit()
    except DeskbotError as error:
        await savepoint.rollback()
        return None, error.words or error.message
    return result, None


def _telling(ctx: SlackContext, team_id: str, channel: str | None, user_id: str,
             text: Words | str, locale: str = DEFAULT_LOCALE) -> AfterCommit:
    if not channel:
        return None

    async def tell() -> None:
        await tell_privately(ctx, team_id, channel, user_id, text, locale=locale)
    return tell


async def _ticket(ctx: SlackContext, uow: UnitOfWork, team_id: str, body: dict,
                  profiles: dict) -> AfterCommit:
    """One ticket-card control; a refusal is told to the clicker after the commit."""
    action = _action(body)
    action_id: Any = action.get("action_id")  # Slack's JSON: a string
    value = _value(action)
    user_id = body["user"]["id"]
    channel, _ = _where(body)
    ref = button_ids.ref_of_block(action.get("block_id"))
    if ref is None:
        ref = button_ids.number(action.get("value"))
    user_ids = [user_id, *_others(TICKET, action)]
    workspace, people = await ctx.people.enter(uow, team_id, user_ids, profiles)
    if ref is None:
        return _telling(ctx, team_id, channel, user_id, Words("button.card_out_of_date"),
                        person_locale(people[user_id]))
    actor = ctx.people.actor(people[user_id], workspace)
    _, refusal = await _attempt(uow, lambda: buttons.ticket_control(
        uow, workspace, actor, action_id, ref, value, people))
    if refusal:
        return _telling(ctx, team_id, channel, user_id, refusal, person_locale(people[user_id]))
    said = await incident_views.proposal_answer(uow, workspace.id, action_id, value)
    if said is None:
        return None  # a ticket card: its new state arrives as a card update
    conversation = await commands.load(uow, workspace.id, ref, lock=False)
    locale = desk_locale(await uow.session.get(Desk, conversation.desk_id))

    async def settle() -> None:  # a burst's proposal: it says what became of it
        await _settle(ctx, team_id, body, said, locale)
    return settle


async def _intake(ctx: SlackContext, uow: UnitOfWork, team_id: str, body: dict,
                  profiles: dict) -> AfterCommit:
    """The desk picker and "add to #ref or new request?" buttons."""
    action = _action(body)
    action_id: Any = action.get("action_id")  # Slack's JSON: a string
    parts = button_ids.split_value(action.get("value"),
                                   1 if action_id in button_ids.PENDING_ONLY else 2)
    user_id = body["user"]["id"]
    channel, _ = _where(body)
    _, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
    if not parts or button_ids.number(parts[0]) is None:
        return _telling(ctx, team_id, channel or user_id, user_id,
                        Words("button.out_of_date_write_again"),
                        person_locale(people[user_id]))
    pending_id = int(parts[0])
    choice = parts[1] if len(parts) > 1 else None
    settled, refusal = await _attempt(uow, lambda: buttons.intake_choice(
        uow, people[user_id], action_id, pending_id, choice))
    locale = person_locale(people[user_id])
    if refusal:
        return _telling(ctx, team_id, channel or user_id, user_id, refusal, locale)

    async def settle() -> None:
        await _settle(ctx, team_id, body, settled or Words("intake.done"), locale)
    return settle


async def _settle(ctx: SlackContext, team_id: str, body: dict, said: Words,
                  locale: str) -> None:
    """Replace the answered question with what happened (cosmetic; failures only logged)."""
    message = slack_cards.message(Settled.of(said), locale=locale)
    channel, message_ts = _where(body)
    try:
        if (body.get("container") or {}).get("type") == "message" and channel and message_ts:
            client = await ctx.client_for(team_id)
            await client.chat_update(channel=channel, ts=message_ts, **message)
        elif body.get("response_url"):
            await AsyncWebhookClient(body["response_url"]).send(replace_original=True,
                                                                 **message)
    except Exception as error:
        log.warning("could not settle the question in %s (%s)", channel, type(error).__name__)


async def _resolve(ctx: SlackContext, uow: UnitOfWork, team_id: str, body: dict,
                   profiles: dict) -> AfterCommit:
    """"Did this solve it?" yes / no, the 1–5 rating, and the receipt's *Withdraw*."""
    action = _action(body)
    action_id: Any = action.get("action_id")  # Slack's JSON: a string
    user_id = body["user"]["id"]
    channel, message_ts = _where(body)
    parts = button_ids.split_value(action.get("value"), 2 if action_id == button_ids.RATE else 1)
    _, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
    if not parts or not all(button_ids.number(p) is not None for p in parts):
        return _telling(ctx, team_id, channel or user_id, user_id,
                        Words("button.out_of_date"), person_locale(people[user_id]))
    ref = int(parts[0])
    stars = int(parts[1]) if len(parts) > 1 else None
    view, refusal = await _attempt(uow, lambda: buttons.withdraw(uow, people[user_id], ref)
                                   if action_id == button_ids.WITHDRAW else
                                   buttons.resolve_answer(uow, people[user_id], action_id, ref,
                                                          stars))
    locale = person_locale(people[user_id])
    if refusal:
        return _telling(ctx, team_id, channel or user_id, user_id, refusal, locale)

    async def answered() -> None:
        # The answer replaces its buttons (after "no" too: the request was reopened; after
        # *Withdraw*, the receipt says it was withdrawn).
        try:
            client = await ctx.client_for(team_id)
            if channel and message_ts:
                await client.chat_update(channel=channel, ts=message_ts,
                                         **slack_cards.message(view, locale=locale))
        except Exception as error:
            log.warning("could not update the resolve prompt (%s)", type(error).__name__)
    return answered


# ---------------------------------------------------------------- "Send to helpdesk"


async def open_ask_modal(ctx: SlackContext, body: dict, context: AsyncBoltContext) -> None:
    """The message shortcut: a modal with the message's text and a desk select."""
    team_id = context["team_id"]
    message = body.get("message") or {}
    # Who is in the private desks' channels, asked of Slack before the transaction.
    member_of = await audience.member_channels(ctx.db, ctx.people.directory, "slack",
                                               team_id, body["user"]["id"])
    async with ctx.db.unit_of_work() as uow:
        from sqlalchemy import select

        from storage.models import Workspace

        workspace = (await uow.session.scalars(select(Workspace).where(
            Workspace.platform == "slack", Workspace.external_id == team_id))).first()
        asker = (await find_person(uow, workspace.id, body["user"]["id"])
                 if workspace else None)
        viewer = (await audience.viewer_for(uow, asker) if asker
                  else audience.Viewer(body["user"]["id"], member_of))
        desks = await intake.open_desks(uow, workspace.id, viewer) if workspace else []
        asker_locale = person_locale(asker)
        if desks:
            # Recorded before the modal opens: a repeat of the shortcut opens none.
            if not await inbound.first(uow, "slack", SHORTCUT_KIND, body):
                log.info("slack shortcut %s delivered again; its modal is open already",
                         body.get("trigger_id"))
                return
            await uow.commit()
    if not desks:
        await tell_privately(ctx, team_id, (body.get("channel") or {}).get("id") or "",
                             body["user"]["id"], Words("intake.no_desk_yet"),
                             locale=asker_locale)
        return
    metadata = json.dumps({"channel": (body.get("channel") or {}).get("id"),
                           "ts": message.get("ts")})
    view = AskModal(text=typed(message.get("text") or ""),
                    desks=tuple(DeskOption(d.slug, d.name, d.description) for d in desks),
                    private_metadata=metadata[:3000],
                    urgency=any(desk_policy(d).matrix.on for d in desks))
    client = await ctx.client_for(team_id)
    await client.views_open(trigger_id=body["trigger_id"],
                            view=slack_cards.modal(view, locale=person_locale(asker)))


async def submit_ask_modal(ctx: SlackContext, ack: AsyncAck, body: dict,
                           context: AsyncBoltContext) -> None:
    """The modal's submission: open the request on the chosen desk (receipt by DM)."""
    team_id = context["team_id"]
    values = (body.get("view") or {}).get("state", {}).get("values", {})
    slug: Any = ((values.get(button_ids.ASK_DESK_BLOCK, {}).get(button_ids.ASK_DESK) or {})
                 .get("selected_option") or {}).get("value")
    text = ((values.get(button_ids.ASK_TEXT_BLOCK, {}).get(button_ids.ASK_TEXT) or {})
            .get("value") or "")
    urgency: Any = ((values.get(button_ids.ASK_URGENCY_BLOCK, {}).get(button_ids.ASK_URGENCY)
                     or {}).get("selected_option") or {}).get("value")
    user_id = body["user"]["id"]
    profiles = await ctx.people.lookup(team_id, [user_id])
    async with ctx.db.unit_of_work() as uow:
        _, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        # In the language the person chose (`/desk language`), else their Slack one.
        locale = person_locale(people[user_id])
        errors = {}
        if not slug:
            errors[button_ids.ASK_DESK_BLOCK] = say(Words("ask.pick_desk"), locale)
        if not text.strip():
            errors[button_ids.ASK_TEXT_BLOCK] = say(Words("ask.write_what"), locale)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        if not await inbound.first(uow, "slack", ASK_SUBMITTED, body):
            await ack()  # a repeat: its request was opened; the modal just closes
            return
        try:
            desk = await find_desk(uow, people[user_id].workspace_id, slug)
            if desk is None or not audience.can_see(
                    desk, await audience.viewer_for(uow, people[user_id])):
                raise UnknownDesk("ask.desk_gone")
            await commands.open_conversation(uow, people[user_id], desk, text, via="shortcut",
                                             urgency=urgency if urgency in LEVELS else None)
        except DeskbotError as error:
            said = say(error.words, locale) if error.words else error.message
            await ack(response_action="errors", errors={button_ids.ASK_TEXT_BLOCK: said[:150]})
            return
        await uow.commit()
    await ack()


# ---------------------------------------------------------------- incident card


def _incident_metadata(body: dict) -> tuple[int | None, bool, str | None]:
    """(incident number, resolving?, channel) from an incident modal's private_metadata."""
    try:
        found = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except (ValueError, TypeError):
        found = {}
    found = found if isinstance(found, dict) else {}
    channel = found.get("channel")
    return (button_ids.number(found.get("incident")), found.get("resolve") is True,
            channel if isinstance(channel, str) else None)


def _typed_in(body: dict, block_id: str, action_id: str) -> str:
    """What a modal's text input held when submitted ("" when none, or not text)."""
    node: Any = body.get("view")
    for step in ("state", "values", block_id, action_id, "value"):
        node = node.get(step) if isinstance(node, dict) else None
    return node if isinstance(node, str) else ""


async def open_incident_modal(ctx: SlackContext, body: dict, context: AsyncBoltContext) -> None:
    """*Post update* / *Resolve incident* on an incident card: the modal for its text
    (an incident gone or resolved meanwhile is said privately instead)."""
    team_id = context["team_id"]
    user_id = body["user"]["id"]
    action = _action(body)
    resolving = action.get("action_id") == button_ids.INCIDENT_RESOLVE
    number = button_ids.number(action.get("value"))
    channel, _ = _where(body)
    profiles = await ctx.people.lookup(team_id, [user_id])
    refusal: Words | str | None = None
    async with ctx.db.unit_of_work() as uow:
        workspace, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        locale = person_locale(people[user_id])
        title = ""
        try:
            # As written (`incidents.parse_number` refuses one too long for a number).
            incident = await incidents.load(uow, workspace.id, str(number or ""))
            if incident.status != "open":
                refusal = Words("incident.resolved_already",
                                incident=incidents.label(incident.number))
            title = incident.title
        except DeskbotError as error:
            refusal = error.words or error.message
        if refusal is None and not await inbound.first(uow, "slack", INCIDENT_MODAL_KIND, body):
            log.info("slack incident click %s delivered again; its modal is open already",
                     body.get("trigger_id"))
            return
        await uow.commit()
    if refusal is not None:
        await tell_privately(ctx, team_id, channel or user_id, user_id, refusal, locale=locale)
        return
    metadata = json.dumps({"incident": str(number), "resolve": resolving, "team": team_id,
                           "channel": channel})
    view = IncidentModal(number=number or 0, title=title, resolve=resolving,
                         private_metadata=metadata[:3000])
    try:
        client = await ctx.client_for(team_id)
        await client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                                view=slack_cards.modal(view, locale=locale))
    except Exception as error:  # its trigger_id expired: the person clicks again
        log.warning("could not open the incident modal (%s)", type(error).__name__)


async def _save_modal(ctx: SlackContext, ack: AsyncAck, body: dict, context: AsyncBoltContext,
                      *, kind: str, stale: bool, block: Callable[[DeskbotError | None], str],
                      act: Callable[[UnitOfWork, Actor], Awaitable[Words]]
                      ) -> tuple[Words | None, str]:
    """What a modal that saves something does when submitted: a stale form is its field's
    error, a repeated submission just closes, the work runs in one unit of work and a
    refusal (not committed: the corrected form is new work) is the field's error named by
    `block`. Returns what to tell the person (None: nothing) and their locale."""
    team_id = context["team_id"]
    user_id = body["user"]["id"]
    profiles = await ctx.people.lookup(team_id, [user_id])
    async with ctx.db.unit_of_work() as uow:
        workspace, people = await ctx.people.enter(uow, team_id, [user_id], profiles)
        locale = person_locale(people[user_id])
        if stale:
            await ack(response_action="errors", errors={block(None): say(
                Words("button.out_of_date"), locale)[:150]})
            return None, locale
        if not await inbound.first(uow, "slack", kind, body):
            await ack()  # a repeat: it was done; the modal just closes
            return None, locale
        try:
            said = await act(uow, ctx.people.actor(people[user_id], workspace))
        except DeskbotError as error:
            refused = say(error.words, locale) if error.words else error.message
            await ack(response_action="errors", errors={block(error): refused[:150]})
            return None, locale
        await uow.commit()
    await ack()
    return said, locale


async def submit_incident_modal(ctx: SlackContext, ack: AsyncAck, body: dict,
                                context: AsyncBoltContext) -> None:
    """The incident modal submitted: post the update, or resolve the incident; a refusal
    is the text field's error, what happened is said privately in the card's channel."""
    number, resolving, channel = _incident_metadata(body)
    text = _typed_in(body, button_ids.INCIDENT_TEXT_BLOCK, button_ids.INCIDENT_TEXT)
    action_id = button_ids.INCIDENT_RESOLVE if resolving else button_ids.INCIDENT_UPDATE

    async def act(uow: UnitOfWork, actor: Actor) -> Words:
        return await buttons.incident_control(uow, actor, action_id, str(number), text)

    said, locale = await _save_modal(
        ctx, ack, body, context, kind=INCIDENT_SUBMITTED, stale=number is None,
        block=lambda _error: button_ids.INCIDENT_TEXT_BLOCK, act=act)
    if said is not None and channel:
        await tell_privately(ctx, context["team_id"], channel, body["user"]["id"], said,
                             kind="ok", locale=locale)


# ---------------------------------------------------------------- articles


def _article_block(error: DeskbotError | None) -> str:
    """The article modal's field a refusal belongs to (the text's, or else the title's)."""
    key = error.words.key if error is not None and error.words else ""
    return button_ids.KB_TEXT_BLOCK if key.startswith("kb.text") else button_ids.KB_TITLE_BLOCK


async def submit_article_modal(ctx: SlackContext, ack: AsyncAck, body: dict,
                               context: AsyncBoltContext) -> None:
    """The article modal (`/desk kb add REF`) saved: the article stored on the request's
    desk; a refusal is its field's error, the saved article is said privately."""
    try:
        found = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except (ValueError, TypeError):
        found = {}
    found = found if isinstance(found, dict) else {}
    ref, channel = button_ids.number(str(found.get("ref") or "")), found.get("channel")
    title = _typed_in(body, button_ids.KB_TITLE_BLOCK, button_ids.KB_TITLE)
    text = _typed_in(body, button_ids.KB_TEXT_BLOCK, button_ids.KB_TEXT)

    async def act(uow: UnitOfWork, actor: Actor) -> Words:
        article = await articles.add_from_request(uow, actor, ref or 0, title, text)
        desk = await uow.session.get(Desk, article.desk_id)
        return Words("kb.added", number=article.number, desk=desk.name if desk else "?",
                     title=article.title)

    said, locale = await _save_modal(ctx, ack, body, context, kind=KB_SUBMITTED,
                                     stale=ref is None, block=_article_block, act=act)
    if said is not None:
        user_id = body["user"]["id"]
        await tell_privately(ctx, context["team_id"], channel if isinstance(channel, str)
                             and channel else user_id, user_id, said, kind="ok", locale=locale)
