"""Teams people, channels and deliveries: accounts into Person rows (with the language
each activity's `locale` reports for its sender), what a channel is, activity ids made
unique."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from bot.teams.addresses import split_thread
from desks import audience, directory
from desks.channels import ChannelFacts
from desks.directory import Profile
from storage.database import UnitOfWork
from storage.models import Person, Workspace

PLATFORM = "teams"
NAME_LIMIT = 200
LOCALE_LIMIT = 16  # Person.locale's column


def delivery_id(activity: dict[str, Any]) -> str:
    """The activity's id made unique across chats (Teams' channel message ids are times)."""
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    where = hashlib.sha1(split_thread(conversation)[0].encode()).hexdigest()[:16]
    return f"{where}:{activity.get('id')}"[:255]


async def enter(uow: UnitOfWork, tenant: str,
                accounts: list[dict[str, Any]]) -> tuple[Workspace, list[Person]]:
    """The tenant's workspace and a Person for each Teams account ({id, name}), in order."""
    ids = [str(account["id"]) for account in accounts]
    profiles = {p.external_id: p for p in map(profile_of, accounts) if p is not None}
    workspace, people = await directory.enter(uow, PLATFORM, tenant, ids, profiles)
    return workspace, [people[user_id] for user_id in ids]


def profile_of(account: dict[str, Any]) -> Profile | None:
    """A profile from the name (and, for the sender, the locale) Teams sends with each
    activity; None when it sends neither."""
    name = str(account.get("name") or "").strip()
    locale = str(account.get("locale") or "").strip()[:LOCALE_LIMIT] or None
    if not name and not locale:
        return None
    return Profile(external_id=str(account["id"]), display_name=name[:NAME_LIMIT],
                   locale=locale)


def sender_of(activity: dict[str, Any]) -> dict[str, Any]:
    """The account that sent `activity`, with the activity's `locale` (the sender's
    Teams language, e.g. "he-IL") added, so entering them stores it."""
    account = dict(activity.get("from") or {})
    if activity.get("locale"):
        account["locale"] = activity["locale"]
    return account



ROSTER_PAGE, ROSTER_PAGES = 500, 40  # 20,000 members read at most


class TeamsDirectory:
    """Teams sends names inline, with each activity, so profiles are never looked up.

    Of channels it knows only the one a command is written in (whose author is in it,
    which `desks.directory.channel_facts` records); of any other it cannot tell who is a
    member, so only a workspace admin may bind one from elsewhere. Whether a Teams
    channel is private is not said either: the rule for public agent channels is Slack's.
    """

    def __init__(self, connector_for: Any = None, service_url: str | None = None) -> None:
        self.connector_for = connector_for  # async (service_url) -> ConnectorClient
        self.service_url = service_url  # the activity's: where its tenant's connector is

    async def profiles(self, workspace_external_id: str,
                       external_ids: Sequence[str]) -> dict[str, Profile]:
        """Nothing: names come with the activities."""
        return {}

    async def channel_members(self, workspace_external_id: str,
                              channel_id: str) -> frozenset[str] | None:
        """Who is in a private desk's audience channel: its team's roster, paged (a
        standard channel's members are its team's); None without a connector to ask."""
        if self.connector_for is None or not self.service_url:
            return None
        client = await self.connector_for(self.service_url)
        found: set[str] = set()
        token = None
        for _ in range(ROSTER_PAGES):
            page = await client.conversations.get_teams_conversation_paged_members(
                channel_id, page_size=ROSTER_PAGE, continuation_token=token)
            found.update(str(m.id) for m in page.members or () if m.id)
            token = page.continuation_token
            if not token:
                break
        return frozenset(found)

    async def channel(self, workspace_external_id: str, channel_id: str,
                      user_id: str) -> ChannelFacts:
        """A channel seen, its members and privacy unknown."""
        return ChannelFacts(channel_id, visible=True, is_private=None, caller_is_member=None)


async def warm_audience(db: Any, connector_for: Any, activity: dict[str, Any],
                        tenant: str | None) -> None:
    """Ask Teams (before a transaction) which private desks' channels the sender of
    `activity` is in; `desks.audience` remembers the answer for the core."""
    user = (activity.get("from") or {}).get("id")
    if tenant and isinstance(user, str) and user:
        directory = TeamsDirectory(connector_for, activity.get("serviceUrl"))
        await audience.member_channels(db, directory, PLATFORM, tenant, user)
