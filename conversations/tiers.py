"""Tiers: an agent moves a ticket to its desk's next tier (`/desk escalate REF [note]`).

The next tier is the desk policy's `escalate_to`, the same one a resolution breach
moves a request to (`scheduling.sweeps`; set with `/desk admin escalate DESK to
NEXTDESK`). Only tickets escalate: an inquiry is made a ticket first (`/desk ticket`).
The move is `commands.transfer_to_desk`'s (unassigned there, a new card, the old card
says where it went), recorded as `conversation.escalated` with the actor, both desks
and the note; the note is kept as an internal note and shown on the new desk's card,
and the requester is told the request went up a tier.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from conversations import commands, sla
from conversations.lifecycle import DONE, Status
from desks.errors import WrongState
from desks.permissions import Actor
from desks.service import escalation_chain, require_ready_desk
from desks.wording import code
from storage.database import UnitOfWork
from storage.models import Conversation, Desk, Event, Message, Person

TICKET = "ticket"
ESCALATED = "conversation.escalated"


@dataclass(frozen=True)
class Escalation:
    """A ticket moved up a tier: from which desk to which, with what note."""

    conversation: Conversation
    from_desk: Desk
    to_desk: Desk
    note: str | None


async def next_tier(uow: UnitOfWork, desk: Desk) -> Desk | None:
    """The desk's next tier (its policy's `escalate_to`), or None when it names none or
    that desk is gone or archived."""
    slug = sla.desk_policy(desk).escalate_to
    if slug is None:
        return None
    target = (await uow.session.execute(select(Desk).where(
        Desk.workspace_id == desk.workspace_id, Desk.slug == slug))).scalar_one_or_none()
    if target is None or target.archived_at is not None or target.id == desk.id:
        return None
    return target


async def escalate_ticket(uow: UnitOfWork, actor: Actor, ref: str | int,
                          note: str | None = None) -> Escalation:
    """Move the ticket `ref` to its desk's next tier; agents of its desk only.

    Refuses a closed or resolved request, an inquiry (with how to make it a ticket),
    a desk without a next tier (with how to set one) and a next tier not ready.
    """
    conversation, desk = await commands.agent_conversation(uow, actor, ref)
    if conversation.status in DONE:
        key = ("request.closed_reopen_first" if conversation.status == Status.CLOSED
               else "request.resolved_reopen_first")
        raise WrongState(key, ref=conversation.ref,
                         command=code(f"/desk reopen {conversation.ref}"))
    if conversation.kind != TICKET:
        raise WrongState("tier.not_a_ticket", ref=conversation.ref,
                         command=code(f"/desk ticket {conversation.ref} CATEGORY"))
    target = await next_tier(uow, desk)
    if target is None:
        raise WrongState("tier.no_next_tier", desk=desk.name,
                         command=code(f"/desk admin escalate {desk.name} to NEXTDESK"))
    await require_ready_desk(uow, target)
    text = commands.clean_note(note) if note and note.strip() else None
    note_id = None
    if text is not None:
        message = Message(conversation_id=conversation.id, author_id=actor.id, kind="note",
                          body=text, created_at=uow.clock.now())
        uow.session.add(message)
        await uow.session.flush()
        note_id = message.id
    await commands.move(uow, conversation, desk, target, actor.id, ESCALATED,
                        requester_what="escalated", note=text, note_message_id=note_id,
                        from_desk=desk.name, to_desk=target.name)
    return Escalation(conversation, desk, target, text)


@dataclass(frozen=True)
class EscalatedHere:
    """How the request reached its current desk by escalation: from where, by whom, why."""

    from_desk: str
    by: Person | None
    note: str | None


async def escalated_here(uow: UnitOfWork, conversation: Conversation) -> EscalatedHere | None:
    """The escalation that brought the request to its current desk, if the last move
    did (an agent's `/desk escalate`)."""
    event = (await uow.session.execute(
        select(Event).where(Event.conversation_id == conversation.id,
                            Event.kind.in_((ESCALATED, "conversation.moved", "sla.escalated")))
        .order_by(Event.id.desc()).limit(1))).scalar_one_or_none()
    if event is None or event.kind != ESCALATED:
        return None
    data = event.data or {}
    if data.get("to_desk_id") != conversation.desk_id:
        return None
    by = await uow.session.get(Person, event.actor_id) if event.actor_id else None
    return EscalatedHere(from_desk=str(data.get("from_desk") or ""), by=by,
                         note=data.get("note"))


async def chain_of(uow: UnitOfWork, desk: Desk) -> list[Desk]:
    """The desk and the tiers after it, in order (stops at a repeat or a missing desk)."""
    return await escalation_chain(uow, desk.workspace_id, desk.slug)
