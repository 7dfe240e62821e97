"""Workspaces and people as the platforms report them, created on first sight."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import UnitOfWork
from storage.models import Person, Workspace


def _insert(uow: UnitOfWork):  # type: ignore[no-untyped-def]
    return pg_insert if uow.db.is_postgresql else sqlite_insert


async def ensure_workspace(uow: UnitOfWork, platform: str, external_id: str,
                           name: str | None = None) -> Workspace:
    """Return the workspace (Slack team, Teams tenant), creating it the first time."""
    query = select(Workspace).where(Workspace.platform == platform,
                                    Workspace.external_id == external_id)
    workspace = (await uow.session.execute(query)).scalar_one_or_none()
    if workspace is None:  # first sight (or a race with another writer: it wins)
        await uow.session.execute(
            _insert(uow)(Workspace)
            .values(platform=platform, external_id=external_id, name=name,
                    created_at=uow.clock.now(), last_ref=1000)
            .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        )
        workspace = (await uow.session.execute(query)).scalar_one()
    if name and workspace.name != name:
        workspace.name = name
    return workspace


async def ensure_person(uow: UnitOfWork, workspace: Workspace, external_id: str,
                        display_name: str | None = None, *, time_zone: str | None = None,
                        locale: str | None = None,
                        is_platform_admin: bool | None = None) -> Person:
    """Return the person with this platform user id, creating or refreshing them.

    Fields given as None are left as they are, so an adapter that knows only the
    user id (a slash command) does not wipe what `users.info` told earlier. `locale`
    is the platform's report of the person's language ("he-IL"); their own choice
    (`Person.language`) is never touched here.
    """
    now = uow.clock.now()
    query = select(Person).where(Person.workspace_id == workspace.id,
                                 Person.external_id == external_id)
    person = (await uow.session.execute(query)).scalar_one_or_none()
    if person is None:  # first sight (or a race with another writer: it wins)
        await uow.session.execute(
            _insert(uow)(Person)
            .values(workspace_id=workspace.id, external_id=external_id,
                    display_name=display_name or external_id, time_zone=time_zone,
                    locale=locale, is_platform_admin=bool(is_platform_admin),
                    available=False, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
        )
        person = (await uow.session.execute(query)).scalar_one()
    # An empty name (a platform that sent only a locale) keeps the one known.
    updates = {"display_name": display_name or None, "time_zone": time_zone,
               "locale": locale,
               "is_platform_admin": is_platform_admin}
    changed = False
    for field, value in updates.items():
        if value is not None and getattr(person, field) != value:
            setattr(person, field, value)
            changed = True
    if changed:
        person.updated_at = now
    return person


async def find_person(uow: UnitOfWork, workspace_id: int, external_id: str) -> Person | None:
    """Return the person with this platform user id, or None if never seen."""
    return (await uow.session.execute(
        select(Person).where(Person.workspace_id == workspace_id,
                             Person.external_id == external_id)
    )).scalar_one_or_none()
