"""What a new request's opening asks of the desk's incidents.

At request-open time, in the opening transaction: does the request look like an
incident open on its desk (the known-incident offer), and does it complete a burst of
similar requests (the proposal to declare one, posted once per cluster)? The rules
themselves are in `conversations.incident_rules`; this module reads their inputs and
writes the event and notice. It imports nothing of `conversations.commands`, which
calls it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conversations import incident_rules as rules
from desks.notices import NoticeKind
from storage.database import UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import Conversation, Desk, Event, Incident

OPEN = "open"
RESOLVED = "resolved"
PROPOSED = "incident.proposed"  # the event that remembers a proposed cluster
LINKED_SUBJECTS = 50  # the latest linked subjects an incident is compared with


def incident_notice(uow: UnitOfWork, incident: Incident, kind: NoticeKind,
                    **payload: Any) -> None:
    """A notice about the incident (its card, its thread), ordered per incident."""
    write_notice(uow, workspace_id=incident.workspace_id, kind=kind,
                 ordering_key=f"incident:{incident.id}",
                 payload={"incident_id": incident.id, **payload})


async def known_incident(uow: UnitOfWork, desk: Desk, text: str) -> Incident | None:
    """The open incident of `desk` that `text` looks like (its title or a linked
    request's subject), the newest first; None when there is none."""
    incidents = (await uow.session.execute(
        select(Incident).where(Incident.desk_id == desk.id, Incident.status == OPEN)
        .order_by(Incident.id.desc()))).scalars().all()
    for incident in incidents:
        subjects = (await uow.session.execute(
            select(Conversation.subject).where(Conversation.incident_id == incident.id)
            .order_by(Conversation.id.desc()).limit(LINKED_SUBJECTS))).scalars().all()
        if rules.matches_incident(text, [incident.title, *subjects]):
            return incident
    return None


async def watch_for_burst(uow: UnitOfWork, conversation: Conversation, desk: Desk,
                          text: str) -> list[int] | None:
    """After `conversation` opened on `desk`: propose an incident when it completes a
    burst (`rules.burst`); the refs proposed, or None. Proposed once: an event
    (`incident.proposed`) remembers the cluster."""
    count, window = rules.burst_setting(desk.settings)
    now = uow.clock.now()
    since = now - window
    if count < 2 or await known_incident(uow, desk, text) is not None:
        return None
    rows = (await uow.session.execute(
        select(Conversation.ref, Conversation.subject, Conversation.opened_at,
               Conversation.incident_id, Conversation.requester_id)
        .where(Conversation.desk_id == desk.id, Conversation.opened_at >= since,
               Conversation.id != conversation.id)
        .order_by(Conversation.id))).all()
    proposed: set[int] = set()
    for data in (await uow.session.execute(
            select(Event.data).where(Event.desk_id == desk.id, Event.kind == PROPOSED,
                                     Event.created_at >= since))).scalars():
        proposed.update(int(ref) for ref in (data or {}).get("refs", []))
    recent = [rules.Recent(ref=ref, words=rules.words(subject), opened_at=opened_at,
                           proposed=ref in proposed, linked=incident_id is not None,
                           requester=requester_id)
              for ref, subject, opened_at, incident_id, requester_id in rows]
    new = rules.Recent(conversation.ref, rules.words(text), now,
                       requester=conversation.requester_id)
    cluster = rules.burst(new, recent, count=count, window=window)
    if cluster is None:
        return None
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, kind=PROPOSED,
                 refs=cluster)
    write_notice(uow, workspace_id=desk.workspace_id, kind=NoticeKind.INCIDENT_PROPOSAL,
                 ordering_key=f"desk:{desk.id}", payload={"desk_id": desk.id, "refs": cluster})
    return cluster


async def linked_at_open(uow: UnitOfWork, conversation: Conversation,
                         incident: Incident) -> None:
    """A request opened as part of `incident` ("It's this"): linked, the card's counter
    goes up (no ticket card of its own)."""
    conversation.incident_id = incident.id
    record_event(uow, workspace_id=conversation.workspace_id,
                 conversation_id=conversation.id, desk_id=conversation.desk_id,
                 kind="incident.linked", incident=incident.number, by="requester")
    incident_notice(uow, incident, NoticeKind.INCIDENT_CARD_UPDATE)
