"""Major incidents (SPEC §1): open one, link requests to it, tell every linked requester
an update once, resolve them all with its note.

Each command runs in the caller's unit of work like those of `conversations.commands`:
it checks the actor works the incident's desk, changes state, records events and
writes notices (the incident's card and thread: `incident.*` notices ordered per
incident; one `incident.news` per linked request to its requester). Resolving goes
through `commands.set_status`, the path of `/desk status REF resolved`, so each
request's SLA clocks stop and its requester is asked "Did this solve it?".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from conversations import commands
from conversations.files import SharedFile
from conversations.incident_watch import OPEN, RESOLVED, incident_notice
from conversations.lifecycle import ACTIVE, Status
from desks.errors import InvalidInput, NotAnAgent, UnknownDesk, UnknownRef, WrongState
from desks.notices import NoticeKind
from desks.permissions import Actor, desk_role, served_desk_ids
from desks.wording import Words
from storage.database import UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import Conversation, Desk, Incident, PendingRequest, Person

TITLE_LIMIT = 200
_NUMBER = re.compile(r"^(?:inc-?)?#?(\d{1,9})$", re.IGNORECASE)


def parse_number(text: str | int) -> int:
    """An incident's number written `INC-3`, `inc-3` or `3`; refuses anything else."""
    if isinstance(text, int):
        return text
    found = _NUMBER.match((text or "").strip())
    if found is None:
        raise InvalidInput("incident.not_a_number", got=(text or "").strip()[:40]
                           or Words("common.nothing_bare"))
    return int(found.group(1))


def label(number: int) -> str:
    """How an incident is named: INC-3."""
    return f"INC-{number}"


@dataclass
class Linked:
    """What `link` did: the incident, the refs linked now and those linked already."""

    incident: Incident
    linked: list[int]
    already: list[int]


async def load(uow: UnitOfWork, workspace_id: int, text: str | int) -> Incident:
    """The incident with this number, locked for change; refuses an unknown one."""
    number = parse_number(text)
    incident = (await uow.session.execute(
        select(Incident).where(Incident.workspace_id == workspace_id,
                               Incident.number == number).with_for_update())
    ).scalar_one_or_none()
    if incident is None:
        raise UnknownRef("incident.no_such", incident=label(number))
    return incident


async def _for_agent(uow: UnitOfWork, actor: Actor, text: str | int) -> tuple[Incident, Desk]:
    incident = await load(uow, actor.workspace_id, text)
    desk = await uow.session.get(Desk, incident.desk_id)
    assert desk is not None  # a foreign key
    if await desk_role(uow, actor.id, desk.id) is None:
        raise NotAnAgent("incident.not_your_desk", incident=label(incident.number),
                         desk=desk.name)
    return incident, desk


def _open_only(incident: Incident) -> None:
    if incident.status != OPEN:
        raise WrongState("incident.resolved_already", incident=label(incident.number))


async def desk_of_agent(uow: UnitOfWork, actor: Actor, desk: Desk | None) -> Desk:
    """The desk an incident opens on: `desk` when the actor works it, else their only one."""
    if desk is not None:
        if await desk_role(uow, actor.id, desk.id) is None:
            raise NotAnAgent("incident.cannot_open_there", desk=desk.name)
        return desk
    served = await served_desk_ids(uow, actor.id)
    if not served:
        raise NotAnAgent("incident.agents_only")
    if len(served) > 1:
        raise InvalidInput("incident.which_desk")
    found = await uow.session.get(Desk, served[0])
    if found is None:
        raise UnknownDesk("incident.which_desk")
    return found


async def _next_number(uow: UnitOfWork, workspace_id: int) -> int:
    last = (await uow.session.execute(
        select(func.max(Incident.number)).where(Incident.workspace_id == workspace_id)
    )).scalar_one_or_none()
    return int(last or 0) + 1


async def open_incident(uow: UnitOfWork, actor: Actor, title: str,
                        desk: Desk | None = None) -> Incident:
    """Open an incident on `desk` (the actor's only desk when None); its card is posted
    in the desk's agent channel."""
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("incident.needs_title")
    if len(title) > TITLE_LIMIT:
        title = title[:TITLE_LIMIT - 1] + "…"
    desk = await desk_of_agent(uow, actor, desk)
    incident = Incident(workspace_id=desk.workspace_id,
                        number=await _next_number(uow, desk.workspace_id), desk_id=desk.id,
                        title=title, status=OPEN, opened_by_id=actor.id,
                        opened_at=uow.clock.now())
    uow.session.add(incident)
    await uow.session.flush()
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="incident.opened", incident=incident.number, title=title)
    incident_notice(uow, incident, NoticeKind.INCIDENT_CARD_POST)
    return incident


async def link(uow: UnitOfWork, actor: Actor, number: str | int,
               refs: Sequence[str | int]) -> Linked:
    """Link requests to an open incident: its card counts them, their requesters hear
    its updates. A request linked already is passed by."""
    incident, _ = await _for_agent(uow, actor, number)
    _open_only(incident)
    done = Linked(incident, [], [])
    for ref in refs:
        conversation, _ = await commands.agent_conversation(uow, actor, ref)
        if conversation.incident_id == incident.id:
            done.already.append(conversation.ref)
            continue
        await link_conversation(uow, actor, incident, conversation)
        done.linked.append(conversation.ref)
    if done.linked:
        incident_notice(uow, incident, NoticeKind.INCIDENT_CARD_UPDATE)
    return done


async def link_conversation(uow: UnitOfWork, actor: Actor, incident: Incident,
                            conversation: Conversation) -> None:
    """Link one request (checked already) to `incident`; the caller updates its card."""
    previous = conversation.incident_id
    conversation.incident_id = incident.id
    conversation.updated_at = uow.clock.now()
    record_event(uow, workspace_id=conversation.workspace_id,
                 conversation_id=conversation.id, desk_id=conversation.desk_id,
                 actor_id=actor.id, kind="incident.linked", incident=incident.number,
                 previous_incident_id=previous)
    write_notice(uow, workspace_id=conversation.workspace_id,
                 conversation_id=conversation.id, kind=NoticeKind.CARD_UPDATE)


async def _linked(uow: UnitOfWork, incident: Incident) -> list[Conversation]:
    return list((await uow.session.execute(
        select(Conversation).where(Conversation.incident_id == incident.id)
        .order_by(Conversation.id).with_for_update())).scalars())


def _news(uow: UnitOfWork, conversation: Conversation, incident: Incident, text: str,
          *, resolved: bool, author_id: int) -> None:
    """One notice to the request's requester: sent once, whatever else they get."""
    write_notice(uow, workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                 kind=NoticeKind.INCIDENT_NEWS,
                 payload={"incident_id": incident.id, "text": text, "resolved": resolved,
                          "author_id": author_id})


def _clean(text: str, key: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(key)
    if len(text) > commands.MAX_MESSAGE:
        raise InvalidInput("message.too_long", length=f"{len(text):,}",
                           limit=f"{commands.MAX_MESSAGE:,}")
    return text


async def post_update(uow: UnitOfWork, actor: Actor, number: str | int,
                      text: str) -> tuple[Incident, int]:
    """Tell every linked requester whose request is still open `text`, once each (one
    notice per person, however many of their requests are linked), and post it in the
    incident card's thread; the incident and how many were told."""
    incident, desk = await _for_agent(uow, actor, number)
    _open_only(incident)
    text = _clean(text, "incident.needs_text")
    incident.latest_update = text
    told: set[int] = set()
    for conversation in await _linked(uow, incident):
        if conversation.status in ACTIVE and conversation.requester_id not in told:
            _news(uow, conversation, incident, text, resolved=False, author_id=actor.id)
            told.add(conversation.requester_id)
    record_event(uow, workspace_id=incident.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="incident.updated", incident=incident.number, told=len(told))
    incident_notice(uow, incident, NoticeKind.INCIDENT_THREAD, text=text, author_id=actor.id)
    incident_notice(uow, incident, NoticeKind.INCIDENT_CARD_UPDATE)
    return incident, len(told)


async def resolve(uow: UnitOfWork, actor: Actor, number: str | int,
                  note: str) -> tuple[Incident, list[int]]:
    """Resolve every linked open request with `note` (as `/desk status REF resolved`
    does), then the incident; the incident and the refs resolved."""
    incident, desk = await _for_agent(uow, actor, number)
    _open_only(incident)
    note = _clean(note, "incident.needs_note")
    resolved: list[int] = []
    for conversation in await _linked(uow, incident):
        if conversation.status not in ACTIVE:
            continue
        if await desk_role(uow, actor.id, conversation.desk_id) is None:
            continue  # moved to a desk the actor does not work: its agents resolve it
        _news(uow, conversation, incident, note, resolved=True, author_id=actor.id)
        await commands.set_status(uow, actor, conversation.ref, Status.RESOLVED)
        resolved.append(conversation.ref)
    incident.status = RESOLVED
    incident.resolved_at = uow.clock.now()
    incident.resolution_note = note
    record_event(uow, workspace_id=incident.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="incident.resolved", incident=incident.number, refs=resolved)
    incident_notice(uow, incident, NoticeKind.INCIDENT_THREAD, text=note, author_id=actor.id,
                    resolved=True)
    incident_notice(uow, incident, NoticeKind.INCIDENT_CARD_UPDATE)
    return incident, resolved


async def open_incidents(uow: UnitOfWork, actor: Actor,
                         desk: Desk | None = None) -> list[tuple[Incident, str, int]]:
    """The open incidents of the actor's desks (or of `desk`): each with its desk's name
    and how many requests are linked."""
    served = await served_desk_ids(uow, actor.id)
    if not served:
        raise NotAnAgent("incident.agents_only")
    if desk is not None:
        if desk.id not in served:
            raise NotAnAgent("incident.cannot_open_there", desk=desk.name)
        served = [desk.id]
    counted = (select(Conversation.incident_id, func.count().label("n"))
               .where(Conversation.incident_id.is_not(None))
               .group_by(Conversation.incident_id).subquery())
    rows = await uow.session.execute(
        select(Incident, Desk.name, func.coalesce(counted.c.n, 0))
        .join(Desk, Desk.id == Incident.desk_id)
        .outerjoin(counted, counted.c.incident_id == Incident.id)
        .where(Incident.desk_id.in_(served), Incident.status == OPEN)
        .order_by(Incident.number))
    return [(incident, name, int(n)) for incident, name, n in rows.all()]


async def declare_from(uow: UnitOfWork, actor: Actor, refs: Sequence[str | int],
                       title: str | None = None) -> Linked:
    """Open an incident titled by the first request's subject (or `title`) on its desk,
    and link the requests (a ticket card's *Declare incident*, a burst's proposal)."""
    if not refs:
        raise InvalidInput("incident.needs_refs")
    first, desk = await commands.agent_conversation(uow, actor, refs[0])
    if first.incident_id is not None:
        linked = await uow.session.get(Incident, first.incident_id)
        if linked is not None and linked.status == OPEN:  # a second click on the proposal
            raise WrongState("incident.declared_already", ref=first.ref,
                             incident=label(linked.number))
    incident = await open_incident(uow, actor, title or first.subject or f"#{first.ref}", desk)
    return await link(uow, actor, incident.number, refs)


async def offer_answered(uow: UnitOfWork, person: Person, pending: PendingRequest,
                         number: str, known: bool,
                         files: Sequence[SharedFile] = ()) -> Words:
    """The employee answered "This may be the known incident…" about `pending` (taken
    already): *It's this* opens the request linked to the incident, with no ticket card
    of its own; *Something else* (or an incident resolved meanwhile) opens it as usual
    on the incident's desk. What happened, in words."""
    incident = (await uow.session.execute(
        select(Incident).where(Incident.workspace_id == person.workspace_id,
                               Incident.number == parse_number(number)).with_for_update()
    )).scalar_one_or_none()
    if incident is None:
        raise UnknownRef("incident.no_such", incident=number[:20])
    desk = await uow.session.get(Desk, incident.desk_id)
    if desk is None:
        raise UnknownDesk("intake.desk_gone", name=number[:20])
    posted = await commands.open_conversation(
        uow, person, desk, pending.text, requester_channel=pending.channel,
        requester_thread=pending.thread, requester_side_id=pending.side_id, via=pending.via,
        files=files, incident=incident if known and incident.status == OPEN else None)
    if posted.conversation.incident_id is not None:
        return Words("incident.offer_linked", ref=posted.conversation.ref, title=incident.title)
    return Words("intake.sent", desk=desk.name, ref=posted.conversation.ref)
