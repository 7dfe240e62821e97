"""The event journal as JSON lines (`deskbot audit export --from … --to …`).

One event a line, oldest first: id, time (ISO 8601, UTC), workspace
(`platform:external id`), desk (its name), conversation ref, actor (platform user id
and name), kind and data. Events are read in batches by id, each in a short read-only
unit of work, and each batch is written before the next is read: the journal is never
held in memory whole.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from storage.database import Database, UnitOfWork
from storage.models import Conversation, Desk, Event, Person, Workspace

BATCH = 1000


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


async def _lookup(uow: UnitOfWork, model: Any, ids: Iterable[int | None],
                  *columns: Any) -> dict[int, tuple[Any, ...]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.session.execute(select(model.id, *columns).where(model.id.in_(wanted)))
    return {row[0]: tuple(row[1:]) for row in rows}


async def _lines(uow: UnitOfWork, events: list[Event]) -> list[str]:
    workspaces = await _lookup(uow, Workspace, (e.workspace_id for e in events),
                               Workspace.platform, Workspace.external_id)
    desks = await _lookup(uow, Desk, (e.desk_id for e in events), Desk.name)
    refs = await _lookup(uow, Conversation, (e.conversation_id for e in events),
                         Conversation.ref)
    people = await _lookup(uow, Person, (e.actor_id for e in events), Person.external_id,
                           Person.display_name)
    lines = []
    for event in events:
        workspace = workspaces.get(event.workspace_id)
        person = people.get(event.actor_id) if event.actor_id is not None else None
        line = {
            "id": event.id,
            "time": _iso(event.created_at),
            "workspace": f"{workspace[0]}:{workspace[1]}" if workspace else None,
            "desk": desks[event.desk_id][0] if event.desk_id in desks else None,
            "conversation": refs[event.conversation_id][0]
            if event.conversation_id in refs else None,
            "actor": {"id": person[0], "name": person[1]} if person else None,
            "kind": event.kind,
            "data": event.data or {},
        }
        lines.append(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    return lines


async def export_events(db: Database, start: datetime, end: datetime,
                        write: Callable[[str], object],
                        batch: int = BATCH) -> int:
    """Write every event of [start, end) as one JSON line each through `write` (a
    file's `write`, or a coroutine function), in batches of `batch`; return how many
    were written."""
    after, written = 0, 0
    while True:
        async with db.unit_of_work(readonly=True) as uow:
            events = list((await uow.session.execute(
                select(Event).where(Event.id > after, Event.created_at >= start,
                                    Event.created_at < end)
                .order_by(Event.id).limit(batch))).scalars())
            lines = await _lines(uow, events)
        for line in lines:
            done = write(line)
            if isinstance(done, Awaitable):
                await done
        written += len(lines)
        if len(events) < batch:
            return written
        after = events[-1].id
