"""The Slack sender: delivers outbox notices through the Slack Web API.

For each notice it asks the core for its delivery plan (conversations/delivery_plan.py:
what to post, update, pin or tell, and whom), builds each view the plan names from the
conversation's *current* state, renders it with `cards.slack`, makes the Web API calls
and returns where things landed (`Delivery`), which the outbox worker stores.

Failures are sorted for the outbox worker: 429 (honouring `Retry-After`), 5xx, network
errors and Slack's transient errors become `RetryLater`; a channel or person that is
gone, or a revoked token, becomes `Undeliverable`. The client must not sleep on 429
itself (the outbox reschedules). A message Slack finds too long or malformed is sent
again once as plain text, truncated with a note: shortened, never dropped.

Ambiguous failures are not repeated blindly. Every post carries message metadata
naming its notice and part (`deskbot_notice`: {"notice": id, "part": n}, n counting the
notice's posts in plan order). A post that may have reached Slack although we saw it
fail (a timeout, a connection dropped after sending, a 5xx, a cancelled send) makes the
notice "unsure": before a retry posts again (and before any post of a notice tried
before, since another process may have been the unsure one) it looks for a message with
that notice and part in the thread (`conversations.replies`) or among the channel's
newest messages (`conversations.history`), from the last ts deskbot saw in that
channel before the first attempt when it knows one, and takes a message found as
posted (keeping its ts) instead of posting again. The Web API client is used without
slack_sdk's own retries, which would re-send a post after a dropped connection unseen.

Pace: with a `pacer` (bot/slack/channel_pace.py), a notice's first post or update in a
channel waits for the channel's pace: when its booked moment is still to come the
notice goes back to the outbox (`RetryLater(paced=True)`, not counted as a failed
attempt), so only its own conversation waits; its further calls there during the same
delivery are counted without waiting. A 429 parks the channel in the pacer too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.file_relay import caption, failure_words, fetch, read_relay
from bot.slack.channel_pace import ChannelPacer
from cards import report_chart
from cards import slack as slack_cards
from cards.i18n import t
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
from conversations.outbox_worker import Delivery, FileRefused, Notice, RetryLater, Undeliverable
from conversations.reports.chat import ReportLinks, csv_file, read_report
from conversations.view_models import TicketCard
from desks.permissions import resolve_actor
from storage.database import Database
from storage.models import MessageFile, Person, Workspace

log = logging.getLogger(__name__)

ClientFor = Callable[[str], Awaitable[AsyncWebClient]]

TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                       "request_timeout"})
PERMANENT = frozenset({"channel_not_found", "is_archived", "account_inactive",
                       "user_not_found", "cannot_dm_bot", "not_authed", "invalid_auth",
                       "token_revoked", "user_disabled", "team_access_not_granted"})
# A report asked in a channel goes to the asker's chat when Slack refuses the channel.
CHANNEL_REFUSED = frozenset({"channel_not_found", "is_archived", "not_in_channel",
                             "restricted_action", "cant_post_here"})
TOKEN_REFUSED = frozenset({"not_authed", "invalid_auth", "token_revoked"})
TOO_BIG = frozenset({"invalid_blocks", "msg_too_long", "msg_blocks_too_long",
                     "invalid_blocks_format"})
FALLBACK_LIMIT = 39_000  # Slack's text limit is 40,000; room for the note
NOTICE_EVENT = "deskbot_notice"  # the metadata event_type of deskbot's notice posts
LOOK_BACK = 100  # the channel's newest top-level messages searched for an unsure post
THREAD_PAGES = 10  # pages of 200 replies searched in a thread, at most


@dataclasses.dataclass
class _Posting(NoticeContext):
    """A notice being delivered, and how many posts its plan has made so far."""

    parts: int = 0


def _ambiguous(exc: BaseException) -> bool:
    """Whether a failed post may still have reached Slack (so a retry must look first)."""
    if isinstance(exc, SlackApiError):
        return exc.response is None or exc.response.status_code >= 500
    return isinstance(exc, TimeoutError | asyncio.CancelledError | aiohttp.ClientError)


def _is_part(message: dict[str, Any], notice_id: int, part: int) -> bool:
    metadata = message.get("metadata") or {}
    payload: Any = metadata.get("event_payload") or {}  # Slack's JSON
    try:
        return (metadata.get("event_type") == NOTICE_EVENT
                and int(payload.get("notice")) == notice_id
                and int(payload.get("part", 0)) == part)
    except (TypeError, ValueError):
        return False


def _retry_after(exc: SlackApiError) -> float | None:
    """The seconds of a 429's `Retry-After` header, if it has a readable one."""
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _error(exc: SlackApiError) -> str:
    data = exc.response.data if exc.response is not None else None
    return str(data.get("error") or "") if isinstance(data, dict) else ""


class SlackSender:
    """Implements conversations.outbox_worker.Sender for Slack; see the module docstring.

    `client_for(team_id)` gives the Web API client of a workspace (one shared client
    in single-workspace mode, the installation's token with OAuth). `note` is what a
    shortened plain-text fallback ends with.
    """

    def __init__(self, db: Database, client_for: ClientFor, *, note: str | None = None,
                 forget_client: Callable[[str], None] | None = None,
                 max_file_mb: int = 25, extra_admins: Iterable[str] = (),
                 report_links: ReportLinks | None = None,
                 pacer: ChannelPacer | None = None) -> None:
        self.db = db
        # How the report card's link is signed and where it points (bot/bootstrap.py).
        self.report_links = report_links
        # Slack's pace per channel (None: no pacing); see the module docstring.
        self.pacer = pacer
        # notice id -> the channels its delivery in progress was let into by the pacer.
        self._paced: dict[int, set[str]] = {}
        # Who counts as an admin besides Slack's own (DESKBOT_ADMINS): the home tab
        # shows an admin's view.
        self.extra_admins = frozenset(extra_admins)
        self.client_for = client_for
        self.note = note
        self.max_file_mb = max_file_mb
        # With OAuth: drop a workspace's cached client when Slack refuses its token, so
        # the next attempt reads the installation again (a reinstall brings a new token).
        self.forget_client = forget_client
        # Messages already posted for a notice split in several, so a retry resumes
        # after them instead of posting them twice (per process; the outbox keeps order).
        self._posted: dict[int, list[str]] = {}
        # (channel, message) -> its permalink: a card's similar requests link to their
        # threads on every render; a permalink does not change.
        self._permalinks: dict[tuple[str, str], str] = {}
        # A report's files already uploaded (notice id -> their names), so a retry of the
        # notice after a failed second upload does not upload the first again.
        self._uploaded: dict[int, set[str]] = {}
        # Notices whose post may have landed unseen: notice id -> channel -> the last ts
        # deskbot had seen in that channel before the first such attempt (or None).
        self._unsure: dict[int, dict[str, str | None]] = {}
        # channel -> the newest ts deskbot's own posts there were answered with.
        self._seen: dict[str, str] = {}
        # (token, base URL) -> the same client without slack_sdk's retries (see _plain).
        self._plain_clients: dict[tuple[str | None, str], AsyncWebClient] = {}
        # Every step a delivery plan may hold, and how Slack carries it out.
        self._steps: dict[type, Callable[..., Awaitable[Delivery | None]]] = {
            Skip: self._skip,
            PostCard: self._post_card,
            PostInChannel: self._post_in_channel,
            Update: self._update,
            Pin: self._pin,
            PostInThread: self._post_in_thread,
            Tell: self._tell,
            ToRequester: self._to_requester,
            Ask: self._ask,
            RelayFile: self._relay_file,
            FileFailed: self._file_failed,
            PublishHome: self._home_publish,
            AnswerCommand: self._command_answer,
            PostReport: self._post_report,
        }

    # ------------------------------------------------------------ entry

    async def deliver(self, notice: Notice) -> Delivery | None:
        """Deliver `notice` to Slack; raises RetryLater or Undeliverable when it cannot."""
        ctx = _Posting(str(notice.workspace_id), notice, "team")
        try:
            # The workspace and the plan in one read: the notice's first look.
            workspace, planned = await delivery_plan.read_plan(self.db, notice)
            ctx.workspace = workspace.external_id
            client = self._plain(await self.client_for(workspace.external_id))
            ctx.ref = planned.ref
            delivery = await self._carry_out(client, ctx, planned)
        except SlackApiError as exc:
            raise self._sorted(exc, ctx) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:  # TimeoutError: asyncio's too
            log.warning("slack: %s: network trouble (%s); retrying later", ctx,
                        type(exc).__name__)
            raise RetryLater(f"network: {type(exc).__name__}") from exc
        except Undeliverable as exc:
            self._posted.pop(notice.id, None)
            self._unsure.pop(notice.id, None)
            self._uploaded.pop(notice.id, None)
            log.warning("slack: %s cannot be delivered: %s", ctx, exc)
            raise
        finally:
            self._paced.pop(notice.id, None)
        self._posted.pop(notice.id, None)
        self._unsure.pop(notice.id, None)
        self._uploaded.pop(notice.id, None)
        log.info("slack: delivered %s", ctx)
        return delivery

    def _plain(self, client: AsyncWebClient) -> AsyncWebClient:
        """`client` without slack_sdk's own retries: its default handler sends a request
        again after a dropped connection, which for chat.postMessage posts twice. The
        outbox retries instead, looking first (see the module docstring)."""
        if not isinstance(client, AsyncWebClient) or not client.retry_handlers:
            return client
        key = (client.token, client.base_url)
        plain = self._plain_clients.get(key)
        if plain is None:
            plain = type(client)(token=client.token, base_url=client.base_url,
                                timeout=client.timeout, ssl=client.ssl, proxy=client.proxy,
                                session=client.session, headers=dict(client.headers),
                                retry_handlers=[])  # the same class: measured, if it was
            self._plain_clients[key] = plain
        return plain

    def _sorted(self, exc: SlackApiError, ctx: NoticeContext) -> Exception:
        status = exc.response.status_code if exc.response is not None else 0
        error = _error(exc)
        if status == 429 or error == "ratelimited":
            retry_after = _retry_after(exc)
            log.warning("slack: %s rate limited; retry after %s s", ctx, retry_after)
            return RetryLater(f"slack: ratelimited (HTTP {status})", retry_after=retry_after)
        if status >= 500 or error in TRANSIENT:
            log.warning("slack: %s failed with HTTP %s %s; retrying later", ctx, status, error)
            return RetryLater(f"slack: HTTP {status} {error}".rstrip())
        if error in TOKEN_REFUSED and self.forget_client is not None:
            self.forget_client(ctx.workspace)
            log.warning("slack: %s: the token of team %s was refused (%s); reading the "
                        "installation again on the next attempt", ctx, ctx.workspace, error)
            return RetryLater(f"slack: {error}")
        if error in PERMANENT:
            self._posted.pop(ctx.notice.id, None)
            log.warning("slack: %s cannot be delivered: %s", ctx, error)
            return Undeliverable(f"slack: {error}")
        # Unknown errors may be a scope or setting an admin can fix: retried, with a cap.
        log.warning("slack: %s failed with %s; retrying later", ctx, error or status)
        return RetryLater(f"slack: {error or status}")

    # ------------------------------------------------------------ carrying out a plan

    async def _carry_out(self, client: AsyncWebClient, ctx: NoticeContext,
                         plan: Plan) -> Delivery | None:
        """Carry out the plan's steps in order; what they learned, together."""
        found = Delivery()
        for step in plan.steps:
            ctx.locale = getattr(step, "locale", ctx.locale)
            done = await self._steps[type(step)](client, ctx, plan, step)
            if done is not None:
                found.conversation_links.update(done.conversation_links)
                found.message_links.update(done.message_links)
                found.incident_links.update(done.incident_links)
        return found if (found.conversation_links or found.message_links
                         or found.incident_links) else None

    async def _view(self, plan: Plan, view: View) -> Any:
        return await build_view(self.db, plan.conversation_id, view)

    async def _skip(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                    step: Skip) -> Delivery | None:
        log.info("slack: %s skipped: %s", ctx, step.reason)
        return None

    # ------------------------------------------------------------ agent side

    async def _post_card(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                         step: PostCard) -> Delivery | None:
        view = await self._linked(client, await self._view(plan, step.view))
        message = slack_cards.message(view, locale=step.locale)
        posted = await self._post(client, ctx, step.channel, message, join=True)
        links = {"agent_channel": step.channel, "agent_thread": posted["ts"]}
        if step.incident_id is not None:
            return Delivery(incident_links={step.incident_id: links})
        return Delivery(conversation_links=links)

    async def _post_in_channel(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                               step: PostInChannel) -> Delivery | None:
        message = slack_cards.message(await self._view(plan, step.view), locale=step.locale)
        await self._post(client, ctx, step.channel, message, join=True)
        return None

    async def _update(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                      step: Update) -> Delivery | None:
        view = await self._linked(client, await self._view(plan, step.view))
        message = slack_cards.message(view, locale=step.locale)
        await self._send(client.chat_update, ctx, message, channel=step.place.channel,
                         ts=step.place.message)
        return None

    async def _linked(self, client: AsyncWebClient, view: Any) -> Any:
        """A ticket card's similar requests with permalinks to their threads."""
        if not isinstance(view, TicketCard) or not view.similar:
            return view
        similar = []
        for found in view.similar:
            if found.channel and found.thread:
                key = (found.channel, found.thread)
                if key not in self._permalinks:
                    link = await self._permalink(client, Place(*key))
                    if link is None:
                        similar.append(found)
                        continue
                    if len(self._permalinks) >= 10_000:
                        self._permalinks.clear()
                    self._permalinks[key] = link
                found = dataclasses.replace(found, link=self._permalinks[key])
            similar.append(found)
        return dataclasses.replace(view, similar=tuple(similar))

    async def _pin(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                   step: Pin) -> Delivery | None:
        call = client.pins_add if step.on else client.pins_remove
        try:
            await call(channel=step.place.channel, timestamp=step.place.message)
        except SlackApiError as exc:
            if _error(exc) != ("already_pinned" if step.on else "no_pin"):
                raise
        return None

    async def _post_in_thread(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                              step: PostInThread) -> Delivery | None:
        view = await self._view(plan, step.view)
        channel, thread = step.place.channel, step.place.message
        if step.relayed is None:
            await self._post(client, ctx, channel,
                             slack_cards.message(view, locale=step.locale), thread_ts=thread)
            return None
        stamps = await self._post_all(client, ctx, channel,
                                      slack_cards.messages(view, locale=step.locale),
                                      thread_ts=thread,
                                      plain=f"{view.requester.name}: {view.text}")
        return Delivery(message_links={step.relayed: {"agent_side_id": stamps[0]}})

    async def _tell(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                    step: Tell) -> Delivery | None:
        view = await self._view(plan, step.view)
        if step.link:
            view = dataclasses.replace(view, link=await self._permalink(client, step.card))
        await self._post(client, ctx, await self._dm(client, step.person),
                         slack_cards.message(view, locale=step.locale))
        return None

    async def _permalink(self, client: AsyncWebClient, card: Place | None) -> str | None:
        if card is None:
            return None
        try:
            found = await client.chat_getPermalink(channel=card.channel,
                                                   message_ts=card.message)
        except SlackApiError:
            return None  # a DM without a link is still worth sending
        return found.get("permalink")

    # ------------------------------------------------------------ requester side

    async def _to_requester(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                            step: ToRequester) -> Delivery | None:
        view = await self._view(plan, step.view)
        links, channel = await self._requester_channel(client, step.chat)
        thread = step.chat.thread
        if step.relayed is not None:
            stamps = await self._post_all(client, ctx, channel,
                                          slack_cards.messages(view, locale=step.locale),
                                          thread_ts=thread,
                                          plain=f"{view.agent.name}: {view.text}")
            return Delivery(conversation_links=links,
                            message_links={step.relayed: {"requester_side_id": stamps[0]}})
        posted = await self._post(client, ctx, channel,
                                  slack_cards.message(view, locale=step.locale),
                                  thread_ts=thread)
        if not thread:
            # The first word to the requester starts the thread the rest goes in.
            links["requester_thread"] = posted["ts"]
        return Delivery(conversation_links=links) if links else None

    async def _ask(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                   step: Ask) -> Delivery | None:
        """Post the question in the thread of the employee's message."""
        view = await self._view(plan, step.view)
        if view is None:
            log.info("slack: %s skipped: answered meanwhile", ctx)
            return None
        channel = step.channel or await self._dm(client, step.person or "")
        kwargs: dict[str, Any] = {"thread_ts": step.thread} if step.thread else {}
        await client.chat_postMessage(channel=channel,
                                      **slack_cards.message(view, locale=step.locale), **kwargs)
        return None

    async def _requester_channel(self, client: AsyncWebClient,
                                 chat: RequesterChat) -> tuple[dict[str, str], str]:
        if chat.channel:
            return {}, chat.channel
        channel = await self._dm(client, chat.person)
        return {"requester_channel": channel}, channel

    async def _dm(self, client: AsyncWebClient, user_id: str) -> str:
        opened = await client.conversations_open(users=user_id)
        return opened["channel"]["id"]

    # ------------------------------------------------------------ files

    async def _relay_file(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                          step: RelayFile) -> Delivery | None:
        """Fetch a shared file with the bot token and upload it into the other side's thread."""
        relay = await read_relay(self.db, ctx.notice)
        links: dict[str, str] = {}
        thread: str | None
        if step.place is not None:
            channel, thread = step.place.channel, step.place.message
        else:
            assert step.chat is not None  # the plan names one or the other
            links, channel = await self._requester_channel(client, step.chat)
            thread = step.chat.thread
        file = relay.file
        url, name = (file.url, file.name) if file.url else await self._file_info(client, file)
        data = await fetch(url, name=name, limit_mb=self.max_file_mb,
                           headers={"Authorization": f"Bearer {client.token}"},
                           expect_html=(file.mimetype or "").startswith("text/html"))
        author = relay.author.display_name if relay.author else None
        await self._upload(client, channel, thread, name, data,
                           _escape(caption(author, name, step.locale)))
        return Delivery(conversation_links=links) if links else None

    async def _file_info(self, client: AsyncWebClient, file: MessageFile) -> tuple[str, str]:
        """Where to download a file the event did not describe (`check_file_info`), and
        its name."""
        try:
            info = await client.files_info(file=file.external_id or "")
        except SlackApiError as exc:
            if _error(exc) in ("file_not_found", "file_deleted", "access_denied"):
                raise FileRefused(f"slack: files.info: {_error(exc)}",
                                  reason="unfetchable") from exc
            raise
        found = info.get("file") or {}
        url = found.get("url_private_download") or found.get("url_private")
        if not url:
            raise FileRefused("slack: files.info gave no download URL", reason="unfetchable")
        return str(url), str(found.get("name") or file.name)

    async def _upload(self, client: AsyncWebClient, channel: str, thread: str | None,
                      name: str, data: bytes, comment: str) -> None:
        """Slack's external upload: ask for a URL, POST the bytes there, complete into
        the channel's thread with a comment."""
        asked = await client.files_getUploadURLExternal(filename=name, length=len(data))
        async with aiohttp.ClientSession() as session, \
                session.post(asked["upload_url"], data=data) as answer:
            if answer.status != 200:
                raise RetryLater(f"slack: file upload answered HTTP {answer.status}")
        await client.files_completeUploadExternal(
            files=[{"id": asked["file_id"], "title": name}], channel_id=channel,
            thread_ts=thread, initial_comment=comment)

    async def _file_failed(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                           step: FileFailed) -> Delivery | None:
        """Tell a file's author it did not reach the other side, and why: an agent
        privately in the card's thread (ephemeral), else in their DM."""
        text = _escape(failure_words(ctx.notice.payload, step.file_name, to_desk=step.to_desk,
                                     locale=step.locale))
        if step.chat is not None:
            links, channel = await self._requester_channel(client, step.chat)
            await self._post(client, ctx, channel, {"text": text}, thread_ts=step.chat.thread)
            return Delivery(conversation_links=links) if links else None
        if step.card is not None:
            try:
                await client.chat_postEphemeral(channel=step.card.channel, user=step.author,
                                                text=text, thread_ts=step.card.message)
                return None
            except SlackApiError as exc:
                if _error(exc) in TRANSIENT:
                    raise
        await self._post(client, ctx, await self._dm(client, step.author), {"text": text})
        return None

    # ------------------------------------------------------------ anyone

    async def _home_publish(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                            step: PublishHome) -> Delivery | None:
        """Publish the person's home tab as it is now (what it shows is in the payload)."""
        from bot.slack import home

        async with self.db.unit_of_work(readonly=True) as uow:
            person = await uow.session.get(Person, ctx.notice.person_id or 0)
            workspace = await uow.session.get(Workspace, ctx.notice.workspace_id)
            if person is None or workspace is None:
                raise Undeliverable("the person whose home tab it was no longer exists")
            actor = resolve_actor(person, workspace, self.extra_admins)
            view = await home.render(uow, person, actor, home.Shown.of(ctx.notice.payload),
                                     self.db.clock.now(), step.locale)
        await client.views_publish(user_id=person.external_id, view=view)
        return None

    async def _command_answer(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                              step: AnswerCommand) -> Delivery | None:
        """A command's answer that did not fit in the ack: to its response_url (Slack takes
        five answers there in 30 minutes), else privately in the channel it was typed in."""
        payload = ctx.notice.payload
        answer = dict(payload.get("answer") or {})
        url = payload.get("response_url")
        if url:
            status = await self._respond(str(url), answer)
            if status == 200:
                return None
            if status == 429 or status >= 500:
                raise RetryLater(f"slack: response_url answered HTTP {status}")
            log.info("slack: %s: response_url answered HTTP %s; answering privately instead",
                     ctx, status)
        async with self.db.unit_of_work(readonly=True) as uow:
            person = await uow.session.get(Person, ctx.notice.person_id or 0)
        channel = payload.get("channel")
        if person is None or not channel:
            raise Undeliverable("the command's answer has nowhere left to go")
        if answer.get("response_type") == "in_channel":
            await self._post(client, ctx, str(channel), _message_of(answer))
        else:
            await client.chat_postEphemeral(channel=str(channel), user=person.external_id,
                                            **_message_of(answer))
        return None

    async def _respond(self, url: str, answer: dict[str, Any]) -> int:
        """POST `answer` to a response_url; its HTTP status (network trouble raises)."""
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, json=answer) as response:
                await response.read()
                return response.status

    # ------------------------------------------------------------ reports

    async def _post_report(self, client: AsyncWebClient, ctx: NoticeContext, plan: Plan,
                           step: PostReport) -> Delivery | None:
        """A report: its card, then its chart (PNG) and the CSV of its requests as files,
        in the channel it was asked in, else (no channel, or one deskbot cannot post in)
        the asker's chat with deskbot."""
        if self.report_links is None:
            raise Undeliverable("this server makes no report links")
        view = await read_report(self.db, ctx.notice, self.report_links, step.locale)
        message = slack_cards.message(view, locale=step.locale)
        channel = step.channel
        posted = None
        if channel is not None:
            try:
                posted = await self._post(client, ctx, channel, message, join=True)
            except (Undeliverable, SlackApiError) as exc:
                refused = isinstance(exc, Undeliverable) or _error(exc) in CHANNEL_REFUSED
                if not refused or step.person is None:
                    raise
                log.info("slack: %s: cannot post in %s; to the asker's chat instead", ctx,
                         channel)
        if posted is None:
            if step.person is None:
                raise Undeliverable("the report has nowhere to go")
            channel = await self._dm(client, step.person)
            posted = await self._post(client, ctx, channel, message)
        assert channel is not None  # posted above, there or in the asker's chat
        uploaded = self._uploaded.setdefault(ctx.notice.id, set())
        for name, key, data in (
                (f"{view.file_stem}.png", "report.file.chart", None),
                (f"{view.file_stem}.csv", "report.file.csv", csv_file(view))):
            if name in uploaded:
                continue
            if data is None:
                data = await report_chart.drawn(view, step.locale)
            await self._upload(client, channel, None, name, data,
                               _escape(t(key, step.locale, period=view.period)))
            uploaded.add(name)
        return None

    # ------------------------------------------------------------ Web API calls

    async def _post_all(self, client: AsyncWebClient, ctx: NoticeContext, channel: str,
                        messages: list[dict[str, Any]], *, thread_ts: str | None,
                        plain: str) -> list[str]:
        """Post `messages` in order; a retry of the notice resumes after the posted ones."""
        posted = self._posted.setdefault(ctx.notice.id, [])
        first = ctx.parts if isinstance(ctx, _Posting) else 0
        for index, message in enumerate(messages[len(posted):], start=len(posted)):
            answer = await self._post(client, ctx, channel, message, thread_ts=thread_ts,
                                      plain=plain if len(messages) == 1 else None,
                                      part=first + index)
            posted.append(answer["ts"])
        if isinstance(ctx, _Posting):
            ctx.parts = first + len(messages)
        return list(posted)

    async def _post(self, client: AsyncWebClient, ctx: NoticeContext, channel: str,
                    message: dict[str, Any], *, thread_ts: str | None = None,
                    join: bool = False, plain: str | None = None,
                    part: int | None = None) -> Any:
        """Post `message` marked with its notice and part; when an earlier attempt of the
        notice may have posted it unseen, look for it first (see the module docstring)."""
        if part is None:
            part = ctx.parts if isinstance(ctx, _Posting) else 0
            if isinstance(ctx, _Posting):
                ctx.parts += 1
        notice = ctx.notice
        if notice.id in self._unsure or notice.attempts > 0:
            found = await self._find_posted(client, notice.id, part, channel, thread_ts)
            if found is not None:
                log.info("slack: %s: part %d was posted by an earlier attempt (ts %s); "
                         "not posting it again", ctx, part, found["ts"])
                return found
        where: dict[str, Any] = {
            "channel": channel,
            "metadata": {"event_type": NOTICE_EVENT,
                         "event_payload": {"notice": notice.id, "part": part}}}
        if thread_ts:
            where["thread_ts"] = thread_ts
        seen = self._seen.get(channel)
        try:
            answer = await self._post_joining(client, ctx, message, join=join, plain=plain,
                                              **where)
        except BaseException as exc:
            if _ambiguous(exc):
                self._unsure.setdefault(notice.id, {}).setdefault(channel, seen)
            raise
        ts = answer.get("ts")
        if isinstance(ts, str) and (channel not in self._seen
                                    or float(ts) > float(self._seen[channel])):
            self._seen[channel] = ts
        return answer

    async def _post_joining(self, client: AsyncWebClient, ctx: NoticeContext,
                            message: dict[str, Any], *, join: bool, plain: str | None,
                            **where: Any) -> Any:
        channel = where["channel"]
        try:
            return await self._send(client.chat_postMessage, ctx, message, plain=plain, **where)
        except SlackApiError as exc:
            if not join or _error(exc) != "not_in_channel":
                raise
        log.info("slack: %s: joining channel %s", ctx, channel)
        try:
            await client.conversations_join(channel=channel)
            return await self._send(client.chat_postMessage, ctx, message, **where)
        except SlackApiError as exc:
            if _error(exc) in TRANSIENT or exc.response.status_code >= 429:
                raise
            raise Undeliverable(f"deskbot is not in channel {channel} and cannot join it "
                                f"({_error(exc)}); invite it with `/invite @deskbot`") from exc

    async def _find_posted(self, client: AsyncWebClient, notice_id: int, part: int,
                           channel: str, thread_ts: str | None) -> dict[str, Any] | None:
        """The message an earlier attempt posted for (`notice_id`, `part`), if Slack has
        it: searched in the thread, else among the channel's newest top-level messages,
        from the last ts seen before that attempt when known."""
        try:
            return await self._look_for(client, notice_id, part, channel, thread_ts)
        except SlackApiError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429 or status >= 500 or _error(exc) in TRANSIENT:
                raise
            log.warning("slack: could not look for part %d of notice %s in %s (%s); "
                        "posting it", part, notice_id, channel, _error(exc) or status)
            return None

    async def _look_for(self, client: AsyncWebClient, notice_id: int, part: int,
                        channel: str, thread_ts: str | None) -> dict[str, Any] | None:
        oldest = self._unsure.get(notice_id, {}).get(channel)
        window: dict[str, Any] = {"oldest": oldest} if oldest else {}
        if thread_ts:
            cursor = None
            for _ in range(THREAD_PAGES):
                page = await client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=200,
                    **window, **({"cursor": cursor} if cursor else {}))
                for message in page.get("messages") or []:
                    if message.get("ts") != thread_ts and _is_part(message, notice_id, part):
                        return {**message, "channel": channel}
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
            return None
        page = await client.conversations_history(channel=channel, include_all_metadata=True,
                                                  limit=LOOK_BACK, **window)
        for message in page.get("messages") or []:
            if _is_part(message, notice_id, part):
                return {**message, "channel": channel}
        return None

    async def _send(self, call: Callable[..., Awaitable[Any]], ctx: NoticeContext,
                    message: dict[str, Any], *, plain: str | None = None,
                    **where: Any) -> Any:
        """Make the call; if Slack finds the message too long or malformed, send it once
        more as plain text (escaped, shortened with a note). Both keep to the channel's
        pace (see the module docstring)."""
        try:
            return await self._paced_call(call, ctx, {**where, **message})
        except SlackApiError as exc:
            if _error(exc) not in TOO_BIG:
                raise
            log.warning("slack: %s: %s; sending it as plain text", ctx, _error(exc))
        fallback: dict[str, Any] = {"text": self._shortened(message, plain, ctx.locale)}
        if call.__name__ == "chat_update":
            fallback["blocks"] = []  # the old blocks would stay otherwise
        return await self._paced_call(call, ctx, {**where, **fallback})

    async def _paced_call(self, call: Callable[..., Awaitable[Any]], ctx: NoticeContext,
                          arguments: dict[str, Any]) -> Any:
        """Make a post or update at its channel's pace: the notice's first call there
        waits for its booked moment (back in the outbox until then); a 429 parks the
        channel."""
        channel = str(arguments.get("channel") or "")
        if self.pacer is None or not channel:
            return await call(**arguments)
        notice_id = ctx.notice.id
        let_in = self._paced.setdefault(notice_id, set())
        if channel in let_in:
            self.pacer.take(channel)
        elif (wait := self.pacer.wait(channel, notice_id)) > 0:
            log.info("slack: %s waits %.1fs for the pace of channel %s", ctx, wait, channel)
            raise RetryLater(f"slack: pacing channel {channel}", retry_after=wait,
                             paced=True)
        else:
            let_in.add(channel)
        try:
            return await call(**arguments)
        except SlackApiError as exc:
            if exc.response is not None and exc.response.status_code == 429:
                self.pacer.park(channel, _retry_after(exc) or 1.0)
            raise

    def _shortened(self, message: dict[str, Any], plain: str | None, locale: str) -> str:
        # Raw user text is escaped here; the rendered `text` of a card is escaped already.
        text = _escape(plain) if plain is not None else str(message.get("text") or "")
        if not text.strip():
            text = _escape(" ".join(_block_texts(message.get("blocks") or [])))
        note = self.note or t("fallback.slack_shortened", locale)
        if len(text) > FALLBACK_LIMIT:
            text = text[:FALLBACK_LIMIT].rstrip() + "…\n" + note
        return text or note


def _message_of(answer: dict[str, Any]) -> dict[str, Any]:
    """A response_url answer as chat.post* arguments (text and blocks only)."""
    return {key: answer[key] for key in ("text", "blocks") if key in answer}


def _block_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for v in node.values() for t in _block_texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in _block_texts(item)]
    return []


__all__ = ["SlackSender"]
