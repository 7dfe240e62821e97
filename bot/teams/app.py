"""The Teams app: botbuilder's CloudAdapter on our aiohttp server, at POST /api/messages.

The adapter checks every request's Bot Framework token (with MICROSOFT_APP_ID set) and
hands the activity to `bot.teams.handler.DeskBot`. Messages are stored in the inbox and
acknowledged, then processed (like Slack's); a card's `Action.Execute` is answered in
the HTTP response with the card as it is after the click, so it runs at once.

Before the adapter, `handle` refuses what is not a well-formed activity (400, one log
line) and an activity whose `serviceUrl` is not the Bot Framework's (deskbot would
POST its answers there): only the prefixes of DESKBOT_TEAMS_SERVICE_URLS, and loopback
with the emulator switch. A refused token is logged with the reason, never the token.

Without an app id authentication is off: botbuilder accepts unsigned activities and
sends without a token. That is only for a local Bot Framework Emulator, so Teams is
then served only with DESKBOT_TEAMS_EMULATOR and on a loopback bind (bootstrap).
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.settings import Settings
from bot.teams.accounts import TeamsDirectory
from bot.teams.addresses import Addresses
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


def service_url_allowed(url: Any, patterns: tuple[str, ...], *, loopback: bool) -> bool:
    """Whether `url` is under one of `patterns` (URL prefixes; a host may be `*.domain`).

    Scheme, host and port must match and the path start with the pattern's; no user
    info. With `loopback` any http(s) URL on this machine is allowed too (an emulator).
    """
    if not isinstance(url, str) or not url or len(url) > 2048:
        return False
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return False
    if loopback and is_loopback(host):
        return True
    default = 443 if parts.scheme == "https" else 80
    for pattern in patterns:
        wanted = urlsplit(pattern)
        wanted_host = (wanted.hostname or "").lower()
        if wanted.scheme != parts.scheme:
            continue
        if wanted_host.startswith("*."):
            if not host.endswith(wanted_host[1:]):
                continue
        elif host != wanted_host:
            continue
        if (wanted.port or default) != (port or default):
            continue
        if (parts.path or "/").startswith(wanted.path or "/"):
            return True
    return False


_OBJECT_FIELDS = ("conversation", "from")  # each a dict with a string id, always
_OPTIONAL_OBJECTS = ("recipient", "channelData")
_OPTIONAL_STRINGS = ("id", "text", "replyToId", "name", "channelId", "locale", "textFormat")
_OPTIONAL_LISTS = ("entities", "attachments", "membersAdded", "membersRemoved")


def activity_problem(activity: Any) -> str | None:
    """What makes `activity` (parsed JSON) not an activity deskbot can take, or None."""
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        return "the body is not an activity"
    if not isinstance(activity.get("serviceUrl"), str):
        return "the activity has no serviceUrl"
    for name in _OBJECT_FIELDS:
        value = activity.get(name)
        if not isinstance(value, dict) or not isinstance(value.get("id"), str) or \
                not value["id"].strip():
            return f"the activity's {name} has no id"
    for name in _OPTIONAL_OBJECTS:
        if activity.get(name) is not None and not isinstance(activity[name], dict):
            return f"the activity's {name} is not an object"
    for name in _OPTIONAL_STRINGS:
        if activity.get(name) is not None and not isinstance(activity[name], str):
            return f"the activity's {name} is not a string"
    for name in _OPTIONAL_LISTS:
        value = activity.get(name)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(item, dict) for item in value)):
            return f"the activity's {name} is not a list of objects"
    for name in ("membersAdded", "membersRemoved"):
        if not all(isinstance(member.get("id"), str) for member in activity.get(name) or []):
            return f"a member in the activity's {name} has no id"
    channel_data = activity.get("channelData") or {}
    for name in ("tenant", "team", "channel"):
        value = channel_data.get(name)
        if value is not None and not (isinstance(value, dict)
                                      and isinstance(value.get("id", ""), str)):
            return f"the activity's channelData.{name} is not an object with an id"
    if activity.get("type") == "invoke" and activity.get("value") is not None and not \
            isinstance(activity["value"], dict):
        return "the invoke's value is not an object"
    return None


def _reason(error: BaseException, auth_header: str) -> str:
    """Why a token was refused, on one line, without the token."""
    reason = " ".join(str(error).split())[:200] or type(error).__name__
    token = auth_header.partition(" ")[2].strip()
    if len(token) >= 8 and token in reason:
        reason = reason.replace(token, "<token>")
    return f"{type(error).__name__}: {reason}"


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
            self.context, uow, row, prepared), platform="teams",
                           prepare=lambda row: handler.prepare_stored(self.context, row))
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

    def service_url_allowed(self, service_url: Any) -> bool:
        """Whether deskbot may talk to `service_url` (a Bot Framework connector)."""
        return service_url_allowed(service_url, self.settings.teams_service_urls,
                                   loopback=not self.authenticated)

    async def connector_for(self, service_url: str) -> ConnectorClient:
        """A Bot Connector client for `service_url`, signed with the bot's credentials.

        Raises `Undeliverable` for a URL that is not a Bot Framework service URL:
        nothing is ever sent there.
        """
        client = self._connectors.get(service_url)
        if client is None:
            if not self.service_url_allowed(service_url):
                from conversations.outbox_worker import Undeliverable

                raise Undeliverable(f"{str(service_url)[:100]!r} is not a Bot Framework "
                                    "service URL")
            from bot.teams.measured import measure
            from bot.teams.send_pace import no_client_retries

            factory = self.auth.create_connector_factory(
                self.adapter.create_claims_identity(self.app_id))
            client = await factory.create(service_url, None)
            no_client_retries(client)
            measure(client)
            self._connectors[service_url] = client
        return client

    def add_routes(self, web_app: web.Application) -> None:
        """Mount POST /api/messages."""
        web_app.router.add_post("/api/messages", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One activity from Teams: checked here and by the adapter, then our bot's turn."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return self._refuse(request, 415, "Content-Type must be application/json")
        body = await request.read()
        if len(body) > MAX_BODY:
            return self._refuse(request, 413, "activity too large")
        try:
            activity = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            return self._refuse(request, 400, "the body is not JSON")
        problem = activity_problem(activity)
        if problem is not None:
            return self._refuse(request, 400, problem)
        if not self.service_url_allowed(activity["serviceUrl"]):
            return self._refuse(request, 403, "the serviceUrl is not a Bot Framework service "
                                f"URL: {activity['serviceUrl'][:100]!r}")
        try:
            model = Activity().deserialize(activity)
        except Exception as error:  # a field of the wrong shape botbuilder cannot read
            return self._refuse(request, 400, "the activity cannot be read "
                                f"({type(error).__name__})")
        auth_header = request.headers.get("Authorization", "")
        token = RAW_ACTIVITY.set(activity)
        try:
            invoke = await self.adapter.process_activity(auth_header, model, self.bot.on_turn)
        except (PermissionError, jwt.PyJWTError) as error:
            log.warning("teams: refused a token from %s: %s", request.remote,
                        _reason(error, auth_header))
            return web.json_response({"error": "Unauthorized"}, status=401)
        except Exception:
            # The turn failed before the activity was kept (the database away, say):
            # 503 makes Teams send it again, where a 2xx would lose it.
            return web.json_response({"error": "try again later"}, status=503)
        finally:
            RAW_ACTIVITY.reset(token)
        if invoke is None:
            return web.Response(status=201)
        return web.json_response(data=serializer_helper(invoke.body), status=invoke.status)

    @staticmethod
    def _refuse(request: web.Request, status: int, reason: str) -> web.Response:
        log.warning("teams: refused a request from %s (%d): %s", request.remote, status,
                    reason)
        return web.json_response({"error": reason}, status=status)

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
