"""Posting a desk's saved reply from a request's card, as the agent who chose it.

It goes the way an agent's thread reply goes (`commands.agent_reply`: it claims an
unassigned request, counts as the first response, is relayed to the requester), with
its placeholders filled; and since nobody typed it in the card's thread, it is also
posted there, as the agent's message (a relay to agents of the agent's own words).
"""

from __future__ import annotations

from sqlalchemy import select

from conversations import button_ids, commands
from desks import saved_replies
from desks.errors import InvalidInput
from desks.notices import NoticeKind
from desks.permissions import Actor
from storage.database import UnitOfWork
from storage.models import Person, SavedReply


async def card_choices(uow: UnitOfWork, desk_id: int) -> tuple[tuple[int, str], ...]:
    """The (id, name) of the desk's saved replies a card's *Saved reply* control offers."""
    rows = await saved_replies.replies_of(uow, desk_id)
    return tuple((reply.id, reply.name) for reply in rows[:saved_replies.MAX_REPLIES])


async def post(uow: UnitOfWork, actor: Actor, ref: int, value: str | None) -> commands.Posted:
    """Post the saved reply the control carried (`value`: its id) on `ref` as `actor`.

    Refused when the reply is gone or belongs to another desk (a card rendered before
    a change), like any card control whose choice no longer holds.
    """
    conversation, desk = await commands.agent_conversation(uow, actor, ref)
    if not (value or "").strip():  # Teams: *Send reply* with nothing chosen
        raise InvalidInput("saved_reply.pick_one")
    reply_id = button_ids.number(value)
    reply = (await uow.session.scalars(select(SavedReply).where(
        SavedReply.id == (reply_id or 0), SavedReply.desk_id == desk.id))).first()
    if reply is None:
        raise InvalidInput("saved_reply.gone", desk=desk.name)
    requester = await uow.session.get(Person, conversation.requester_id)
    text = saved_replies.fill(reply.text, requester.display_name if requester else "",
                              conversation.ref)
    posted = await commands.agent_reply(uow, actor, conversation.ref, text,
                                        saved_reply=reply.name)
    commands.tell(uow, posted.conversation, NoticeKind.RELAY_TO_AGENTS,
                  message_id=posted.message.id)
    return posted
