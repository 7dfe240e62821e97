"""What `/slack/events` checks before bolt sees a request.

In order: the size; the timestamp (ASCII digits) and the v0 signature over the raw
bytes; UTF-8; the body's shape (a JSON object, a form, or a form whose `payload` is
a JSON object, with the fields deskbot's listeners read of the right types); the
workspace and app (ours: the team `auth.test` names and our app id, or in OAuth mode
a team that installed deskbot); and a replay, the same signature and timestamp seen
in the last five minutes (for an event, with the same retry number: `replay_key`),
kept in the database so every replica knows it. Each refusal
is a 4xx and one log line, never a traceback; a replay gets an empty 200 and runs
nothing. Slack's unsigned `ssl_check` is answered 200 first, as bolt does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt.request.internals import extract_enterprise_id, extract_team_id
from sqlalchemy import delete

from storage import ledger
from storage.database import Database
from storage.models import ProcessedInbound

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are a few KB; a modal's state well under 1 MB
REPLAY_WINDOW = timedelta(minutes=5)  # Slack refuses older timestamps itself (bolt too)
REPLAY_PLATFORM = "slack-replay"  # its rows in processed_inbound: the signatures seen
PURGE_EVERY_SECONDS = 60.0
# Without a team to check: Slack's URL check when the Request URL is saved.
NO_TEAM_TYPES = frozenset({"url_verification", "ssl_check"})


def replay_key(body: Mapping[str, Any], headers: Mapping[str, str], stamp: str,
               signature: str) -> str:
    """What a replay repeats: the timestamp and signature; for an event, its retry number too.

    Slack's first retry of an event comes almost at once, often within the same second,
    so with the same body and signature. When the first try was recorded and then lost
    (its replica killed before the delivery was stored), that retry must run: an event's
    retry (`X-Slack-Retry-Num`, which the signature does not cover) gets its own key,
    and the inbox, which knows each event by its id and payload, drops a true repeat.
    Commands and clicks are never retried by Slack: their key stays the signature's.
    """
    key = f"{stamp}:{signature}"
    retry = headers.get("X-Slack-Retry-Num", "")
    if body.get("type") == "event_callback" and retry.isascii() and retry.isdigit() \
            and len(retry) <= 3:
        key += f":retry{retry}"
    return key


@dataclass(frozen=True)
class Refusal:
    """A request turned away: the HTTP status, and why (for the log line)."""

    status: int
    reason: str


@dataclass(frozen=True)
class SslCheck:
    """Slack's `ssl_check` of a slash command's URL: answered 200 empty, as bolt does
    (before any signature check), and nothing runs."""


@dataclass(frozen=True)
class Identity:
    """Who we are on Slack: our team (or Grid org), and our app when known."""

    team_id: str | None
    enterprise_id: str | None
    enterprise_install: bool
    app_id: str | None


@dataclass(frozen=True)
class Passed:
    """A request that may go on to bolt: its parsed body and its replay key."""

    body: dict[str, Any]
    replay_key: str


Learn = Callable[[], Awaitable[Identity]]
# OAuth mode: the app id of deskbot's installation in (enterprise_id, team_id); True when
# installed with no app id recorded, False when not installed.
Installed = Callable[[str | None, str], Awaitable[str | bool | None]]


def parse(text: str, content_type: str) -> dict[str, Any] | Refusal:
    """The body as bolt will read it (`slack_bolt.request.internals.parse_body`)."""
    try:
        if content_type == "application/json" or text.startswith("{"):
            body = json.loads(text)
        else:
            form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True,
                                               max_num_fields=200))
            body = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):  # not JSON, or nested beyond what it can read
        return Refusal(400, "the body cannot be read (JSON or form)")
    if not isinstance(body, dict):
        return Refusal(400, f"the body is a JSON {type(body).__name__}, not an object")
    return body


def _strings(where: Mapping[str, Any], names: tuple[str, ...], what: str, *,
             required: bool = False) -> str | None:
    for name in names:
        value = where.get(name)
        if value is None and not required:
            continue
        if not isinstance(value, str) or (required and not value):
            return f"{what} has no {name}" if value is None else f"{what}'s {name} is not text"
    return None


def shape_problem(body: dict[str, Any]) -> str | None:
    """What in `body` deskbot's listeners could not read, or None."""
    kind = body.get("type")
    if "command" in body:  # a slash command (form fields are always strings)
        return _strings(body, ("command", "user_id", "channel_id"), "the command",
                        required=True)
    if not isinstance(kind, str):
        return "the body has no type"
    if kind in NO_TEAM_TYPES:
        return None
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "the event_callback has no event"
        if body.get("authorizations") is not None and not isinstance(
                body["authorizations"], list):
            return "the event_callback's authorizations is not a list"
        if event["type"] not in ("message", "app_home_opened"):
            return None  # not one deskbot reads
        problem = _strings(event, ("user", "channel", "text", "ts", "thread_ts", "subtype",
                                   "channel_type", "bot_id", "tab"), "the event")
        if problem:
            return problem
        if event["type"] == "app_home_opened":
            return _strings(event, ("user",), "the event", required=True)
        if event.get("user") and not event.get("subtype") and not event.get("bot_id"):
            return _strings(event, ("user", "channel", "ts"), "the message", required=True)
        return None
    if kind in ("block_actions", "view_submission", "view_closed", "shortcut",
                "message_action", "block_suggestion"):
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
            return f"the {kind} has no user"
        for name in ("team", "channel", "container", "message", "view", "state"):
            if body.get(name) is not None and not isinstance(body[name], dict):
                return f"the {kind}'s {name} is not an object"
        for name, fields in (("message", ("ts", "text", "user", "thread_ts", "bot_id")),
                             ("channel", ("id", "name")),
                             ("container", ("type", "channel_id", "message_ts", "thread_ts",
                                            "view_id")),
                             ("team", ("id", "domain"))):
            problem = _strings(body.get(name) or {}, fields, f"the {kind}'s {name}")
            if problem:
                return problem
        problem = _strings(body, ("callback_id", "trigger_id", "response_url"), f"the {kind}",
                           required=False)
        if not problem and kind in ("shortcut", "message_action"):
            problem = _strings(body, ("callback_id", "trigger_id"), f"the {kind}",
                               required=True)
        if problem:
            return problem
        actions = body.get("actions")
        if kind == "block_actions" and not (isinstance(actions, list) and actions and all(
                isinstance(action, dict) for action in actions)):
            return "the block_actions has no actions"
        for action in actions or []:
            problem = _action_problem(action)
            if problem:
                return problem
        if kind in ("view_submission", "view_closed") and not isinstance(body.get("view"),
                                                                         dict):
            return f"the {kind} has no view"
        if isinstance(body.get("view"), dict):
            return _view_problem(body["view"])
        return None
    return None


def _action_problem(action: dict[str, Any], *, clicked: bool = True) -> str | None:
    """What in one `actions` entry (or a view's input, `clicked=False`) a listener could
    not read, or None."""
    if clicked and (not isinstance(action.get("action_id"), str) or not action["action_id"]):
        return "an action has no action_id"
    problem = _strings(action, ("action_id", "block_id", "value", "action_ts", "type",
                                "selected_user", "selected_conversation",
                                "selected_channel", "selected_date"), "an action")
    if problem:
        return problem
    option = action.get("selected_option")
    if option is not None and not (isinstance(option, dict)
                                   and isinstance(option.get("value", ""), str)):
        return "an action's selected_option is not an option"
    options = action.get("selected_options")
    if options is not None and not (isinstance(options, list) and all(
            isinstance(o, dict) and isinstance(o.get("value", ""), str) for o in options)):
        return "an action's selected_options are not options"
    return None


def _view_problem(view: dict[str, Any]) -> str | None:
    """What in a view (modal or home tab) a listener could not read, or None."""
    problem = _strings(view, ("id", "type", "callback_id", "private_metadata", "hash"),
                       "the view")
    if problem:
        return problem
    if view.get("type") is None:
        return "the view has no type"
    if "state" not in view:
        return None
    state = view["state"]
    if not isinstance(state, dict):
        return "the view's state is not an object"
    values = state.get("values", {})
    if not isinstance(values, dict) or not all(
            isinstance(block, dict) and all(isinstance(element, dict)
                                            for element in block.values())
            for block in values.values()):
        return "the view's state is not blocks of inputs"
    for block in values.values():
        for element in block.values():
            problem = _action_problem(element, clicked=False)
            if problem:
                return problem.replace("an action", "an input")
    return None


def team_problem(body: dict[str, Any], ours: Identity) -> str | None:
    """Why `body` is not for our workspace and app, or None."""
    if body.get("type") in NO_TEAM_TYPES or body.get("ssl_check"):
        return None
    try:
        team_id = extract_team_id(body)
        enterprise_id = extract_enterprise_id(body)
    except (AttributeError, TypeError, KeyError, IndexError):
        return "the request names no workspace"
    app_id = body.get("api_app_id")
    if ours.app_id is not None and app_id != ours.app_id:
        return f"the request is for app {str(app_id)[:20]!r}, not ours"
    if ours.enterprise_install and ours.enterprise_id:
        if enterprise_id != ours.enterprise_id:
            return f"the request is from org {str(enterprise_id)[:20]!r}, not ours"
        return None
    if ours.team_id is not None and team_id != ours.team_id:
        return f"the request is from workspace {str(team_id)[:20]!r}, not ours"
    return None


class Guard:
    """The checks of one Slack endpoint; see the module docstring.

    `learn` tells our identity (single workspace: asked of Slack once, then kept);
    `installed(enterprise_id, team_id)` answers in OAuth mode instead.
    """

    def __init__(self, signing_secret: str, db: Database, *, learn: Learn | None = None,
                 installed: Installed | None = None, app_id: str | None = None) -> None:
        self._secret = signing_secret.encode()
        self.db = db
        self._learn = learn
        self._installed = installed
        self._app_id = app_id
        self._identity: Identity | None = None
        self._learning = asyncio.Lock()
        self._last_purge = 0.0
        self._seen = ledger.Recorder(db, REPLAY_PLATFORM)

    async def check(self, headers: Mapping[str, str],
                    raw: bytes) -> Passed | Refusal | SslCheck:
        """Everything before the replay: a `Passed` (not yet recorded), a `Refusal`, or
        Slack's `SslCheck`."""
        if len(raw) > MAX_BODY:
            return Refusal(413, "the body is too large")
        if len(raw) < 1024 and raw.startswith((b"ssl_check=1", b"token=")) and \
                urllib.parse.parse_qs(raw.decode("latin-1")).get("ssl_check") == ["1"]:
            return SslCheck()
        stamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            return Refusal(401, "no valid X-Slack-Request-Timestamp")
        if abs(time.time() - int(stamp)) > REPLAY_WINDOW.total_seconds():
            return Refusal(401, "the timestamp is more than five minutes away")
        if not self.signed(raw, stamp, signature):
            return Refusal(401, "the signature does not match")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "the body is not UTF-8")
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = parse(text, content_type)
        if isinstance(body, Refusal):
            return body
        problem = shape_problem(body)
        if problem is not None:
            return Refusal(400, problem)
        refusal = await self._ours(body)
        if refusal is not None:
            return refusal
        return Passed(body, replay_key(body, headers, stamp, signature))

    def signed(self, raw: bytes, stamp: str, signature: str) -> bool:
        """Whether `signature` is Slack's v0 HMAC-SHA256 of `v0:stamp:raw` (raw bytes)."""
        expected = "v0=" + hmac.new(self._secret, b"v0:" + stamp.encode() + b":" + raw,
                                    hashlib.sha256).hexdigest()
        return signature.isascii() and hmac.compare_digest(expected, signature)

    async def _ours(self, body: dict[str, Any]) -> Refusal | None:
        if body.get("type") in NO_TEAM_TYPES or body.get("ssl_check"):
            return None
        if self._installed is not None:
            try:
                team_id = extract_team_id(body)
                enterprise_id = extract_enterprise_id(body)
            except (AttributeError, TypeError, KeyError, IndexError):
                return Refusal(400, "the request names no workspace")
            installed = (await self._installed(enterprise_id, team_id)
                         if isinstance(team_id, str) else False)
            if installed is False:
                return Refusal(403, f"deskbot is not installed in workspace "
                                    f"{str(team_id)[:20]!r}")
            app_id = self._app_id or (installed if isinstance(installed, str) else None)
            ours = Identity(None, None, False, app_id)
        else:
            try:
                ours = await self.identity()
            except Exception as error:  # Slack away: Slack retries a 503
                return Refusal(503, f"cannot learn our workspace from Slack yet "
                                    f"({type(error).__name__})")
        problem = team_problem(body, ours)
        return Refusal(403, problem) if problem else None

    async def identity(self) -> Identity:
        """Our team and app (asked of Slack the first time; kept once known)."""
        if self._identity is None:
            async with self._learning:
                if self._identity is None and self._learn is not None:
                    self._identity = await self._learn()
        return self._identity or Identity(None, None, False, self._app_id)

    # ------------------------------------------------------------ replays

    async def first_time(self, key: str) -> bool:
        """Record `key` (timestamp and signature); False when it was seen already."""
        first = await self._seen.first(key)
        if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            try:
                async with self.db.unit_of_work() as uow:
                    await uow.session.execute(delete(ProcessedInbound).where(
                        ProcessedInbound.platform == REPLAY_PLATFORM,
                        ProcessedInbound.received_at
                        < uow.clock.now() - REPLAY_WINDOW - REPLAY_WINDOW))
                    await uow.commit()
            except Exception:  # recorded already; old rows go at the next purge
                log.exception("slack: could not purge old replay keys")
        return first

    async def forget(self, key: str) -> None:
        """Drop `key` again: the request failed, so Slack's retry must run."""
        async with self.db.unit_of_work() as uow:
            await uow.session.execute(delete(ProcessedInbound).where(
                ProcessedInbound.platform == REPLAY_PLATFORM,
                ProcessedInbound.delivery_id == key))
            await uow.commit()
