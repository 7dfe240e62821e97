"""The Teams sender: delivers outbox notices through the Bot Framework connector.

For each notice it reads the conversation's *current* state in a readonly unit of
work, builds the view with `conversations.view_queries`, renders it with `cards.teams`, makes the
connector calls and returns where things landed (`Delivery`), which the dispatcher
stores. It mirrors the Slack sender kind for kind; where Teams differs:

- a ticket card is the root of a new thread in the desk's channel (its activity id is
  `agent_thread`; the thread is `<channel>;messageid=<root>`), relays and alerts go into
  that thread, card updates edit the root in place;
- bots cannot pin in Teams: a pin or unpin re-renders the card (it shows the pin);
- personal chats have no threads: whatever goes to a person goes to their chat, which
  is created (and remembered in `Addresses`) when deskbot never had one with them.

Where to send comes from `bot.teams.addresses` (service URL, bot id); with no address
in the tenant at all the notice is undeliverable. Failures are sorted for the
dispatcher: 429 (honouring `Retry-After`), 408, 412, 5xx and network errors become
`RetryLater`; 401/403/404 (bot removed, chat or card gone) and other 4xx `Undeliverable`.
A card Teams refuses as too big or malformed (400/413) is sent once more as text.

The outbox does the retrying, not msrest: every client gets `no_client_retries`. Teams'
per-conversation limits are kept by `SendLimiter` (in memory, per process): a send that
would exceed them waits when a slot frees within `max_wait` (1 s), else it is
`RetryLater` with the seconds until one does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from botframework.connector.aio import ConnectorClient
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.delivery import NoticeContext, already_relayed, workspace_of
from bot.file_relay import caption, failure_words, fetch, read_relay
from bot.teams.addresses import Address, Addresses, split_thread
from bot.teams.send_pace import SendLimiter, no_client_retries
from cards import teams as teams_cards
from cards.teams.markdown import clip_markdown, escape_markdown, fit_markdown
from conversations import view_queries as views
from conversations.dispatch import Delivery, Notice, RetryLater, Undeliverable
from conversations.lifecycle import ACTIVE
from desks.notices import NoticeKind
from storage.database import Database
from storage.models import Conversation, Message, MessageFile, PendingRequest, Person

log = logging.getLogger(__name__)

ConnectorFor = Callable[[str], Awaitable[ConnectorClient]]

RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})
TOO_BIG = frozenset({400, 413})  # MessageSizeTooBig, or a card Teams will not take
TEXT_LIMIT = 20_000  # characters of a plain-text fallback: well inside Teams' ~28 KB
DEFAULT_NOTE = "(shown as text: the card could not be sent)"
# A URL in a markdown link keeps what it is made of, but parentheses and spaces.
LINK_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def _status(exc: HttpOperationError) -> int:
    return getattr(exc.response, "status_code", 0) or 0


def _retry_after(exc: HttpOperationError) -> float | None:
    header = (getattr(exc.response, "headers", None) or {}).get("Retry-After")
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None


def _activity(body: dict[str, Any], **extra: Any) -> Activity:
    """The connector's Activity model of a rendered activity dict."""
    return Activity.deserialize({**body, **extra})


def card_link(address: Address, root: str) -> str:
    """A deep link to the card's message in its channel (opens its thread)."""
    channel, _ = split_thread(address.conversation_id)
    return (f"https://teams.microsoft.com/l/message/{quote(channel, safe='')}/{root}"
            f"?tenantId={quote(address.tenant_id, safe='')}&parentMessageId={root}")


class TeamsSender:
    """Implements conversations.dispatch.Sender for Teams; see the module docstring.

    `connector_for(service_url)` gives the connector client for a service URL (with
    the bot's credentials); `bot_id_fallback` (`28:<app id>`) names the bot where no
    stored address does. `limiter` defaults to Teams' limits on the monotonic clock.
    """

    def __init__(self, db: Database, connector_for: ConnectorFor, addresses: Addresses, *,
                 bot_id_fallback: str, limiter: SendLimiter | None = None,
                 note: str = DEFAULT_NOTE, max_file_mb: int = 25) -> None:
        self.db = db
        self.max_file_mb = max_file_mb
        self.connector_for = connector_for
        self.addresses = addresses
        self.bot_id_fallback = bot_id_fallback
        self.limiter = limiter or SendLimiter()
        self.note = note
        # Parts of a split relay already sent, so a retry resumes after them (per process).
        self._posted: dict[int, list[str]] = {}
        self._kinds: dict[str, Callable[[NoticeContext], Awaitable[Delivery | None]]] = {
            NoticeKind.CARD_POST: self._card_post,
            NoticeKind.CARD_UPDATE: self._card_update,
            NoticeKind.CARD_MOVED: self._card_moved,
            NoticeKind.CARD_PIN: self._card_update,  # no pins for bots: the card shows it
            NoticeKind.CARD_UNPIN: self._card_update,
            NoticeKind.RELAY_TO_AGENTS: self._relay_to_agents,
            NoticeKind.RELAY_TO_REQUESTER: self._relay_to_requester,
            NoticeKind.RECEIPT: self._to_requester,
            NoticeKind.REQUESTER_UPDATE: self._to_requester,
            NoticeKind.RESOLVE_PROMPT: self._to_requester,
            NoticeKind.REQUESTER_REMINDER: self._to_requester,
            NoticeKind.AGENT_ASSIGNED: self._to_agent,
            NoticeKind.AGENT_NEW_REQUEST: self._to_agent,
            NoticeKind.SLA_WARNING: self._alert,
            NoticeKind.SLA_BREACH: self._alert,
            NoticeKind.STALL_UNASSIGNED: self._alert,
            NoticeKind.AGENT_NUDGE: self._alert,
            NoticeKind.DESK_DIGEST: self._digest,
            NoticeKind.DESK_NOT_READY: self._desk_not_ready,
            NoticeKind.REQUESTER_PROMPT: self._prompt,
            NoticeKind.FILE_TO_AGENTS: self._file,
            NoticeKind.FILE_TO_REQUESTER: self._file,
            NoticeKind.FILE_FAILED: self._file_failed,
        }

    # ------------------------------------------------------------ entry

    async def deliver(self, notice: Notice) -> Delivery | None:
        """Deliver `notice` to Teams; raises RetryLater or Undeliverable when it cannot."""
        workspace = await workspace_of(self.db, notice)
        if workspace.platform != "teams":
            raise Undeliverable(f"workspace {notice.workspace_id} is on {workspace.platform}")
        ctx = NoticeContext(workspace.external_id, notice, "tenant")
        handler = self._kinds.get(notice.kind)
        try:
            if handler is None:
                raise Undeliverable(f"Teams has no delivery for {notice.kind!r} notices")
            delivery = await handler(ctx)
        except HttpOperationError as exc:
            raise self._sorted(exc, ctx) from exc
        except (ClientRequestError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("teams: %s: network trouble (%s); retrying later", ctx,
                        type(exc).__name__)
            raise RetryLater(f"network: {type(exc).__name__}") from exc
        except Undeliverable as exc:
            self._posted.pop(notice.id, None)
            log.warning("teams: %s cannot be delivered: %s", ctx, exc)
            raise
        self._posted.pop(notice.id, None)
        log.info("teams: delivered %s", ctx)
        return delivery

    def _sorted(self, exc: HttpOperationError, ctx: NoticeContext) -> Exception:
        status = _status(exc)
        if status == 429:
            retry_after = _retry_after(exc)
            log.warning("teams: %s throttled; retry after %s s", ctx, retry_after)
            return RetryLater("teams: throttled (HTTP 429)", retry_after=retry_after)
        if status in RETRYABLE or status >= 500:
            log.warning("teams: %s failed with HTTP %s; retrying later", ctx, status)
            return RetryLater(f"teams: HTTP {status}")
        self._posted.pop(ctx.notice.id, None)
        gone = {401: "the bot is not allowed there (removed, or its credentials are wrong)",
                403: "the bot was removed or is not installed for that person",
                404: "the chat, channel or message is gone"}.get(status, exc.message)
        log.warning("teams: %s cannot be delivered: HTTP %s %s", ctx, status, gone)
        return Undeliverable(f"teams: HTTP {status}: {gone}")

    # ------------------------------------------------------------ reading

    async def _person(self, person_id: int | None) -> Person:
        async with self.db.unit_of_work(readonly=True) as uow:
            person = await uow.session.get(Person, person_id or 0)
        if person is None:
            raise Undeliverable("the person to tell no longer exists")
        return person

    # ------------------------------------------------------------ agent side

    async def _card_post(self, ctx: NoticeContext) -> Delivery | None:
        conversation, desk, _, card = await ctx.read(self.db, views.ticket_card)
        channel = desk.agent_channel
        if not channel:
            raise Undeliverable(f"the {desk.name} desk has no agent channel; an admin sets "
                                f"one with `/desk admin create` or the desk's settings")
        if conversation.agent_channel == channel and conversation.agent_thread:
            # Delivered before (a process died before recording it): update, don't repost.
            await self._update(ctx, channel, conversation.agent_thread,
                               teams_cards.activity(card))
            return None
        root = await self._new_thread(ctx, channel, teams_cards.activity(card))
        return Delivery(conversation_links={"agent_channel": channel, "agent_thread": root})

    async def _card_update(self, ctx: NoticeContext) -> Delivery | None:
        conversation, _, _, card = await ctx.read(self.db, views.ticket_card)
        if not (conversation.agent_channel and conversation.agent_thread):
            log.info("teams: %s skipped: the card is not posted", ctx)
            return None
        await self._update(ctx, conversation.agent_channel, conversation.agent_thread,
                           teams_cards.activity(card))
        return None

    async def _card_moved(self, ctx: NoticeContext) -> Delivery | None:
        payload = ctx.notice.payload
        channel, root = payload.get("old_channel"), payload.get("old_thread")
        _, _, _, moved = await ctx.read(self.db, views.card_moved, payload)
        if channel and root:  # else the old card was never posted
            await self._update(ctx, channel, root, teams_cards.activity(moved))
        return None

    async def _relay_to_agents(self, ctx: NoticeContext) -> Delivery | None:
        message_id = int(ctx.notice.payload["message_id"])
        conversation, _, _, relay = await ctx.read(self.db, views.relay_to_agents, message_id)
        if await already_relayed(self.db, message_id, "agent_side_id"):
            return None
        if not (conversation.agent_channel and conversation.agent_thread):
            raise Undeliverable("the card was never posted, so its thread does not exist")
        where = await self._where(ctx, self._thread(conversation))
        ids = await self._send_all(ctx, where, teams_cards.activities(relay),
                                   plain=f"{relay.requester.name}: {relay.text}")
        return Delivery(message_links={message_id: {"agent_side_id": ids[0]}})

    async def _to_agent(self, ctx: NoticeContext) -> Delivery | None:
        assigned = ctx.notice.kind == NoticeKind.AGENT_ASSIGNED
        by = ctx.notice.payload.get("by_id")
        conversation, _, _, note = await ctx.read(
            self.db, views.agent_notification, "assigned" if assigned else "new_request",
            int(by) if by else None)
        if not assigned and (conversation.assignee_id or conversation.status not in ACTIVE):
            log.info("teams: %s skipped: already taken", ctx)
            return None
        agent = await self._person(ctx.notice.person_id)
        note = dataclasses.replace(note, link=await self._card_link(ctx, conversation))
        await self._send(ctx, await self._personal_chat(ctx, agent.external_id),
                         teams_cards.activity(note))
        return None

    async def _alert(self, ctx: NoticeContext) -> Delivery | None:
        """A sweep's alert: to a person's chat when the notice names one, else the thread."""
        conversation, _, _, alert = await ctx.read(self.db, views.scheduler_alert,
                                                     ctx.notice.kind, ctx.notice.payload)
        if ctx.notice.person_id is None:
            if not (conversation.agent_channel and conversation.agent_thread):
                log.info("teams: %s skipped: the card is not posted", ctx)
                return None
            await self._send(ctx, await self._where(ctx, self._thread(conversation)),
                             teams_cards.activity(alert))
            return None
        person = await self._person(ctx.notice.person_id)
        alert = dataclasses.replace(alert, link=await self._card_link(ctx, conversation))
        await self._send(ctx, await self._personal_chat(ctx, person.external_id),
                         teams_cards.activity(alert))
        return None

    async def _digest(self, ctx: NoticeContext) -> Delivery | None:
        async with self.db.unit_of_work(readonly=True) as uow:
            desk, digest = await views.digest(uow, ctx.notice.payload)
        if desk is None or not desk.agent_channel:
            raise Undeliverable("the desk or its agent channel no longer exists")
        await self._new_thread(ctx, desk.agent_channel, teams_cards.activity(digest))
        return None

    async def _desk_not_ready(self, ctx: NoticeContext) -> Delivery | None:
        """Requests wait on a desk that is not ready: to the person's chat."""
        async with self.db.unit_of_work(readonly=True) as uow:
            view = await views.desk_not_ready(uow, ctx.notice.payload)
        if view is None:
            raise Undeliverable("the desk no longer exists")
        person = await self._person(ctx.notice.person_id)
        await self._send(ctx, await self._personal_chat(ctx, person.external_id),
                         teams_cards.activity(view))
        return None

    async def _card_link(self, ctx: NoticeContext, conversation: Conversation) -> str | None:
        if not (conversation.agent_channel and conversation.agent_thread):
            return None
        return card_link(Address("", ctx.workspace, conversation.agent_channel),
                         conversation.agent_thread)

    @staticmethod
    def _thread(conversation: Conversation) -> str:
        return f"{conversation.agent_channel};messageid={conversation.agent_thread}"

    # ------------------------------------------------------------ requester side

    async def _relay_to_requester(self, ctx: NoticeContext) -> Delivery | None:
        message_id = int(ctx.notice.payload["message_id"])
        conversation, _, requester, relay = await ctx.read(self.db, views.relay_to_requester,
                                                             message_id)
        if await already_relayed(self.db, message_id, "requester_side_id"):
            return None
        links, chat = await self._requester_chat(ctx, conversation, requester)
        ids = await self._send_all(ctx, chat, teams_cards.activities(relay),
                                   plain=f"{relay.agent.name}: {relay.text}")
        return Delivery(conversation_links=links,
                        message_links={message_id: {"requester_side_id": ids[0]}})

    async def _to_requester(self, ctx: NoticeContext) -> Delivery | None:
        conversation, requester, view = await ctx.requester_view(self.db)
        links, chat = await self._requester_chat(ctx, conversation, requester)
        sent = await self._send(ctx, chat, teams_cards.activity(view))
        if not conversation.requester_thread:
            # As on Slack: the first word to the requester marks where their side began.
            links["requester_thread"] = sent
        return Delivery(conversation_links=links) if links else None

    async def _prompt(self, ctx: NoticeContext) -> Delivery | None:
        """The desk picker or "add to #ref or new?", from the pending request as it is now."""
        payload = ctx.notice.payload
        question = str(payload.get("question") or "desk")
        async with self.db.unit_of_work(readonly=True) as uow:
            pending = await uow.session.get(PendingRequest, int(payload["pending_id"]))
            if pending is None:
                return None  # answered meanwhile: nothing left to ask
            view = await views.requester_prompt(uow, pending, question)
            person = await uow.session.get(Person, pending.person_id)
        if pending.channel:
            chat = await self._where(ctx, pending.channel)
        elif person is not None:
            chat = await self._personal_chat(ctx, person.external_id)
        else:
            raise Undeliverable("the person to ask no longer exists")
        await self._send(ctx, chat, teams_cards.activity(view))
        return None

    async def _requester_chat(self, ctx: NoticeContext, conversation: Conversation,
                              requester: Person) -> tuple[dict[str, str], Address]:
        if conversation.requester_channel:
            return {}, await self._where(ctx, conversation.requester_channel)
        chat = await self._personal_chat(ctx, requester.external_id)
        return {"requester_channel": chat.conversation_id}, chat

    # ------------------------------------------------------------ files

    async def _file(self, ctx: NoticeContext) -> Delivery | None:
        """Relay a shared file as Teams' own link to it: an image as an attachment with
        `contentUrl` (shown inline), any other file as a link in the message's text.

        A bot cannot put a file into a channel, and into a personal chat only through
        the FileConsentCard flow; deskbot does not host files itself. It fetches each
        file first: one it cannot fetch, or one past the limit, is told to its author
        instead of sent as a dead link.
        """
        relay = await read_relay(self.db, ctx.notice)
        conversation = relay.conversation
        ctx.ref = conversation.ref
        links: dict[str, str] = {}
        if ctx.notice.kind == NoticeKind.FILE_TO_AGENTS:
            if not (conversation.agent_channel and conversation.agent_thread):
                raise Undeliverable("the card was never posted, so its thread does not exist")
            where = await self._where(ctx, self._thread(conversation))
        else:
            links, where = await self._requester_chat(ctx, conversation, relay.requester)
        file = relay.file
        await fetch(file.url, name=file.name, limit_mb=self.max_file_mb,
                    headers=await self._download_headers(ctx, file.url),
                    expect_html=(file.mimetype or "").startswith("text/html"))
        author = relay.author.display_name if relay.author else "Someone"
        if (file.mimetype or "").startswith("image/"):
            body: dict[str, Any] = {
                "type": "message", "text": caption(author, file.name), "textFormat": "plain",
                "attachments": [{"contentType": file.mimetype, "contentUrl": file.url,
                                 "name": file.name}]}
        else:
            link = f"[{escape_markdown(file.name)}]({quote(file.url, safe=LINK_SAFE)})"
            body = {"type": "message", "textFormat": "markdown",
                    "text": f"{escape_markdown(author)} shared \u2068{link}\u2069"}
        await self._send(ctx, where, body)
        return Delivery(conversation_links=links) if links else None

    async def _download_headers(self, ctx: NoticeContext, url: str) -> dict[str, str]:
        """The bot's token for Teams' own hosts (a pasted image's `contentUrl` lives with
        the service URL or on *.asm.skype.com and wants it); none anywhere else (a file's
        `downloadUrl` is pre-authenticated, and a token must not leave Microsoft)."""
        host = urlsplit(url).hostname or ""
        anywhere = await self._anywhere(ctx)
        if host != urlsplit(anywhere.service_url).hostname and \
                not host.endswith(".asm.skype.com"):
            return {}
        credentials = (await self._client(anywhere)).config.credentials
        if not getattr(credentials, "microsoft_app_id", None):
            return {}  # no app id: authentication is off (loopback, tests)
        token = await asyncio.to_thread(credentials.get_access_token)
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _file_failed(self, ctx: NoticeContext) -> Delivery | None:
        """Tell a file's author that it did not reach the other side, and why."""
        payload = ctx.notice.payload
        conversation, _, requester, _ = await ctx.read(self.db)
        async with self.db.unit_of_work(readonly=True) as uow:
            file = await uow.session.get(MessageFile, int(payload.get("file_id") or 0))
            message = (await uow.session.get(Message, file.message_id)
                       if file is not None and file.message_id else None)
            author = (await uow.session.get(Person, message.author_id)
                      if message is not None and message.author_id else None)
        if file is None or author is None:
            log.info("teams: %s skipped: the file or its author is gone", ctx)
            return None
        to_desk = payload.get("relay") == NoticeKind.FILE_TO_AGENTS
        text = failure_words(payload, file.name, to_desk=to_desk)
        links: dict[str, str] = {}
        if to_desk:  # the requester shared it: into their chat
            links, where = await self._requester_chat(ctx, conversation, requester)
        else:  # an agent: privately, in their own chat with the bot
            where = await self._personal_chat(ctx, author.external_id)
        await self._send(ctx, where, {"type": "message", "text": text,
                                      "textFormat": "plain"})
        return Delivery(conversation_links=links) if links else None

    # ------------------------------------------------------------ addresses

    async def _where(self, ctx: NoticeContext, conversation_id: str) -> Address:
        """The address of a channel, thread or chat; a tenant's service URL serves them all."""
        found = await self.addresses.of_conversation(ctx.workspace, conversation_id)
        if found is not None:
            return found
        anywhere = await self._anywhere(ctx)
        return dataclasses.replace(anywhere, conversation_id=conversation_id,
                                   conversation_type=None)

    async def _anywhere(self, ctx: NoticeContext) -> Address:
        found = await self.addresses.any_in(ctx.workspace)
        if found is None:
            raise Undeliverable(f"deskbot has no address in Teams tenant {ctx.workspace}: no one "
                                f"there has installed the app or written to it yet")
        return found

    async def _personal_chat(self, ctx: NoticeContext, user_id: str) -> Address:
        """The bot's chat with `user_id`, created (and remembered) when there is none yet."""
        found = await self.addresses.of_person(ctx.workspace, user_id)
        if found is not None:
            return found
        anywhere = await self._anywhere(ctx)
        bot_id = anywhere.bot_id or self.bot_id_fallback
        client = await self._client(anywhere)
        created = await client.conversations.create_conversation(ConversationParameters(
            bot=ChannelAccount(id=bot_id), members=[ChannelAccount(id=user_id)],
            tenant_id=ctx.workspace, is_group=False,
            channel_data={"tenant": {"id": ctx.workspace}}))
        log.info("teams: %s: opened a personal chat", ctx)
        # Noted as if the person had written from it, so the next notice needs no creation.
        await self.addresses.note({
            "serviceUrl": anywhere.service_url, "from": {"id": user_id},
            "recipient": {"id": bot_id, "name": anywhere.bot_name},
            "conversation": {"id": created.id, "conversationType": "personal",
                             "tenantId": ctx.workspace},
            "channelData": {"tenant": {"id": ctx.workspace}}})
        return Address(anywhere.service_url, ctx.workspace, created.id, bot_id,
                       anywhere.bot_name, "personal")

    # ------------------------------------------------------------ connector calls

    async def _client(self, address: Address) -> ConnectorClient:
        return no_client_retries(await self.connector_for(address.service_url))

    async def _new_thread(self, ctx: NoticeContext, channel: str, activity: dict[str, Any]) -> str:
        """Post `activity` as a new thread in `channel`; returns the root's activity id."""
        where = await self._where(ctx, channel)
        client = await self._client(where)

        async def create(body: dict[str, Any]) -> str | None:
            created = await client.conversations.create_conversation(ConversationParameters(
                is_group=True, channel_data={"channel": {"id": channel}},
                activity=_activity(body), tenant_id=ctx.workspace,
                bot=ChannelAccount(id=where.bot_id or self.bot_id_fallback)))
            return created.activity_id or split_thread(created.id or "")[1]

        root = await self._with_fallback(ctx, channel, create, activity)
        if not root:
            raise Undeliverable("Teams did not say which message started the thread")
        return root

    async def _update(self, ctx: NoticeContext, channel: str, activity_id: str,
                      activity: dict[str, Any]) -> None:
        where = await self._where(ctx, f"{channel};messageid={activity_id}")
        client = await self._client(where)

        async def update(body: dict[str, Any]) -> str | None:
            await client.conversations.update_activity(
                where.conversation_id, activity_id, _activity(body, id=activity_id))
            return activity_id

        await self._with_fallback(ctx, where.conversation_id, update, activity)

    async def _send(self, ctx: NoticeContext, where: Address, activity: dict[str, Any], *,
                    plain: str | None = None) -> str:
        """Send `activity` into `where` (a chat, or a thread); returns its activity id."""
        client = await self._client(where)

        async def send(body: dict[str, Any]) -> str | None:
            answer = await client.conversations.send_to_conversation(where.conversation_id,
                                                                     _activity(body))
            return answer.id

        sent = await self._with_fallback(ctx, where.conversation_id, send, activity,
                                         plain=plain)
        if not sent:
            raise RetryLater("Teams accepted a message without naming it")
        return sent

    async def _send_all(self, ctx: NoticeContext, where: Address, activities: list[dict[str, Any]],
                        *, plain: str) -> list[str]:
        """Send `activities` in order; a retry of the notice resumes after the sent ones."""
        sent = self._posted.setdefault(ctx.notice.id, [])
        for activity in activities[len(sent):]:
            sent.append(await self._send(ctx, where, activity,
                                         plain=plain if len(activities) == 1 else None))
        return list(sent)

    async def _with_fallback(self, ctx: NoticeContext, key: str,
                             call: Callable[[dict[str, Any]], Awaitable[str | None]],
                             activity: dict[str, Any], *,
                             plain: str | None = None) -> str | None:
        """Make the call within the limits; if Teams refuses the card, once more as text."""
        await self.limiter.acquire(key)
        try:
            return await call(activity)
        except HttpOperationError as exc:
            if _status(exc) not in TOO_BIG:
                raise
            log.warning("teams: %s: HTTP %s for the card; sending it as text", ctx,
                        _status(exc))
        # Raw user text is escaped here; the fallback of a rendered card is escaped already.
        text = (fit_markdown(plain, TEXT_LIMIT) if plain is not None
                else clip_markdown(str(activity.get("text") or ""), TEXT_LIMIT))
        await self.limiter.acquire(key)
        return await call({"type": "message", "text": f"{text}\n\n{self.note}".strip(),
                           "attachments": []})


__all__ = ["TeamsSender", "card_link"]
