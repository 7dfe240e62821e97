"""Appending events and writing outbox notices: the two side effects of every command."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from storage.database import UnitOfWork
from storage.models import Event, OutboxNotice


def record_event(uow: UnitOfWork, *, workspace_id: int, kind: str,
                 conversation_id: int | None = None, desk_id: int | None = None,
                 actor_id: int | None = None, **data: Any) -> Event:
    """Append an audit event to the unit of work (committed with it)."""
    event = Event(workspace_id=workspace_id, conversation_id=conversation_id, desk_id=desk_id,
                  actor_id=actor_id, kind=kind, data=data, created_at=uow.clock.now())
    uow.session.add(event)
    return event


def write_notice(uow: UnitOfWork, *, workspace_id: int, kind: str,
                 conversation_id: int | None = None, person_id: int | None = None,
                 payload: dict[str, Any] | None = None, ordering_key: str | None = None,
                 delay: timedelta | None = None) -> OutboxNotice:
    """Put a notice in the outbox, in the caller's transaction.

    Notices of one conversation share an ordering key and are delivered in order;
    a notice about a person alone is ordered with that person's other notices.
    """
    ordering_key = ordering_key or _ordering_key(workspace_id, conversation_id, person_id)
    now = uow.clock.now()
    notice = OutboxNotice(workspace_id=workspace_id, conversation_id=conversation_id,
                          person_id=person_id, kind=kind, payload=payload or {},
                          ordering_key=ordering_key, created_at=now,
                          available_at=now + (delay or timedelta(0)), attempts=0)
    uow.session.add(notice)
    return notice


def _ordering_key(workspace_id: int, conversation_id: int | None, person_id: int | None) -> str:
    if conversation_id is not None:
        return f"conversation:{conversation_id}"
    if person_id is not None:
        return f"person:{person_id}"
    return f"workspace:{workspace_id}"


class JournalBatch:
    """Events and notices gathered as plain rows and written with one INSERT per table.

    For sweeps that flag a thousand conversations at once: through the ORM's unit of
    work every object costs about 100 µs to flush, an executemany row a few. Rows are
    written by `write()`, in the order they were added, before the caller commits; use
    a batch only where nothing else in the unit of work writes notices of the same
    conversations (their order is the order they are written in).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.now = uow.clock.now()
        self.events: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []

    def event(self, *, workspace_id: int, kind: str, conversation_id: int | None = None,
              desk_id: int | None = None, actor_id: int | None = None, **data: Any) -> None:
        """Like `record_event`."""
        self.events.append({"workspace_id": workspace_id, "conversation_id": conversation_id,
                            "desk_id": desk_id, "actor_id": actor_id, "kind": kind,
                            "data": data, "created_at": self.now})

    def notice(self, *, workspace_id: int, kind: str, conversation_id: int | None = None,
               person_id: int | None = None, payload: dict[str, Any] | None = None) -> None:
        """Like `write_notice` (due now, in the usual ordering key)."""
        self.notices.append({
            "workspace_id": workspace_id, "conversation_id": conversation_id,
            "person_id": person_id, "kind": str(kind), "payload": payload or {},
            "ordering_key": _ordering_key(workspace_id, conversation_id, person_id),
            "created_at": self.now, "available_at": self.now, "attempts": 0})

    async def write(self) -> None:
        """Insert what was gathered (in the caller's transaction) and start afresh."""
        for table, rows in ((Event.__table__, self.events),
                            (OutboxNotice.__table__, self.notices)):
            if rows:
                await self.uow.session.execute(insert(table), rows)
        self.events, self.notices = [], []
