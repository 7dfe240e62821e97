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
from desks.wording import Words, chain, code
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
        raise NotAnAgent("perm.not_an_agent", desk=desk.name,
                         command=code(f"/desk admin agents {desk.name} add @you"))
    return role


async def require_desk_admin(uow: UnitOfWork, actor: Actor, desk: Desk) -> Role:
    """Refuse unless the actor is an admin, or a lead of this desk."""
    if actor.is_admin:
        return Role.ADMIN
    if await desk_role(uow, actor.id, desk.id) == Role.LEAD:
        return Role.LEAD
    raise NotPermitted("perm.desk_admins_only", desk=desk.name)


def require_admin(actor: Actor, what: str) -> None:
    """Refuse unless the actor is a workspace admin; `what` names the action for the
    message (`perm.<what>`: create_desks, archive_desks, restore_desks)."""
    if not actor.is_admin:
        said = [Words("perm.admins_only", what=Words(f"perm.{what}"))]
        if actor.platform:
            # Teams never says who administers a tenant: DESKBOT_ADMINS is the way there.
            said.append(Words("perm.how_to_be_admin",
                              id=code(f"{actor.platform}:{actor.person.external_id}")))
        raise NotPermitted(chain(said))


async def served_desk_ids(uow: UnitOfWork, person_id: int) -> list[int]:
    """Ids of the (not archived) desks the person works as agent or lead."""
    rows = await uow.session.execute(
        select(DeskMember.desk_id)
        .join(Desk, Desk.id == DeskMember.desk_id)
        .where(DeskMember.person_id == person_id, Desk.archived_at.is_(None))
        .order_by(DeskMember.desk_id)
    )
    return list(rows.scalars())
