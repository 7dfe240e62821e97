"""A fake Slack Web API: a real aiohttp server on 127.0.0.1, port 0, that answers like Slack.

    async with FakeSlackApi() as api:
        api.add_user("U1", "eli")
        client = AsyncWebClient(token="xoxb-test", base_url=api.base_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert api.calls_to("chat.postMessage")[0].params["text"] == "hi"

Every request to `POST|GET /api/<method>` is recorded as a `Call` (method, decoded
parameters, token, time, and what was answered), whether it succeeded or not. JSON and
form bodies are both accepted (slack_sdk sends JSON for chat.postMessage and views.*,
forms or query strings for the rest); JSON-string fields such as `blocks` and `view`
are decoded. The state the calls build (messages per channel and thread, edits, pins,
ephemerals, home tabs) is the playground's own `bot.playground.state.SlackState`, read and
answered by `bot.playground.webapi` (one code for both, so they cannot drift), and is
readable through `message`, `thread`, `pins`, `ephemerals`, `published_home`.

A slow Web API on cue: `hold_next(method, event)` keeps the next call of `method`
waiting (listed in `holding`) until the event is set, then answers and records it.

Failures on cue: `fail_next(method, error=...)` for a Slack error,
`fail_next(method, status=429, retry_after=1)` or `status=500` for HTTP failures, and
`chaos(ratio=0.3)` / `calm()` for a stretch where a fraction of calls fail with 500 or
429 (with `Retry-After`). Ambiguous failures: `accept_then_fail(ratio, how=...)` does
a fraction of calls (chat.postMessage by default) and then, instead of answering,
keeps the answer until the client gives up ("timeout"), drops the connection ("drop")
or answers a 500 (`Call.accepted` is set on those). Response URLs
(`<base_url>response/<id>`) are recorded too, as method "response_url".

Slack's pace per channel on cue: `rate_limit(per_second=1, burst=5)` makes posts and
updates in a channel beyond that pace fail with 429 and `Retry-After` (whole seconds, as
Slack sends), each channel on its own; its `clock` (seconds; default the wall clock) also
stamps `Call.time`, so a test may move it with deskbot's clock.

Files: `add_file(name, bytes, user=...)` makes a file a person shares (its object goes
in a message event's `files`); `GET /files/<id>/<name>` serves its bytes to a request
with `Authorization: Bearer <token>` (without one, a sign-in page, as Slack does),
recorded as method "files.download" (`fail_next("files.download", status=404)` makes
it fail). files.getUploadURLExternal answers an upload URL on the same server (a POST
there is recorded as "files.upload_url"); files.completeUploadExternal shares the
uploaded files in the channel and thread; `uploaded(channel)` reads them back.
Nothing is global: several fakes can run at once.

Socket Mode: `apps.connections.open` (with an `xapp-` token) answers the ws:// URL of a
websocket served by the same server; the app connects there and gets Slack's `hello`.
`push_envelope(type, payload)` sends it an envelope; `ack_for(envelope_id)` waits for
the app's acknowledgement (everything the app sent is in `socket_messages`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.playground import webapi
from bot.playground.state import Bot, Channel, SlackError, SlackState, User
from tests.fakes.loopback import serve_on_loopback

RESPONSE_URL = "response_url"


@dataclass
class Call:
    """One recorded request: what was asked and what the fake answered."""

    method: str
    params: dict[str, Any]
    token: str | None
    time: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    # Done on the fake's side although the client was told otherwise (accept_then_fail).
    accepted: bool = False

    @property
    def ok(self) -> bool:
        """True when Slack would have done it (HTTP 200 and "ok": true)."""
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """The Slack error answered ("ratelimited", "channel_not_found"…), if any."""
        return None if self.ok else str(self.response.get("error") or f"http_{self.status}")


@dataclass
class _Failure:
    error: str | None
    status: int
    retry_after: float
    times: int
    matching: dict[str, Any] | None = None  # only calls with these params


class FakeSlackApi:
    """The fake Web API; see the module docstring."""

    def __init__(self, *, team_id: str = "T1", team: str = "Acme", user_id: str = "UBOT",
                 bot_id: str = "BBOT", validate_blocks: bool = True) -> None:
        self.state = SlackState(bot=Bot(team_id=team_id, team=team, user_id=user_id,
                                        bot_id=bot_id), validate_blocks=validate_blocks)
        self.calls: list[Call] = []
        self.base_url = ""
        self._handlers = self.state.handlers()
        self._failures: dict[str, list[_Failure]] = {}
        self._holds: dict[str, list[asyncio.Event]] = {}
        self.holding: list[str] = []  # methods whose call waits for its hold now
        self._chaos: tuple[float, tuple[int, ...], random.Random, float,
                           frozenset[str] | None] | None = None
        self._ambiguous: tuple[float, str, random.Random, frozenset[str]] | None = None
        # What stamps Call.time (and paces channels): the wall clock unless rate_limit says.
        self.clock: Callable[[], float] = time.time
        self._pace: tuple[float, float, frozenset[str]] | None = None
        self._channel_due: dict[str, float] = {}  # channel -> GCRA's theoretical arrival
        self._released = asyncio.Event()  # lets the answers held by "timeout" go at stop
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        # Socket Mode: the websockets the app holds open, and what it sent over them.
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_messages: list[dict[str, Any]] = []
        self._tickets = itertools.count(1)
        self._envelopes = itertools.count(1)

    # ------------------------------------------------------------ life

    async def start(self) -> FakeSlackApi:
        """Serve on 127.0.0.1 on a free port; sets `base_url`."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/api/response/{id}", self._response_url)
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/socket-mode/{ticket}", self._socket)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_post("/files/upload/{file_id}", self._upload)
        app.on_shutdown.append(self._close_sockets)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}/api/"
        self.state.file_url = f"http://127.0.0.1:{port}/files/"
        self._socket_url = f"ws://127.0.0.1:{port}/socket-mode/"
        return self

    async def stop(self) -> None:
        """Stop serving."""
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlackApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ setting up

    def add_user(self, user_id: str, name: str, *, real_name: str | None = None,
                 is_admin: bool = False, is_owner: bool = False, tz: str = "Asia/Jerusalem",
                 is_bot: bool = False, deleted: bool = False, locale: str = "en-US") -> User:
        """Make users.info know this person (and conversations.open refuse bots); its
        `locale` ("he-IL") is answered when the call asks with `include_locale`."""
        user = User(user_id, name, real_name or name, is_admin=is_admin, is_owner=is_owner,
                    tz=tz, is_bot=is_bot, deleted=deleted, locale=locale)
        self.state.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str | None = None, *, member: bool = True,
                    archived: bool = False, private: bool = True,
                    members: Iterable[str] | None = None) -> Channel:
        """Declare a channel: `member=False` makes posts fail with not_in_channel until
        conversations.join (and, private, makes conversations.info answer
        channel_not_found); `archived=True` makes them fail with is_archived;
        `private=False` makes it public; `members` are the people in it (default: all)."""
        channel = Channel(channel_id, name or channel_id.lower(), is_member=member,
                          is_archived=archived, is_im=channel_id.startswith("D"),
                          is_private=private,
                          members=list(members) if members is not None else None)
        self.state.channels[channel_id] = channel
        return channel

    def add_message(self, channel: str, text: str, *, user: str, ts: str | None = None,
                    thread_ts: str | None = None) -> str:
        """A person's own message (not made through the API); returns its ts."""
        return self.state.add_person_message(channel, text, user=user, ts=ts,
                                             thread_ts=thread_ts)

    def add_file(self, name: str, content: bytes, *, user: str,
                 mimetype: str = "application/octet-stream") -> dict[str, Any]:
        """A file a person shares: its Slack file object (for a message event's `files`),
        downloadable from `url_private_download` with a bot token."""
        return self.state.add_file(name, content, mimetype=mimetype, user=user)

    def uploaded(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Files uploaded into `channel` (into `thread_ts`), each with its `bytes` and the
        `comment` it came with, oldest first."""
        found = []
        for message in self.state.messages.get(channel, []):
            if thread_ts is not None and message.get("thread_ts") != thread_ts:
                continue
            for shown in message.get("files") or []:
                if message.get("bot_id"):
                    found.append({**shown, "comment": message.get("text") or "",
                                  "bytes": self.state.file_bytes.get(shown["id"])})
        return found

    def set_auth(self, **changes: str) -> None:
        """Change what auth.test answers (team_id, team, user_id, bot_id, url) and
        bots.info (app_id)."""
        for name, value in changes.items():
            if not hasattr(self.state.bot, name):
                raise TypeError(f"auth.test has no field {name!r}")
            setattr(self.state.bot, name, value)

    def set_oauth_answer(self, answer: dict[str, Any] | None) -> None:
        """What oauth.v2.access answers (without "ok"); None for the default installation."""
        self.state.oauth_answer = answer

    # ------------------------------------------------------------ failures

    def fail_next(self, method: str, error: str | None = None, *, status: int = 200,
                  retry_after: float = 1, times: int = 1,
                  matching: dict[str, Any] | None = None) -> None:
        """Make the next `times` calls of `method` fail (those whose params include
        `matching`, when given).

        `error` gives a Slack error (HTTP 200, "ok": false); `status=429` a rate limit
        with `Retry-After: retry_after`; another status (500, 503…) a server error.
        """
        if error is None and status == 200:
            raise ValueError("fail_next needs an error or a failing status")
        self._failures.setdefault(method, []).append(
            _Failure(error, status, retry_after, times, matching))

    def hold_next(self, method: str, until: asyncio.Event) -> None:
        """Make the next call of `method` wait for `until` before it is answered (and
        recorded): a Web API as slow as the test wants, without a clock."""
        self._holds.setdefault(method, []).append(until)

    def chaos(self, ratio: float = 0.3, statuses: Iterable[int] = (500, 429), *,
              seed: int | None = 0, retry_after: float = 0,
              methods: Iterable[str] | None = None) -> None:
        """From now on fail `ratio` of calls (of `methods`, default all) with one of
        `statuses`, chosen by a generator seeded with `seed`; 429s say `Retry-After`."""
        self._chaos = (ratio, tuple(statuses), random.Random(seed), retry_after,
                       frozenset(methods) if methods is not None else None)

    def rate_limit(self, per_second: float = 1.0, burst: int = 5, *,
                   clock: Callable[[], float] | None = None,
                   methods: Iterable[str] = ("chat.postMessage", "chat.update")) -> None:
        """From now on allow `methods` in each channel at Slack's pace: `burst` calls at
        once, then `per_second`; a call beyond gets 429 with `Retry-After` (rounded up to
        whole seconds) and is not carried out. Channels are paced apart."""
        interval = 1.0 / per_second
        self._pace = (interval, (burst - 1) * interval, frozenset(methods))
        if clock is not None:
            self.clock = clock

    def _over_pace(self, method: str, params: dict[str, Any]) -> float | None:
        """Seconds until `method` may go in its channel when it is over the pace, else
        None (and the call is counted)."""
        if self._pace is None or method not in self._pace[2] or not params.get("channel"):
            return None
        interval, tolerance, _ = self._pace
        channel, now = str(params["channel"]), self.clock()
        due = self._channel_due.get(channel, now)
        if now < due - tolerance:
            return due - tolerance - now
        self._channel_due[channel] = max(due, now) + interval
        return None

    def calm(self) -> None:
        """Stop the chaos and the ambiguous failures (failures queued with fail_next stay)."""
        self._chaos = None
        self._ambiguous = None

    def accept_then_fail(self, ratio: float = 0.3, *, how: str = "timeout", seed: int = 0,
                         methods: Iterable[str] = ("chat.postMessage",)) -> None:
        """From now on carry out `ratio` of the calls of `methods`, then fail them as the
        client sees it: "timeout" (no answer until the fake stops), "drop" (the
        connection closes without an answer) or "500" (a server error)."""
        if how not in ("timeout", "drop", "500"):
            raise ValueError("how is one of timeout, drop, 500")
        self._ambiguous = (ratio, how, random.Random(seed), frozenset(methods))

    def _ambiguity_for(self, method: str) -> str | None:
        if self._ambiguous is None:
            return None
        ratio, how, rng, methods = self._ambiguous
        return how if method in methods and rng.random() < ratio else None

    def _failure_for(self, method: str, params: dict[str, Any] | None = None) -> _Failure | None:
        queued = [f for f in self._failures.get(method) or []
                  if not f.matching or all((params or {}).get(k) == v
                                           for k, v in f.matching.items())]
        if queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                self._failures[method].remove(failure)
            return failure
        if self._chaos is not None:
            ratio, statuses, rng, retry_after, methods = self._chaos
            if (methods is None or method in methods) and rng.random() < ratio:
                return _Failure(None, rng.choice(statuses), retry_after, 1)
        return None

    # ------------------------------------------------------------ reading

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        """Recorded calls of `method`, oldest first; `ok=True` keeps the successful ones."""
        return [c for c in self.calls
                if c.method == method and (ok is None or c.ok == ok)]

    def succeeded(self, method: str | None = None) -> list[Call]:
        """Successful calls (of `method`, or all), oldest first."""
        return [c for c in self.calls if c.ok and (method is None or c.method == method)]

    # A default timeout keeps every test's wait bounded without each one wrapping it.
    async def wait_for(self, predicate: Callable[[], Any],
                       timeout: float = 5) -> Any:  # noqa: ASYNC109
        """Wait until `predicate()` is truthy (checked after every call); returns its value."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value

    # ------------------------------------------------------------ Socket Mode

    async def wait_socket(self, timeout: float = 5) -> web.WebSocketResponse:  # noqa: ASYNC109
        """Wait until the app holds a Socket Mode connection; returns the newest."""
        return await self.wait_for(lambda: self.sockets[-1] if self.sockets else None,
                                   timeout)

    async def push_envelope(self, type_: str, payload: dict[str, Any], *,
                            accepts_response_payload: bool = False) -> str:
        """Send an envelope (`events_api`, `slash_commands`, `interactive`) over the
        newest connection, as Slack would; returns its envelope_id."""
        if not self.sockets:
            raise RuntimeError("no Socket Mode connection to push to")
        envelope_id = f"env-{next(self._envelopes):06d}"
        await self.sockets[-1].send_json({
            "envelope_id": envelope_id, "type": type_, "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0, "retry_reason": ""})
        return envelope_id

    async def ack_for(self, envelope_id: str,
                      timeout: float = 5) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait for the app's ack of `envelope_id`; returns it (with any `payload`)."""
        return await self.wait_for(lambda: next(
            (m for m in self.socket_messages if m.get("envelope_id") == envelope_id), None),
            timeout)

    def _open_connection(self, token: str | None) -> dict[str, Any]:
        if token is None:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": f"{self._socket_url}{next(self._tickets)}"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self.sockets),
                                "connection_info": {"app_id": "A1"},
                                "debug_info": {"host": "fake-slack", "build_number": 1,
                                               "approximate_connection_time": 3600}})
        await self._notify()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    try:
                        sent = json.loads(message.data)
                    except ValueError:
                        sent = {"unparsed": message.data}
                    self.socket_messages.append(sent)
                    await self._notify()
        finally:
            self.sockets.remove(socket)
            await self._notify()
        return socket

    async def _close_sockets(self, _app: web.Application) -> None:
        for socket in list(self.sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY)

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """channel -> every message in it (replies carry thread_ts), as they are now."""
        return self.state.messages

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Message `ts` of `channel` as it looks now (after chat.update), or None."""
        try:
            return self.state.find(channel, ts)
        except SlackError:
            return None

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies in the thread of message `ts` (without the parent), in order."""
        return [m for m in self.state.messages.get(channel, [])
                if m.get("thread_ts") == ts and m["ts"] != ts]

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """The messages of `channel` that are not thread replies."""
        return [m for m in self.state.messages.get(channel, [])
                if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]

    def pins(self, channel: str) -> list[str]:
        """The ts of the messages pinned in `channel`, in pin order."""
        return list(self.state.pinned.get(channel, []))

    def ephemerals(self, user: str) -> list[dict[str, Any]]:
        """Ephemeral messages shown to `user`, oldest first."""
        return list(self.state.ephemerals.get(user, []))

    def published_home(self, user_id: str) -> dict[str, Any] | None:
        """The home tab last published for `user_id`."""
        return self.state.homes.get(user_id)

    # ------------------------------------------------------------ serving

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, token = await webapi.read_call(request)
        held = self._holds.get(method)
        if held:
            until = held.pop(0)
            self.holding.append(method)
            await self._notify()
            try:
                await until.wait()
            finally:
                self.holding.remove(method)
        call = Call(method=method, params=params, token=token, time=self.clock())
        failure = self._failure_for(method, params)
        if failure is None and (wait := self._over_pace(method, params)) is not None:
            failure = _Failure(None, 429, float(math.ceil(wait)), 1)
        headers: dict[str, str] = {}
        if failure is not None and failure.status == 429:
            call.status, call.response = 429, {"ok": False, "error": "ratelimited"}
            headers["Retry-After"] = _seconds(failure.retry_after)
        elif failure is not None and failure.status != 200:
            call.status, call.response = failure.status, {"ok": False,
                                                          "error": "internal_error"}
        elif failure is not None:
            call.response = {"ok": False, "error": failure.error}
        else:
            call.response = self._answer(method, params, token)
            how = self._ambiguity_for(method) if call.response.get("ok") else None
            if how is not None:
                return await self._fail_after_doing(request, call, how)
        await self._record(call)
        return web.json_response(call.response, status=call.status, headers=headers)

    async def _fail_after_doing(self, request: web.Request, call: Call,
                                how: str) -> web.Response:
        """The call is done; the client is told it failed (or told nothing)."""
        call.accepted = True
        call.status, call.response = (500, {"ok": False, "error": "internal_error"}) \
            if how == "500" else (599, {"ok": False, "error": how})
        await self._record(call)
        if how == "timeout":
            await self._released.wait()
        elif how == "drop" and request.transport is not None:
            request.transport.close()
        return web.json_response(call.response, status=call.status)

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":  # the one method that wants the app token
            return self._open_connection(token)
        return webapi.answer(self._handlers, method, params, token)

    async def _download(self, request: web.Request) -> web.Response:
        call = Call(method="files.download", params={"file": request.match_info["file_id"]},
                    token=webapi.bearer(request), time=self.clock())
        failure = self._failure_for("files.download")
        if failure is not None:
            call.status, call.response = failure.status or 500, {"ok": False}
            await self._record(call)
            return web.Response(status=call.status, text="failed on cue")
        answer = webapi.download(self.state, request)
        call.status = answer.status
        call.response = {"ok": answer.status == 200 and answer.content_type != "text/html",
                         "size": len(answer.body) if isinstance(answer.body, bytes) else 0}
        await self._record(call)
        return answer

    async def _upload(self, request: web.Request) -> web.Response:
        answer = await webapi.upload(self.state, request)
        call = Call(method="files.upload_url", params={"file": request.match_info["file_id"]},
                    token=webapi.bearer(request), time=self.clock(), status=answer.status,
                    response={"ok": answer.status == 200})
        await self._record(call)
        return answer

    async def _response_url(self, request: web.Request) -> web.Response:
        params, token = await webapi.read_call(request)
        params.setdefault("response_id", request.match_info["id"])
        call = Call(method=RESPONSE_URL, params=params, token=token, time=self.clock(),
                    response={"ok": True})
        # fail_next(RESPONSE_URL, ...): an error answers 404 with it ("expired_url"),
        # as Slack does for a used-up or expired URL; a status answers that status.
        failure = self._failure_for(RESPONSE_URL)
        headers: dict[str, str] = {}
        if failure is not None:
            call.status = failure.status if failure.status != 200 else 404
            call.response = {"ok": False, "error": failure.error or f"http_{call.status}"}
            if call.status == 429:
                headers["Retry-After"] = _seconds(failure.retry_after)
        await self._record(call)
        if failure is not None:
            return web.Response(status=call.status, text=str(call.response["error"]),
                                headers=headers)
        return web.Response(text="ok")

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


__all__ = ["Call", "FakeSlackApi", "RESPONSE_URL"]
