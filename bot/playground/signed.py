"""The requests Slack sends to `/slack/events`, built and signed as Slack signs them.

The playground's page and the tests' Slack stand-in (`tests/slack/harness.py`) both
use these, so what a click in the browser sends is what the tests send: an Events API
callback (JSON), a slash command (form), or an interactivity payload (form with a
`payload` JSON field), each with `X-Slack-Request-Timestamp` and `X-Slack-Signature`
(v0 HMAC-SHA256 of `v0:timestamp:body` with the signing secret).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class SignedRequest:
    """A body and the headers (content type and signature) to POST it with."""

    body: str
    headers: dict[str, str]


class SlackRequests:
    """Builds signed Slack requests for one workspace (team) and app."""

    def __init__(self, signing_secret: str, team_id: str, *, team_domain: str = "acme",
                 api_app_id: str = "A1", bot_user_id: str = "UBOT") -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self._verifier = SignatureVerifier(signing_secret)
        # Event ids never repeat, not even across restarts of the playground: deskbot
        # takes an id it has stored for a retry. A random part per instance, a count within.
        self._event_ids = itertools.count(1)
        self._event_id_base = secrets.token_hex(5).upper()

    # ------------------------------------------------------------ signing

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """The signature headers Slack would send with `body`."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = self._verifier.generate_signature(timestamp=stamp, body=body)
        assert signature is not None  # None only without a timestamp
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    def signed(self, body: str, content_type: str, *, headers: dict[str, str] | None = None,
               sign: bool = True) -> SignedRequest:
        """`body` with its content type, signature (unless `sign=False`) and `headers`."""
        return SignedRequest(body, {"Content-Type": content_type,
                                    **(self.sign(body) if sign else {}), **(headers or {})})

    # ------------------------------------------------------------ Events API

    def next_event_id(self) -> str:
        """A new event id, unique across instances (and so across restarts)."""
        return f"Ev{self._event_id_base}{next(self._event_ids):06d}"

    def event(self, event: dict[str, Any], *, event_id: str | None = None,
              retry_num: int | None = None) -> SignedRequest:
        """An `event_callback` carrying `event` (a retry when `retry_num` is given)."""
        body = json.dumps({
            "token": "legacy", "team_id": self.team_id, "api_app_id": self.api_app_id,
            "type": "event_callback",
            "event_id": event_id or self.next_event_id(),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.bot_user_id,
                                "is_bot": True}],
            "event": event,
        })
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num),
                       "X-Slack-Retry-Reason": "http_timeout"}
        return self.signed(body, JSON, headers=headers)

    @staticmethod
    def message_event(user: str, channel: str, text: str, ts: str, *,
                      thread_ts: str | None = None,
                      files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A person's `message` event (a DM when `channel` starts with D); with `files`
        (Slack file objects), a `file_share` as Slack sends it."""
        event: dict[str, Any] = {
            "type": "message", "channel_type": "im" if channel.startswith("D") else "channel",
            "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if files:
            event["subtype"] = "file_share"
            event["files"] = files
            event["upload"] = False
        return event

    @staticmethod
    def home_opened_event(user: str, event_ts: str) -> dict[str, Any]:
        """The person opened the bot's home tab."""
        return {"type": "app_home_opened", "user": user, "tab": "home",
                "channel": f"D{user}", "event_ts": event_ts}

    # ------------------------------------------------------------ slash commands

    def command(self, user: str, user_name: str, text: str, *, channel: str,
                channel_name: str, response_url: str, trigger_id: str,
                command: str = "/desk") -> SignedRequest:
        """A slash command, form-encoded as Slack posts it."""
        form = {"token": "legacy", "team_id": self.team_id, "team_domain": self.team_domain,
                "channel_id": channel, "channel_name": channel_name, "user_id": user,
                "user_name": user_name, "command": command, "text": text,
                "api_app_id": self.api_app_id, "response_url": response_url,
                "trigger_id": trigger_id}
        return self.signed(urllib.parse.urlencode(form), FORM)

    # ------------------------------------------------------------ interactivity

    def interaction(self, payload: dict[str, Any]) -> SignedRequest:
        """An interactivity payload (block_actions, view_submission, shortcut)."""
        payload = {"team": {"id": self.team_id, "domain": self.team_domain},
                   "api_app_id": self.api_app_id, "token": "legacy", **payload}
        return self.signed(urllib.parse.urlencode({"payload": json.dumps(payload)}), FORM)

    @staticmethod
    def action(element: dict[str, Any], block_id: str | None, action_ts: str, *,
               value: str | None = None, option: str | None = None,
               option_text: str | None = None) -> dict[str, Any]:
        """One entry of `actions`: a button's value, or the option chosen in a select."""
        action: dict[str, Any] = {"action_id": element.get("action_id"), "block_id": block_id,
                                  "type": element.get("type"), "action_ts": action_ts}
        kind = element.get("type")
        if option is not None and kind == "users_select":
            action["selected_user"] = option
        elif option is not None and kind == "conversations_select":
            action["selected_conversation"] = option
        elif option is not None and kind == "datetimepicker":  # option: the Unix time
            if option.isascii() and option.isdigit():
                action["selected_date_time"] = int(option)
        elif option is not None:
            action["selected_option"] = {
                "text": {"type": "plain_text", "text": option_text or option},
                "value": option}
        else:
            action["value"] = element.get("value", value)
        return action

    @staticmethod
    def message_actions(user: dict[str, Any], message: dict[str, Any], channel: str,
                        action: dict[str, Any], *, trigger_id: str, response_url: str,
                        is_ephemeral: bool = False) -> dict[str, Any]:
        """A `block_actions` payload for a click in a message."""
        return {"type": "block_actions", "user": user,
                "container": {"type": "message", "message_ts": message.get("ts"),
                              "channel_id": channel, "is_ephemeral": is_ephemeral},
                "channel": {"id": channel}, "message": message, "actions": [action],
                "trigger_id": trigger_id, "response_url": response_url}

    @staticmethod
    def view_actions(user: dict[str, Any], view: dict[str, Any], action: dict[str, Any], *,
                     trigger_id: str) -> dict[str, Any]:
        """A `block_actions` payload for a click in a view (home tab or modal)."""
        view_id = view.get("id") or "V1"
        return {"type": "block_actions", "user": user,
                "container": {"type": "view", "view_id": view_id},
                "view": {"id": view_id, "type": view.get("type", "home"),
                         "blocks": view.get("blocks", []),
                         "private_metadata": view.get("private_metadata", ""),
                         "callback_id": view.get("callback_id", ""),
                         "state": {"values": {}}},
                "actions": [action], "trigger_id": trigger_id}

    @staticmethod
    def view_submission(user: dict[str, Any], view: dict[str, Any],
                        values: dict[str, dict[str, Any]], *,
                        trigger_id: str) -> dict[str, Any]:
        """A modal's `view_submission`, with its inputs' `state.values`."""
        shown = dict(view)
        shown["state"] = {"values": values}
        return {"type": "view_submission", "user": user, "view": shown,
                "trigger_id": trigger_id}


def find_element(message: dict[str, Any], action_id: str,
                 value: str | None = None) -> tuple[str | None, dict[str, Any]]:
    """The (block_id, element) with `action_id` (and `value`, when given) in `message`.

    Raises `LookupError` when there is none.
    """
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        if block.get("element"):
            elements.append(block["element"])
        for element in elements:
            if element.get("action_id") == action_id and (
                    value is None or element.get("value") == value):
                return block.get("block_id"), element
    raise LookupError(f"no {action_id} (value {value!r}) in message: "
                      f"{json.dumps(message)[:2000]}")
