"""A requester withdraws their own request (`/desk withdraw REF`, the receipt's button).

It is closed, not resolved: recorded as `conversation.withdrawn`, the ticket card says
"Withdrawn by the requester", the agents' thread is told, its timers are disarmed and its
pins go, as on a close. Nobody is asked "did this solve it?". Someone else's request is
refused as an unknown one (no ref is revealed); a closed one is answered as closed.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations import sla
from conversations.commands import load
from conversations.lifecycle import Status
from desks.errors import UnknownRef, WrongState
from desks.notices import NoticeKind
from storage.database import UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import AgentMark, Conversation, Event, Person

WITHDRAWN = "conversation.withdrawn"


async def withdraw(uow: UnitOfWork, requester: Person, ref: str | int) -> Conversation:
    """Close `requester`'s own request `ref` as withdrawn."""
    conversation = await load(uow, requester.workspace_id, ref)
    if conversation.requester_id != requester.id:
        raise UnknownRef("request.no_such_request", ref=conversation.ref)
    if conversation.status == Status.CLOSED:
        raise WrongState("withdraw.already_closed", ref=conversation.ref)
    old = conversation.status
    now = uow.clock.now()
    conversation.status = Status.CLOSED
    conversation.closed_at = now
    conversation.updated_at = now
    await sla.track(uow, conversation)  # a closed request has no clock left to run
    pinned = list((await uow.session.execute(
        select(AgentMark).where(AgentMark.conversation_id == conversation.id,
                                AgentMark.pinned_at.is_not(None)))).scalars())
    for mark in pinned:
        mark.pinned_at = None
    record_event(uow, workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                 desk_id=conversation.desk_id, actor_id=requester.id, kind=WITHDRAWN, old=old)
    kinds = [NoticeKind.CARD_UNPIN] if pinned else []
    kinds += [NoticeKind.CARD_UPDATE, NoticeKind.REQUESTER_WITHDREW]
    for kind in kinds:
        write_notice(uow, workspace_id=conversation.workspace_id,
                     conversation_id=conversation.id, kind=kind, payload={})
    return conversation


async def was_withdrawn(uow: UnitOfWork, conversation: Conversation) -> bool:
    """Whether the request is closed because its requester withdrew it (not reopened since)."""
    if conversation.status != Status.CLOSED:
        return False
    last = (await uow.session.execute(
        select(Event.kind).where(Event.conversation_id == conversation.id,
                                 Event.kind.in_((WITHDRAWN, "conversation.reopened")))
        .order_by(Event.id.desc()).limit(1))).scalar_one_or_none()
    return last == WITHDRAWN
