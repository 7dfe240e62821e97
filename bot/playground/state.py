"""What a local Slack workspace holds, and how each Web API method changes it.

`SlackState` is plain data plus one handler per Web API method; it knows nothing of
HTTP (that is `bot.playground.webapi`, served by the playground and by the tests'
`tests/fakes/slack_api.FakeSlackApi`: one implementation, so the two cannot drift).
A handler takes the decoded parameters and returns Slack's JSON answer, or raises
`SlackError` for an `{"ok": false}` answer. Channels are permissive the way a test
wants: an unknown channel id is taken as a channel the bot is in, unless it was
declared with `is_member=False` or `is_archived=True`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

# Slack's own limits that the fake enforces (PLATFORM_NOTES.md).
MAX_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


class SlackError(Exception):
    """An `{"ok": false, "error": ...}` answer."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class User:
    """A person (or bot) in the fake workspace, as users.info tells it."""

    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "Asia/Jerusalem"
    is_bot: bool = False
    deleted: bool = False

    def as_slack(self, team_id: str) -> dict[str, Any]:
        """The `user` object of users.info."""
        return {
            "id": self.id, "team_id": team_id, "name": self.name, "real_name": self.real_name,
            "deleted": self.deleted, "is_admin": self.is_admin, "is_owner": self.is_owner,
            "is_bot": self.is_bot, "tz": self.tz, "locale": "en-US",
            "profile": {"real_name": self.real_name, "display_name": self.name},
        }


@dataclass
class Channel:
    """A conversation: public/private channel (C…/G…) or a DM (D…)."""

    id: str
    name: str
    is_member: bool = True
    is_archived: bool = False
    is_im: bool = False
    user: str | None = None  # the other person of a DM

    def as_slack(self) -> dict[str, Any]:
        """The `channel` object of conversations.info / open / join."""
        shown: dict[str, Any] = {"id": self.id, "name": self.name, "is_member": self.is_member,
                                 "is_archived": self.is_archived, "is_im": self.is_im,
                                 "is_channel": not self.is_im}
        if self.user:
            shown["user"] = self.user
        return shown


@dataclass
class Bot:
    """Who the token belongs to (auth.test)."""

    team_id: str = "T1"
    team: str = "Acme"
    user_id: str = "UBOT"
    bot_id: str = "BBOT"
    url: str = "https://acme.slack.com/"
    app_id: str = "A1"  # the app the bot belongs to (bots.info)


@dataclass
class SlackState:
    """Everything the fake workspace holds; see the module docstring."""

    bot: Bot = field(default_factory=Bot)
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    # channel -> messages in the order they were posted (replies carry thread_ts)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pinned: dict[str, list[str]] = field(default_factory=dict)  # channel -> pinned ts
    ephemerals: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by user
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> published view
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # view id -> modal
    # trigger_id -> who clicked (set by whoever sends the interaction); a modal opened
    # with that trigger belongs to that person: view id -> user id.
    triggers: dict[str, str] = field(default_factory=dict)
    view_owners: dict[str, str] = field(default_factory=dict)
    oauth_answer: dict[str, Any] | None = None
    validate_blocks: bool = True
    # Wall-clock seconds for message ts (the playground); None: a fixed, counted base.
    wall_clock: Callable[[], float] | None = None
    _last_ts: int = 0
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _view_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------ helpers

    def next_ts(self) -> str:
        """A message ts, unique and increasing (as strings and as numbers)."""
        if self.wall_clock is not None:
            micros = max(int(self.wall_clock() * 1_000_000), self._last_ts + 1)
            self._last_ts = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        n = next(self._ts)
        return f"{1_700_000_000 + n // 10_000}.{(n % 10_000) * 100:06d}"

    def channel(self, channel_id: str | None) -> Channel:
        """The channel with this id; unknown ids become channels the bot is in."""
        if not channel_id:
            raise SlackError("channel_not_found")
        found = self.channels.get(channel_id)
        if found is None:
            is_im = channel_id.startswith("D")
            found = Channel(channel_id, channel_id.lower(), is_im=is_im,
                            user=channel_id[1:] if is_im else None)
            self.channels[channel_id] = found
        return found

    def find(self, channel_id: str, ts: str | None) -> dict[str, Any]:
        """The message `ts` of `channel_id` as it is now."""
        for message in self.messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    def add_person_message(self, channel: str, text: str, *, user: str,
                           ts: str | None = None, thread_ts: str | None = None) -> str:
        """A person's own message (as a Slack client would post it); returns its ts."""
        ts = ts or self.next_ts()
        message = {"type": "message", "channel": channel, "ts": ts, "text": text,
                   "user": user}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages.setdefault(channel, []).append(message)
        return ts

    def _check_blocks(self, blocks: Any, limit: int) -> list[dict[str, Any]] | None:
        if blocks in (None, "", []):
            return None
        if not isinstance(blocks, list) or len(blocks) > limit:
            raise SlackError("invalid_blocks")
        if self.validate_blocks:
            for block in blocks:
                if not isinstance(block, dict):
                    raise SlackError("invalid_blocks")
                try:
                    parsed = Block.parse(block)
                    if parsed is None:
                        raise SlackError("invalid_blocks")
                    parsed.validate_json()
                except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
                    raise SlackError("invalid_blocks") from exc
        return blocks

    def _message_body(self, params: dict[str, Any]) -> tuple[str, list[dict] | None]:
        text = params.get("text") or ""
        if not isinstance(text, str):
            text = str(text)
        blocks = self._check_blocks(params.get("blocks"), MAX_MESSAGE_BLOCKS)
        if not text and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        return text, blocks

    def _writable(self, channel_id: str | None) -> Channel:
        channel = self.channel(channel_id)
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.is_member:
            raise SlackError("not_in_channel")
        return channel

    # ------------------------------------------------------------ methods

    def auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.bot.url, "team": self.bot.team, "user": "deskbot",
                "team_id": self.bot.team_id, "user_id": self.bot.user_id,
                "bot_id": self.bot.bot_id, "is_enterprise_install": False}

    def bots_info(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("bot") != self.bot.bot_id:
            raise SlackError("bot_not_found")
        return {"bot": {"id": self.bot.bot_id, "deleted": False, "name": "deskbot",
                        "app_id": self.bot.app_id, "user_id": self.bot.user_id}}

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.as_slack(self.bot.team_id)}

    def conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": self.channel(params["channel"]).as_slack()}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise SlackError("users_list_not_supplied" if not users else "not_supported")
        user = self.users.get(users[0])
        if user is not None and user.is_bot:
            raise SlackError("cannot_dm_bot")
        if user is not None and user.deleted:
            raise SlackError("user_disabled")
        channel = self.channel("D" + users[0])
        answer: dict[str, Any] = {"channel": {"id": channel.id}}
        if params.get("return_im") in (True, "true", "1"):
            answer["channel"] = channel.as_slack()
        return answer

    def conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(params.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        channel.is_member = True
        return {"channel": channel.as_slack()}

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.channel(params.get("channel")).as_slack()}

    def chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        text, blocks = self._message_body(params)
        ts = self.next_ts()
        message: dict[str, Any] = {"type": "message", "channel": channel.id, "ts": ts,
                                   "text": text, "user": self.bot.user_id,
                                   "bot_id": self.bot.bot_id}
        if blocks:
            message["blocks"] = blocks
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        self.messages.setdefault(channel.id, []).append(message)
        return {"channel": channel.id, "ts": ts, "message": dict(message)}

    def chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(params.get("channel"))
        message = self.find(channel.id, params.get("ts"))
        text, blocks = self._message_body(params)
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        elif "blocks" in params:
            message.pop("blocks", None)  # blocks=[] clears them
        message["edited"] = {"user": self.bot.user_id, "ts": self.next_ts()}
        return {"channel": channel.id, "ts": message["ts"], "text": text,
                "message": dict(message)}

    def chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(params.get("channel"))
        message = self.find(channel.id, params.get("ts"))
        self.messages[channel.id].remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        if not params.get("user"):
            raise SlackError("user_not_found")
        text, blocks = self._message_body(params)
        ts = self.next_ts()
        shown = {"channel": channel.id, "user": params["user"], "text": text, "ts": ts,
                 "blocks": blocks or [], "thread_ts": params.get("thread_ts")}
        self.ephemerals.setdefault(str(params["user"]), []).append(shown)
        return {"message_ts": ts}

    def chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(params.get("channel"))
        message = self.find(channel.id, params.get("message_ts"))
        link = f"{self.bot.url}archives/{channel.id}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts"):
            link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def pins_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(params.get("channel"))
        message = self.find(channel.id, params.get("timestamp"))
        pins = self.pinned.setdefault(channel.id, [])
        if message["ts"] in pins:
            raise SlackError("already_pinned")
        pins.append(message["ts"])
        return {}

    def pins_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(params.get("channel"))
        pins = self.pinned.setdefault(channel.id, [])
        if params.get("timestamp") not in pins:
            raise SlackError("no_pin")
        pins.remove(params["timestamp"])
        return {}

    def _view(self, view: Any, *, home: bool = False) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in (
                ("home",) if home else ("modal",)):
            raise SlackError("invalid_arguments")
        self._check_blocks(view.get("blocks") or [], MAX_VIEW_BLOCKS)
        shown = dict(view)
        shown["id"] = f"V{next(self._view_ids):08d}"
        return shown

    def views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id"):
            raise SlackError("invalid_arguments")
        shown = self._view(params.get("view"), home=True)
        self.homes[str(params["user_id"])] = shown
        return {"view": shown}

    def views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        shown = self._view(params.get("view"))
        self.views[shown["id"]] = shown
        owner = self.triggers.pop(str(params["trigger_id"]), None)
        if owner is not None:
            self.view_owners[shown["id"]] = owner
        return {"view": shown}

    def views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id:
            view_id = next((k for k, v in self.views.items()
                            if params.get("external_id")
                            and v.get("external_id") == params["external_id"]), None)
        if view_id not in self.views:
            raise SlackError("not_found")
        shown = self._view(params.get("view"))
        shown["id"] = view_id
        self.views[view_id] = shown
        return {"view": shown}

    def oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.oauth_answer is not None:
            return dict(self.oauth_answer)
        if not params.get("code"):
            raise SlackError("invalid_code")
        return {"app_id": "A1", "authed_user": {"id": "UINSTALLER"},
                "scope": "chat:write,im:history", "token_type": "bot",
                "access_token": "xoxb-fake-installed", "bot_user_id": self.bot.user_id,
                "team": {"id": self.bot.team_id, "name": self.bot.team},
                "enterprise": None, "is_enterprise_install": False}

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        """Web API method name -> handler."""
        return {
            "auth.test": self.auth_test, "bots.info": self.bots_info,
            "users.info": self.users_info,
            "conversations.open": self.conversations_open,
            "conversations.join": self.conversations_join,
            "conversations.info": self.conversations_info,
            "chat.postMessage": self.chat_post_message, "chat.update": self.chat_update,
            "chat.delete": self.chat_delete, "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "pins.add": self.pins_add, "pins.remove": self.pins_remove,
            "views.publish": self.views_publish, "views.open": self.views_open,
            "views.update": self.views_update, "oauth.v2.access": self.oauth_v2_access,
        }
