"""Appending events and writing outbox notices: the two side effects of every command."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
    if ordering_key is None:
        if conversation_id is not None:
            ordering_key = f"conversation:{conversation_id}"
        elif person_id is not None:
            ordering_key = f"person:{person_id}"
        else:
            ordering_key = f"workspace:{workspace_id}"
    now = uow.clock.now()
    notice = OutboxNotice(workspace_id=workspace_id, conversation_id=conversation_id,
                          person_id=person_id, kind=kind, payload=payload or {},
                          ordering_key=ordering_key, created_at=now,
                          available_at=now + (delay or timedelta(0)), attempts=0)
    uow.session.add(notice)
    return notice
