"""People on Slack: `users.info` profiles, and turning Slack user ids into our people;
channels as `conversations.info` and `conversations.members` describe them.

Profiles are fetched only for people we have not seen (or saw long ago), *before* a
unit of work opens, so no Slack call runs while a database write lock is held.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from desks.channels import ChannelFacts
from desks.directory import Profile, enter, profiles_to_refresh
from desks.errors import DeskbotError
from desks.permissions import Actor, resolve_actor
from storage.database import Database, UnitOfWork
from storage.models import Person, Workspace

log = logging.getLogger(__name__)

# Slack's answers for a channel the bot cannot see (no such channel, or private without it).
NOT_VISIBLE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
MEMBERS_PAGE = 200
MEMBERS_PAGES = 50  # 10,000 members read before giving up (then: not known to be one)
NO_SCOPE_TEXT = "slack.no_channel_scopes"  # the catalogue's words for a missing scope

ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


def profile_of(user: dict) -> Profile:
    """Our Profile from a `users.info` user object."""
    profile = user.get("profile") or {}
    name = (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or user.get("id") or "someone")
    return Profile(
        external_id=user["id"], display_name=name[:200], time_zone=user.get("tz"),
        locale=user.get("locale"),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")
                      or user.get("is_primary_owner")),
        is_bot=bool(user.get("is_bot")),
    )


class SlackDirectory:
    """Looks people up with `users.info` through the workspace's bot token."""

    def __init__(self, client_for: ClientFor) -> None:
        self.client_for = client_for

    async def profiles(self, workspace_external_id: str,
                       external_ids: Sequence[str]) -> dict[str, Profile]:
        """Profiles of `external_ids`; ids Slack does not know are left out."""
        client = await self.client_for(workspace_external_id)
        found: dict[str, Profile] = {}
        for user_id in dict.fromkeys(external_ids):
            try:
                answer = await client.users_info(user=user_id, include_locale=True)
            except SlackApiError as error:
                if error.response.get("error") in ("user_not_found", "users_not_found"):
                    continue
                raise
            found[user_id] = profile_of(answer["user"])
        return found

    async def channel_members(self, workspace_external_id: str,
                              channel_id: str) -> frozenset[str] | None:
        """Who is in `channel_id` (a private desk's audience), paged."""
        return await _members(await self.client_for(workspace_external_id), channel_id)

    async def channel(self, workspace_external_id: str, channel_id: str,
                      user_id: str) -> ChannelFacts:
        """`conversations.info` for the channel, `conversations.members` (paged) for
        whether `user_id` is in it."""
        client = await self.client_for(workspace_external_id)
        try:
            info = (await client.conversations_info(channel=channel_id))["channel"]
        except SlackApiError as error:
            if error.response.get("error") in NOT_VISIBLE:
                return ChannelFacts(channel_id, visible=False)
            if error.response.get("error") == "missing_scope":
                raise DeskbotError(NO_SCOPE_TEXT) from error
            raise
        name = info.get("name") or None
        if info.get("is_archived"):
            return ChannelFacts(channel_id, name=name, visible=False)
        is_dm = bool(info.get("is_im") or info.get("is_mpim"))
        is_private = bool(info.get("is_private") or info.get("is_group") or is_dm)
        member = False
        cursor = None
        for _ in range(MEMBERS_PAGES):
            try:
                page = await client.conversations_members(channel=channel_id,
                                                          limit=MEMBERS_PAGE, cursor=cursor)
            except SlackApiError as error:
                if error.response.get("error") in NOT_VISIBLE:
                    return ChannelFacts(channel_id, name=name, visible=False)
                if error.response.get("error") == "missing_scope":
                    raise DeskbotError(NO_SCOPE_TEXT) from error
                raise
            if user_id in (page.get("members") or []):
                member = True
                break
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return ChannelFacts(channel_id, name=name, is_private=is_private, is_dm=is_dm,
                            caller_is_member=member)


async def _members(client: Any, channel_id: str) -> frozenset[str] | None:
    """`conversations.members`, paged: everyone in the channel; None when Slack will not say."""
    found: set[str] = set()
    cursor = None
    for _ in range(MEMBERS_PAGES):
        try:
            page = await client.conversations_members(channel=channel_id, limit=MEMBERS_PAGE,
                                                      cursor=cursor)
        except SlackApiError as error:
            if error.response.get("error") in (*NOT_VISIBLE, "missing_scope"):
                return None
            raise
        found.update(page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return frozenset(found)


LOOKED_FOR = timedelta(seconds=60)  # a person found fresh is not looked up again
LOOKED_AT_MOST = 50_000  # people remembered so, at most (then forgotten at once)


class People:
    """Slack user ids -> our Person rows (and Actor), fetching profiles when needed."""

    def __init__(self, db: Database, directory: SlackDirectory,
                 extra_admins: Iterable[str] = ()) -> None:
        self.db = db
        self.directory = directory
        self.extra_admins = frozenset(extra_admins)
        # (team, user) -> until when (the clock's) their stored profile needs no look:
        # a busy requester's every message would otherwise read it again.
        self._looked: dict[tuple[str, str], datetime] = {}

    async def lookup(self, team_id: str, user_ids: Iterable[str]) -> dict[str, Profile]:
        """Profiles for those of `user_ids` we do not know or know only from long ago.

        Whom the database found fresh is not asked about again for LOOKED_FOR seconds
        (a profile refreshed a minute past its day is no harm)."""
        now = self.db.clock.now()
        wanted = [u for u in dict.fromkeys(user_ids)
                  if u and ((looked := self._looked.get((team_id, u))) is None or looked <= now)]
        if not wanted:
            return {}
        found = await profiles_to_refresh(self.db, self.directory, "slack", team_id, wanted)
        if len(self._looked) > LOOKED_AT_MOST:
            self._looked.clear()
        for user_id in wanted:
            if user_id not in found:  # fresh in the database (or Slack could not say)
                self._looked[(team_id, user_id)] = now + LOOKED_FOR
        return found

    async def enter(self, uow: UnitOfWork, team_id: str, user_ids: Iterable[str],
                    profiles: dict[str, Profile]) -> tuple[Workspace, dict[str, Person]]:
        """Inside a unit of work: the workspace and a Person for each user id."""
        return await enter(uow, "slack", team_id, user_ids, profiles)

    def actor(self, person: Person, workspace: Workspace) -> Actor:
        """The person as an Actor, admin when Slack or DESKBOT_ADMINS says so."""
        return resolve_actor(person, workspace, self.extra_admins)
