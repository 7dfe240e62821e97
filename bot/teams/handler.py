"""Teams activities: messages in personal chats and desk channels, and card actions.

`DeskBot` is the botbuilder handler. It notes where every activity came from (the
conversation reference the sender needs later), stores each message in the inbox —
Teams gets its answer once the message is kept — and answers a card's
`Action.Execute` in the HTTP response (`bot.teams.invoke`).

`process_stored` then handles a stored message, inside the inbox's unit of work:
- in a personal chat: a command (`claim 1042`, `/desk queue mine`), or the employee's
  request or follow-up (`bot.chat.direct_message`);
- in a card's thread in a desk's agent channel: the agent's reply or internal note
  (`bot.chat.agent_thread_message`), unless it @mentions the bot with a command;
- a new post in a channel that @mentions the bot: a command (`admin create IT` binds
  the channel to the desk); in a desk's intake channel: a request.
Commands run in the inbox's unit of work, so they commit with the delivery's processed
mark; their answer goes back into the same chat or thread after the commit.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, Attachment, ChannelAccount, ConversationAccount

from bot.teams import invoke, words
from bot.teams.accounts import PLATFORM, enter, profile_of, sender_of, warm_audience
from bot.teams.addresses import split_thread, tenant_of
from bot.teams.app import TeamsContext, raw_activity
from bot.teams.attachments import has_files, shared_files
from cards import teams as teams_cards
from conversations import intake, messages, view_queries
from conversations.command_line.catalog import TOP
from conversations.command_line.runner import Caller, Outcome, prepare_command, run_prepared
from conversations.files import SharedFile, within_limit_said
from conversations.notes import split_note
from conversations.view_models import Reply
from desks.errors import DeskbotError
from desks.languages import DEFAULT_LOCALE, language_of, person_locale
from desks.permissions import resolve_actor, served_desk_ids
from desks.wording import Words, lines
from storage import inbound
from storage.database import UnitOfWork
from storage.inbox import AfterCommit
from storage.models import InboundEvent, Person, Workspace

log = logging.getLogger(__name__)

# The inbox kinds of stored activities (their rules: storage.inbound).
MESSAGE = "message"
WELCOME = "welcome"
# Every activity DeskBot handles, and the kind it is recorded as (invokes: per verb).
ENTRIES = {"on_message_activity": MESSAGE, "on_teams_members_added": WELCOME,
           "on_invoke_activity": invoke.KINDS}


class DeskBot(TeamsActivityHandler):
    """deskbot's Teams bot; see the module docstring."""

    def __init__(self, ctx: TeamsContext) -> None:
        self.ctx = ctx

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Note where the activity came from, then handle it."""
        try:
            await self.ctx.addresses.note(raw_activity(turn_context))
        except Exception:  # an address missed now is noted with the next activity
            log.warning("teams: could not note the address of activity %s",
                        turn_context.activity.id, exc_info=True)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Keep a person's message in the inbox; Teams is answered once it is stored."""
        activity = raw_activity(turn_context)
        sender = activity.get("from") or {}
        tenant = tenant_of(activity)
        if not tenant or not sender.get("id") or not activity.get("id"):
            log.info("teams: message %s without tenant, sender or id ignored",
                     activity.get("id"))
            return
        if sender.get("id") == (activity.get("recipient") or {}).get("id"):
            return  # our own message, echoed
        if not str(activity.get("text") or "").strip() and not has_files(activity):
            return  # a reaction, an edit without text: nothing to relay
        new, _ = await inbound.store(self.ctx.inbox, PLATFORM, MESSAGE, activity, tenant,
                                     {"activity": activity})
        if not new:
            log.info("teams: activity %s delivered again; already stored", activity["id"])

    async def on_teams_members_added(self, teams_members_added: Any, team_info: Any,
                                     turn_context: TurnContext) -> None:
        """The bot added to a personal chat or a team: keep a welcome to send."""
        activity = raw_activity(turn_context)
        bot_id = (activity.get("recipient") or {}).get("id")
        tenant = tenant_of(activity)
        if not tenant or not activity.get("id") or not any(
                getattr(member, "id", None) == bot_id for member in teams_members_added):
            return
        await inbound.store(self.ctx.inbox, PLATFORM, WELCOME, activity, tenant,
                            {"activity": activity})

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """`adaptiveCard/action`: run the button, answer with the card as it is now."""
        if turn_context.activity.name == "adaptiveCard/action":
            answer = await invoke.card_action(self.ctx, raw_activity(turn_context))
            # The model, not a dict: botbuilder 4.17 serialises the body once more, and
            # a dict there is the known HTTP 500 (PLATFORM_NOTES).
            return InvokeResponse(status=200, body=answer)
        return await super().on_invoke_activity(turn_context)


# ---------------------------------------------------------------- stored messages


async def prepare_stored(ctx: TeamsContext, row: InboundEvent) -> None:
    """Before the transaction: which private desks' channels the sender is in, asked of
    the connector and remembered by `desks.audience` for the core."""
    await warm_audience(ctx.db, ctx.connector_for, row.payload["activity"],
                        row.workspace_external_id)


async def process_stored(ctx: TeamsContext, uow: UnitOfWork, row: InboundEvent,
                         prepared: Any) -> AfterCommit:
    """One stored Teams message, in the inbox's unit of work."""
    activity = row.payload["activity"]
    if row.kind == WELCOME:
        return await _welcome(ctx, uow, activity)
    tenant = row.workspace_external_id
    conversation = activity.get("conversation") or {}
    conversation_id = str(conversation.get("id") or "")
    personal = conversation.get("conversationType") == "personal"
    said = words.read(activity)
    channel, root = split_thread(conversation_id)
    in_thread = not personal and root is not None and root != activity.get("id")
    command = None
    if personal:
        command = words.as_command(said.command)
    elif said.mentions_bot and in_thread and split_note(said.text, ctx.note_prefix) is not None:
        command = None  # `@deskbot // checked the logs` in a card's thread: a note
    elif said.mentions_bot:
        command = words.as_command(said.command, addressed=not in_thread)
        if in_thread and command is None:
            first = said.command.split(maxsplit=1)
            command = said.command if first and first[0].lower() in TOP else None
    elif said.command.lower().startswith("/desk"):
        command = words.as_command(said.command)
    if command is not None and not said.command.strip() and has_files(activity):
        command = None  # a file alone, with the bot mentioned, is a message, not `help`
    if command is not None:
        return await _command(ctx, uow, activity, command, personal=personal)

    workspace, (person,) = await enter(uow, tenant, [sender_of(activity)])
    files, file_refusals = shared_files(activity)
    files, too_big = within_limit_said(files, ctx.max_file_mb)
    file_refusals += too_big
    refusal: Words | str | None = None
    savepoint = await uow.session.begin_nested()
    try:
        if not said.text.strip() and not files:
            pass  # only files that cannot be carried: their author is told below
        elif personal:
            await messages.direct_message(uow, person, said.text, conversation_id,
                                      str(activity["id"]), None, files=files)
        else:
            refusal = await _channel_message(ctx, uow, workspace, person, said.text, channel,
                                             str(activity["id"]), root if in_thread else None,
                                             files=files)
        await savepoint.commit()
    except DeskbotError as error:
        await savepoint.rollback()  # the delivery stays processed; its author is told why
        refusal = error.words or error.message
    parts = [r for r in (refusal, *file_refusals) if r]
    if not parts:
        return None
    told, locale = lines(parts), person_locale(person)
    view = (Reply.of(told, kind="error") if isinstance(told, Words)
            else Reply(text=told, kind="error"))

    async def tell() -> None:
        await tell_privately(ctx, activity, view, locale=locale)
    return tell


async def _channel_message(ctx: TeamsContext, uow: UnitOfWork, workspace: Workspace,
                           person: Person, text: str, channel: str, activity_id: str,
                           root: str | None, *, files: list[SharedFile] | None = None,
                           ) -> Words | None:
    agent_desk, intake_desk = await intake.desk_by_channel(uow, workspace.id, channel)
    if root is not None and agent_desk is not None:
        conversation = await intake.by_agent_thread(uow, workspace.id, channel, root)
        if conversation is None:
            return None  # agents talking among themselves in another thread
        actor = resolve_actor(person, workspace, ctx.admins)
        return await messages.agent_thread_message(uow, actor, conversation, text, activity_id,
                                               note_prefix=ctx.note_prefix, files=files or ())
    if intake_desk is not None:
        await messages.intake_channel_message(uow, person, intake_desk, text, channel,
                                          activity_id, root, files=files or ())
    return None


async def _welcome(ctx: TeamsContext, uow: UnitOfWork, activity: dict[str, Any]) -> AfterCommit:
    """Hello on installation: a person's requests (an agent's queues) in a personal chat,
    how to set a desk up in a team."""
    conversation = activity.get("conversation") or {}
    locale = language_of(activity.get("locale")) or DEFAULT_LOCALE
    if conversation.get("conversationType") == "personal":
        workspace, (person,) = await enter(uow, tenant_of(activity) or "", [sender_of(activity)])
        locale = person_locale(person)
        if await served_desk_ids(uow, person.id):
            view: Any = await view_queries.agent_home(uow, resolve_actor(person, workspace,
                                                                         ctx.admins),
                                               now=ctx.clock.now())
        else:
            view = await view_queries.employee_home(uow, person)
    else:
        view = Reply.of(Words("teams.welcome_team"))

    async def send() -> None:
        await reply(ctx, {**activity, "id": None}, view, locale=locale)
    return send


async def _command(ctx: TeamsContext, uow: UnitOfWork, activity: dict[str, Any], text: str, *,
                   personal: bool) -> AfterCommit:
    """Run a typed command in the inbox's unit of work (it commits with the delivery's
    processed mark, so an acknowledged command is never lost); answer after the commit."""
    tenant = tenant_of(activity) or ""
    sender = activity["from"]
    channel_id = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
    conversation_id = str((activity.get("conversation") or {}).get("id") or "")
    caller = Caller(platform=PLATFORM, workspace_external_id=tenant, user_id=sender["id"],
                    profile=profile_of(sender_of(activity)),
                    channel=conversation_id if personal else
                    (channel_id or split_thread(conversation_id)[0]),
                    channel_is_dm=personal)
    # Teams names people inline: preparing reads only the database, never the platform.
    prepared = await prepare_command(ctx.db, caller, text, directory=ctx.directory())
    try:
        # Said in the caller's language as it is after the command (`language he`
        # answers in Hebrew): run_prepared reads it.
        outcome = await run_prepared(uow, caller, prepared, extra_admins=ctx.admins,
                                     note_prefix=ctx.note_prefix)
    except Exception:  # bad input is answered by run_prepared; this is a bug
        log.exception("teams: command failed in tenant %s", tenant)
        _, (person,) = await enter(uow, tenant, [sender_of(activity)])
        outcome = Outcome(Reply.of(Words("command.failed"), kind="error"),
                          locale=person_locale(person))

    async def answer() -> None:
        await reply(ctx, activity, outcome.view, locale=outcome.locale)
    return answer


# ---------------------------------------------------------------- answering


def _outgoing(view: Any, conversation_id: str, bot: dict[str, Any],
              reply_to: str | None, locale: str | None = None) -> Activity:
    body = teams_cards.activity(view, locale=locale or DEFAULT_LOCALE)
    attachments = [Attachment(content_type=a["contentType"], content=a["content"])
                   for a in body["attachments"]]
    return Activity(type="message", text=body["text"], attachments=attachments,
                    from_property=ChannelAccount(id=bot.get("id"), name=bot.get("name")),
                    conversation=ConversationAccount(id=conversation_id),
                    reply_to_id=reply_to)


async def reply(ctx: TeamsContext, activity: dict[str, Any], view: Any,
                locale: str | None = None) -> None:
    """Answer `activity` with `view`, in its chat (or its channel thread), in `locale`."""
    client = await ctx.connector_for(activity["serviceUrl"])
    conversation_id = activity["conversation"]["id"]
    outgoing = _outgoing(view, conversation_id, activity.get("recipient") or {},
                         activity.get("id"), locale)
    await client.conversations.send_to_conversation(conversation_id, outgoing)


async def tell_privately(ctx: TeamsContext, activity: dict[str, Any], view: Any,
                         locale: str | None = None) -> None:
    """Tell the author of `activity` something only they should see.

    Teams has no messages only one person sees in a channel, so it goes to their
    personal chat with the bot; when they never opened one, into the thread.
    """
    tenant = tenant_of(activity) or ""
    conversation = activity.get("conversation") or {}
    if conversation.get("conversationType") != "personal":
        address = await ctx.addresses.of_person(tenant, activity["from"]["id"])
        if address is not None:
            client = await ctx.connector_for(address.service_url)
            outgoing = _outgoing(view, address.conversation_id,
                                 {"id": address.bot_id, "name": address.bot_name}, None,
                                 locale)
            await client.conversations.send_to_conversation(address.conversation_id, outgoing)
            return
    await reply(ctx, activity, view, locale=locale)
