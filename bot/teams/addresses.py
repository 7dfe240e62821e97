"""Where Teams chats live: the conversation references proactive messages need.

Every inbound activity carries a service URL (the tenant's region of the Bot Framework
connector) and the ids of the bot, the tenant and the conversation. deskbot keeps one
`ChatAddress` row per channel, per personal chat, and per person (`person:<user id>` ->
their personal chat), written only when an activity shows something new (a small
in-memory memo spares the database on every other message). The sender reads them to
post into a channel, a thread or a personal chat long after the activity is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import Database
from storage.models import ChatAddress

PLATFORM = "teams"
THREAD = ";messageid="
PERSON = "person:"


def split_thread(conversation_id: str) -> tuple[str, str | None]:
    """`19:x@thread.tacv2;messageid=17` -> (`19:x@thread.tacv2`, `17`); no thread -> None."""
    channel, found, root = conversation_id.partition(THREAD)
    return channel, (root or None) if found else None


@dataclass(frozen=True)
class Address:
    """Enough to send into one Teams conversation."""

    service_url: str
    tenant_id: str
    conversation_id: str
    bot_id: str | None = None
    bot_name: str | None = None
    conversation_type: str | None = None  # personal | channel | groupChat

    def as_data(self) -> dict[str, Any]:
        """The JSON kept in the row."""
        return {"service_url": self.service_url, "tenant_id": self.tenant_id,
                "conversation_id": self.conversation_id, "bot_id": self.bot_id,
                "bot_name": self.bot_name, "conversation_type": self.conversation_type}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Address:
        """The address a row keeps."""
        return cls(service_url=data["service_url"], tenant_id=data["tenant_id"],
                   conversation_id=data["conversation_id"], bot_id=data.get("bot_id"),
                   bot_name=data.get("bot_name"),
                   conversation_type=data.get("conversation_type"))

    def in_thread(self, root_id: str) -> Address:
        """The same channel's thread under the message `root_id`."""
        channel, _ = split_thread(self.conversation_id)
        return Address(self.service_url, self.tenant_id, f"{channel}{THREAD}{root_id}",
                       self.bot_id, self.bot_name, self.conversation_type)


class Addresses:
    """Reads and writes `ChatAddress` rows of the Teams platform."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[tuple[str, str], dict[str, Any]] = {}

    async def note(self, activity: dict[str, Any]) -> None:
        """Remember where `activity` came from: its chat or channel, and the person's chat."""
        conversation = activity.get("conversation") or {}
        tenant = tenant_of(activity)
        service_url = activity.get("serviceUrl")
        conversation_id = conversation.get("id")
        if not (tenant and service_url and conversation_id):
            return
        recipient = activity.get("recipient") or {}
        kind = conversation.get("conversationType")
        channel, _ = split_thread(conversation_id)
        base = Address(service_url, tenant, channel, recipient.get("id"),
                       recipient.get("name"), kind)
        rows = {channel: base.as_data()}
        sender = (activity.get("from") or {}).get("id")
        if kind == "personal" and sender:
            rows[PERSON + sender] = base.as_data()
        teams_channel = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
        if teams_channel and teams_channel != channel:
            rows[teams_channel] = Address(service_url, tenant, teams_channel,
                                          recipient.get("id"), recipient.get("name"),
                                          "channel").as_data()
        await self._write(tenant, rows)

    async def _write(self, tenant: str, rows: dict[str, dict[str, Any]]) -> None:
        fresh = {key: data for key, data in rows.items()
                 if self._known.get((tenant, key)) != data}
        if not fresh:
            return
        now = self.db.clock.now()
        insert = pg_insert if self.db.is_postgresql else sqlite_insert
        statement = insert(ChatAddress.__table__)
        statement = statement.on_conflict_do_update(
            index_elements=["platform", "workspace_external_id", "key"],
            set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at})
        await self.db.write(statement, [
            {"platform": PLATFORM, "workspace_external_id": tenant, "key": key,
             "data": data, "updated_at": now} for key, data in fresh.items()])
        for key, data in fresh.items():
            self._known[(tenant, key)] = data

    async def get(self, tenant: str, key: str) -> Address | None:
        """The address kept under `key` (a conversation id, or `person:<user id>`)."""
        async with self.db.unit_of_work(readonly=True) as uow:
            data = (await uow.session.scalars(select(ChatAddress.data).where(
                ChatAddress.platform == PLATFORM,
                ChatAddress.workspace_external_id == tenant,
                ChatAddress.key == key))).first()
        return Address.from_data(data) if data else None

    async def of_conversation(self, tenant: str, conversation_id: str) -> Address | None:
        """The address of a channel (or a thread in it) or a personal chat."""
        channel, root = split_thread(conversation_id)
        found = await self.get(tenant, channel)
        if found is None:
            return None
        return found.in_thread(root) if root else found

    async def of_person(self, tenant: str, user_id: str) -> Address | None:
        """The personal chat deskbot has with `user_id`, when they ever wrote or installed it."""
        return await self.get(tenant, PERSON + user_id)

    async def any_in(self, tenant: str) -> Address | None:
        """Some address in `tenant` (for its service URL and the bot's id)."""
        async with self.db.unit_of_work(readonly=True) as uow:
            data = (await uow.session.scalars(select(ChatAddress.data).where(
                ChatAddress.platform == PLATFORM,
                ChatAddress.workspace_external_id == tenant)
                .order_by(ChatAddress.updated_at.desc()).limit(1))).first()
        return Address.from_data(data) if data else None


def tenant_of(activity: dict[str, Any]) -> str | None:
    conversation = activity.get("conversation") or {}
    tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
    return tenant or conversation.get("tenantId")


