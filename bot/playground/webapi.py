"""The HTTP face of `SlackState`: how a Web API call is read and answered.

Used by the playground's `/playground/api/<method>` and by the tests' fake Slack Web
API alike, so deskbot's Slack client meets one implementation in both places.
slack_sdk sends JSON for chat.postMessage and views.*, forms or query strings for the
rest; JSON-string fields such as `blocks` and `view` are decoded. The token comes
from `Authorization: Bearer` or a `token` parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from bot.playground.state import SlackError, SlackState

# Fields slack_sdk (or a form post) may send as JSON strings.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
# Methods that answer without a bot token.
TOKENLESS = frozenset({"oauth.v2.access"})

Handler = Callable[[dict[str, Any]], dict[str, Any]]


async def read_call(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """The call's parameters (query, form or JSON body, merged) and its token."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[name] = json.loads(value)
            except ValueError:
                pass  # Slack would answer invalid_blocks / invalid_arguments; so do we
    token = params.pop("token", None)
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[len("Bearer "):]
    return params, token or None


def answer(handlers: Mapping[str, Handler], method: str, params: dict[str, Any],
           token: str | None, *, accept: Callable[[str], bool] | None = None,
           ) -> dict[str, Any]:
    """Slack's JSON answer to `method`: `{"ok": true, ...}` or `{"ok": false, "error"}`.

    `accept(token)` (when given) says whether a token is valid; without it any token is.
    """
    handler = handlers.get(method)
    if handler is None:
        return {"ok": False, "error": "unknown_method"}
    if method not in TOKENLESS:
        if token is None:
            return {"ok": False, "error": "not_authed"}
        if accept is not None and not accept(token):
            return {"ok": False, "error": "invalid_auth"}
    try:
        return {"ok": True, **handler(params)}
    except SlackError as error:
        return {"ok": False, "error": error.error}


# Slack answers a download without a valid token with its sign-in page, not a 401.
LOGIN_PAGE = "<!DOCTYPE html><html><body>Sign in to your workspace</body></html>"


def bearer(request: web.Request) -> str | None:
    """The token of `Authorization: Bearer …`, if any."""
    auth = request.headers.get("Authorization", "")
    return auth[len("Bearer "):] or None if auth.startswith("Bearer ") else None


def download(state: SlackState, request: web.Request, *,
             accept: Callable[[str], bool] | None = None) -> web.Response:
    """GET `<file_url><id>/<name>`: the file's bytes, for a request with a valid token."""
    token = bearer(request)
    if token is None or (accept is not None and not accept(token)):
        return web.Response(text=LOGIN_PAGE, content_type="text/html")
    try:
        shown, data = state.file_content(request.match_info["file_id"])
    except SlackError:
        return web.Response(status=404, text="file not found")
    return web.Response(body=data, content_type=shown.get("mimetype") or
                        "application/octet-stream")


async def upload(state: SlackState, request: web.Request) -> web.Response:
    """POST `<file_url>upload/<id>`: the bytes of an upload files.getUploadURLExternal began."""
    data = await request.read()
    try:
        state.receive_upload(request.match_info["file_id"], data)
    except SlackError:
        return web.Response(status=404, text="no such upload")
    return web.Response(text=f"OK - {len(data)}")
