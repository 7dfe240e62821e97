"""The Teams app: botbuilder's CloudAdapter on our aiohttp server, at POST /api/messages.

The adapter checks every request's Bot Framework token (with MICROSOFT_APP_ID set) and
hands the activity to `bot.teams.handler.DeskBot`. Messages are stored in the inbox and
acknowledged, then processed (like Slack's); a card's `Action.Execute` is answered in
the HTTP response with the card as it is after the click, so it runs at once.

Without an app id authentication is off: botbuilder accepts unsigned activities and
sends without a token. That is only for trying deskbot on one machine, so the route
is then served only when the server binds to a loopback address.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.settings import Settings
from bot.teams.addresses import Addresses
from bot.teams.people import TeamsDirectory
from storage.clock import Clock
from storage.database import Database
from storage.inbox import Inbox

log = logging.getLogger(__name__)

# With authentication off botbuilder still wants a bot id on outbound turns (an empty
# one takes a legacy path CloudAdapter cannot run); any non-empty id will do.
LOCAL_BOT_ID = "deskbot-local"
MAX_BODY = 256 * 1024  # Teams activities are a few KB; a card action well under 40 KB
# The activity as Teams sent it, for the turn that handles it: botbuilder's models drop
# what they do not declare (a mention entity's `mentioned` and `text`, say).
RAW_ACTIVITY: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "teams_raw_activity", default=None)


def raw_activity(turn_context: TurnContext) -> dict[str, Any]:
    """The activity of this turn as Teams sent it (its model's serialisation as a fallback)."""
    raw = RAW_ACTIVITY.get()
    if raw is not None and raw.get("id") == turn_context.activity.id:
        return raw
    return turn_context.activity.serialize()


class _BotConfig:
    """The configuration object botbuilder reads (its attribute names)."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id or ""
        self.APP_PASSWORD = settings.microsoft_app_password or ""
        self.APP_TYPE = settings.microsoft_app_type or "MultiTenant"
        self.APP_TENANTID = settings.microsoft_app_tenant_id or ""


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class TeamsContext:
    """What the Teams handlers need."""

    settings: Settings
    db: Database
    clock: Clock
    addresses: Addresses
    inbox: Inbox
    connector_for: Any  # async (service_url) -> ConnectorClient
    note_prefix: str = "//"
    max_file_mb: int = 25  # files past it are refused with a private answer

    @property
    def admins(self) -> frozenset[str]:
        """Extra admins from DESKBOT_ADMINS (`teams:29:…`)."""
        return self.settings.admins

    def directory(self) -> TeamsDirectory:
        """Teams' directory: names come inline, with each activity (see TeamsDirectory)."""
        return TeamsDirectory()


class TeamsAdapter:
    """Builds the CloudAdapter and our bot, and serves /api/messages."""

    def __init__(self, settings: Settings, db: Database, clock: Clock, *,
                 credentials_factory: ServiceClientCredentialsFactory | None = None) -> None:
        from bot.teams import handler

        self.settings = settings
        self.app_id = settings.microsoft_app_id or LOCAL_BOT_ID
        self.auth = ConfigurationBotFrameworkAuthentication(
            _BotConfig(settings), credentials_factory=credentials_factory)
        self.adapter = CloudAdapter(self.auth)
        self.adapter.on_turn_error = self._on_turn_error
        self._connectors: dict[str, ConnectorClient] = {}
        self.addresses = Addresses(db)
        self.inbox = Inbox(db, lambda uow, row, prepared: handler.process_stored(
            self.context, uow, row, prepared), platform="teams")
        self.context = TeamsContext(settings=settings, db=db, clock=clock,
                                    addresses=self.addresses, inbox=self.inbox,
                                    connector_for=self.connector_for,
                                    note_prefix=settings.note_prefix,
                                    max_file_mb=settings.max_file_mb)
        self.bot = handler.DeskBot(self.context)

    @property
    def authenticated(self) -> bool:
        """Whether inbound activities must carry a valid Bot Framework token."""
        return bool(self.settings.microsoft_app_id)

    async def connector_for(self, service_url: str) -> ConnectorClient:
        """A Bot Connector client for `service_url`, signed with the bot's credentials."""
        client = self._connectors.get(service_url)
        if client is None:
            from bot.teams.limits import no_client_retries

            factory = self.auth.create_connector_factory(
                self.adapter.create_claims_identity(self.app_id))
            client = await factory.create(service_url, None)
            no_client_retries(client)
            self._connectors[service_url] = client
        return client

    def add_routes(self, web_app: web.Application) -> None:
        """Mount POST /api/messages."""
        web_app.router.add_post("/api/messages", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One activity from Teams: checked by the adapter, then our bot's turn."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "Content-Type must be application/json"},
                                     status=415)
        body = await request.read()
        if len(body) > MAX_BODY:
            return web.json_response({"error": "activity too large"}, status=413)
        try:
            activity = json.loads(body)
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
            return web.json_response({"error": "the body is not an activity"}, status=400)
        token = RAW_ACTIVITY.set(activity)
        try:
            response = await self.adapter.process(request, self.bot)
        except web.HTTPException as error:  # 401 from the adapter's auth check
            return web.json_response({"error": error.reason}, status=error.status)
        except jwt.PyJWTError:  # a token that is not even a JWT
            return web.json_response({"error": "Unauthorized"}, status=401)
        except Exception:
            # The turn failed before the activity was kept (the database away, say):
            # 503 makes Teams send it again, where a 2xx would lose it.
            return web.json_response({"error": "try again later"}, status=503)
        finally:
            RAW_ACTIVITY.reset(token)
        return response if response is not None else web.Response(status=201)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        # Logged here, then raised on: `handle` answers 503, so Teams sends the activity
        # again rather than taking it as delivered (nobody sees a stack trace).
        activity = turn_context.activity
        log.error("teams: %s activity %s failed: %s: %s", activity.type, activity.id,
                  type(error).__name__, str(error)[:300], exc_info=error)
        raise error

    async def start(self) -> None:
        """Start processing stored activities."""
        await self.inbox.start()

    async def stop(self) -> None:
        """Stop processing; stored activities wait for the next start."""
        await self.inbox.stop()
        for client in self._connectors.values():
            try:
                await client.close()
            except Exception:  # closing is best effort
                log.debug("teams: closing a connector client failed", exc_info=True)
        self._connectors.clear()
