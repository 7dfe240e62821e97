"""Roles and the permission checks every adapter relies on.

Roles: `employee` (anyone), `agent` and `lead` (per desk; a lead is an agent too),
`admin` (workspace-wide: as the platform reports it, or listed in DESKBOT_ADMINS).
The checks live here, in the core, so Slack and Teams enforce the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from desks.errors import NotAnAgent, NotPermitted
from storage.database import UnitOfWork
from storage.models import Desk, DeskMember, Person, Workspace


class Role(StrEnum):
    """What a person may do, from least to most."""

    EMPLOYEE = "employee"
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """The person acting, with their workspace-wide admin flag already resolved."""

    person: Person
    is_admin: bool = False
    platform: str | None = None  # where the person is (for telling them their admin id)

    @property
    def id(self) -> int:
        """The person's id."""
        return self.person.id

    @property
    def workspace_id(self) -> int:
        """The workspace the actor belongs to."""
        return self.person.workspace_id

    @property
    def name(self) -> str:
        """The actor's display name."""
        return self.person.display_name


def resolve_actor(person: Person, workspace: Workspace,
                  extra_admins: Iterable[str] = ()) -> Actor:
    """Make an Actor: admin when the platform says so or `platform:user_id` is listed."""
    listed = f"{workspace.platform}:{person.external_id}" in set(extra_admins)
    return Actor(person=person, is_admin=person.is_platform_admin or listed,
                 platform=workspace.platform)


async def desk_role(uow: UnitOfWork, person_id: int, desk_id: int) -> Role | None:
    """The person's role on the desk (`agent` or `lead`), or None if they don't work it."""
    role = (await uow.session.execute(
        select(DeskMember.role).where(DeskMember.desk_id == desk_id,
                                      DeskMember.person_id == person_id)
    )).scalar_one_or_none()
    return Role(role) if role else None


async def require_agent(uow: UnitOfWork, actor: Actor, desk: Desk) -> Role:
    """Refuse unless the actor is an agent or lead of `desk`; returns their role."""
    role = await desk_role(uow, actor.id, desk.id)
    if role is None:
        raise NotAnAgent(
            f"You are not an agent of the {desk.name} desk. A lead or admin can add you: "
            f"`/desk admin agents {desk.name} add @you`.",
            desk=desk.name,
        )
    return role


async def require_desk_admin(uow: UnitOfWork, actor: Actor, desk: Desk) -> Role:
    """Refuse unless the actor is an admin, or a lead of this desk."""
    if actor.is_admin:
        return Role.ADMIN
    if await desk_role(uow, actor.id, desk.id) == Role.LEAD:
        return Role.LEAD
    raise NotPermitted(
        f"Only an admin or a lead of the {desk.name} desk can change its settings.",
        desk=desk.name,
    )


def require_admin(actor: Actor, what: str) -> None:
    """Refuse unless the actor is a workspace admin; `what` names the action for the message."""
    if not actor.is_admin:
        how = ""
        if actor.platform:
            # Teams never says who administers a tenant: DESKBOT_ADMINS is the way there.
            how = (f" Whoever runs deskbot can make you one by adding "
                   f"`{actor.platform}:{actor.person.external_id}` to DESKBOT_ADMINS.")
        raise NotPermitted(f"Only an admin can {what}.{how}")


async def served_desk_ids(uow: UnitOfWork, person_id: int) -> list[int]:
    """Ids of the (not archived) desks the person works as agent or lead."""
    rows = await uow.session.execute(
        select(DeskMember.desk_id)
        .join(Desk, Desk.id == DeskMember.desk_id)
        .where(DeskMember.person_id == person_id, Desk.archived_at.is_(None))
        .order_by(DeskMember.desk_id)
    )
    return list(rows.scalars())
