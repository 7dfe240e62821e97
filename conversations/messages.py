"""What a person's message means, on any platform: a request, a follow-up, a reply, a note.

The Slack and Teams adapters find out who wrote where (a direct chat with the bot, a
desk's agent channel, a card's thread) and call these inside the unit of work that
also marks the delivery processed. Refusals are raised as `DeskbotError`s.
"""

from __future__ import annotations

from collections.abc import Sequence

from conversations import commands, incident_watch, intake
from conversations.files import SharedFile
from conversations.files import hold as hold_files
from conversations.knowledge import deflection
from conversations.lifecycle import ACTIVE
from conversations.notes import split_note
from desks import audience
from desks.permissions import Actor, desk_role
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Conversation, Desk, Person


async def direct_message(uow: UnitOfWork, person: Person, text: str, channel: str, ts: str,
                         thread_ts: str | None, *, via: str = "dm",
                         files: Sequence[SharedFile] = ()) -> None:
    """A message to the bot in a direct chat: a follow-up, a new request, or a question.

    In a thread of one of the person's requests it is added to that request. While a
    question about an earlier message waits for the person's answer, it is added to
    what that question is about (asked once, nothing lost). Otherwise, with a request
    still open, the person is asked whether to add it or start another; without one
    it is routed by the desks' keywords, or they are asked which desk. Before that,
    a known incident like it is offered, else answers that may settle it
    (conversations/knowledge/deflection.py).
    `files` shared with the message go wherever it goes (a file alone is a message too).
    """
    if thread_ts is not None:
        conversation = await intake.by_requester_thread(uow, person.workspace_id, channel,
                                                        thread_ts)
        if conversation is not None and conversation.requester_id == person.id:
            await commands.requester_message(uow, person, conversation.ref, text,
                                             requester_side_id=ts, files=files)
            return
    # Asked once: what follows the question, until it is answered, joins what it asked
    # about (500 quick messages make one question, not 500).
    asked = await intake.awaiting_answer(uow, person, channel)
    if asked is not None and intake.collect(asked, text, limit=commands.MAX_MESSAGE):
        return
    where = {"channel": channel, "thread": thread_ts or ts, "side_id": ts}
    waiting = [c for c in await intake.active_requests(uow, person) if c.status in ACTIVE]
    if waiting:
        pending = await intake.hold(uow, person, text, via=via, **where)
        await hold_files(uow, pending, files)
        intake.ask_requester(uow, pending, "add_or_new")
        return
    await open_or_offer(uow, person, text, via=via, files=files, **where)


async def open_or_offer(uow: UnitOfWork, person: Person, text: str, *, via: str,
                        channel: str | None, thread: str | None, side_id: str | None,
                        files: Sequence[SharedFile] = ()) -> Conversation | None:
    """A new request from `person`: routed by the desks' keywords and opened, unless a
    known incident or answers that may settle it are offered first, or they are asked
    which desk (then held for their answer, and None)."""
    where = {"channel": channel, "thread": thread, "side_id": side_id}
    routing = await intake.route(uow, person.workspace_id, text,
                                 await audience.viewer_for(uow, person))
    if routing.desk is not None:
        known = await incident_watch.known_incident(uow, routing.desk, text)
        if known is not None:  # "This may be the known incident…": held for the answer
            pending = await intake.hold(uow, person, text, via=via, **where)
            await hold_files(uow, pending, files)
            intake.ask_requester(uow, pending, f"incident:{known.id}")
            return None
    # "These helped others: …": the answers of the desk it goes to, else of every desk
    # the person may ask. A known incident is offered instead (above, or once a desk is
    # picked when one of those desks has an incident like it).
    suggested = None
    if routing.desk is not None or not await _incident_like(uow, routing.choices, text):
        suggested = await deflection.offer(
            uow, [routing.desk.id] if routing.desk else [d.id for d in routing.choices], text)
    if suggested is not None:
        pending = await intake.hold(uow, person, text, via=via, **where)
        await hold_files(uow, pending, files)
        intake.ask_requester(uow, pending, suggested)
        return None
    if routing.desk is not None:
        posted = await commands.open_conversation(uow, person, routing.desk, text,
                                                  requester_channel=channel,
                                                  requester_thread=thread,
                                                  requester_side_id=side_id, via=via,
                                                  files=files)
        return posted.conversation
    pending = await intake.hold(uow, person, text, via=via, **where)
    await hold_files(uow, pending, files)
    intake.ask_requester(uow, pending, "desk")
    return None


async def _incident_like(uow: UnitOfWork, desks: Sequence[Desk], text: str) -> bool:
    """Whether one of `desks` has an open incident `text` looks like."""
    for desk in desks:
        if await incident_watch.known_incident(uow, desk, text) is not None:
            return True
    return False


async def agent_thread_message(uow: UnitOfWork, actor: Actor, conversation: Conversation,
                               words: str, side_id: str, *, note_prefix: str,
                               files: Sequence[SharedFile] = ()) -> Words | None:
    """A message in a card's thread: relayed to the requester, or kept as an internal note.

    `files` go with it: to the requester with a reply, kept internal with a note.

    Returns the refusal to tell its author (not an agent of the desk), else None.
    """
    if await desk_role(uow, actor.id, conversation.desk_id) is None:
        return Words("thread.agents_only", ref=conversation.ref)
    note = split_note(words, note_prefix)
    if note is not None:
        await commands.add_note(uow, actor, conversation.ref, note, agent_side_id=side_id,
                                files=files)
    else:
        await commands.agent_reply(uow, actor, conversation.ref, words, agent_side_id=side_id,
                                   files=files)
    return None


async def intake_channel_message(uow: UnitOfWork, person: Person, desk: Desk, text: str,
                                 channel: str, ts: str, thread_ts: str | None, *,
                                 files: Sequence[SharedFile] = ()) -> None:
    """A message in a desk's intake channel: a new request, or a follow-up in its thread."""
    if thread_ts is None:
        await commands.open_conversation(uow, person, desk, text,
                                         requester_channel=channel, requester_thread=ts,
                                         requester_side_id=ts, via="intake", files=files)
        return
    conversation = await intake.by_requester_thread(uow, person.workspace_id, channel, thread_ts)
    if conversation is not None and conversation.requester_id == person.id:
        await commands.requester_message(uow, person, conversation.ref, text,
                                         requester_side_id=ts, files=files)



