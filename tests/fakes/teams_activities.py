"""Activities as Teams posts them to a bot's `/api/messages`, for tests.

    connector.add_person("aad-eli", "Eli")
    teams = TeamsActivities.for_connector(connector)
    body = teams.personal_message(eli, "I need a laptop")
    await http.post(bot_url, json=body)

Shapes follow the real payloads in `tests/data/fixtures/teams/` (channelData with tenant,
team and channel; `<at>` mentions with their entity; clientInfo; thread ids ending in
`;messageid=<root>`); `serviceUrl` is the fake connector's, so whatever the bot answers
lands there. Each builder returns a fresh dict; change it freely.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.bot_connector import (
    TENANT_ID,
    THREAD,
    Channel,
    FakeBotConnector,
    Person,
)

CLIENT_INFO = {"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web",
               "timezone": "Asia/Jerusalem"}


@dataclass
class TeamsActivities:
    """Builds inbound activities for one bot in one tenant."""

    service_url: str
    bot_id: str = "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
    bot_name: str = "deskbot"
    tenant_id: str = TENANT_ID
    connector: FakeBotConnector | None = None
    _ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(int(time.time() * 1000) + 500_000))

    @classmethod
    def for_connector(cls, connector: FakeBotConnector) -> TeamsActivities:
        """Builders aimed at `connector` (its base URL, tenant, bot and conversations)."""
        return cls(connector.base_url, connector.bot["id"], connector.bot["name"],
                   connector.tenant_id, connector)

    # ------------------------------------------------------------ messages

    def personal_message(self, sender: Person, text: str, *,
                         conversation_id: str | None = None) -> dict[str, Any]:
        """A message in the 1:1 chat between `sender` and the bot."""
        activity = self._base("message", sender, self._personal(sender, conversation_id))
        activity.update(text=text, textFormat="plain")
        return activity

    def channel_message(self, sender: Person, text: str, *, channel: Channel,
                        thread_root: str | None = None, mention: bool = True,
                        team_name: str = "Helpdesk") -> dict[str, Any]:
        """A message in `channel`: a new post, or a reply in `thread_root`'s thread.

        With `mention` it starts with `<at>bot</at>` and carries the mention entity (how
        Teams delivers channel messages to a bot without RSC).
        """
        activity_id = self.next_id()
        root = thread_root or activity_id
        conversation = {"id": f"{channel.channel_id}{THREAD}{root}", "isGroup": True,
                        "conversationType": "channel", "tenantId": self.tenant_id}
        activity = self._base("message", sender, conversation, activity_id=activity_id)
        activity["channelData"] = self._channel_data(channel, team_name)
        activity["textFormat"] = "plain"
        if mention:
            at = f"<at>{self.bot_name}</at>"
            activity["text"] = f"{at} {text}"
            activity["entities"].insert(0, {
                "type": "mention", "text": at,
                "mentioned": {"id": self.bot_id, "name": self.bot_name}})
            html = (f'<p><span itemtype="http://schema.skype.com/Mention" itemscope="" '
                    f'itemid="0">{self.bot_name}</span>&nbsp;{text}</p>')
        else:
            activity["text"] = text
            html = f"<p>{text}</p>"
        activity["attachments"] = [{"contentType": "text/html", "content": html}]
        if thread_root:
            activity["replyToId"] = thread_root
        return activity

    # ------------------------------------------------------------ installation

    def bot_installed_personal(self, user: Person, *,
                               conversation_id: str | None = None) -> dict[str, Any]:
        """conversationUpdate: `user` added the bot to a personal chat."""
        activity = self._base("conversationUpdate", user, self._personal(user, conversation_id))
        activity["membersAdded"] = [{"id": self.bot_id}]
        activity["channelData"]["eventType"] = "teamMemberAdded"
        return activity

    def bot_installed_team(self, by: Person, *, team_id: str,
                           team_name: str = "Helpdesk") -> dict[str, Any]:
        """conversationUpdate: `by` added the bot to a team (arrives in General)."""
        general = Channel(team_id, team_id, None)
        conversation = {"id": team_id, "isGroup": True, "conversationType": "channel",
                        "tenantId": self.tenant_id}
        activity = self._base("conversationUpdate", by, conversation)
        activity["membersAdded"] = [{"id": self.bot_id}]
        activity["channelData"] = {**self._channel_data(general, team_name),
                                   "eventType": "teamMemberAdded"}
        return activity

    # ------------------------------------------------------------ card actions

    def card_action(self, sender: Person, verb: str, data: dict[str, Any] | None = None, *,
                    reply_to_id: str, conversation_id: str | None = None,
                    channel: Channel | None = None,
                    title: str | None = None) -> dict[str, Any]:
        """An `invoke` named `adaptiveCard/action`: `sender` pressed an Action.Execute
        button with `verb` and `data` on the card activity `reply_to_id`.

        In a channel give `channel` and the thread's `conversation_id`
        (`<channel>;messageid=<root>`); in a personal chat leave both out.
        """
        if channel is not None:
            conversation = {"id": conversation_id or f"{channel.channel_id}{THREAD}{reply_to_id}",
                            "isGroup": True, "conversationType": "channel",
                            "tenantId": self.tenant_id}
        else:
            conversation = self._personal(sender, conversation_id)
        activity = self._base("invoke", sender, conversation)
        activity["id"] = f"f:{activity['id']}"
        if channel is not None:
            activity["channelData"] = self._channel_data(channel, "Helpdesk")
        activity["channelData"]["source"] = {"name": "message"}
        activity.update(name="adaptiveCard/action", replyToId=reply_to_id, value={
            "action": {"type": "Action.Execute", "title": title or verb, "verb": verb,
                       "data": dict(data or {})},
            "trigger": "manual"})
        return activity

    # ------------------------------------------------------------ parts

    def next_id(self) -> str:
        """A fresh Teams message id (epoch milliseconds, increasing)."""
        return str(next(self._ids))

    def _personal(self, person: Person, conversation_id: str | None) -> dict[str, Any]:
        if conversation_id is None:
            if self.connector is None:
                raise ValueError("give conversation_id, or build with for_connector()")
            conversation_id = self.connector.personal_conversation(person).id
        return {"id": conversation_id, "conversationType": "personal",
                "tenantId": self.tenant_id}

    def _channel_data(self, channel: Channel, team_name: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "teamsChannelId": channel.channel_id, "teamsTeamId": channel.team_id,
            "channel": {"id": channel.channel_id},
            "team": {"id": channel.team_id, "name": team_name},
            "tenant": {"id": self.tenant_id}}
        if channel.name:
            data["channel"]["name"] = channel.name
        return data

    def _base(self, type_: str, sender: Person, conversation: dict[str, Any], *,
              activity_id: str | None = None) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "type": type_, "id": activity_id or self.next_id(), "channelId": "msteams",
            "serviceUrl": self.service_url,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.astimezone().isoformat(),
            "from": {"id": sender.user_id, "name": sender.name, "aadObjectId": sender.aad_id},
            "recipient": {"id": self.bot_id, "name": self.bot_name},
            "conversation": conversation,
            "channelData": {"tenant": {"id": self.tenant_id}},
            "entities": [{**CLIENT_INFO, "locale": sender.locale}],
            "locale": sender.locale, "localTimezone": "Asia/Jerusalem",
        }


__all__ = ["TeamsActivities"]
