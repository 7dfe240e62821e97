"""Teams people and deliveries: accounts into Person rows, activity ids made unique."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.directory import Profile
from bot.teams.addresses import split_thread
from desks.people import ensure_person, ensure_workspace
from storage.database import UnitOfWork
from storage.models import Person, Workspace

PLATFORM = "teams"
NAME_LIMIT = 200


def delivery_id(activity: dict[str, Any]) -> str:
    """The activity's id made unique across chats (Teams' channel message ids are times)."""
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    where = hashlib.sha1(split_thread(conversation)[0].encode()).hexdigest()[:16]
    return f"{where}:{activity.get('id')}"[:255]


async def enter(uow: UnitOfWork, tenant: str,
                accounts: list[dict[str, Any]]) -> tuple[Workspace, list[Person]]:
    """The tenant's workspace and a Person for each Teams account ({id, name})."""
    workspace = await ensure_workspace(uow, PLATFORM, tenant)
    people = []
    for account in accounts:
        name = str(account.get("name") or "").strip()[:NAME_LIMIT] or None
        people.append(await ensure_person(uow, workspace, str(account["id"]), name))
    return workspace, people


def profile_of(account: dict[str, Any]) -> Profile | None:
    """A profile from the name Teams sends with each activity."""
    name = str(account.get("name") or "").strip()
    return Profile(external_id=account["id"], display_name=name[:NAME_LIMIT]) if name else None


