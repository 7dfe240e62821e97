"""The Slack app: a slack-bolt AsyncApp mounted on our aiohttp server.

`bot.slack.guard` checks every HTTP request first (size, signature, shape, our own
workspace and app, replays: a 4xx and one log line for what it refuses); bolt verifies
the signature again, then our listeners translate it. `process_before_response=True`
makes bolt answer Slack only after the listener returned: the listener stores what
arrived in the inbox (messages, the home tab, `/desk`, clicks) and *then* acks, so an
acknowledged delivery is always in the database. The inbox turns it into one core
command after the ack; everything slow (posting cards, relays, publishing the home
tab, late command answers) is the outbox worker's job.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.answers import Answers
from bot.slack.guard import Guard, Identity, Refusal, SslCheck
from bot.slack.lookups import People, SlackDirectory
from bot.slack.measured import MeasuredWebClient
from storage.clock import Clock
from storage.database import Database
from storage.inbox import Inbox

log = logging.getLogger(__name__)

ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


@dataclass
class SlackContext:
    """What every Slack listener needs."""

    settings: Settings
    db: Database
    clock: Clock
    people: People
    client_for: ClientFor
    inbox: Inbox
    note_prefix: str = "//"
    max_file_mb: int = 25  # files past it are refused with a private answer
    # `/desk`: how long the ack waits for the command's answer (Slack wants the ack
    # within 3 s); later answers go to the command's response_url.
    answer_wait: float = 1.0
    answers: Answers = field(default_factory=Answers)


class SlackAdapter:
    """Builds the bolt app, registers the listeners, and serves /slack/* on aiohttp."""

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.installation_store = None
        self._clients: dict[str, AsyncWebClient] = {}
        self.socket_mode_handler = None
        if settings.slack_oauth:
            from bot.slack import oauth

            oauth_settings = oauth.build_oauth_settings(settings, db)
            self.installation_store = oauth_settings.installation_store
            self.app = AsyncApp(
                signing_secret=settings.slack_signing_secret,
                oauth_settings=oauth_settings,
                client=MeasuredWebClient(base_url=settings.slack_api_url),
                process_before_response=True,
            )
        else:
            self._single = MeasuredWebClient(token=settings.slack_bot_token,
                                            base_url=settings.slack_api_url)
            self.app = AsyncApp(
                # Socket Mode requests arrive over the app's own websocket, unsigned.
                signing_secret=settings.slack_signing_secret or "socket-mode",
                request_verification_enabled=settings.slack_signing_secret is not None,
                client=self._single,
                process_before_response=True,
            )
        from bot.slack import listeners

        # Messages are stored before the ack and processed right after it.
        self.inbox = Inbox(db, lambda uow, row, prepared: listeners.process_stored(
            self.context, uow, row, prepared),
            prepare=lambda row: listeners.prepare_stored(self.context, row), platform="slack")
        self.context = SlackContext(
            settings=settings, db=db, clock=clock,
            people=People(db, SlackDirectory(self.client_for), settings.admins),
            client_for=self.client_for, inbox=self.inbox, note_prefix=settings.note_prefix,
            max_file_mb=settings.max_file_mb,
        )

        listeners.register(self.app, self.context)
        self.guard = Guard(settings.slack_signing_secret or "", db,
                           learn=None if settings.slack_oauth else self._learn_identity,
                           installed=self._installed if settings.slack_oauth else None,
                           app_id=settings.slack_app_id)
        if settings.slack_app_token:
            from bot.slack.socket_mode import build_socket_mode_handler

            self.socket_mode_handler = build_socket_mode_handler(self.app, settings)

    async def client_for(self, team_id: str) -> AsyncWebClient:
        """A Web API client with the bot token of `team_id`."""
        if self.installation_store is None:
            return self._single
        client = self._clients.get(team_id)
        if client is None:
            from bot.slack import oauth

            token = await oauth.bot_token_for(self.installation_store, team_id)
            if token is None:
                from conversations.outbox_worker import Undeliverable

                raise Undeliverable(f"deskbot is not installed in Slack team {team_id}")
            client = MeasuredWebClient(token=token, base_url=self.settings.slack_api_url)
            self._clients[team_id] = client
        return client

    def forget_client(self, team_id: str) -> None:
        """Drop the cached client of `team_id` (its token was refused; it may be reinstalled)."""
        self._clients.pop(team_id, None)

    def add_routes(self, web_app: web.Application) -> None:
        """Mount Slack's endpoints on the aiohttp application."""
        # Without a signing secret (Socket Mode only) no HTTP request could be verified,
        # so Slack's HTTP endpoint is not served at all.
        if self.settings.slack_signing_secret is not None:
            web_app.router.add_post("/slack/events", self.handle)
        flow = self.app.oauth_flow
        if flow is not None:
            web_app.router.add_get(flow.install_path, self.handle_install)
            web_app.router.add_get(flow.redirect_uri_path, self.handle_oauth_redirect)

    async def handle(self, request: web.Request) -> web.Response:
        """One HTTP request from Slack: our guard, then bolt (which checks the signature too).

        Processing and delivery hold back meanwhile (`Inbox.arriving`): acks first.
        """
        async with self.inbox.arriving():
            return await self._handle(request)

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(request, Refusal(413, "the body is too large"))
        outcome = await self.guard.check(request.headers, raw)
        if isinstance(outcome, Refusal):
            return _refuse(request, outcome)
        if isinstance(outcome, SslCheck):
            return web.Response(status=200)
        key = outcome.replay_key
        try:
            first = await self.guard.first_time(key)
        except Exception as error:  # the database away: Slack retries a 503
            return _refuse(request, Refusal(503, f"cannot record the request "
                                                 f"({type(error).__name__})"))
        if not first:
            log.info("slack: a replay (the same timestamp and signature as a request "
                     "already received) from %s; answered empty, nothing run", request.remote)
            return web.Response(status=200)
        try:
            bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        except BaseException:
            await self.guard.forget(key)
            raise
        if bolt_response.status >= 500:
            await self.guard.forget(key)  # it did not run: Slack's retry must
        return await to_aiohttp_response(bolt_response)

    async def _learn_identity(self) -> Identity:
        """Our team (auth.test) and app (SLACK_APP_ID, or auth.test / bots.info)."""
        auth = await self._single.auth_test()
        app_id = self.settings.slack_app_id or auth.get("app_id")
        if app_id is None and auth.get("bot_id"):
            try:
                info = await self._single.bots_info(bot=auth["bot_id"])
                app_id = (info.get("bot") or {}).get("app_id")
            except SlackApiError as error:
                log.warning("slack: could not learn our app id (bots.info: %s); set "
                            "SLACK_APP_ID so requests for another app are refused",
                            error.response.get("error"))
        identity = Identity(team_id=auth.get("team_id"), enterprise_id=auth.get("enterprise_id"),
                            enterprise_install=bool(auth.get("is_enterprise_install")),
                            app_id=app_id)
        log.info("slack: answering workspace %s%s", identity.team_id,
                 f", app {app_id}" if app_id else "")
        return identity

    async def _installed(self, enterprise_id: str | None, team_id: str) -> str | bool | None:
        """OAuth mode: the app id deskbot was installed in `team_id` with (False: not
        installed; True: installed, no app id recorded)."""
        from bot.slack import oauth

        assert self.installation_store is not None
        return await oauth.installed_app_id(self.installation_store, team_id)

    # The OAuth pages are bolt's OAuth flow, not its dispatch (which would check a
    # Slack signature that a browser's GET cannot carry).
    async def handle_install(self, request: web.Request) -> web.Response:
        """GET /slack/install: the page with the "Add to Slack" link (and a state cookie)."""
        flow = self.app.oauth_flow
        assert flow is not None
        bolt_response = await flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def handle_oauth_redirect(self, request: web.Request) -> web.Response:
        """GET /slack/oauth_redirect: check the state, exchange the code, store the install."""
        flow = self.app.oauth_flow
        assert flow is not None
        bolt_response = await flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def start(self) -> None:
        """Start processing stored messages; connect Socket Mode when configured."""
        await self.inbox.start()
        if self.socket_mode_handler is not None:
            await self.socket_mode_handler.connect_async()
            log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        """Disconnect Socket Mode; stop processing (stored messages wait for the next start)."""
        if self.socket_mode_handler is not None:
            await self.socket_mode_handler.close_async()
        await self.inbox.stop()


def _refuse(request: web.Request, refusal: Refusal) -> web.Response:
    """Answer a refused request, with one log line (never the body or a traceback)."""
    log.warning("slack: refused a request from %s (%d): %s", request.remote, refusal.status,
                refusal.reason)
    return web.Response(status=refusal.status, text=refusal.reason)
