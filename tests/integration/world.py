"""A small seeded helpdesk for flow tests: one workspace, an admin, agents, employees, desks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select

from desks import service as desks
from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role, resolve_actor
from storage.database import Database, UnitOfWork
from storage.models import Conversation, Desk, Event, OutboxNotice, Person, Workspace

T = TypeVar("T")


@dataclass
class World:
    db: Database
    workspace: Workspace
    people: dict[str, Person] = field(default_factory=dict)
    desks: dict[str, Desk] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return resolve_actor(self.people[name], self.workspace, extra_admins={"slack:U_ADMIN"})

    async def run(self, command: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one core command in its own unit of work and commit it."""
        async with self.db.unit_of_work() as uow:
            result = await command(uow, *args, **kwargs)
            await uow.commit()
            return result

    async def person(self, name: str) -> Person:
        async with self.db.unit_of_work(readonly=True) as uow:
            person = await uow.session.get(Person, self.people[name].id)
            assert person is not None
            return person

    async def conversation(self, ref: int) -> Conversation:
        """The conversation `#ref` as it is stored now."""
        async with self.db.unit_of_work(readonly=True) as uow:
            return await self._by_ref(uow, ref)

    async def view(self, builder: Callable[..., Awaitable[T]], ref: int, *args: Any,
                   **kwargs: Any) -> T:
        """What a view builder makes of `#ref` now, in a readonly unit of work, as a
        sender runs it."""
        async with self.db.unit_of_work(readonly=True) as uow:
            return await builder(uow, await self._by_ref(uow, ref), *args, **kwargs)

    @staticmethod
    async def _by_ref(uow: UnitOfWork, ref: int) -> Conversation:
        return (await uow.session.execute(
            select(Conversation).where(Conversation.ref == ref))).scalar_one()

    async def events(self, kind: str | None = None) -> list[Event]:
        async with self.db.unit_of_work(readonly=True) as uow:
            query = select(Event).order_by(Event.id)
            if kind:
                query = query.where(Event.kind == kind)
            return list((await uow.session.execute(query)).scalars())

    async def notices(self, kind: str | None = None) -> list[OutboxNotice]:
        async with self.db.unit_of_work(readonly=True) as uow:
            query = select(OutboxNotice).order_by(OutboxNotice.id)
            if kind:
                query = query.where(OutboxNotice.kind == kind)
            return list((await uow.session.execute(query)).scalars())

    async def count(self, model: type) -> int:
        async with self.db.unit_of_work(readonly=True) as uow:
            return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def build_world(db: Database) -> World:
    """Workspace T1 with admin Ada, agents Dana and Lee (IT), lead Noa (IT, HR), agent Omer
    (HR), employees Eli and Maya; desks IT (#it-agents) and HR (#hr-agents)."""
    async with db.unit_of_work() as uow:
        workspace = await ensure_workspace(uow, "slack", "T1", "Acme")
        world = World(db=db, workspace=workspace)
        for key, uid, name in [("ada", "U_ADMIN", "Ada"), ("dana", "U_DANA", "Dana"),
                               ("lee", "U_LEE", "Lee"), ("noa", "U_NOA", "Noa"),
                               ("omer", "U_OMER", "Omer"), ("eli", "U_ELI", "Eli"),
                               ("maya", "U_MAYA", "Maya")]:
            world.people[key] = await ensure_person(uow, workspace, uid, name)
        await uow.commit()
    admin = world.actor("ada")
    async with db.unit_of_work() as uow:
        it = await desks.create_desk(uow, admin, "IT", description="Laptops, VPN, accounts",
                                     agent_channel="C_IT")
        hr = await desks.create_desk(uow, admin, "HR", description="Leave, payroll questions",
                                     agent_channel="C_HR")
        await _members(uow, admin, world, "IT", ["dana", "lee"], Role.AGENT)
        await _members(uow, admin, world, "IT", ["noa"], Role.LEAD)
        await _members(uow, admin, world, "HR", ["omer"], Role.AGENT)
        await _members(uow, admin, world, "HR", ["noa"], Role.LEAD)
        await uow.commit()
    world.desks = {"IT": it, "HR": hr}
    return world


async def _members(uow: UnitOfWork, admin: Actor, world: World, desk: str, keys: list[str],
                   role: Role) -> None:
    await desks.add_members(uow, admin, desk, [world.people[k] for k in keys], role)
