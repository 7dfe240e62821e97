"""What a local Slack workspace holds, and how each Web API method changes it.

`SlackState` is plain data plus one handler per Web API method; it knows nothing of
HTTP (that is `bot.playground.webapi`, served by the playground and by the tests'
`tests/fakes/slack_api.FakeSlackApi`: one implementation, so the two cannot drift).
A handler takes the decoded parameters and returns Slack's JSON answer, or raises
`SlackError` for an `{"ok": false}` answer. Channels are permissive the way a test
wants: an unknown channel id is taken as a private channel the bot and everybody are
in, unless it was declared with `is_member=False`, `is_archived=True`,
`is_private=False` (public) or a set of `members`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

# Slack's own limits that the fake enforces (PLATFORM_NOTES.md).
MAX_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_FILE_BYTES = 1024 * 1024 * 1024  # Slack takes files up to 1 GB


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
    locale: str = "en-US"

    def as_slack(self, team_id: str, *, include_locale: bool = True) -> dict[str, Any]:
        """The `user` object of users.info (`locale` only when asked for, as Slack does)."""
        found = {
            "id": self.id, "team_id": team_id, "name": self.name, "real_name": self.real_name,
            "deleted": self.deleted, "is_admin": self.is_admin, "is_owner": self.is_owner,
            "is_bot": self.is_bot, "tz": self.tz,
            "profile": {"real_name": self.real_name, "display_name": self.name},
        }
        if include_locale:
            found["locale"] = self.locale
        return found


@dataclass
class Channel:
    """A conversation: public/private channel (C…/G…) or a DM (D…)."""

    id: str
    name: str
    is_member: bool = True
    is_archived: bool = False
    is_im: bool = False
    user: str | None = None  # the other person of a DM
    is_private: bool = True
    members: list[str] | None = None  # who is in it; None: every user of the workspace

    def as_slack(self) -> dict[str, Any]:
        """The `channel` object of conversations.info / open / join."""
        shown: dict[str, Any] = {"id": self.id, "name": self.name, "is_member": self.is_member,
                                 "is_archived": self.is_archived, "is_im": self.is_im,
                                 "is_channel": not self.is_im,
                                 "is_private": self.is_private or self.is_im}
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
    # Files: id -> the file object Slack shows; id -> its bytes (not kept over a
    # restart); uploads started with files.getUploadURLExternal: id -> its details.
    # `file_url` is where the HTTP side serves `<id>/<name>` and `upload/<id>`.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_url: str = ""
    validate_blocks: bool = True
    # Wall-clock seconds for message ts (the playground); None: a fixed, counted base.
    wall_clock: Callable[[], float] | None = None
    _last_ts: int = 0
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _view_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _file_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

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

    # ------------------------------------------------------------ files

    def add_file(self, name: str, content: bytes, *, mimetype: str = "application/octet-stream",
                 user: str | None = None, title: str | None = None) -> dict[str, Any]:
        """A file a person shared (or an upload completed): its Slack file object."""
        file_id = f"F{next(self._file_ids):08d}"
        while file_id in self.files:
            file_id = f"F{next(self._file_ids):08d}"
        url = f"{self.file_url}{file_id}/{name}"
        shown = {"id": file_id, "name": name, "title": title or name, "mimetype": mimetype,
                 "filetype": name.rsplit(".", 1)[-1].lower() if "." in name else "binary",
                 "size": len(content), "user": user or self.bot.user_id, "mode": "hosted",
                 "url_private": url, "url_private_download": f"{url}?download=1"}
        self.files[file_id] = shown
        self.file_bytes[file_id] = bytes(content)
        return dict(shown)

    def file_content(self, file_id: str) -> tuple[dict[str, Any], bytes]:
        """A file's object and bytes, for a download; SlackError when there are none."""
        if file_id not in self.files or file_id not in self.file_bytes:
            raise SlackError("file_not_found")
        return self.files[file_id], self.file_bytes[file_id]

    def receive_upload(self, file_id: str, data: bytes) -> None:
        """The bytes POSTed to an upload URL."""
        upload = self.uploads.get(file_id)
        if upload is None or upload.get("data") is not None:
            raise SlackError("invalid_upload")
        upload["data"] = bytes(data)

    def files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        shown = self.files.get(str(params.get("file") or ""))
        if shown is None:
            raise SlackError("file_not_found")
        return {"file": dict(shown)}

    def files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length < 1:
            raise SlackError("invalid_arguments")
        if length > MAX_FILE_BYTES:
            raise SlackError("file_too_large")
        file_id = f"F{next(self._file_ids):08d}"
        self.uploads[file_id] = {"filename": filename, "length": length, "data": None}
        return {"upload_url": f"{self.file_url}upload/{file_id}", "file_id": file_id}

    def files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("files")
        if isinstance(wanted, str):
            try:
                wanted = json.loads(wanted)
            except ValueError:
                wanted = None
        if not isinstance(wanted, list) or not wanted:
            raise SlackError("invalid_arguments")
        channel = self._writable(params["channel_id"]) if params.get("channel_id") else None
        done = []
        for item in wanted:
            upload = self.uploads.get(str((item or {}).get("id") or ""))
            if upload is None or upload["data"] is None:
                raise SlackError("file_not_found")
            if len(upload["data"]) != upload["length"]:
                raise SlackError("file_size_mismatch")
        for item in wanted:
            file_id = str(item["id"])
            upload = self.uploads.pop(file_id)
            name = upload["filename"]
            url = f"{self.file_url}{file_id}/{name}"
            shown = {"id": file_id, "name": name, "title": item.get("title") or name,
                     "mimetype": "application/octet-stream", "size": upload["length"],
                     "user": self.bot.user_id, "mode": "hosted", "url_private": url,
                     "url_private_download": f"{url}?download=1"}
            self.files[file_id] = shown
            self.file_bytes[file_id] = upload["data"]
            done.append(shown)
        if channel is not None:
            ts = self.next_ts()
            message: dict[str, Any] = {
                "type": "message", "subtype": "file_share", "channel": channel.id, "ts": ts,
                "text": str(params.get("initial_comment") or ""), "user": self.bot.user_id,
                "bot_id": self.bot.bot_id, "files": [dict(f) for f in done]}
            if params.get("thread_ts"):
                message["thread_ts"] = str(params["thread_ts"])
            self.messages.setdefault(channel.id, []).append(message)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in done]}

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
        asked = str(params.get("include_locale") or "").lower() in ("1", "true")
        return {"user": user.as_slack(self.bot.team_id, include_locale=asked)}

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

    def _visible(self, channel_id: str | None) -> Channel:
        """A channel the bot may read about: public, or private with the bot in it."""
        channel = self.channel(channel_id)
        if channel.is_private and not channel.is_im and not channel.is_member:
            raise SlackError("channel_not_found")
        return channel

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._visible(params.get("channel")).as_slack()}

    def conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        """Member ids a page at a time (`limit`, `cursor`: an offset), as Slack pages them."""
        channel = self._visible(params.get("channel"))
        if channel.is_im:
            members = [self.bot.user_id, *([channel.user] if channel.user else [])]
        elif channel.members is not None:
            members = sorted(channel.members)
        else:
            members = sorted(self.users)
        try:
            limit = max(1, min(int(params.get("limit") or 100), 1000))
            start = int(params.get("cursor") or 0)
        except ValueError as error:
            raise SlackError("invalid_cursor") from error
        page = members[start:start + limit]
        more = start + limit < len(members)
        return {"members": page,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

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
        metadata = params.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict) or not metadata.get("event_type") \
                    or not isinstance(metadata.get("event_payload", {}), dict):
                raise SlackError("invalid_metadata_format")
            message["metadata"] = {"event_type": str(metadata["event_type"]),
                                   "event_payload": dict(metadata.get("event_payload") or {})}
        self.messages.setdefault(channel.id, []).append(message)
        return {"channel": channel.id, "ts": ts, "message": dict(message)}

    def conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """The thread of message `ts`, parent first, oldest first (`oldest`, `limit`,
        `cursor`: an offset); `metadata` only with `include_all_metadata`."""
        channel = self._visible(params.get("channel"))
        ts = str(params.get("ts") or "")
        if not ts:
            raise SlackError("invalid_arguments")
        # A person's message the fake never saw (a test's event) still has its replies.
        thread = [m for m in self.messages.get(channel.id, [])
                  if m["ts"] == ts or m.get("thread_ts") == ts]
        return self._page(thread, params)

    def conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """A channel's top-level messages, newest first (`oldest`, `latest`, `limit`,
        `cursor`); `metadata` only with `include_all_metadata`."""
        channel = self._visible(params.get("channel"))
        top = [m for m in self.messages.get(channel.id, [])
               if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]
        latest = params.get("latest")
        if latest:
            top = [m for m in top if float(m["ts"]) <= float(latest)]
        return self._page(list(reversed(top)), params)

    def _page(self, found: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        oldest = params.get("oldest")
        try:
            if oldest:
                found = [m for m in found if float(m["ts"]) >= float(oldest)]
            limit = max(1, min(int(params.get("limit") or 100), 1000))
            start = int(params.get("cursor") or 0)
        except ValueError as error:
            raise SlackError("invalid_arguments") from error
        metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        page = [_shown(m, metadata) for m in found[start:start + limit]]
        more = start + limit < len(found)
        return {"messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

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
            "conversations.members": self.conversations_members,
            "conversations.replies": self.conversations_replies,
            "conversations.history": self.conversations_history,
            "chat.postMessage": self.chat_post_message, "chat.update": self.chat_update,
            "chat.delete": self.chat_delete, "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "pins.add": self.pins_add, "pins.remove": self.pins_remove,
            "views.publish": self.views_publish, "views.open": self.views_open,
            "views.update": self.views_update, "oauth.v2.access": self.oauth_v2_access,
            "files.info": self.files_info,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
        }


def _shown(message: dict[str, Any], metadata: bool) -> dict[str, Any]:
    """A stored message as conversations.replies/history show it: its metadata only
    when asked for (`include_all_metadata`)."""
    shown = dict(message)
    if not metadata:
        shown.pop("metadata", None)
    return shown
