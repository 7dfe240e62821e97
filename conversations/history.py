"""A request's timeline (`/desk history REF`): its events from the journal, worded.

Who may read it: the agents and leads of the request's desk, and admins, see every
event. The requester may read their own request's history too, without what only the
desk sees (internal notes, pins and unread marks, warnings and stall pings to the
desk). Anyone else is told there is no such request, as for a ref that does not exist.

Each event is said by the catalogue's `history.<kind>`; a kind without words there
(one added later) is said by `history.other`, so nothing is lost. `WORDED` lists the
kinds with words, and a unit test checks it against the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conversations import commands, sla
from conversations.due_dates import shown
from conversations.lifecycle import Status
from conversations.view_models import History, HistoryEntry
from desks.errors import UnknownRef
from desks.permissions import Actor, desk_role
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Desk, Event, Person

# Every event kind with its own words (`history.<kind>` in the catalogues).
WORDED = frozenset({
    "conversation.opened", "conversation.reopened", "conversation.rated",
    "conversation.confirmed", "conversation.closed", "conversation.claimed",
    "conversation.taken_over", "conversation.unassigned", "conversation.transferred",
    "conversation.autoassigned",
    "conversation.released", "conversation.moved", "conversation.escalated",
    "conversation.pinned", "conversation.unpinned", "conversation.marked_unread",
    "message.requester", "message.agent", "message.note",
    "status.changed", "priority.changed", "impact.changed", "urgency.changed",
    "category.changed", "ticket.converted",
    "sla.paused", "sla.resumed", "sla.warning", "sla.breach", "sla.escalated",
    "stall.unassigned", "stall.unassigned_leads", "stall.agent_silent",
    "stall.requester_silent",
    "due.set", "due.cleared", "due.warning", "due.passed",
    "incident.linked", "kb.article_added", "kb.article_edited", "kb.article_removed",
})
# What only the desk sees: the requester's own history leaves these out.
DESK_ONLY = frozenset({
    "message.note", "conversation.pinned", "conversation.unpinned",
    "conversation.marked_unread", "stall.unassigned", "stall.unassigned_leads",
    "stall.agent_silent", "sla.warning", "due.warning",
    "kb.article_added", "kb.article_edited", "kb.article_removed",
})
SHOWN = 200  # the latest events shown; a longer history says how many came before
_TARGETS = ("first_response", "resolution")
_LEVELS = ("high", "medium", "low")


async def request_history(uow: UnitOfWork, actor: Actor, ref: str | int) -> History:
    """The timeline of request `ref` as `actor` may see it; refused as unknown when
    they may not see it at all."""
    conversation = await commands.load(uow, actor.workspace_id, ref, lock=False)
    whole = actor.is_admin or await desk_role(uow, actor.id, conversation.desk_id) is not None
    if not whole and conversation.requester_id != actor.id:
        raise UnknownRef("request.no_such_request", ref=conversation.ref)
    query = (select(Event).where(Event.conversation_id == conversation.id)
             .order_by(Event.id.desc()).limit(SHOWN + 1))
    if not whole:
        query = query.where(Event.kind.not_in(DESK_ONLY))
    events = list((await uow.session.execute(query)).scalars())
    earlier = len(events) > SHOWN
    events = list(reversed(events[:SHOWN]))
    desk = await uow.session.get(Desk, conversation.desk_id)
    assert desk is not None  # foreign key
    names = await _names(uow, Person, _person_ids(events))
    desks = await _names(uow, Desk, _desk_ids(events))
    entries = tuple(HistoryEntry(at=event.created_at, kind=event.kind,
                                 person=names.get(event.actor_id or 0),
                                 words=said(event, names, desks, desk))
                    for event in events)
    return History(ref=conversation.ref, subject=conversation.subject, desk=desk.name,
                   entries=entries, earlier=earlier, language=_language(desk))


def _language(desk: Desk) -> str:
    return desk.language or "en"


def _person_ids(events: Iterable[Event]) -> set[int]:
    found: set[int] = set()
    for event in events:
        if event.actor_id:
            found.add(event.actor_id)
        for name in ("assignee_id", "previous_assignee_id"):
            value = (event.data or {}).get(name)
            if isinstance(value, int):
                found.add(value)
    return found


def _desk_ids(events: Iterable[Event]) -> set[int]:
    found: set[int] = set()
    for event in events:
        for name in ("from_desk_id", "to_desk_id"):
            value = (event.data or {}).get(name)
            if isinstance(value, int):
                found.add(value)
    return found


async def _names(uow: UnitOfWork, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    label = model.display_name if model is Person else model.name
    rows = await uow.session.execute(select(model.id, label).where(model.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


def said(event: Event, people: dict[int, str], desks: dict[int, str], desk: Desk) -> Words:
    """What `event` says in the timeline: `history.<kind>` with its values, or the
    generic line for a kind without words."""
    data: dict[str, Any] = event.data or {}
    kind = event.kind
    if kind not in WORDED:
        return Words("history.other", kind=kind[:40])
    key = "history." + kind
    if kind in ("conversation.transferred", "conversation.taken_over",
                "conversation.autoassigned"):
        return Words(key, person=people.get(data.get("assignee_id") or 0, "?"))
    if kind in ("conversation.moved", "conversation.escalated", "sla.escalated"):
        return Words(key, from_desk=desks.get(data.get("from_desk_id") or 0)
                     or str(data.get("from_desk") or "?"),
                     to_desk=desks.get(data.get("to_desk_id") or 0)
                     or str(data.get("to_desk") or "?"))
    if kind == "status.changed":
        return Words(key, status=_status(data.get("new")))
    if kind in ("sla.paused", "sla.resumed"):
        return Words(key, status=_status(data.get("status")))
    if kind == "priority.changed":
        return Words(key, priority=_number(data.get("new")))
    if kind in ("impact.changed", "urgency.changed"):
        level = data.get("new")
        return Words(key, label=Words(f"matrix.level_{level}" if level in _LEVELS
                                      else "matrix.level_unset"))
    if kind in ("category.changed", "ticket.converted"):
        category = data.get("new") if kind == "category.changed" else data.get("category")
        return Words(key, label=str(category)) if category else Words(key + ".plain")
    if kind == "conversation.rated":
        return Words(key, rating=_number(data.get("rating")))
    if kind in ("sla.warning", "sla.breach"):
        target = data.get("target")
        return Words(key, target=Words("alert.target_" + target if target in _TARGETS
                                       else "alert.target_other"))
    if kind == "incident.linked":
        return Words(key, number=_number(data.get("incident")))
    if kind.startswith("kb.article_"):
        return Words(key, number=_number(data.get("article")))
    if kind == "due.set":
        return Words(key, due=_due(data.get("due_at"), desk))
    return Words(key)


def _status(value: Any) -> Words | str:
    return Words(f"status.{value}") if value in tuple(Status) else str(value or "?")


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _due(value: Any, desk: Desk) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "?")
    return shown(moment, sla.desk_policy(desk).window)
