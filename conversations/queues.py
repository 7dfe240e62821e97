"""Queues for agents (unassigned / mine / all) and the requester's own list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import aliased

from conversations.lifecycle import ACTIVE
from desks.errors import InvalidInput, NotAnAgent
from desks.permissions import Actor, served_desk_ids
from storage.database import UnitOfWork
from storage.models import AgentMark, Conversation, Desk, Person

QUEUE_LIMIT = 500


class QueueView(StrEnum):
    """The three queue views of SPEC §3."""

    UNASSIGNED = "unassigned"
    MINE = "mine"
    ALL = "all"


def parse_view(word: str | None) -> QueueView:
    """Read `unassigned`, `mine` or `all` (default `unassigned`)."""
    if not word:
        return QueueView.UNASSIGNED
    try:
        return QueueView(word.strip().lower())
    except ValueError:
        raise InvalidInput("queue.not_a_queue", got=word) from None


@dataclass(frozen=True)
class QueueItem:
    """One row of an agent's queue."""

    ref: int
    subject: str
    desk: str
    requester: str
    assignee: str | None
    status: str
    priority: int
    opened_at: datetime
    pinned: bool
    unread: bool
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    # The rest of the SLA clocks, so a row shows the same SLA state as the card.
    first_response_at: datetime | None = None
    first_response_warn_at: datetime | None = None
    first_response_warned_at: datetime | None = None
    first_response_breached_at: datetime | None = None
    resolution_warn_at: datetime | None = None
    resolution_warned_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    sla_paused_at: datetime | None = None
    # A due date an agent set (`/desk due`): the queue sorts by it, soonest first.
    due_at: datetime | None = None
    due_warn_at: datetime | None = None
    due_warned_at: datetime | None = None
    due_flagged_at: datetime | None = None
    # The desk's settings, for its service window (a countdown while the desk is closed
    # names the day and time instead).
    desk_settings: Mapping[str, Any] | None = field(default=None, hash=False)
    category: str | None = None  # the ticket category, when filed under one


async def queue(uow: UnitOfWork, actor: Actor, view: QueueView = QueueView.UNASSIGNED,
                desk: Desk | None = None, *, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Active conversations of the actor's desks (or one of them), pinned first.

    Within pinned and unpinned: those with a due date first, soonest due first; then
    highest priority first, then oldest first. `unread`
    is true when the agent marked it so, never read it, or the requester wrote since.
    """
    desk_ids = await served_desk_ids(uow, actor.id)
    if desk is not None:
        if desk.id not in desk_ids:
            raise NotAnAgent("queue.not_your_desk", desk=desk.name)
        desk_ids = [desk.id]
    if not desk_ids:
        raise NotAnAgent("queue.for_agents")
    requester = aliased(Person)
    assignee = aliased(Person)
    mark = aliased(AgentMark)
    pinned = mark.pinned_at.is_not(None)
    unread = or_(mark.marked_unread.is_(True), mark.read_at.is_(None),
                 mark.read_at < Conversation.last_requester_message_at)
    query = (
        select(Conversation, Desk.name, Desk.settings, requester.display_name,
               assignee.display_name, pinned, unread)
        .join(Desk, Desk.id == Conversation.desk_id)
        .join(requester, requester.id == Conversation.requester_id)
        .outerjoin(assignee, assignee.id == Conversation.assignee_id)
        .outerjoin(mark, and_(mark.conversation_id == Conversation.id,
                              mark.person_id == actor.id))
        .where(Conversation.desk_id.in_(desk_ids),
               Conversation.status.in_(sorted(ACTIVE)))
        .order_by(case((pinned, 0), else_=1),
                  case((Conversation.due_at.is_(None), 1), else_=0), Conversation.due_at,
                  Conversation.priority.desc(), Conversation.opened_at, Conversation.id)
        .limit(limit)
    )
    if view == QueueView.UNASSIGNED:
        query = query.where(Conversation.assignee_id.is_(None))
    elif view == QueueView.MINE:
        query = query.where(Conversation.assignee_id == actor.id)
    rows = await uow.session.execute(query)
    return [
        QueueItem(ref=c.ref, subject=c.subject, desk=desk_name, requester=requester_name,
                  assignee=assignee_name, status=c.status, priority=c.priority,
                  opened_at=c.opened_at, pinned=bool(is_pinned), unread=bool(is_unread),
                  first_response_due_at=c.first_response_due_at,
                  resolution_due_at=c.resolution_due_at,
                  first_response_at=c.first_response_at,
                  first_response_warn_at=c.first_response_warn_at,
                  first_response_warned_at=c.first_response_warned_at,
                  first_response_breached_at=c.first_response_breached_at,
                  resolution_warn_at=c.resolution_warn_at,
                  resolution_warned_at=c.resolution_warned_at,
                  resolution_breached_at=c.resolution_breached_at,
                  sla_paused_at=c.sla_paused_at, desk_settings=desk_settings,
                  category=c.category,
                  due_at=c.due_at, due_warn_at=c.due_warn_at, due_warned_at=c.due_warned_at,
                  due_flagged_at=c.due_flagged_at)
        for c, desk_name, desk_settings, requester_name, assignee_name, is_pinned, is_unread
        in rows.all()
    ]


@dataclass(frozen=True)
class RequestItem:
    """One of the requester's own requests, as they may see it (no internal notes)."""

    ref: int
    subject: str
    desk: str
    status: str
    assignee: str | None
    opened_at: datetime
    updated_at: datetime


async def my_requests(uow: UnitOfWork, requester: Person, *,
                      limit: int = 50) -> list[RequestItem]:
    """The requester's own requests, newest first; never anyone else's."""
    assignee = aliased(Person)
    rows = await uow.session.execute(
        select(Conversation, Desk.name, assignee.display_name)
        .join(Desk, Desk.id == Conversation.desk_id)
        .outerjoin(assignee, assignee.id == Conversation.assignee_id)
        .where(Conversation.requester_id == requester.id)
        .order_by(Conversation.opened_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    return [
        RequestItem(ref=c.ref, subject=c.subject, desk=desk_name, status=c.status,
                    assignee=assignee_name, opened_at=c.opened_at, updated_at=c.updated_at)
        for c, desk_name, assignee_name in rows.all()
    ]
