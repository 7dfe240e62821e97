"""A fake Bot Framework connector (the Teams flavour): a real aiohttp server on 127.0.0.1,
port 0, answering the Bot Connector REST API the way Teams does.

    async with FakeBotConnector() as connector:
        eli = connector.add_person("aad-eli", "Eli")
        client = ConnectorClient(MicrosoftAppCredentials(None, None),
                                 base_url=connector.base_url)
        chat = connector.personal_conversation(eli)
        await client.conversations.send_to_conversation(chat.id, Activity(type="message",
                                                                          text="hi"))
        assert connector.calls_to("send")[0].body["text"] == "hi"

`base_url` looks like a Teams service URL (`http://127.0.0.1:PORT/amer/<tenant>/`); put
it in inbound activities' `serviceUrl` and botbuilder sends everything here. Each
request is recorded as a `Call` (verb, path below the base, kind, JSON body, headers with
Authorization, what was answered). Kinds: send, reply, update, delete,
create_conversation, members, member, paged_members, team_channels, team_details,
unknown. Conversations keep their activities; a channel's threads are Teams' own:
`<channel>;messageid=<root id>`. Ids look like Teams' (`19:…@thread.tacv2` channels and
teams, `a:…` personal chats, `29:…` users, numeric channel message ids, `1:…` ids in
personal chats).

Failures on cue: `fail_next("update", 429, retry_after=1)` (a kind, or an fnmatch pattern
on the path or on "VERB path"), `chaos(0.3)` / `calm()`. `require_token="t"` makes calls
without `Authorization: Bearer t` get 401, as the real connector does.

Files: `file_download_info(name, bytes)` and `image(name, bytes)` build the attachments
Teams puts on a message with a file (personal chat) or a pasted image; the fake serves
their `downloadUrl` / `contentUrl` itself (kind "download"); `file_bytes(url)` reads
back what a URL serves.

Auth: with no app id botbuilder sends no token (nothing to stub). With an app id it
asks MSAL for a token from login.microsoftonline.com, which MSAL insists be https, so
the fake cannot stand in for it: hand `ConfigurationBotFrameworkAuthentication` a
`credentials_factory=StubCredentialsFactory(app_id, token)` instead.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import itertools
import random
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

from tests.fakes.loopback import serve_on_loopback

TENANT_ID = "50612dbb-0237-4969-b378-8d42590f9c00"
THREAD = ";messageid="
ERROR_CODES = {400: "BadArgument", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
               412: "PreconditionFailed", 429: "Throttled", 500: "InternalServerError",
               502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (verb, re.compile(pattern), kind) for verb, pattern, kind in [
        ("POST", r"/v3/conversations", "create_conversation"),
        ("POST", r"/v3/conversations/(?P<conversation_id>[^/]+)/activities", "send"),
        ("POST", r"/v3/conversations/(?P<conversation_id>[^/]+)/activities/(?P<activity_id>[^/]+)",
         "reply"),
        ("PUT", r"/v3/conversations/(?P<conversation_id>[^/]+)/activities/(?P<activity_id>[^/]+)",
         "update"),
        ("DELETE",
         r"/v3/conversations/(?P<conversation_id>[^/]+)/activities/(?P<activity_id>[^/]+)",
         "delete"),
        ("GET", r"/v3/conversations/(?P<conversation_id>[^/]+)/members", "members"),
        ("GET", r"/v3/conversations/(?P<conversation_id>[^/]+)/members/(?P<member_id>[^/]+)",
         "member"),
        ("GET", r"/v3/conversations/(?P<conversation_id>[^/]+)/pagedmembers", "paged_members"),
        ("GET", r"/v3/teams/(?P<team_id>[^/]+)/conversations", "team_channels"),
        ("GET", r"/v3/teams/(?P<team_id>[^/]+)", "team_details"),
    ]]


class ConnectorError(Exception):
    """An error the connector answers with (status and Bot Framework error code)."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.status, self.code, self.message = status, code, message or code


@dataclass
class Call:
    """One recorded request and what the fake answered."""

    method: str
    path: str
    kind: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]
    time: float
    status: int = 200
    response: Any = None

    @property
    def ok(self) -> bool:
        """True when the connector accepted it (2xx)."""
        return 200 <= self.status < 300

    @property
    def token(self) -> str | None:
        """The bearer token sent, if any."""
        auth = self.headers.get("Authorization", "")
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    @property
    def conversation_id(self) -> str | None:
        """The conversation addressed in the path (thread suffix included)."""
        return self.params.get("conversation_id")

    @property
    def activity_id(self) -> str | None:
        """The activity in the path, or the one the answer names (sends, creations)."""
        if "activity_id" in self.params:
            return self.params["activity_id"]
        if isinstance(self.response, dict):
            return self.response.get("activityId") or self.response.get("id")
        return None


@dataclass
class Person:
    """Someone in the tenant: `user_id` is the Teams id (`29:…`), `aad_id` the AAD one."""

    aad_id: str
    name: str
    user_id: str
    email: str
    tenant_id: str
    teams: frozenset[str] | None = None  # None: member of every team
    locale: str = "en-US"  # their Teams language: each activity they send carries it

    def account(self) -> dict[str, Any]:
        """As the connector lists it (a TeamsChannelAccount)."""
        given, _, surname = self.name.partition(" ")
        return {"id": self.user_id, "name": self.name, "aadObjectId": self.aad_id,
                "email": self.email, "userPrincipalName": self.email, "givenName": given,
                "surname": surname or None, "tenantId": self.tenant_id, "userRole": "user"}


@dataclass
class Channel:
    """A channel of a team; the General channel's id is the team's id."""

    team_id: str
    channel_id: str
    name: str | None


@dataclass
class Conversation:
    """A personal chat (`a:…`) or a channel (`19:…@thread.tacv2`) and what was posted in it.

    In a channel every activity carries the id of its thread's root in `thread_of`.
    """

    id: str
    kind: str  # "personal" | "channel"
    tenant_id: str
    person: Person | None = None
    channel: Channel | None = None
    activities: list[dict[str, Any]] = field(default_factory=list)
    thread_of: dict[str, str] = field(default_factory=dict)
    edits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted: list[dict[str, Any]] = field(default_factory=list)

    def find(self, activity_id: str) -> dict[str, Any] | None:
        """The activity as it is now, or None."""
        return next((a for a in self.activities if a.get("id") == activity_id), None)


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    times: int
    code: str | None


class StaticTokenCredentials(AppCredentials):
    """Outbound credentials that always present `token`: no MSAL, no network."""

    def __init__(self, app_id: str, token: str, oauth_scope: str | None = None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self.token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.token


class StubCredentialsFactory(ServiceClientCredentialsFactory):
    """Give `ConfigurationBotFrameworkAuthentication(config, credentials_factory=…)` this
    to run with an app id (inbound auth on) while outbound calls carry `token`."""

    def __init__(self, app_id: str, token: str = "fake-bot-token") -> None:
        self.app_id, self.token = app_id, token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return not self.app_id

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> AppCredentials:
        return StaticTokenCredentials(app_id, self.token, oauth_scope)


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


_B64 = string.ascii_letters + string.digits + "-_"


def new_channel_id() -> str:
    """A Teams channel (or team) id: `19:<32 hex>@thread.tacv2`."""
    return f"19:{secrets.token_hex(16)}@thread.tacv2"


class FakeBotConnector:
    """The fake connector; see the module docstring."""

    def __init__(self, *, tenant_id: str = TENANT_ID, bot_app_id: str | None = None,
                 bot_name: str = "deskbot", region: str = "amer", strict: bool = False,
                 require_token: str | None = None) -> None:
        self.tenant_id = tenant_id
        self.bot_app_id = bot_app_id or "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
        self.bot = {"id": f"28:{self.bot_app_id}", "name": bot_name}
        self.strict = strict  # unknown conversations answer 404 instead of springing up
        self.require_token = require_token
        self.calls: list[Call] = []
        self.people: dict[str, Person] = {}  # by user_id
        self.teams: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.conversations: dict[str, Conversation] = {}
        self.base_url = ""
        self._prefix = f"/{region}/{tenant_id}"
        self._clock = itertools.count(int(time.time() * 1000))
        self._failures: list[tuple[str, _Failure]] = []
        self._chaos: tuple[float, tuple[int, ...], random.Random, float,
                           frozenset[str] | None] | None = None
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        # Files people share: id -> (name, bytes, content type), served at `file_url`.
        self.files: dict[str, tuple[str, bytes, str]] = {}
        self.file_url = ""
        self._file_ids = itertools.count(1)

    # ------------------------------------------------------------ life

    async def start(self) -> FakeBotConnector:
        """Serve on 127.0.0.1 on a free port; sets `base_url` (with its trailing slash)."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}{self._prefix}/"
        self.file_url = f"http://127.0.0.1:{port}/files/"
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotConnector:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ setting up

    def add_person(self, aad_id: str, name: str, *, user_id: str | None = None,
                   email: str | None = None, teams: Iterable[str] | None = None,
                   locale: str = "en-US") -> Person:
        """Someone the roster knows; `teams` limits the teams they belong to (default all);
        `locale` is their Teams language ("he-IL"), sent with each of their activities."""
        person = Person(aad_id, name, user_id or f"29:1{_random(_B64, 86)}",
                        email or f"{name.lower().replace(' ', '.')}@contoso.example",
                        self.tenant_id, frozenset(teams) if teams is not None else None,
                        locale)
        self.people[person.user_id] = person
        return person

    def add_team(self, team_id: str | None = None, name: str = "Helpdesk") -> str:
        """A team, with its General channel (same id); returns the team id."""
        team_id = team_id or new_channel_id()
        self.teams[team_id] = {"id": team_id, "name": name,
                               "aadGroupId": secrets.token_hex(16), "type": "standard"}
        if team_id not in self.channels:
            self.add_channel(team_id, team_id, None)
        return team_id

    def add_channel(self, team_id: str, channel_id: str | None = None,
                    name: str | None = "Agents") -> Channel:
        """A channel of `team_id` (the team springs up if new); returns it."""
        if team_id not in self.teams:
            self.add_team(team_id)
        channel = Channel(team_id, channel_id or new_channel_id(), name)
        self.channels[channel.channel_id] = channel
        self.conversations.setdefault(channel.channel_id, Conversation(
            channel.channel_id, "channel", self.tenant_id, channel=channel))
        return channel

    def add_file(self, name: str, content: bytes, *,
                 content_type: str = "application/octet-stream") -> str:
        """A file someone shares: returns its pre-authenticated download URL (as Teams'
        `downloadUrl`), served by this fake; each GET is recorded as kind "download"
        (`fail_next("download", 404)` makes it fail)."""
        file_id = f"f{next(self._file_ids)}{_random(string.ascii_lowercase, 8)}"
        self.files[file_id] = (name, bytes(content), content_type)
        return f"{self.file_url}{file_id}/{name}"

    def file_download_info(self, name: str, content: bytes) -> dict[str, Any]:
        """The attachment Teams puts on a personal-chat message with a file."""
        kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return {"contentType": "application/vnd.microsoft.teams.file.download.info",
                "name": name, "content": {"downloadUrl": self.add_file(name, content),
                                          "uniqueId": secrets.token_hex(8), "fileType": kind}}

    def image(self, name: str, content: bytes, content_type: str = "image/png") -> dict[str, Any]:
        """The attachment Teams puts on a message with a pasted image."""
        return {"contentType": content_type, "name": name,
                "contentUrl": self.add_file(name, content, content_type=content_type)}

    def file_bytes(self, url: str) -> bytes | None:
        """The bytes behind a download URL this fake serves, or None."""
        if not url.startswith(self.file_url):
            return None
        found = self.files.get(url[len(self.file_url):].split("/", 1)[0])
        return found[1] if found else None

    def personal_conversation(self, person: Person) -> Conversation:
        """The bot's 1:1 chat with `person` (one per person, as in Teams)."""
        for conversation in self.conversations.values():
            if conversation.person is person:
                return conversation
        conversation = Conversation(f"a:1{_random(_B64, 120)}", "personal", self.tenant_id,
                                    person=person)
        self.conversations[conversation.id] = conversation
        return conversation

    def person(self, user_or_aad_id: str) -> Person | None:
        """Whoever has this Teams id or AAD object id."""
        return self.people.get(user_or_aad_id) or next(
            (p for p in self.people.values() if p.aad_id == user_or_aad_id), None)

    def record_inbound(self, activity: dict[str, Any]) -> None:
        """Put a person's own activity (one the test posts to the bot) into the state, so
        `thread()` and `activities_in()` show whole conversations."""
        conversation, root = self._resolve(activity["conversation"]["id"], create=True)
        self._store(conversation, copy.deepcopy(activity), root or activity["id"],
                    keep_id=True)

    # ------------------------------------------------------------ failures

    def fail_next(self, pattern: str, status: int = 429, *, times: int = 1,
                  retry_after: float | None = None, code: str | None = None) -> None:
        """Fail the next `times` calls matching `pattern` (a kind such as "send", or an
        fnmatch pattern on the path or "VERB path") with `status`; 429s carry
        `Retry-After: retry_after` (1 when not given), others only if it is given."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures.append((pattern, _Failure(status, retry_after, times, code)))

    def chaos(self, ratio: float = 0.3, statuses: Iterable[int] = (429, 412, 502, 504), *,
              seed: int | None = 0, retry_after: float = 0,
              kinds: Iterable[str] | None = None) -> None:
        """From now on fail `ratio` of calls (of `kinds`, default all) with one of
        `statuses`, drawn by a generator seeded with `seed`; 429s say `Retry-After`."""
        self._chaos = (ratio, tuple(statuses), random.Random(seed), retry_after,
                       frozenset(kinds) if kinds is not None else None)

    def calm(self) -> None:
        """Stop the chaos (failures queued with fail_next stay)."""
        self._chaos = None

    def _failure_for(self, call: Call) -> _Failure | None:
        for index, (pattern, failure) in enumerate(self._failures):
            if pattern == call.kind or fnmatch.fnmatchcase(call.path, pattern) or \
                    fnmatch.fnmatchcase(f"{call.method} {call.path}", pattern):
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[index]
                return failure
        if self._chaos is not None:
            ratio, statuses, rng, retry_after, kinds = self._chaos
            if (kinds is None or call.kind in kinds) and rng.random() < ratio:
                status = rng.choice(statuses)
                return _Failure(status, retry_after if status == 429 else None, 1, None)
        return None

    # ------------------------------------------------------------ reading

    def calls_to(self, kind: str, *, ok: bool | None = None) -> list[Call]:
        """Recorded calls of `kind`, oldest first; `ok=True` keeps the accepted ones."""
        return [c for c in self.calls if c.kind == kind and (ok is None or c.ok == ok)]

    def succeeded(self, kind: str | None = None) -> list[Call]:
        """Accepted calls (of `kind`, or all), oldest first."""
        return [c for c in self.calls if c.ok and (kind is None or c.kind == kind)]

    def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation (a thread id gives its channel's)."""
        return self.conversations.get(conversation_id.split(THREAD)[0])

    def activities_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """The activities of a conversation as they are now; of a thread (`…;messageid=`),
        its root and replies."""
        base, _, root = conversation_id.partition(THREAD)
        conversation = self.conversations.get(base)
        if conversation is None:
            return []
        if not root:
            return list(conversation.activities)
        return [a for a in conversation.activities if conversation.thread_of[a["id"]] == root]

    def activity(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """One activity as it is now (after updates), or None."""
        conversation = self.conversation(conversation_id)
        return conversation.find(activity_id) if conversation else None

    def thread(self, channel_id: str, root_activity_id: str) -> list[dict[str, Any]]:
        """The replies in a channel thread, without its root, in order."""
        return [a for a in self.activities_in(f"{channel_id}{THREAD}{root_activity_id}")
                if a["id"] != root_activity_id]

    def top_level(self, channel_id: str) -> list[dict[str, Any]]:
        """The thread roots of a channel (new posts), in order."""
        conversation = self.conversations.get(channel_id)
        return [a for a in conversation.activities
                if conversation.thread_of[a["id"]] == a["id"]] if conversation else []

    # A default timeout keeps every test's wait bounded without each one wrapping it.
    async def wait_for(self, predicate: Callable[[], Any],
                       timeout: float = 5) -> Any:  # noqa: ASYNC109
        """Wait until `predicate()` is truthy (checked after every call); returns its value."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value

    # ------------------------------------------------------------ serving

    async def _handle(self, request: web.Request) -> web.Response:
        raw = request.rel_url.raw_path
        path = "/".join(unquote(part) for part in raw.split("/"))
        body: Any = None
        if request.can_read_body:
            text = await request.text()
            try:
                body = await request.json() if text else None
            except ValueError:
                body = text
        kind, params = "unknown", {}
        if path.startswith(self._prefix + "/"):
            path = path[len(self._prefix):]
            for verb, pattern, name in _ROUTES:
                if request.method == verb and (match := pattern.fullmatch(path)):
                    kind, params = name, {k: v for k, v in match.groupdict().items()}
                    break
        call = Call(request.method, path, kind, params, body, dict(request.headers),
                    time.time())
        headers: dict[str, str] = {}
        failure = None
        if self.require_token is not None and call.token != self.require_token:
            call.status = 401
            call.response = {"message": "Authorization has been denied for this request."}
        elif (failure := self._failure_for(call)) is not None:
            call.status = failure.status
            code = failure.code or ERROR_CODES.get(failure.status, "ServiceError")
            call.response = {"error": {"code": code, "message": f"injected {code}"}}
            if failure.retry_after is not None:
                headers["Retry-After"] = _seconds(failure.retry_after)
        else:
            try:
                call.response = self._answer(call, dict(request.query))
            except ConnectorError as error:
                call.status = error.status
                call.response = {"error": {"code": error.code, "message": error.message}}
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()
        if call.response is None:
            return web.Response(status=call.status, headers=headers)
        return web.json_response(call.response, status=call.status, headers=headers)

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        call = Call("GET", f"/files/{file_id}", "download", {"file_id": file_id}, None,
                    dict(request.headers), time.time())
        failure = self._failure_for(call)
        found = self.files.get(file_id)
        if failure is not None:
            call.status = failure.status
        elif found is None:
            call.status = 404
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()
        if call.status != 200 or found is None:
            return web.Response(status=call.status, text="no file here")
        return web.Response(body=found[1], content_type=found[2])

    def _answer(self, call: Call, query: dict[str, str]) -> Any:
        if call.kind == "unknown":
            raise ConnectorError(404, "NotFound", f"no such resource: {call.method} {call.path}")
        if call.kind == "create_conversation":
            return self._create(_copy(call.body))
        if call.kind in ("team_channels", "team_details"):
            team = self.teams.get(call.params["team_id"])
            if team is None:
                raise ConnectorError(404, "TeamNotFound")
            channels = [c for c in self.channels.values() if c.team_id == team["id"]]
            if call.kind == "team_channels":
                return {"conversations": [{"id": c.channel_id, "name": c.name}
                                          for c in channels]}
            members = [p for p in self.people.values() if p.teams is None or team["id"] in p.teams]
            return {**team, "channelCount": len(channels), "memberCount": len(members)}
        conversation_id = call.params["conversation_id"]
        if call.kind in ("members", "member", "paged_members"):
            return self._members(call, conversation_id, query)
        conversation, root = self._resolve(conversation_id, create=not self.strict)
        activity_id = call.params.get("activity_id")
        if call.kind == "send":
            return {"id": self._store(conversation, _copy(call.body), root)}
        existing = conversation.find(activity_id or "")
        if call.kind == "reply":
            if root is None and conversation.kind == "channel":
                root = conversation.thread_of.get(activity_id or "", activity_id)
            return {"id": self._store(conversation, _copy(call.body), root)}
        if existing is None:
            raise ConnectorError(404, "ActivityNotFoundInConversation", activity_id or "")
        if call.kind == "update":
            conversation.edits.setdefault(existing["id"], []).append(dict(existing))
            new = {**_copy(call.body), "id": existing["id"],
                   "conversation": existing.get("conversation")}
            existing.clear()
            existing.update(new)
            return {"id": existing["id"]}
        conversation.activities.remove(existing)  # delete
        conversation.deleted.append(existing)
        return None

    def _resolve(self, conversation_id: str, *, create: bool) -> tuple[Conversation, str | None]:
        base, _, root = conversation_id.partition(THREAD)
        conversation = self.conversations.get(base)
        if conversation is None:
            if not create or not (base.startswith("19:") or base.startswith("a:")):
                raise ConnectorError(404, "ConversationNotFound", conversation_id)
            conversation = Conversation(base, "channel" if base.startswith("19:") else "personal",
                                        self.tenant_id)
            self.conversations[base] = conversation
        return conversation, root or None

    def _store(self, conversation: Conversation, activity: dict[str, Any],
               root: str | None, *, keep_id: bool = False) -> str:
        # Teams ignores the id a bot puts on what it sends and names the message itself.
        if not keep_id or not activity.get("id"):
            activity["id"] = str(next(self._clock)) if conversation.kind == "channel" \
                else f"1:{_random(_B64, 43)}"
        thread = f"{conversation.id}{THREAD}{root or activity['id']}"
        activity["conversation"] = {**(activity.get("conversation") or {}),
                                    "id": thread if conversation.kind == "channel"
                                    else conversation.id}
        conversation.activities.append(activity)
        conversation.thread_of[activity["id"]] = root or activity["id"]
        return activity["id"]

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_data = params.get("channelData") or {}
        tenant = params.get("tenantId") or (channel_data.get("tenant") or {}).get("id")
        channel_id = (channel_data.get("channel") or {}).get("id")
        activity = params.get("activity")
        if channel_id:  # a new thread in a channel
            if not activity:
                raise ConnectorError(400, "BadArgument", "a channel post needs an activity")
            channel = self.channels.get(channel_id)
            if channel is None and self.strict:
                raise ConnectorError(404, "ConversationNotFound", channel_id)
            conversation, _ = self._resolve(channel_id, create=True)
            activity_id = self._store(conversation, dict(activity), None)
            return {"id": f"{channel_id}{THREAD}{activity_id}", "activityId": activity_id}
        if not tenant:
            raise ConnectorError(400, "BadSyntax", "Tenant ID is required for Teams")
        members = params.get("members") or []
        if params.get("isGroup") or len(members) != 1:
            raise ConnectorError(400, "BadArgument", "only 1:1 chats and channel posts")
        person = self.person(members[0].get("id", ""))
        if person is None:
            raise ConnectorError(403, "Forbidden", "user not in tenant or app not installed")
        conversation = self.personal_conversation(person)
        answer: dict[str, Any] = {"id": conversation.id}
        if activity:
            answer["activityId"] = self._store(conversation, dict(activity), None)
        return answer

    def _members(self, call: Call, conversation_id: str,
                 query: dict[str, str]) -> Any:
        base = conversation_id.split(THREAD)[0]
        conversation = self.conversations.get(base)
        if conversation is not None and conversation.kind == "personal":
            roster = [conversation.person] if conversation.person else []
        else:
            team = (self.channels[base].team_id if base in self.channels else base)
            if team not in self.teams and (conversation is None or self.strict):
                raise ConnectorError(404, "ConversationNotFound", conversation_id)
            roster = [p for p in self.people.values() if p.teams is None or team in p.teams]
        if call.kind == "member":
            wanted = call.params["member_id"]
            found = next((p for p in roster if wanted in (p.user_id, p.aad_id)), None)
            if found is None:
                raise ConnectorError(404, "MemberNotFoundInConversation", wanted)
            return found.account()
        accounts = [p.account() for p in roster]
        if call.kind == "members":
            return accounts
        size = int(query.get("pageSize") or 200)
        start = int(query.get("continuationToken") or 0)
        more = start + size < len(accounts)
        return {"members": accounts[start:start + size],
                "continuationToken": str(start + size) if more else None}


def _copy(body: Any) -> dict[str, Any]:
    """The request body, copied so the state never shares objects with `Call.body`."""
    if not isinstance(body, dict):
        raise ConnectorError(400, "BadSyntax", "the body must be a JSON object")
    return copy.deepcopy(body)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


__all__ = ["Call", "Channel", "ConnectorError", "Conversation", "FakeBotConnector", "Person",
           "StaticTokenCredentials", "StubCredentialsFactory", "TENANT_ID", "THREAD",
           "new_channel_id"]
