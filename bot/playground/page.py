"""What the page shows a person, and what it does when the person acts.

Every act becomes the request Slack would send (`bot.playground.signed`), posted to
deskbot's own `/slack/events` with the playground's signing secret: a message is the
person's message in the channel plus an Events API callback; `/desk …` a slash
command whose answer is shown as Slack shows it (ephemeral, or in the channel); a
click a `block_actions` payload; a modal's submit a `view_submission`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.playground.state import MAX_TEXT, SlackError
from bot.playground.workspace import PEOPLE, as_slack_sends

if TYPE_CHECKING:
    from bot.playground.server import Playground

KNOWN = {p.id: p for p in PEOPLE}


class BadAct(Exception):
    """The page asked for something that cannot be done (stale message, unknown person)."""


class Page:
    """The page's side of the playground."""

    def __init__(self, playground: Playground) -> None:
        self.playground = playground
        self.state = playground.state
        self._ids = itertools.count(1)
        # Trigger ids and response URLs are unique per command, as Slack's are, across
        # restarts too: deskbot keeps a command whose trigger_id it has seen as a replay.
        self._id_base = secrets.token_hex(4)
        # response_url id -> where the request came from (who, channel, message ts)
        self._responses: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------ what a person sees

    def seen_by(self, user: str) -> dict[str, Any]:
        """Everything person `user` sees: channels, messages, pins, ephemerals, home, modal."""
        state = self.state
        dm = f"D{user}"
        state.channel(dm)  # the DM with the bot is always there
        channels = [c for c in state.channels.values() if not c.is_im and not c.is_archived]
        shown: list[dict[str, Any]] = [{"id": c.id, "name": c.name, "is_im": False} for c in
                 sorted(channels, key=lambda c: c.name)]
        shown.append({"id": dm, "name": "deskbot", "is_im": True})
        modal_id = next((view_id for view_id, owner in reversed(state.view_owners.items())
                         if owner == user and view_id in state.views), None)
        return {
            "version": self.playground.version,
            "team": {"id": state.bot.team_id, "name": state.bot.team},
            "bot": {"id": state.bot.user_id, "name": "deskbot"},
            "me": user,
            "people": [{"id": p.id, "name": p.name, "real_name": p.real_name, "role": p.role,
                        "initials": p.initials, "color": p.color} for p in PEOPLE],
            "users": {u.id: u.real_name for u in state.users.values()},
            "channels": shown,
            "messages": {c["id"]: state.messages.get(c["id"], []) for c in shown},
            "pins": {c["id"]: state.pinned.get(c["id"], []) for c in shown},
            "ephemerals": state.ephemerals.get(user, []),
            "home": state.homes.get(user),
            "modal": state.views.get(modal_id) if modal_id else None,
        }

    # ------------------------------------------------------------ acting

    async def act(self, request: web.Request) -> web.Response:
        """POST /playground/act: one thing the person did (JSON); answers what came back."""
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise BadAct("expected a JSON object")
            user = body.get("user")
            if user not in KNOWN:
                raise BadAct("unknown person")
            kind: Any = body.get("kind")  # any JSON value; only the acts below are known
            handler = {"message": self._message, "command": self._command,
                       "action": self._action, "home": self._home,
                       "submit": self._submit, "close": self._close}.get(kind)
            if handler is None:
                raise BadAct(f"unknown act {kind!r}")
            answer = await handler(user, body)
        except RecursionError:  # JSON nested deeper than the parser goes
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        except (BadAct, ValueError, SlackError) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        self.playground.changed()
        return web.json_response({"ok": True, **answer})

    def _ts(self) -> str:
        return self.state.next_ts()

    def _trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.{self._id_base}.playground"
        self.state.triggers[trigger] = user
        return trigger

    def _response_url(self, user: str, channel: str | None, ts: str | None) -> str:
        key = f"{self._id_base}{next(self._ids)}"
        self._responses[key] = {"user": user, "channel": channel, "ts": ts}
        return f"{self.playground.api_url}response/{key}"

    async def _send(self, signed: Any) -> tuple[int, str]:
        status, text = await self.playground.send(signed.body, signed.headers)
        if status != 200:
            raise BadAct(f"deskbot answered HTTP {status}")
        return status, text

    async def _message(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel") or "")
        text = str(body.get("text") or "").strip()
        files = self._files(user, body.get("files"))
        if not channel or not (text or files):
            raise BadAct("a message needs a channel and text or a file")
        if len(text) > MAX_TEXT:  # Slack's own composer refuses it
            raise BadAct(f"msg_too_long: Slack takes at most {MAX_TEXT:,} characters")
        thread_ts = body.get("thread_ts") or None
        if channel.startswith("D") and channel != f"D{user}":
            raise BadAct("that is someone else's DM")
        typed = as_slack_sends(text, self.state)
        ts = self.state.add_person_message(channel, typed, user=user, thread_ts=thread_ts)
        if files:
            self.state.find(channel, ts).update(subtype="file_share", files=files)
        self.playground.changed()
        event = self.playground.requests.message_event(user, channel, typed, ts,
                                                       thread_ts=thread_ts, files=files)
        await self._send(self.playground.requests.event(event))
        return {"ts": ts}

    def _files(self, user: str, given: Any) -> list[dict[str, Any]]:
        """Files the person attached: `[{name, mimetype, content: base64}]` -> Slack's
        file objects, their bytes kept by the workspace."""
        if not given:
            return []
        if not isinstance(given, list) or len(given) > 10:
            raise BadAct("files is a list of at most 10 {name, mimetype, content}")
        shared = []
        for item in given:
            if not isinstance(item, dict) or not item.get("name"):
                raise BadAct("each file needs a name and base64 content")
            try:
                content = base64.b64decode(str(item.get("content") or ""), validate=True)
            except (binascii.Error, ValueError) as error:
                raise BadAct("a file's content is not base64") from error
            shared.append(self.state.add_file(
                str(item["name"])[:255], content, user=user,
                mimetype=str(item.get("mimetype") or "application/octet-stream")))
        return shared

    async def _command(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel") or f"D{user}")
        text = str(body.get("text") or "")
        found = self.state.channel(channel)
        signed = self.playground.requests.command(
            user, KNOWN[user].name, as_slack_sends(text, self.state), channel=channel,
            channel_name="directmessage" if found.is_im else found.name,
            response_url=self._response_url(user, channel, None),
            trigger_id=self._trigger(user))
        _, answer = await self._send(signed)
        if answer.strip():
            try:
                shown = json.loads(answer)
            except ValueError:
                shown = {"text": answer}
            self._show(user, channel, shown, thread_ts=body.get("thread_ts"))
        return {}

    def _show(self, user: str, channel: str, message: dict[str, Any], *,
              thread_ts: str | None = None) -> None:
        """An answer to one person: ephemeral unless it says in_channel."""
        params = {"channel": channel, "text": message.get("text") or "",
                  "blocks": message.get("blocks")}
        if thread_ts:
            params["thread_ts"] = thread_ts
        if message.get("response_type") == "in_channel":
            self.state.chat_post_message(params)
        else:
            self.state.chat_post_ephemeral({**params, "user": user})

    def respond(self, key: str, params: dict[str, Any]) -> None:
        """A POST to a response_url deskbot was given."""
        origin = self._responses.get(key)
        if origin is None:
            raise SlackError("expired_url")
        channel, ts = origin["channel"], origin["ts"]
        if params.get("delete_original") and ts:
            self.state.chat_delete({"channel": channel, "ts": ts})
        elif params.get("replace_original") in (True, "true") and ts:
            self.state.chat_update({"channel": channel, "ts": ts, **{
                k: params[k] for k in ("text", "blocks") if k in params}})
        else:
            self._show(origin["user"], channel, params)

    async def _home(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        requests = self.playground.requests
        await self._send(requests.event(requests.home_opened_event(user, self._ts())))
        return {}

    def _person(self, user: str) -> dict[str, Any]:
        return {"id": user, "name": KNOWN[user].name, "username": KNOWN[user].name,
                "team_id": self.state.bot.team_id}

    async def _action(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        requests = self.playground.requests
        where = body.get("where")
        if where == "message":
            channel = str(body.get("channel") or "")
            message = self.state.find(channel, body.get("ts"))
            block_id, element = _element(message, body)
            action = self._action_of(element, block_id, body)
            payload = requests.message_actions(
                self._person(user), message, channel, action,
                trigger_id=self._trigger(user),
                response_url=self._response_url(user, channel, message["ts"]))
        elif where == "ephemeral":
            channel = str(body.get("channel") or "")
            found = next((m for m in self.state.ephemerals.get(user, [])
                          if m["ts"] == body.get("ts")), None)
            if found is None:
                raise BadAct("that message is gone")
            message = found
            block_id, element = _element(message, body)
            action = self._action_of(element, block_id, body)
            payload = requests.message_actions(
                self._person(user), {"ts": message["ts"]}, channel, action,
                trigger_id=self._trigger(user),
                response_url=self._response_url(user, channel, None), is_ephemeral=True)
            payload.pop("message")
        elif where in ("home", "modal"):
            view = (self.state.homes.get(user) if where == "home"
                    else self.state.views.get(str(body.get("view_id"))))
            if view is None:
                raise BadAct("that view is gone")
            block_id, element = _element(view, body)
            action = self._action_of(element, block_id, body)
            payload = requests.view_actions(self._person(user), view, action,
                                            trigger_id=self._trigger(user))
        else:
            raise BadAct("an action is in a message, an ephemeral message, home or a modal")
        await self._send(requests.interaction(payload))
        return {}

    def _action_of(self, element: dict[str, Any], block_id: str | None,
                   body: dict[str, Any]) -> dict[str, Any]:
        option = body.get("option")
        option_text = None
        if option is not None:
            option = str(option)
            option_text = _option_text(element, option)
        return self.playground.requests.action(element, block_id, self._ts(),
                                               option=option, option_text=option_text)

    async def _submit(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        view_id = str(body.get("view_id") or "")
        view = self.state.views.get(view_id)
        if view is None or self.state.view_owners.get(view_id) != user:
            raise BadAct("that modal is gone")
        values = body.get("values")
        if not isinstance(values, dict):
            values = {}
        requests = self.playground.requests
        _, answer = await self._send(requests.interaction(requests.view_submission(
            self._person(user), view, values, trigger_id=self._trigger(user))))
        shown = json.loads(answer) if answer.strip() else {}
        if shown.get("response_action") == "errors":
            return {"errors": shown.get("errors") or {}}
        self._forget_view(view_id)
        return {}

    async def _close(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        view_id = str(body.get("view_id") or "")
        if self.state.view_owners.get(view_id) == user:
            self._forget_view(view_id)
        return {}

    def _forget_view(self, view_id: str) -> None:
        self.state.views.pop(view_id, None)
        self.state.view_owners.pop(view_id, None)


def _element(container: dict[str, Any], body: dict[str, Any]) -> tuple[str | None,
                                                                        dict[str, Any]]:
    """The element the page points at: blocks[block], then elements[element] or accessory."""
    try:
        block = (container.get("blocks") or [])[int(body.get("block", -1))]
        index: Any = body.get("element")  # "accessory" or an element's number
        if index == "accessory":
            element = block["accessory"]
        else:
            element = block["elements"][int(index)]
    except (IndexError, KeyError, TypeError, ValueError):
        raise BadAct("that control is gone (the message changed)") from None
    if element.get("action_id") != body.get("action_id"):
        raise BadAct("that control is gone (the message changed)")
    return block.get("block_id"), element


def _option_text(element: dict[str, Any], value: str) -> str | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return (option.get("text") or {}).get("text")
    return None
