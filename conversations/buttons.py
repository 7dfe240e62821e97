"""What a card's buttons do, on any platform: ticket controls, the employee's choices,
an incident card's update and resolve.

The Slack and Teams adapters read which control was used and its value from their own
payloads, enter the people involved, and call these inside one unit of work. Refusals
are raised as `DeskbotError`s for the adapter to show privately.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conversations import (
    button_ids,
    chosen_replies,
    commands,
    due_dates,
    incident_watch,
    incidents,
    intake,
    messages,
    tickets,
    tiers,
    view_queries,
    withdrawal,
)
from conversations.files import held as held_files
from conversations.files import hold as hold_files
from conversations.knowledge import deflection
from conversations.lifecycle import parse_status
from conversations.view_models import ResolvePrompt, Settled
from desks import audience
from desks.errors import InvalidInput, UnknownDesk
from desks.permissions import Actor
from desks.service import find_desk
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Desk, Person, Workspace


async def ticket_control(uow: UnitOfWork, workspace: Workspace, actor: Actor, action_id: str,
                         ref: int, value: str | None, people: dict[str, Person]) -> None:
    """One ticket-card control (claim, take over, unassign, transfer, pin, priority,
    status, close; make ticket / category, impact, urgency; escalate; due date) on `ref`.

    `value` is what the control carried: the chosen agent's platform id (entered in
    `people`), desk slug, priority or status; a due date as `due_dates.card_when` reads it.
    """
    if action_id == button_ids.CLAIM:
        await commands.claim(uow, actor, ref)
    elif action_id == button_ids.TAKE_OVER:
        await commands.take_over(uow, actor, ref)
    elif action_id == button_ids.UNASSIGN:
        await commands.unassign(uow, actor, ref)
    elif action_id == button_ids.TRANSFER_AGENT:
        agent = people.get(value or "")
        if agent is None:
            raise InvalidInput("button.pick_agent")
        await commands.transfer_to_agent(uow, actor, ref, agent)
    elif action_id == button_ids.TRANSFER_DESK:
        desk = await find_desk(uow, workspace.id, value or "")
        if desk is None:
            raise UnknownDesk("button.no_such_desk", name=value or "")
        await commands.transfer_to_desk(uow, actor, ref, desk)
    elif action_id == button_ids.PIN:
        await commands.pin(uow, actor, ref)
    elif action_id == button_ids.UNPIN:
        await commands.unpin(uow, actor, ref)
    elif action_id == button_ids.PRIORITY:
        await commands.set_priority(uow, actor, ref, value or "")
    elif action_id == button_ids.STATUS:
        await commands.set_status(uow, actor, ref, parse_status(value or ""))
    elif action_id == button_ids.CLOSE:
        await commands.close(uow, actor, ref)
    elif action_id in (button_ids.CATEGORY, button_ids.MAKE_TICKET):
        await tickets.card_choice(uow, actor, ref,
                                  value if action_id == button_ids.CATEGORY else None)
    elif action_id == button_ids.IMPACT:
        await tickets.set_impact(uow, actor, ref, value or "")
    elif action_id == button_ids.URGENCY:
        await tickets.set_urgency(uow, actor, ref, value or "")
    elif action_id == button_ids.ESCALATE:
        await tiers.escalate_ticket(uow, actor, ref)
    elif action_id == button_ids.DUE:
        await due_dates.set_due(uow, actor, ref, due_dates.card_when(value))
    elif action_id == button_ids.DUE_CLEAR:
        await due_dates.set_due(uow, actor, ref, due_dates.OFF)
    elif action_id == button_ids.DECLARE_INCIDENT:
        # A ticket card's (value: none or its ref) or a burst proposal's (value: its refs).
        await incidents.declare_from(uow, actor, button_ids.refs_of(value) or [ref])
    elif action_id == button_ids.LINK_INCIDENT:
        parts = button_ids.split_value(value, 2)
        if not parts:
            raise InvalidInput("button.unknown")
        await incidents.link(uow, actor, parts[1], [ref])
    elif action_id == button_ids.SAVED_REPLY:
        await chosen_replies.post(uow, actor, ref, value)
    else:
        raise InvalidInput("button.unknown")


async def intake_choice(uow: UnitOfWork, person: Person, action_id: str, pending_id: int,
                        choice: str | None) -> Words:
    """The desk picker and "add to #ref or new request?": returns what happened, in words.

    `choice` is the desk slug (PICK_DESK) or the ref (ADD_TO); NEW_REQUEST (after "add
    to #ref or new?": a known incident or answers may still be offered first) and
    SUGGESTION_SEND (the suggestions' *Send my request*) need none; SUGGESTION_SOLVED
    names the answer.
    """
    files = await held_files(uow, pending_id)  # read before taking removes them
    pending = await intake.take(uow, person, pending_id)
    where: dict[str, Any] = {"requester_channel": pending.channel,
                             "requester_thread": pending.thread,
                             "requester_side_id": pending.side_id}
    if action_id == button_ids.ADD_TO:
        posted = await commands.requester_message(uow, person, choice or "", pending.text,
                                                  requester_side_id=pending.side_id,
                                                  files=files)
        return Words("intake.added_to", ref=posted.conversation.ref)
    if action_id == button_ids.SUGGESTION_SOLVED:  # no request opens
        return await deflection.solved(uow, person, pending, choice)
    if action_id in (button_ids.KNOWN_INCIDENT, button_ids.NOT_INCIDENT):
        return await incidents.offer_answered(uow, person, pending, choice or "",
                                              action_id == button_ids.KNOWN_INCIDENT, files)
    if action_id == button_ids.PICK_DESK:
        desk = await find_desk(uow, person.workspace_id, choice or "")
        if desk is None or not audience.can_see(desk, await audience.viewer_for(uow, person)):
            raise UnknownDesk("intake.desk_gone", name=choice or "")
        known = await incident_watch.known_incident(uow, desk, pending.text)
        if known is not None:  # the desk has an incident like it: offer it first
            again = await intake.hold(uow, person, pending.text, channel=pending.channel,
                                      thread=pending.thread, side_id=pending.side_id,
                                      via=pending.via)
            await hold_files(uow, again, files)
            intake.ask_requester(uow, again, f"incident:{known.id}")
            return Words("intake.new_request")
        posted = await commands.open_conversation(uow, person, desk, pending.text,
                                                  via=pending.via, files=files, **where)
        return Words("intake.sent", desk=desk.name, ref=posted.conversation.ref)
    if action_id == button_ids.NEW_REQUEST:
        opened = await messages.open_or_offer(uow, person, pending.text, via=pending.via,
                                              channel=pending.channel, thread=pending.thread,
                                              side_id=pending.side_id, files=files)
        if opened is None:
            return Words("intake.new_request")
        routed = await uow.session.get(Desk, opened.desk_id)
        return Words("intake.sent", desk=routed.name if routed else "", ref=opened.ref)
    # *Send my request* after the answers offered: route it, or ask which desk.
    routing = await intake.route(uow, person.workspace_id, pending.text,
                                 await audience.viewer_for(uow, person))
    if routing.desk is None:
        again = await intake.hold(uow, person, pending.text, channel=pending.channel,
                                  thread=pending.thread, side_id=pending.side_id,
                                  via=pending.via)
        await hold_files(uow, again, files)
        intake.ask_requester(uow, again, "desk")
        return Words("intake.new_request")
    posted = await commands.open_conversation(uow, person, routing.desk, pending.text,
                                              via=pending.via, files=files, **where)
    return Words("intake.sent", desk=routing.desk.name, ref=posted.conversation.ref)


async def resolve_answer(uow: UnitOfWork, person: Person, action_id: str, ref: int,
                         stars: int | None = None) -> ResolvePrompt:
    """"Did this solve it?" yes / no, or the 1–5 rating: the prompt as it reads now."""
    if action_id == button_ids.RATE:
        conversation = await commands.rate(uow, person, ref, stars or 0)
    else:
        conversation = await commands.answer_resolved(uow, person, ref,
                                                      action_id == button_ids.SOLVED_YES)
    await uow.session.flush()  # the answer's event, which the prompt reads back
    prompt = await view_queries.resolve_prompt(uow, conversation)
    if action_id != button_ids.RATE:  # this very click is the answer, whatever came before
        prompt = dataclasses.replace(prompt, answered=action_id == button_ids.SOLVED_YES)
    return prompt


async def withdraw(uow: UnitOfWork, person: Person, ref: int) -> Settled:
    """The receipt's *Withdraw*: the request closed as withdrawn; what replaces the receipt."""
    conversation = await withdrawal.withdraw(uow, person, ref)
    return Settled.of(Words("withdraw.done", ref=conversation.ref))


async def incident_control(uow: UnitOfWork, actor: Actor, action_id: str, number: str,
                           text: str) -> Words:
    """An incident card's *Post update* or *Resolve incident* on incident `number` (as
    the control carried it: `incidents.parse_number` checks it), with the text typed in
    its modal (Slack) or panel (Teams): what happened, in words."""
    if action_id not in button_ids.INCIDENT_ACTIONS:
        raise InvalidInput("button.unknown")
    resolving = action_id == button_ids.INCIDENT_RESOLVE
    if not text.strip():  # said for a card, not as `/desk incident …`'s usage
        raise InvalidInput("incident.write_note" if resolving else "incident.write_update")
    if resolving:
        incident, resolved = await incidents.resolve(uow, actor, number, text)
        return Words("incident.resolved", number=incident.number, count=len(resolved))
    incident, told = await incidents.post_update(uow, actor, number, text)
    return Words("incident.updated", number=incident.number, count=told)
