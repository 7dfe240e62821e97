"""Who people are on their platform: names, time zones, admin flags.

Platform-neutral. The Slack adapter answers from `users.info`, the Teams adapter from
the roster; command handlers ask for profiles *before* opening a unit of work, so no
platform call ever runs while a database write lock is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


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


class StaticDirectory:
    """A directory from a fixed list (tests, and platforms that send names inline)."""

    def __init__(self, profiles: Sequence[Profile] = ()) -> None:
        self._profiles = {p.external_id: p for p in profiles}

    def add(self, profile: Profile) -> None:
        """Add or replace one profile."""
        self._profiles[profile.external_id] = profile

    async def profiles(self, workspace_external_id: str,
                       external_ids: Sequence[str]) -> dict[str, Profile]:
        """The known profiles among `external_ids`."""
        return {i: self._profiles[i] for i in external_ids if i in self._profiles}
