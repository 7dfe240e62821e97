"""A private desk's audience: who may see the desk and ask it for help.

Kept in the desk's `settings` JSON (no migration), exported with the desks file:

    {"audience": {"channels": ["C0ENG"], "people": ["U0DANA"]}}   # platform ids

No audience (or an empty one) means a public desk. With one, only members of the listed
channels and the listed people see the desk where an employee picks one (the picker,
keyword routing, `/desk ask`, the home); the desk's agents and leads always do. Anyone
else is answered as for a desk that does not exist: a private desk is never revealed.

Who is in a channel is the platform's to say: an adapter asks it before the unit of
work opens (`member_channels`, through `desks.directory.Directory.channel_members`,
remembered for a short while) and hands the core the plain answer, the set of audience
channels the person is in. The core never calls a platform.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from desks.errors import InvalidInput
from desks.permissions import served_desk_ids
from storage.database import Database, UnitOfWork
from storage.models import Desk, Person, Workspace

KEY = "audience"
MAX_ENTRIES = 50  # channels and people of one audience
REMEMBERED_FOR = 300.0  # seconds a channel's member list is trusted


@dataclass(frozen=True)
class Audience:
    """The channels (platform ids) whose members, and the people (platform ids) who,
    see a private desk."""

    channels: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.channels or self.people)

    def stored(self) -> dict[str, list[str]]:
        """The form kept in the settings."""
        return {"channels": list(self.channels), "people": list(self.people)}


def check_audience(value: Any) -> Audience:
    """A stored (or hand-written) audience, checked: `{channels: [...], people: [...]}`."""
    if value is None:
        return Audience()
    if not isinstance(value, Mapping) or any(k not in ("channels", "people") for k in value):
        raise InvalidInput("audience.form")
    lists = []
    for key in ("channels", "people"):
        ids = value.get(key) or []
        if not isinstance(ids, list) or not all(isinstance(i, str) and i.strip()
                                                and len(i) <= 255 for i in ids):
            raise InvalidInput("audience.form")
        lists.append(tuple(dict.fromkeys(i.strip() for i in ids)))
    if sum(map(len, lists)) > MAX_ENTRIES:
        raise InvalidInput("audience.too_many", count=MAX_ENTRIES)
    return Audience(channels=lists[0], people=lists[1])


def audience_of(settings: Mapping[str, Any] | None) -> Audience:
    """The desk's audience; empty (a public desk) when none, or when unreadable by hand-edits
    (`settings_problems` reports those)."""
    try:
        return check_audience((settings or {}).get(KEY))
    except InvalidInput:
        return Audience()


def settings_with_audience(settings: Mapping[str, Any] | None,
                           audience: Audience) -> dict[str, Any]:
    """`settings` with `audience` stored (an empty one: no key, a public desk)."""
    merged = {k: v for k, v in (settings or {}).items() if k != KEY}
    if audience:
        merged[KEY] = audience.stored()
    return merged


@dataclass(frozen=True)
class Viewer:
    """Who looks for desks: their platform id, the audience channels they are in (as the
    platform said, just before), and the desks they work (agents and leads see theirs)."""

    external_id: str
    member_of: frozenset[str] = frozenset()
    works: frozenset[int] = frozenset()  # desk ids


def can_see(desk: Desk, viewer: Viewer | None) -> bool:
    """Whether `viewer` may see `desk` (None: nobody to hide it from, e.g. an admin's tool)."""
    audience = audience_of(desk.settings)
    if not audience or viewer is None or desk.id in viewer.works:
        return True
    return viewer.external_id in audience.people or any(
        c in viewer.member_of for c in audience.channels)


def visible(desks: Iterable[Desk], viewer: Viewer | None) -> list[Desk]:
    """Those of `desks` that `viewer` may see, in their order."""
    return [d for d in desks if can_see(d, viewer)]


# ---------------------------------------------------------------- asking the platform


class ChannelMembers(Protocol):
    """What an adapter's directory answers: who is in a channel (None: it cannot tell)."""

    async def channel_members(self, workspace_external_id: str,
                              channel_id: str) -> frozenset[str] | None:
        """The platform ids of the channel's members."""
        ...


_remembered: dict[tuple[int, str, str, str], tuple[float, frozenset[str]]] = {}
# Which channels are audiences, per workspace, is asked before every delivery is
# processed, so it is remembered a short while too. A channel added on another replica
# (or by a desks file) is asked about within that while; until then its members are
# not counted: the desk stays hidden from them, never shown to anyone else.
AUDIENCES_FOR = 30.0
_audiences: dict[tuple[int, str, str], tuple[float, frozenset[str]]] = {}


async def audience_channels(db: Database, platform: str,
                            workspace_external_id: str) -> frozenset[str]:
    """Every channel some desk of the workspace lists in its audience (remembered for
    AUDIENCES_FOR seconds)."""
    key = (id(db), platform, workspace_external_id)
    kept = _audiences.get(key)
    now = time.monotonic()
    if kept is not None and now - kept[0] <= AUDIENCES_FOR:
        return kept[1]
    async with db.unit_of_work(readonly=True) as uow:
        rows = await uow.session.execute(
            select(Desk.settings).join(Workspace, Workspace.id == Desk.workspace_id)
            .where(Workspace.platform == platform,
                   Workspace.external_id == workspace_external_id,
                   Desk.archived_at.is_(None)))
        channels = frozenset(c for (settings,) in rows.all()
                             for c in audience_of(settings).channels)
    _audiences[key] = (now, channels)
    return channels


async def member_channels(db: Database, directory: Any, platform: str,
                          workspace_external_id: str, user_id: str) -> frozenset[str]:
    """The audience channels of the workspace that `user_id` is in, asked of the platform
    before a unit of work opens; each channel's list is remembered for REMEMBERED_FOR
    seconds. A platform that cannot tell (or fails) counts as "not a member": a private
    desk stays hidden rather than shown to the wrong people."""
    channels = await audience_channels(db, platform, workspace_external_id)
    ask = getattr(directory, "channel_members", None)
    found = set()
    now = time.monotonic()
    for channel in sorted(channels):
        key = (id(db), platform, workspace_external_id, channel)
        kept = _remembered.get(key)
        if kept is None or now - kept[0] > REMEMBERED_FOR:
            members: frozenset[str] | None = None
            if ask is not None:
                try:
                    members = await ask(workspace_external_id, channel)
                except Exception:  # the platform's trouble: the desk stays hidden
                    members = None
            kept = (now, members or frozenset())
            if members is not None:
                _remembered[key] = kept
        if user_id in kept[1]:
            found.add(channel)
    return frozenset(found)


def remembered_member_of(db: Database, platform: str, workspace_external_id: str,
                         user_id: str) -> frozenset[str]:
    """The audience channels `user_id` is in, as this process last heard from the platform
    (`member_channels`, which an adapter runs before the unit of work); no platform call."""
    return frozenset(channel for (db_id, kind, workspace, channel), (_, members)
                     in _remembered.items()
                     if db_id == id(db) and kind == platform
                     and workspace == workspace_external_id and user_id in members)


async def viewer_for(uow: UnitOfWork, person: Person) -> Viewer:
    """`person` as one who looks for desks, inside a unit of work."""
    workspace = await uow.session.get(Workspace, person.workspace_id)
    member_of = remembered_member_of(uow.db, workspace.platform, workspace.external_id,
                                     person.external_id) if workspace else frozenset()
    return Viewer(person.external_id, member_of,
                  frozenset(await served_desk_ids(uow, person.id)))


def forget_members() -> None:
    """Forget every remembered member list and audience (tests; an audience just
    changed)."""
    _remembered.clear()
    _audiences.clear()
