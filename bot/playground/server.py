"""The playground on deskbot's own aiohttp server: a local Slack Web API and the page.

    /playground/                 the page (static, no build step)
    /playground/api/<method>     the Slack Web API deskbot's client is pointed at
    /playground/state?user=U     what person U sees, as JSON, for the page
    /playground/events           server-sent events: "something changed" after each call
    /playground/files/<id>/<name>  a shared file's bytes (with the token), and
    /playground/files/upload/<id>  where files.getUploadURLExternal's uploads go
    /playground/file/<id>        a shared file, for the page's links (no token)
    /playground/act              what the person did; becomes the signed request Slack
                                 would send to /slack/events (see `bot.playground.page`)

The token and signing secret are generated at start; `configure` puts them, and the
Web API's address, into the settings deskbot's Slack adapter is built from.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.playground import webapi
from bot.playground.keep import Keeper
from bot.playground.signed import SlackRequests
from bot.playground.state import SlackError
from bot.playground.workspace import PEOPLE, TEAM_ID, new_state
from bot.settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
# Calls that change nothing a person sees: no "changed" event after them.
READS = frozenset({"auth.test", "bots.info", "users.info", "conversations.info",
                   "conversations.members",
                   "chat.getPermalink"})


class Playground:
    """The playground's state, credentials and routes; see the module docstring."""

    def __init__(self, base_url: str, *, validate_blocks: bool = True,
                 state_file: Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = "xoxb-playground-" + secrets.token_hex(12)
        self.signing_secret = secrets.token_hex(24)
        self.state = new_state(self.page_url, validate_blocks=validate_blocks)
        self.state.file_url = f"{self.base_url}/playground/files/"
        # The page's workspace outlives a restart, like deskbot's database beside it.
        self.keeper = Keeper(self.state, state_file)
        self.keeper.load()
        self.requests = SlackRequests(self.signing_secret, TEAM_ID,
                                      team_domain="playground",
                                      bot_user_id=self.state.bot.user_id)
        self.version = 0
        self._handlers = self.state.handlers()
        self._listeners: set[asyncio.Queue[int | None]] = set()
        self._session: aiohttp.ClientSession | None = None
        from bot.playground.page import Page

        self.page = Page(self)

    @property
    def page_url(self) -> str:
        """Where a person opens the page."""
        return f"{self.base_url}/playground/"

    @property
    def api_url(self) -> str:
        """The Web API base URL (SLACK_API_URL)."""
        return f"{self.base_url}/playground/api/"

    def configure(self, settings: Settings) -> Settings:
        """`settings` with Slack pointed at this playground (single workspace, signed;
        not paced per channel: the playground answers at any pace), and report links
        pointing at the address it was bound to (port 0 included) unless one is set."""
        return settings.replace(public_url=settings.public_url or self.base_url + "/",
                                slack_bot_token=self.token,
                                slack_signing_secret=self.signing_secret,
                                slack_api_url=self.api_url, slack_app_token=None,
                                slack_client_id=None, slack_client_secret=None,
                                slack_state_secret=None, slack_channel_posts_per_minute=0)

    def add_routes(self, app: web.Application) -> None:
        """Serve the playground on `app` (before it starts)."""
        app.router.add_get("/playground", self._to_page)
        app.router.add_get("/playground/", self._index)
        app.router.add_static("/playground/static/", STATIC)
        app.router.add_route("*", "/playground/api/response/{id}", self._response_url)
        app.router.add_route("*", "/playground/api/{method}", self._web_api)
        app.router.add_get("/playground/files/{file_id}/{name}", self._download)
        app.router.add_get("/playground/file/{file_id}", self._show_file)
        app.router.add_post("/playground/files/upload/{file_id}", self._upload)
        app.router.add_get("/playground/state", self._state)
        app.router.add_get("/playground/events", self._events)
        app.router.add_post("/playground/act", self.page.act)
        app.on_startup.append(self._open)
        app.on_shutdown.append(self._end_streams)
        app.on_cleanup.append(self._close)

    # ------------------------------------------------------------ life

    async def _open(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession()

    async def _end_streams(self, _app: web.Application) -> None:
        for listener in list(self._listeners):
            listener.put_nowait(None)

    async def _close(self, _app: web.Application) -> None:
        self.keeper.save()
        if self._session is not None:
            await self._session.close()

    async def send(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        """POST a signed request to deskbot's /slack/events; (status, body text)."""
        assert self._session is not None, "the playground is not started"
        async with self._session.post(f"{self.base_url}/slack/events", data=body.encode(),
                                      headers=headers) as response:
            return response.status, await response.text()

    def changed(self) -> None:
        """Tell every open page that something changed."""
        self.version += 1
        self.keeper.changed()
        for listener in list(self._listeners):
            listener.put_nowait(self.version)

    async def wait_for(self, predicate: Callable[[], Any], limit: float = 10.0) -> None:
        """Return once `predicate()` holds, looking again after each change (tests, seed)."""
        listener: asyncio.Queue[int | None] = asyncio.Queue()
        self._listeners.add(listener)
        try:
            async with asyncio.timeout(limit):
                while not predicate():
                    await listener.get()
        finally:
            self._listeners.discard(listener)

    # ------------------------------------------------------------ the Web API

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, token = await webapi.read_call(request)
        answer = webapi.answer(self._handlers, method, params, token,
                               accept=lambda given: secrets.compare_digest(given, self.token))
        if answer.get("ok") and method not in READS:
            self.changed()
        if not answer.get("ok"):
            log.info("playground Web API: %s answered %s", method, answer.get("error"))
        return web.json_response(answer)

    async def _download(self, request: web.Request) -> web.Response:
        # The page shows files by these links too: it asks with the playground's token.
        return webapi.download(self.state, request,
                               accept=lambda given: secrets.compare_digest(given, self.token))

    async def _show_file(self, request: web.Request) -> web.Response:
        # What the page links a shared file to: the page shows the whole workspace
        # already (/playground/state), so its files need no token either.
        try:
            shown, data = self.state.file_content(request.match_info["file_id"])
        except SlackError:
            return web.Response(status=404, text="That file is not here (files are not "
                                                 "kept over a restart of the playground).")
        return web.Response(body=data, content_type=shown.get("mimetype") or
                            "application/octet-stream",
                            headers={"Content-Disposition":
                                     f"inline; filename*=UTF-8''{quote(shown['name'])}"})

    async def _upload(self, request: web.Request) -> web.Response:
        answer = await webapi.upload(self.state, request)
        return answer

    async def _response_url(self, request: web.Request) -> web.Response:
        params, _ = await webapi.read_call(request)
        try:
            self.page.respond(request.match_info["id"], params)
        except SlackError as error:
            return web.json_response({"ok": False, "error": error.error}, status=404)
        self.changed()
        return web.json_response({"ok": True})

    # ------------------------------------------------------------ the page

    async def _to_page(self, _request: web.Request) -> web.Response:
        raise web.HTTPFound("/playground/")

    async def _index(self, _request: web.Request) -> web.Response:
        # The page's words come with it, in every language: the switch needs no round trip.
        from bot.playground.page import page_html

        template = (STATIC / "index.html").read_text(encoding="utf-8")
        return web.Response(text=page_html(template), content_type="text/html",
                            headers={"Cache-Control": "no-cache"})

    async def _state(self, request: web.Request) -> web.Response:
        user = request.query.get("user") or PEOPLE[0].id
        if user not in {p.id for p in PEOPLE}:
            return web.json_response({"error": "unknown person"}, status=404)
        return web.json_response(self.page.seen_by(user), dumps=_dumps)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        listener: asyncio.Queue[int | None] = asyncio.Queue()
        self._listeners.add(listener)
        try:
            await response.write(f"data: {self.version}\n\n".encode())
            while (version := await listener.get()) is not None:
                # Several changes in a row make one refresh.
                while not listener.empty():
                    latest = listener.get_nowait()
                    if latest is None:
                        return response
                    version = latest
                await response.write(f"data: {version}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            self._listeners.discard(listener)
        return response


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
