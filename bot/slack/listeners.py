"""Slack events: messages in DMs, agent channels and intake channels; the home tab.

Every inbound kind (but the shortcut's modal: `bot.slack.actions`) is stored first
and acknowledged at once: a listener puts the
delivery in the inbox (a retried one is recognised there) and returns, and bolt acks.
The inbox then hands each stored delivery to `process_stored`, which runs its core
command in one unit of work with the delivery's processed mark: a message becomes a
request, reply or note; `/desk` runs its command (`bot.slack.slash`); a click on a card,
a question or a prompt runs its control (`bot.slack.actions`); opening the home tab or
clicking in it queues the tab's publishing (`bot.slack.home`). How each kind is
identified and a repeat recognised is written once, in `storage.inbound`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.slack import actions, home, slash
from bot.slack.app import SlackContext
from bot.slack.replies import tell_privately
from bot.slack.typed_text import typed
from conversations import intake, messages
from conversations.files import SharedFile, within_limit_said
from desks import audience
from desks.errors import DeskbotError
from desks.languages import person_locale
from desks.wording import Words, lines
from storage import inbound
from storage.database import UnitOfWork
from storage.inbox import AfterCommit
from storage.models import InboundEvent

log = logging.getLogger(__name__)

# Message subtypes that carry a person's words; the rest (edits, joins, bot posts) do not.
SPOKEN_SUBTYPES = {None, "file_share", "thread_broadcast"}
# Invisible marks may come first: right-to-left clients put U+200F before what was typed.
LEADING_MENTION = re.compile(r"^[\s\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]*"
                             r"<@[A-Z0-9]+>\s*")

MESSAGE = "message"  # the inbox kind of a stored message

# What the app listens to; app_manifest.yaml must declare exactly these (a test checks).
EVENTS = ("app_home_opened", "message.channels", "message.groups", "message.im")
# Every entry a listener is attached to, and the inbound kind its deliveries are
# recorded as (their rules, one per kind: storage.inbound; a test checks both).
ENTRIES = {("event", "message"): MESSAGE, ("event", "app_home_opened"): home.OPENED,
           ("command", slash.COMMAND): slash.KIND, **actions.ENTRIES}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach every listener deskbot has to `app`."""

    @app.event("message")
    async def on_message(event: dict, body: dict, context: AsyncBoltContext) -> None:
        await handle_message(ctx, event, body, context)

    @app.event("app_home_opened")
    async def on_home_opened(event: dict, body: dict, context: AsyncBoltContext) -> None:
        await handle_home_opened(ctx, event, body, context)

    actions.register(app, ctx)
    slash.register(app, ctx)


def spoken(event: dict) -> bool:
    """Whether the message event is a person's words or files (not a bot, edit or join)."""
    return (event.get("subtype") in SPOKEN_SUBTYPES and not event.get("bot_id")
            and bool(event.get("user"))
            and (bool((event.get("text") or "").strip()) or bool(event.get("files"))))


def shared_files(event: dict) -> tuple[list[SharedFile], list[Words]]:
    """The files of a message event, and what to tell of those deskbot cannot fetch.

    A file Slack shows without its URLs (deleted, or hidden by the plan's limits)
    cannot be carried across; one marked `check_file_info` (Slack Connect) is looked
    up with files.info when it is relayed.
    """
    found: list[SharedFile] = []
    refusals: list[Words] = []
    for item in event.get("files") or []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or item.get("title") or "file")
        url = item.get("url_private_download") or item.get("url_private")
        if not url and item.get("id") and item.get("file_access") == "check_file_info":
            url = ""  # Slack tells the rest through files.info: the sender asks it
        elif not url:
            refusals.append(Words("file.cannot_fetch_slack", name=name))
            continue
        size = item.get("size")
        found.append(SharedFile(platform="slack", name=name, url=str(url or ""),
                                external_id=item.get("id"), mimetype=item.get("mimetype"),
                                size=int(size) if isinstance(size, int | float) else None))
    return found, refusals


async def handle_message(ctx: SlackContext, event: dict, body: dict,
                         context: AsyncBoltContext) -> None:
    """Store a person's message (the ack follows); the inbox processes it right after."""
    if not spoken(event):
        return
    new, event_id = await inbound.store(ctx.inbox, "slack", MESSAGE, body, context["team_id"],
                                        {"event": event})
    if not new:
        log.info("slack event %s delivered again; already stored", event_id)


async def handle_home_opened(ctx: SlackContext, event: dict, body: dict,
                             context: AsyncBoltContext) -> None:
    """Store the opening of the home tab (the ack follows); its view is published after."""
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    new, event_id = await inbound.store(ctx.inbox, "slack", home.OPENED, body,
                                        context["team_id"], {"event": event})
    if not new:
        log.info("slack event %s delivered again; already stored", event_id)


async def prepare_stored(ctx: SlackContext, row: InboundEvent) -> Any:
    """Before the transaction: what the delivery needs from Slack (the author's profile,
    when we do not know them yet; a command's people; which private desks' channels
    they are in, remembered by `desks.audience` for the core)."""
    await _warm_audience(ctx, row)
    if row.kind == slash.KIND:
        return await slash.prepare(ctx, row)
    if row.kind in actions.CLICKS:
        return await actions.prepare(ctx, row)
    if row.kind == home.ACTION:
        user_id = row.payload["body"]["user"]["id"]
    else:
        user_id = row.payload["event"]["user"]
    return await ctx.people.lookup(row.workspace_external_id, [user_id])


async def _warm_audience(ctx: SlackContext, row: InboundEvent) -> None:
    payload = row.payload
    user = ((payload.get("body") or {}).get("user") or {}).get("id") or \
        (payload.get("event") or {}).get("user") or \
        (payload.get("command") or {}).get("user_id")
    if isinstance(user, str) and user:
        await audience.member_channels(ctx.db, ctx.people.directory, "slack",
                                       row.workspace_external_id, user)


async def process_stored(ctx: SlackContext, uow: UnitOfWork, row: InboundEvent,
                         prepared: Any) -> AfterCommit:
    """One stored delivery, in the inbox's unit of work, by its kind."""
    if row.kind == slash.KIND:
        return await slash.process(ctx, uow, row, prepared)
    if row.kind in actions.CLICKS:
        return await actions.process(ctx, uow, row, prepared)
    if row.kind in (home.OPENED, home.ACTION):
        return await _process_home(ctx, uow, row, prepared)
    return await _process_message(ctx, uow, row, prepared)


async def _process_home(ctx: SlackContext, uow: UnitOfWork, row: InboundEvent,
                        profiles: dict | None) -> AfterCommit:
    """The home tab opened or clicked: queue its publishing (availability first)."""
    body = row.payload.get("body")
    user_id = body["user"]["id"] if body is not None else row.payload["event"]["user"]
    workspace, people = await ctx.people.enter(uow, row.workspace_external_id, [user_id],
                                               profiles or {})
    person = people[user_id]
    if body is None:
        home.ask_publish(uow, person)
    else:
        await home.act(uow, person, ctx.people.actor(person, workspace), body)
    return None


async def _process_message(ctx: SlackContext, uow: UnitOfWork, row: InboundEvent,
                           profiles: dict | None) -> AfterCommit:
    """One stored message: DM, agent thread, or intake."""
    event = row.payload["event"]
    team_id = row.workspace_external_id
    user_id = event["user"]
    text = typed(event.get("text") or "")
    channel = event["channel"]
    ts = event["ts"]
    thread_ts = event.get("thread_ts")
    in_thread = thread_ts is not None and thread_ts != ts
    files, file_refusals = shared_files(event)
    files, too_big = within_limit_said(files, ctx.max_file_mb)
    file_refusals += too_big
    workspace, people = await ctx.people.enter(uow, team_id, [user_id], profiles or {})
    person = people[user_id]
    if file_refusals and event.get("channel_type") != "im" and not await _about_a_desk(
            uow, person.workspace_id, channel, thread_ts if in_thread else None):
        file_refusals = []  # a file in a channel deskbot only sits in is none of its business
    refusal: Words | str | None = None
    savepoint = await uow.session.begin_nested()
    try:
        if not text.strip() and not files:
            pass  # only files that cannot be carried: their author is told below
        elif event.get("channel_type") == "im":
            await messages.direct_message(uow, person, text, channel, ts,
                                      thread_ts if in_thread else None, files=files)
        else:
            refusal = await _channel_message(ctx, uow, workspace, person, text, channel,
                                             ts, thread_ts if in_thread else None,
                                             files=files)
        await savepoint.commit()
    except DeskbotError as error:
        # Undo the half-done command, keep the delivery as processed, and say why.
        await savepoint.rollback()
        refusal = error.words or error.message
    parts = [r for r in (refusal, *file_refusals) if r]
    if not parts:
        return None
    said, locale = lines(parts), person_locale(person)

    async def tell() -> None:
        await tell_privately(ctx, team_id, channel, user_id, said, thread_ts=thread_ts,
                             locale=locale)
    return tell


async def _about_a_desk(uow: Any, workspace_id: int, channel: str,
                        thread_ts: str | None) -> bool:
    """Whether a channel message is for deskbot: in an intake channel or a card's thread."""
    agent_desk, intake_desk = await intake.desk_by_channel(uow, workspace_id, channel)
    if intake_desk is not None:
        return True
    return (thread_ts is not None and agent_desk is not None and
            await intake.by_agent_thread(uow, workspace_id, channel, thread_ts) is not None)


async def _channel_message(ctx: SlackContext, uow: Any, workspace: Any, person: Any, text: str,
                           channel: str, ts: str, thread_ts: str | None, *,
                           files: list[SharedFile] | None = None) -> Words | None:
    agent_desk, intake_desk = await intake.desk_by_channel(uow, person.workspace_id, channel)
    if thread_ts is not None and agent_desk is not None:
        conversation = await intake.by_agent_thread(uow, person.workspace_id, channel,
                                                    thread_ts)
        if conversation is None:
            return None
        return await messages.agent_thread_message(
            uow, ctx.people.actor(person, workspace), conversation,
            LEADING_MENTION.sub("", text), ts, note_prefix=ctx.note_prefix, files=files or ())
    if intake_desk is not None:
        await messages.intake_channel_message(uow, person, intake_desk, text, channel, ts,
                                              thread_ts,
                                          files=files or ())
    return None
