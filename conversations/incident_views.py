"""The views of a major incident, built from the database as it is at delivery: its
card, an update in its thread, the news a linked requester gets, a burst's proposal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from conversations import button_ids
from conversations.outbox_worker import Undeliverable
from conversations.view_models import (
    IncidentCard,
    IncidentNews,
    IncidentOffer,
    IncidentProposal,
    PersonRef,
)
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Conversation, Desk, Incident, PendingRequest, Person

CARD_REFS = 30  # refs the card lists; its counter says how many are linked
INCIDENT_CHOICES = 25  # the desk's open incidents a ticket card's select offers


def person_ref(person: Person | None) -> PersonRef | None:
    """A person as a view shows them."""
    return PersonRef(person.display_name, person.external_id) if person else None


async def ticket_card_incidents(uow: UnitOfWork, conversation: Conversation) -> dict[str, Any]:
    """What a ticket card shows of incidents: the one it is linked to, and the desk's
    open ones its *Link to incident* select offers."""
    linked = (await uow.session.get(Incident, conversation.incident_id)
              if conversation.incident_id else None)
    rows = (await uow.session.execute(
        select(Incident.number, Incident.title)
        .where(Incident.desk_id == conversation.desk_id, Incident.status == "open")
        .order_by(Incident.number.desc()).limit(INCIDENT_CHOICES))).all()
    return {"incident": linked.number if linked else None,
            "open_incidents": tuple((number, title) for number, title in rows
                                    if not linked or number != linked.number)}


async def incident_card(uow: UnitOfWork, incident_id: int) -> IncidentCard | None:
    """The incident's card; None when it is gone."""
    incident = await uow.session.get(Incident, int(incident_id))
    if incident is None:
        return None
    desk = await uow.session.get(Desk, incident.desk_id)
    count = (await uow.session.execute(
        select(func.count()).select_from(Conversation)
        .where(Conversation.incident_id == incident.id))).scalar_one()
    refs = (await uow.session.execute(
        select(Conversation.ref).where(Conversation.incident_id == incident.id)
        .order_by(Conversation.ref).limit(CARD_REFS))).scalars().all()
    opener = (await uow.session.get(Person, incident.opened_by_id)
              if incident.opened_by_id else None)
    return IncidentCard(number=incident.number, title=incident.title, status=incident.status,
                        desk=desk.name if desk else "?", count=int(count), refs=tuple(refs),
                        opened_by=person_ref(opener), latest_update=incident.latest_update,
                        resolution_note=incident.resolution_note)


async def _news(uow: UnitOfWork, incident_id: Any, payload: Mapping[str, Any],
                ref: int | None) -> IncidentNews | None:
    incident = await uow.session.get(Incident, int(incident_id or 0))
    if incident is None:
        return None
    author_id = payload.get("author_id")
    author = await uow.session.get(Person, int(author_id)) if author_id else None
    return IncidentNews(number=incident.number, title=incident.title,
                        text=str(payload.get("text") or ""),
                        resolved=bool(payload.get("resolved")), ref=ref,
                        author=person_ref(author))


async def incident_thread(uow: UnitOfWork, incident_id: int,
                          payload: Mapping[str, Any]) -> IncidentNews | None:
    """An update of the incident, as posted in its card's thread."""
    return await _news(uow, incident_id, payload, None)


async def incident_news(uow: UnitOfWork, conversation: Conversation,
                        payload: Mapping[str, Any]) -> IncidentNews:
    """An update of the incident, as its requester reads it about their request."""
    news = await _news(uow, payload.get("incident_id"), payload, conversation.ref)
    if news is None:
        raise Undeliverable("the incident no longer exists")
    return news


async def incident_proposal(uow: UnitOfWork,
                            payload: Mapping[str, Any]) -> IncidentProposal | None:
    """A burst's proposal to declare an incident; None when its desk is gone."""
    desk = await uow.session.get(Desk, int(payload.get("desk_id") or 0))
    if desk is None:
        return None
    return IncidentProposal(desk_id=desk.id, desk=desk.name,
                            refs=tuple(int(r) for r in payload.get("refs") or ()))


async def incident_offer(uow: UnitOfWork, pending: PendingRequest,
                         question: str) -> IncidentOffer | None:
    """"This may be the known incident…" for `pending` (`question` "incident:<id>");
    None when the incident is gone or resolved meanwhile."""
    found = question.split(":", 1)[1]
    incident = await uow.session.get(Incident, int(found)) if found.isdigit() else None
    if incident is None or incident.status != "open":
        return None
    return IncidentOffer(pending_id=pending.id, number=incident.number, title=incident.title)


async def proposal_answer(uow: UnitOfWork, workspace_id: int, action_id: str,
                          value: str | None) -> Words | None:
    """What the clicked message says now when it was a burst's proposal (its *Declare
    incident* names several requests); None for any other control: a ticket card is
    re-rendered as it is."""
    refs = button_ids.refs_of(value)
    if action_id != button_ids.DECLARE_INCIDENT or len(refs) < 2:
        return None
    first = (await uow.session.scalars(select(Conversation).where(
        Conversation.workspace_id == workspace_id, Conversation.ref == refs[0]))).first()
    return await declared(uow, first) if first is not None else Words("incident.declare")


async def declared(uow: UnitOfWork, conversation: Conversation) -> Words:
    """What a burst's proposal says once declared: the incident its first request is in."""
    incident = (await uow.session.get(Incident, conversation.incident_id)
                if conversation.incident_id else None)
    if incident is None:
        return Words("incident.declare")
    return Words("incident.declared", number=incident.number, title=incident.title)
