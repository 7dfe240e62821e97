"""Who people are on their platform (names, time zones, admin flags), and channels.

Platform-neutral. The Slack adapter answers from `users.info` (people) and
`conversations.info` / `conversations.members` (channels), the Teams adapter from what
each activity carries; command handlers ask *before* opening a unit of work, so no
platform call ever runs while a database write lock is held.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select

from desks.channels import ChannelFacts
from desks.errors import DeskbotError
from desks.people import ensure_person, ensure_workspace
from storage.database import Database, UnitOfWork
from storage.models import Person, Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    """A platform identity as the platform describes it."""

    external_id: str
    display_name: str
    time_zone: str | None = None
    locale: str | None = None
    is_admin: bool = False  # workspace admin/owner (Slack), tenant admin (Teams)
    is_bot: bool = False


class Directory(Protocol):
    """Looks people up on the platform."""

    async def profiles(self, workspace_external_id: str,
                       external_ids: Sequence[str]) -> dict[str, Profile]:
        """Profiles of `external_ids` (unknown ids are left out of the answer)."""
        ...

    async def channel(self, workspace_external_id: str, channel_id: str,
                      user_id: str) -> ChannelFacts:
        """What the platform says of `channel_id`, for `user_id` who wants to bind it."""
        ...


@dataclass(frozen=True)
class StaticChannel:
    """A channel a StaticDirectory knows: its name, privacy and members (None: all)."""

    channel_id: str
    name: str
    is_private: bool = True
    members: frozenset[str] | None = None
    visible: bool = True  # False: a channel the bot is not in (or that does not exist)


class StaticDirectory:
    """A directory from a fixed list (tests, and platforms that send names inline).

    Channels it was not given are taken as private ones everybody is in, unless
    `strict_channels`: then they are channels the bot cannot see.
    """

    def __init__(self, profiles: Sequence[Profile] = (), channels: Sequence[StaticChannel] = (),
                 *, strict_channels: bool = False) -> None:
        self._profiles = {p.external_id: p for p in profiles}
        self._channels = {c.channel_id: c for c in channels}
        self.strict_channels = strict_channels

    def add_channel(self, channel: StaticChannel) -> None:
        """Add or replace one channel."""
        self._channels[channel.channel_id] = channel

    async def channel(self, workspace_external_id: str, channel_id: str,
                      user_id: str) -> ChannelFacts:
        """The facts of a known channel (see the class docstring for unknown ones)."""
        known = self._channels.get(channel_id)
        if known is None:
            return ChannelFacts(channel_id, visible=not self.strict_channels,
                                is_private=True, caller_is_member=True)
        if not known.visible:
            return ChannelFacts(channel_id, visible=False)
        return ChannelFacts(channel_id, name=known.name, is_private=known.is_private,
                            caller_is_member=known.members is None or user_id in known.members)

    async def channel_members(self, workspace_external_id: str,
                              channel_id: str) -> frozenset[str] | None:
        """The members of a known channel that lists them (None: it cannot tell)."""
        known = self._channels.get(channel_id)
        return known.members if known is not None else None

    def add(self, profile: Profile) -> None:
        """Add or replace one profile."""
        self._profiles[profile.external_id] = profile

    async def profiles(self, workspace_external_id: str,
                       external_ids: Sequence[str]) -> dict[str, Profile]:
        """The known profiles among `external_ids`."""
        return {i: self._profiles[i] for i in external_ids if i in self._profiles}


# Names and admin flags change rarely; a stored profile is trusted this long.
PROFILE_FRESH_FOR = timedelta(days=1)


async def profiles_to_refresh(db: Database, directory: Directory, platform: str,
                              workspace_external_id: str,
                              external_ids: Iterable[str]) -> dict[str, Profile]:
    """Profiles of those of `external_ids` we do not know, or know only from long ago.

    Asked before a unit of work opens, so no platform call runs under a write lock.
    A directory that fails costs only names: the request goes on with ids.
    """
    wanted = list(dict.fromkeys(i for i in external_ids if i))
    if not wanted:
        return {}
    async with db.unit_of_work(readonly=True) as uow:
        rows = await uow.session.execute(
            select(Person.external_id, Person.updated_at, Person.display_name)
            .join(Workspace, Workspace.id == Person.workspace_id)
            .where(Workspace.platform == platform,
                   Workspace.external_id == workspace_external_id,
                   Person.external_id.in_(wanted)))
        now = uow.clock.now()
        fresh = {external_id for external_id, updated_at, name in rows.all()
                 if now - updated_at < PROFILE_FRESH_FOR and name != external_id}
    missing = [i for i in wanted if i not in fresh]
    if not missing:
        return {}
    try:
        return await directory.profiles(workspace_external_id, missing)
    except Exception as error:  # a profile is nice to have; the request must go on
        log.warning("profile lookup failed for %s workspace %s (%s); using ids as names",
                    platform, workspace_external_id, type(error).__name__)
        return {}


async def channel_facts(directory: Directory, workspace_external_id: str, user_id: str,
                        channel_ids: Iterable[str | None], *,
                        own_channel: str | None = None) -> dict[str, ChannelFacts]:
    """Facts of each of `channel_ids`, for `user_id` who is binding them.

    `own_channel` is where the command was written: its author is in it by definition,
    whatever the platform's lists say. Unlike a profile, a channel's facts decide what
    may be done, so a platform that fails refuses the command (try again) instead of
    letting it through unchecked.
    """
    found: dict[str, ChannelFacts] = {}
    for channel_id in dict.fromkeys(c for c in channel_ids if c):
        try:
            facts = await directory.channel(workspace_external_id, channel_id, user_id)
        except DeskbotError:
            raise  # the directory's own answer (a scope to add, say)
        except Exception as error:
            log.warning("channel lookup of %s in workspace %s failed (%s)", channel_id,
                        workspace_external_id, type(error).__name__)
            raise DeskbotError("channel.lookup_failed") from error
        if channel_id == own_channel and facts.visible:
            facts = replace(facts, caller_is_member=True)
        found[channel_id] = facts
    return found


async def enter(uow: UnitOfWork, platform: str, workspace_external_id: str,
                user_ids: Iterable[str],
                profiles: dict[str, Profile]) -> tuple[Workspace, dict[str, Person]]:
    """Inside a unit of work: the workspace and a Person for each user id, refreshed from
    `profiles` where one is given (ids without one keep what is known of them)."""
    workspace = await ensure_workspace(uow, platform, workspace_external_id)
    people: dict[str, Person] = {}
    for user_id in dict.fromkeys(u for u in user_ids if u):
        profile = profiles.get(user_id)
        if profile is None:
            people[user_id] = await ensure_person(uow, workspace, user_id)
        else:
            people[user_id] = await ensure_person(
                uow, workspace, user_id, profile.display_name, time_zone=profile.time_zone,
                locale=profile.locale, is_platform_admin=profile.is_admin)
    return workspace, people

