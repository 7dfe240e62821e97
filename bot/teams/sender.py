"""The Teams sender: delivers outbox notices through the Bot Framework connector.

For each notice it asks the core for its delivery plan (conversations/delivery_plan.py),
builds each view the plan names from the conversation's *current* state, renders it
with `cards.teams`, makes the connector calls and returns where things landed
(`Delivery`), which the outbox worker stores. It carries out the same steps as the Slack
sender; where Teams differs:

- a ticket card is the root of a new thread in the desk's channel (its activity id is
  `agent_thread`; the thread is `<channel>;messageid=<root>`), relays and alerts go into
  that thread, card updates edit the root in place;
- bots cannot pin in Teams: a pin or unpin re-renders the card (it shows the pin);
- personal chats have no threads: whatever goes to a person goes to their chat, which
  is created (and remembered in `Addresses`) when deskbot never had one with them.

Where to send comes from `bot.teams.addresses` (service URL, bot id); with no address
in the tenant at all the notice is undeliverable. Failures are sorted for the
outbox worker: 429 (honouring `Retry-After`), 408, 412, 5xx and network errors become
`RetryLater`; 401/403/404 (bot removed, chat or card gone) and other 4xx `Undeliverable`.
A card Teams refuses as too big or malformed (400/413) is sent once more as text.

Every activity deskbot sends for a notice carries a marker in its channelData,
`{"deskbotNotice": <outbox id>, "part": n}` (n counting the notice's sends in plan
order), and the id the connector answers is kept as soon as it comes back, per notice
and part, so a retry of the notice (a later step failed, or its send timed out after an
earlier one landed) does not send those parts again. The Bot Connector API gives a bot
no way to list a conversation's activities, so a send whose answer never came back (a
timeout, a dropped connection, a 5xx after Teams took it) cannot be checked: it is the
window left on Teams, and the retry sends it again (the marker shows the repeat).

The outbox does the retrying, not msrest: every client gets `no_client_retries`. Teams'
per-conversation limits are kept by `SendLimiter` (in memory, per process): a send that
would exceed them waits when a slot frees within `max_wait` (1 s), else it is
`RetryLater` with the seconds until one does.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from botframework.connector.aio import ConnectorClient
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.file_relay import caption, failure_words, fetch, read_relay
from bot.teams.addresses import Address, Addresses, split_thread
from bot.teams.send_pace import SendLimiter, no_client_retries
from cards import report_chart
from cards import teams as teams_cards
from cards.i18n import t
from cards.teams.markdown import clip_markdown, escape_markdown, fit_markdown
from conversations import delivery_plan
from conversations.delivery_plan import (
    AnswerCommand,
    Ask,
    FileFailed,
    Pin,
    Place,
    Plan,
    PostCard,
    PostInChannel,
    PostInThread,
    PostReport,
    PublishHome,
    RelayFile,
    RequesterChat,
    Skip,
    Tell,
    ToRequester,
    Update,
    View,
)
from conversations.delivery_views import NoticeContext, build_view
from conversations.outbox_worker import Delivery, Notice, RetryLater, Undeliverable
from conversations.reports.chat import ReportLinks, csv_link, read_report
from conversations.view_models import TicketCard
from storage.database import Database

log = logging.getLogger(__name__)

ConnectorFor = Callable[[str], Awaitable[ConnectorClient]]

RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})
TOO_BIG = frozenset({400, 413})  # MessageSizeTooBig, or a card Teams will not take
TEXT_LIMIT = 20_000  # characters of a plain-text fallback: well inside Teams' ~28 KB
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


def _thread(place: Place) -> str:
    """The conversation id of the thread the card at `place` starts."""
    return f"{place.channel};messageid={place.message}"


def card_link(address: Address, root: str) -> str:
    """A deep link to the card's message in its channel (opens its thread)."""
    channel, _ = split_thread(address.conversation_id)
    return (f"https://teams.microsoft.com/l/message/{quote(channel, safe='')}/{root}"
            f"?tenantId={quote(address.tenant_id, safe='')}&parentMessageId={root}")


def linked_card(card: TicketCard, tenant: str) -> TicketCard:
    """`card` with deep links to its similar requests' threads (those with a card)."""
    if not any(found.channel and found.thread for found in card.similar):
        return card
    return dataclasses.replace(card, similar=tuple(
        dataclasses.replace(found, link=card_link(Address("", tenant, found.channel),
                                                  found.thread))
        if found.channel and found.thread else found for found in card.similar))


class TeamsSender:
    """Implements conversations.outbox_worker.Sender for Teams; see the module docstring.

    `connector_for(service_url)` gives the connector client for a service URL (with
    the bot's credentials); `bot_id_fallback` (`28:<app id>`) names the bot where no
    stored address does. `limiter` defaults to Teams' limits on the monotonic clock.
    """

    def __init__(self, db: Database, connector_for: ConnectorFor, addresses: Addresses, *,
                 bot_id_fallback: str, limiter: SendLimiter | None = None,
                 note: str | None = None, max_file_mb: int = 25,
                 report_links: ReportLinks | None = None) -> None:
        self.db = db
        # How the report card's link is signed and where it points (bot/bootstrap.py).
        self.report_links = report_links
        self.max_file_mb = max_file_mb
        self.connector_for = connector_for
        self.addresses = addresses
        self.bot_id_fallback = bot_id_fallback
        self.limiter = limiter or SendLimiter()
        self.note = note
        # notice id -> part -> the activity id Teams answered: parts already sent, so a
        # retry of the notice does not send them again (per process).
        self._posted: dict[int, dict[int, str]] = {}
        # Every step a delivery plan may hold, and how Teams carries it out.
        self._steps: dict[type, Callable[..., Awaitable[Delivery | None]]] = {
            Skip: self._skip,
            PostCard: self._post_card,
            PostInChannel: self._post_in_channel,
            Update: self._update_step,
            Pin: self._pin,
            PostInThread: self._post_in_thread,
            Tell: self._tell,
            ToRequester: self._to_requester,
            Ask: self._ask,
            RelayFile: self._relay_file,
            FileFailed: self._file_failed,
            PublishHome: self._not_on_teams,
            AnswerCommand: self._not_on_teams,
            PostReport: self._post_report,
        }

    # ------------------------------------------------------------ entry

    async def deliver(self, notice: Notice) -> Delivery | None:
        """Deliver `notice` to Teams; raises RetryLater or Undeliverable when it cannot."""
        workspace = await delivery_plan.workspace_of(self.db, notice)
        if workspace.platform != "teams":
            raise Undeliverable(f"workspace {notice.workspace_id} is on {workspace.platform}")
        ctx = _Posting(workspace.external_id, notice, "tenant")
        try:
            planned = await delivery_plan.plan(self.db, notice)
            ctx.ref = planned.ref
            delivery = await self._carry_out(ctx, planned)
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

    def _part(self, ctx: NoticeContext) -> tuple[int, str | None]:
        """The next part of the notice, and its activity id if an earlier attempt sent it."""
        if not isinstance(ctx, _Posting):
            return 0, None
        part, ctx.parts = ctx.parts, ctx.parts + 1
        return part, self._posted.get(ctx.notice.id, {}).get(part)

    def _sent(self, ctx: NoticeContext, part: int, activity_id: str | None) -> None:
        if activity_id and isinstance(ctx, _Posting):
            self._posted.setdefault(ctx.notice.id, {})[part] = activity_id

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

    # ------------------------------------------------------------ carrying out a plan

    async def _carry_out(self, ctx: NoticeContext, plan: Plan) -> Delivery | None:
        """Carry out the plan's steps in order; what they learned, together."""
        found = Delivery()
        for step in plan.steps:
            ctx.locale = getattr(step, "locale", ctx.locale)
            done = await self._steps[type(step)](ctx, plan, step)
            if done is not None:
                found.conversation_links.update(done.conversation_links)
                found.message_links.update(done.message_links)
                found.incident_links.update(done.incident_links)
        return found if (found.conversation_links or found.message_links
                         or found.incident_links) else None

    async def _view(self, plan: Plan, view: View) -> Any:
        return await build_view(self.db, plan.conversation_id, view)

    async def _skip(self, ctx: NoticeContext, plan: Plan, step: Skip) -> Delivery | None:
        log.info("teams: %s skipped: %s", ctx, step.reason)
        return None

    async def _not_on_teams(self, ctx: NoticeContext, plan: Plan,
                            step: PublishHome | AnswerCommand) -> Delivery | None:
        """Slack's home tab and command answers: Teams has neither."""
        raise Undeliverable(f"Teams has no delivery for {ctx.notice.kind!r} notices")

    # ------------------------------------------------------------ agent side

    async def _post_card(self, ctx: NoticeContext, plan: Plan,
                         step: PostCard) -> Delivery | None:
        card = self._linked(ctx, await self._view(plan, step.view))
        root = await self._new_thread(ctx, step.channel,
                                      teams_cards.activity(card, locale=step.locale))
        links = {"agent_channel": step.channel, "agent_thread": root}
        if step.incident_id is not None:
            return Delivery(incident_links={step.incident_id: links})
        return Delivery(conversation_links=links)

    async def _post_in_channel(self, ctx: NoticeContext, plan: Plan,
                               step: PostInChannel) -> Delivery | None:
        view = await self._view(plan, step.view)
        await self._new_thread(ctx, step.channel, teams_cards.activity(view, locale=step.locale))
        return None

    async def _update_step(self, ctx: NoticeContext, plan: Plan,
                           step: Update) -> Delivery | None:
        view = self._linked(ctx, await self._view(plan, step.view))
        await self._update(ctx, step.place.channel, step.place.message,
                           teams_cards.activity(view, locale=step.locale))
        return None

    def _linked(self, ctx: NoticeContext, view: Any) -> Any:
        return linked_card(view, ctx.workspace) if isinstance(view, TicketCard) else view

    async def _pin(self, ctx: NoticeContext, plan: Plan, step: Pin) -> Delivery | None:
        """Bots cannot pin in Teams: the card shows the pin, so it is rendered again."""
        if step.card:
            await self._update_step(ctx, plan, Update(step.place, View("ticket_card"),
                                                      locale=step.locale))
        return None

    async def _post_in_thread(self, ctx: NoticeContext, plan: Plan,
                              step: PostInThread) -> Delivery | None:
        view = await self._view(plan, step.view)
        where = await self._where(ctx, _thread(step.place))
        if step.relayed is None:
            await self._send(ctx, where, teams_cards.activity(view, locale=step.locale))
            return None
        ids = await self._send_all(ctx, where,
                                   teams_cards.activities(view, locale=step.locale),
                                   plain=f"{view.requester.name}: {view.text}")
        return Delivery(message_links={step.relayed: {"agent_side_id": ids[0]}})

    async def _tell(self, ctx: NoticeContext, plan: Plan, step: Tell) -> Delivery | None:
        view = await self._view(plan, step.view)
        if step.link:
            view = dataclasses.replace(view, link=self._card_link(ctx, step.card))
        await self._send(ctx, await self._personal_chat(ctx, step.person),
                         teams_cards.activity(view, locale=step.locale))
        return None

    def _card_link(self, ctx: NoticeContext, card: Place | None) -> str | None:
        if card is None:
            return None
        return card_link(Address("", ctx.workspace, card.channel), card.message)

    # ------------------------------------------------------------ requester side

    async def _to_requester(self, ctx: NoticeContext, plan: Plan,
                            step: ToRequester) -> Delivery | None:
        view = await self._view(plan, step.view)
        links, chat = await self._requester_chat(ctx, step.chat)
        if step.relayed is not None:
            ids = await self._send_all(ctx, chat,
                                       teams_cards.activities(view, locale=step.locale),
                                       plain=f"{view.agent.name}: {view.text}")
            return Delivery(conversation_links=links,
                            message_links={step.relayed: {"requester_side_id": ids[0]}})
        sent = await self._send(ctx, chat, teams_cards.activity(view, locale=step.locale))
        if not step.chat.thread:
            # As on Slack: the first word to the requester marks where their side began.
            links["requester_thread"] = sent
        return Delivery(conversation_links=links) if links else None

    async def _ask(self, ctx: NoticeContext, plan: Plan, step: Ask) -> Delivery | None:
        """The desk picker or "add to #ref or new?", where the employee wrote (personal
        chats have no threads)."""
        view = await self._view(plan, step.view)
        if view is None:
            log.info("teams: %s skipped: answered meanwhile", ctx)
            return None
        if step.channel:
            chat = await self._where(ctx, step.channel)
        else:
            chat = await self._personal_chat(ctx, step.person or "")
        await self._send(ctx, chat, teams_cards.activity(view, locale=step.locale))
        return None

    async def _requester_chat(self, ctx: NoticeContext,
                              chat: RequesterChat) -> tuple[dict[str, str], Address]:
        if chat.channel:
            return {}, await self._where(ctx, chat.channel)
        opened = await self._personal_chat(ctx, chat.person)
        return {"requester_channel": opened.conversation_id}, opened

    # ------------------------------------------------------------ files

    async def _relay_file(self, ctx: NoticeContext, plan: Plan,
                          step: RelayFile) -> Delivery | None:
        """Relay a shared file as Teams' own link to it: an image as an attachment with
        `contentUrl` (shown inline), any other file as a link in the message's text.

        A bot cannot put a file into a channel, and into a personal chat only through
        the FileConsentCard flow; deskbot does not host files itself. It fetches each
        file first: one it cannot fetch, or one past the limit, is told to its author
        instead of sent as a dead link.
        """
        relay = await read_relay(self.db, ctx.notice)
        links: dict[str, str] = {}
        if step.place is not None:
            where = await self._where(ctx, _thread(step.place))
        else:
            assert step.chat is not None  # the plan names one or the other
            links, where = await self._requester_chat(ctx, step.chat)
        file = relay.file
        await fetch(file.url, name=file.name, limit_mb=self.max_file_mb,
                    headers=await self._download_headers(ctx, file.url),
                    expect_html=(file.mimetype or "").startswith("text/html"))
        author = relay.author.display_name if relay.author else None
        if (file.mimetype or "").startswith("image/"):
            body: dict[str, Any] = {
                "type": "message", "text": caption(author, file.name, step.locale),
                "textFormat": "plain",
                "attachments": [{"contentType": file.mimetype, "contentUrl": file.url,
                                 "name": file.name}]}
        else:
            link = f"[{escape_markdown(file.name)}]({quote(file.url, safe=LINK_SAFE)})"
            shared_by = escape_markdown(author) if author is not None else None
            body = {"type": "message", "textFormat": "markdown",
                    "text": caption(shared_by, link, step.locale)}
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

    async def _file_failed(self, ctx: NoticeContext, plan: Plan,
                           step: FileFailed) -> Delivery | None:
        """Tell a file's author that it did not reach the other side, and why: the
        requester in their chat, an agent privately in their own chat with the bot."""
        text = failure_words(ctx.notice.payload, step.file_name, to_desk=step.to_desk,
                             locale=step.locale)
        links: dict[str, str] = {}
        if step.chat is not None:
            links, where = await self._requester_chat(ctx, step.chat)
        else:
            where = await self._personal_chat(ctx, step.author)
        await self._send(ctx, where, {"type": "message", "text": text,
                                      "textFormat": "plain"})
        return Delivery(conversation_links=links) if links else None

    # ------------------------------------------------------------ reports

    async def _post_report(self, ctx: NoticeContext, plan: Plan,
                           step: PostReport) -> Delivery | None:
        """A report: one message with its card, its chart and its CSV, as a new thread in
        the channel it was asked in, else (no channel, or one the bot may not post in)
        in the asker's chat with deskbot.

        A bot cannot put a file into a channel (and into a personal chat only through
        the FileConsentCard flow), so the chart travels inline as an image attachment
        with a `data:` URL, and the CSV as an attachment whose `contentUrl` is deskbot's
        own signed link asking for it (`/report?…&format=csv`, the page link's key and
        expiry: no valid link, no CSV).
        """
        if self.report_links is None:
            raise Undeliverable("this server makes no report links")
        view = await read_report(self.db, ctx.notice, self.report_links, step.locale)
        chart = await report_chart.drawn(view, step.locale)
        activity = teams_cards.activity(view, locale=step.locale)
        activity["attachments"] = [
            *activity["attachments"],
            {"contentType": "image/png", "name": f"{view.file_stem}.png",
             "contentUrl": "data:image/png;base64," + base64.b64encode(chart).decode()},
            {"contentType": "text/csv", "name": f"{view.file_stem}.csv",
             "contentUrl": csv_link(view.link)}]
        if step.channel is not None:
            try:
                await self._new_thread(ctx, step.channel, activity)
                return None
            except HttpOperationError as exc:
                if _status(exc) not in (403, 404) or step.person is None:
                    raise
                log.info("teams: %s: cannot post in the channel (HTTP %s); to the asker's "
                         "chat instead", ctx, _status(exc))
        if step.person is None:
            raise Undeliverable("the report has nowhere to go")
        await self._send(ctx, await self._personal_chat(ctx, step.person), activity)
        return None

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
        part, known = self._part(ctx)
        if known:
            return known
        where = await self._where(ctx, channel)
        client = await self._client(where)

        async def create(body: dict[str, Any]) -> str | None:
            created = await client.conversations.create_conversation(ConversationParameters(
                is_group=True, channel_data={"channel": {"id": channel}},
                activity=_activity(_marked(body, ctx, part)), tenant_id=ctx.workspace,
                bot=ChannelAccount(id=where.bot_id or self.bot_id_fallback)))
            return created.activity_id or split_thread(created.id or "")[1]

        root = await self._with_fallback(ctx, channel, create, activity)
        if not root:
            raise Undeliverable("Teams did not say which message started the thread")
        self._sent(ctx, part, root)
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
        """Send `activity` into `where` (a chat, or a thread); returns its activity id.

        A part of the notice an earlier attempt sent is not sent again (its id is kept)."""
        part, known = self._part(ctx)
        if known:
            return known
        client = await self._client(where)

        async def send(body: dict[str, Any]) -> str | None:
            answer = await client.conversations.send_to_conversation(
                where.conversation_id, _activity(_marked(body, ctx, part)))
            return answer.id

        sent = await self._with_fallback(ctx, where.conversation_id, send, activity,
                                         plain=plain)
        if not sent:
            raise RetryLater("Teams accepted a message without naming it")
        self._sent(ctx, part, sent)
        return sent

    async def _send_all(self, ctx: NoticeContext, where: Address, activities: list[dict[str, Any]],
                        *, plain: str) -> list[str]:
        """Send `activities` in order; a retry of the notice resumes after the sent ones."""
        return [await self._send(ctx, where, activity,
                                 plain=plain if len(activities) == 1 else None)
                for activity in activities]

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
        note = self.note or t("fallback.teams_as_text", ctx.locale)
        await self.limiter.acquire(key)
        return await call({"type": "message", "text": f"{text}\n\n{note}".strip(),
                           "attachments": []})


@dataclasses.dataclass
class _Posting(NoticeContext):
    """A notice being delivered, and how many sends its plan has made so far."""

    parts: int = 0


def _marked(body: dict[str, Any], ctx: NoticeContext, part: int) -> dict[str, Any]:
    """`body` with the notice's marker added to its channelData."""
    channel_data = dict(body.get("channelData") or {})
    channel_data.update(deskbotNotice=ctx.notice.id, part=part)
    return {**body, "channelData": channel_data}


__all__ = ["TeamsSender", "card_link"]
