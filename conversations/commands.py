"""The request commands of SPEC §3: open, reply, claim, transfer, pin, status, close…

Each command runs in the caller's unit of work: it checks the actor's role, locks the
conversation row (FOR UPDATE on PostgreSQL; SQLite write transactions already hold
the database's write lock from BEGIN), changes state, appends events and writes
outbox notices. The caller commits. A refusal is a `DeskbotError` with a message
fit to show the person; nothing has been written when it is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from conversations import assignment, incident_watch, opening_limits, sla
from conversations import files as shared_files
from conversations.knowledge import indexing
from conversations.lifecycle import ACTIVE, DONE, Status, parse_priority, parse_ref
from desks.errors import (
    AlreadyClaimed,
    InvalidInput,
    NotAnAgent,
    NotPermitted,
    UnknownDesk,
    UnknownRef,
    WrongState,
)
from desks.notices import NoticeKind
from desks.permissions import Actor, desk_role, served_desk_ids
from desks.service import missing_for_ready, require_ready_desk
from desks.ticket_policy import level
from desks.wording import Words, chain, code
from storage.database import UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import (
    AgentMark,
    Conversation,
    Desk,
    DeskMember,
    Incident,
    Message,
    Person,
    Workspace,
)

MAX_MESSAGE = 40_000
# Characters of the opening message a ticket card shows; a longer one is posted whole,
# in parts, in the card's thread, so the agents read all of it (the card shows an
# excerpt: `conversations.view_queries`).
CARD_EXCERPT = 600
DEFAULT_REOPEN_WINDOW = timedelta(days=7)
MAX_REF = 2 ** 31 - 1  # `conversation.ref` is a 32-bit integer column


@dataclass
class Posted:
    """A conversation and the message just added to it."""

    conversation: Conversation
    message: Message
    opened_new: bool = False  # a reply after the reopen window started a new request


# ---------------------------------------------------------------- helpers


def _clean_text(text: str, *, example: str | None) -> str:
    """The text, stripped; refuses none (`example`: a `message.example_*` key saying what
    to write) and too long."""
    text = (text or "").strip()
    if not text:
        if example is None:
            raise InvalidInput("message.no_text")
        raise InvalidInput(chain([Words("message.no_text"), Words(example)]))
    if len(text) > MAX_MESSAGE:
        raise InvalidInput("message.too_long", length=f"{len(text):,}", limit=f"{MAX_MESSAGE:,}")
    return text


def _whole_in_thread(uow: UnitOfWork, conversation: Conversation, opening: Message) -> None:
    """After the card: post an opening message longer than the card shows in its thread."""
    if len(opening.body) > CARD_EXCERPT:
        _notice(uow, conversation, NoticeKind.RELAY_TO_AGENTS, message_id=opening.id)


async def opening_message(uow: UnitOfWork, conversation: Conversation) -> Message | None:
    """The requester's first message: the one the ticket card shows."""
    return (await uow.session.execute(
        select(Message).where(Message.conversation_id == conversation.id,
                              Message.kind == "requester")
        .order_by(Message.id).limit(1))).scalar_one_or_none()


def _words(text: str, files: Sequence[shared_files.SharedFile], *, example: str) -> str:
    """The message's text; with files, it may be empty (a file said it all)."""
    if files and not (text or "").strip():
        return ""
    return _clean_text(text, example=example)


def _subject(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:197] + "…" if len(first) > 200 else first


async def load(uow: UnitOfWork, workspace_id: int, ref: str | int, *,
               lock: bool = True) -> Conversation:
    """The conversation with this ref, locked for change; refuses an unknown ref."""
    number = parse_ref(ref)
    if not 0 < number <= MAX_REF:  # beyond the column's range: there is no such request
        raise UnknownRef("request.no_such_request", ref=number)
    query = select(Conversation).where(Conversation.workspace_id == workspace_id,
                                       Conversation.ref == number)
    if lock:
        query = query.with_for_update()
    conversation = (await uow.session.execute(query)).scalar_one_or_none()
    if conversation is None:
        raise _no_such_request(number)
    return conversation


def _no_such_request(number: int) -> UnknownRef:
    """The refusal for a ref that does not exist, or that the caller may not know of."""
    return UnknownRef("request.no_such_request", ref=number)


async def _hide_from_outsiders(uow: UnitOfWork, person_id: int, conversation: Conversation,
                               *, is_admin: bool = False) -> None:
    """Answer as for an unknown ref when the person neither works its desk nor asked it.

    Anything else ("not an agent of the IT desk, where #1002 is") tells an employee
    which refs exist and where. Admins and the requester may be told more.
    """
    if is_admin or conversation.requester_id == person_id:
        return
    if await desk_role(uow, person_id, conversation.desk_id) is None:
        raise _no_such_request(conversation.ref)


async def _desk(uow: UnitOfWork, conversation: Conversation) -> Desk:
    desk = await uow.session.get(Desk, conversation.desk_id)
    assert desk is not None  # foreign key
    return desk


async def _for_agent(uow: UnitOfWork, actor: Actor, ref: str | int) -> tuple[Conversation, Desk]:
    conversation = await load(uow, actor.workspace_id, ref)
    desk = await _desk(uow, conversation)
    if await desk_role(uow, actor.id, desk.id) is None:
        await _hide_from_outsiders(uow, actor.id, conversation, is_admin=actor.is_admin)
        raise NotAnAgent("request.not_your_desk", ref=conversation.ref, desk=desk.name)
    return conversation, desk


# For the commands of other modules (tickets, due dates, tiers, incidents): the same
# steps as these.
async def agent_conversation(uow: UnitOfWork, actor: Actor,
                             ref: str | int) -> tuple[Conversation, Desk]:
    """The conversation `ref` (locked) and its desk; refused unless the actor works it."""
    return await _for_agent(uow, actor, ref)


async def _current_desk(uow: UnitOfWork, desk: Desk) -> Desk:
    # Callers may hold a Desk from an earlier unit of work; decide on the row as it is now.
    current = await uow.session.get(Desk, desk.id, populate_existing=True)
    if current is None:
        raise UnknownDesk("request.desk_gone", desk=desk.name)
    return current


async def _name(uow: UnitOfWork, person_id: int | None) -> str:
    person = await uow.session.get(Person, person_id) if person_id else None
    return person.display_name if person else "someone"


def _refuse_closed(conversation: Conversation) -> None:
    if conversation.status == Status.CLOSED:
        raise WrongState("request.closed_reopen_first", ref=conversation.ref,
                         command=code(f"/desk reopen {conversation.ref}"))


def _event(uow: UnitOfWork, conversation: Conversation, actor_id: int | None, kind: str,
           **data: object) -> None:
    record_event(uow, workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                 desk_id=conversation.desk_id, actor_id=actor_id, kind=kind, **data)


def _notice(uow: UnitOfWork, conversation: Conversation, kind: NoticeKind,
            person_id: int | None = None, **payload: object) -> None:
    write_notice(uow, workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                 person_id=person_id, kind=kind, payload=dict(payload))


def record(uow: UnitOfWork, conversation: Conversation, actor_id: int | None, kind: str,
           **data: object) -> None:
    """Append an event about the conversation (in the caller's unit of work)."""
    _event(uow, conversation, actor_id, kind, **data)


def tell(uow: UnitOfWork, conversation: Conversation, kind: NoticeKind,
         person_id: int | None = None, **payload: object) -> None:
    """Write an outbox notice about the conversation."""
    _notice(uow, conversation, kind, person_id, **payload)


async def touch(uow: UnitOfWork, conversation: Conversation) -> None:
    """After a change: `updated_at` now, and the clocks and timers follow."""
    await _touch(uow, conversation)


def refuse_closed(conversation: Conversation) -> None:
    """Refuse a change to a closed request (it says how to reopen it)."""
    _refuse_closed(conversation)


async def _touch(uow: UnitOfWork, conversation: Conversation,
                 follow_up: Message | None = None) -> None:
    conversation.updated_at = uow.clock.now()
    # Every change may start or end a pause or a stall: the clocks follow here.
    await sla.track(uow, conversation)
    # ... and what is searchable of it (rebuilt once, before the commit; a requester's
    # follow-up adds its words).
    if follow_up is not None:
        indexing.follow_up_added(uow, conversation, follow_up.id)
    else:
        indexing.request_changed(uow, conversation)


async def _mark(uow: UnitOfWork, conversation: Conversation, person_id: int) -> AgentMark:
    mark = await uow.session.get(AgentMark, (conversation.id, person_id))
    if mark is None:
        mark = AgentMark(conversation_id=conversation.id, person_id=person_id,
                         marked_unread=False)
        uow.session.add(mark)
    return mark


async def _mark_read(uow: UnitOfWork, conversation: Conversation, person_id: int) -> None:
    mark = await _mark(uow, conversation, person_id)
    mark.read_at = uow.clock.now()
    mark.marked_unread = False


async def _assign(uow: UnitOfWork, conversation: Conversation, actor: Actor,
                  assignee: Person, kind: str) -> None:
    previous = conversation.assignee_id
    conversation.assignee_id = assignee.id
    if conversation.status == Status.NEW:
        conversation.status = Status.OPEN
    await _touch(uow, conversation)
    _event(uow, conversation, actor.id, kind, assignee_id=assignee.id,
           previous_assignee_id=previous)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    _notice(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="assigned",
            agent_id=assignee.id)


async def _release(uow: UnitOfWork, conversation: Conversation, actor_id: int | None,
             kind: str, **data: object) -> None:
    previous = conversation.assignee_id
    conversation.assignee_id = None
    if conversation.status == Status.OPEN:
        conversation.status = Status.NEW
    await _touch(uow, conversation)
    _event(uow, conversation, actor_id, kind, previous_assignee_id=previous, **data)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)


async def _next_ref(uow: UnitOfWork, workspace_id: int) -> int:
    # One atomic increment: two requests opened at once never share a ref.
    return (await uow.session.execute(
        update(Workspace).where(Workspace.id == workspace_id)
        .values(last_ref=Workspace.last_ref + 1).returning(Workspace.last_ref)
    )).scalar_one()


async def _available_agents(uow: UnitOfWork, desk_id: int) -> list[int]:
    rows = await uow.session.execute(
        select(Person.id).join(DeskMember, DeskMember.person_id == Person.id)
        .where(DeskMember.desk_id == desk_id, Person.available.is_(True)).order_by(Person.id)
    )
    return list(rows.scalars())


# ---------------------------------------------------------------- requester side


async def open_conversation(uow: UnitOfWork, requester: Person, desk: Desk, text: str, *,
                            requester_channel: str | None = None,
                            requester_thread: str | None = None,
                            requester_side_id: str | None = None,
                            via: str = "dm", follows: Conversation | None = None,
                            files: Sequence[shared_files.SharedFile] = (),
                            urgency: str | None = None,
                            incident: Incident | None = None) -> Posted:
    """Open a request on `desk` from `requester` with its first message.

    Posts the ticket card in the agent channel, sends the receipt, and tells the
    desk's available agents; may propose a major incident (a burst of similar
    requests). Opened as part of `incident` ("It's this"), it gets no card of its own:
    the incident's card counts it. `requester_channel`/`requester_thread` say where the
    employee asked (the receipt and later updates go there). `files` shared with
    the message go to the card's thread after the card. Past the person's
    opening limit it is refused (`opening_limits.TooManyRequests`) and nothing is opened.
    `urgency` (high | medium | low) is the requester's, from an intake form: with the
    desk's impact × urgency matrix on, the priority follows from it.
    """
    desk = await _current_desk(uow, desk)
    await require_ready_desk(uow, desk)  # no card nobody would see, no promise nobody keeps
    if desk.workspace_id != requester.workspace_id:
        raise NotPermitted("request.other_workspace_desk")
    text = _words(text, files, example="message.example_ask")
    await opening_limits.check_opening(uow, requester)
    urgency = level(urgency) if urgency else None
    matrix = sla.desk_policy(desk).matrix
    now = uow.clock.now()
    conversation = Conversation(
        workspace_id=desk.workspace_id, ref=await _next_ref(uow, desk.workspace_id),
        desk_id=desk.id, requester_id=requester.id, kind="inquiry", status=Status.NEW,
        priority=matrix.priority(None, urgency) if matrix.on else 3, urgency=urgency,
        subject=_subject(text) or shared_files.subject_of(files),
        follows_id=follows.id if follows else None,
        opened_at=now, updated_at=now, last_requester_message_at=now,
        requester_channel=requester_channel, requester_thread=requester_thread,
    )
    uow.session.add(conversation)
    await uow.session.flush()
    message = Message(conversation_id=conversation.id, author_id=requester.id, kind="requester",
                      body=text, created_at=now, requester_side_id=requester_side_id)
    uow.session.add(message)
    await uow.session.flush()
    await sla.track(uow, conversation, opened=True)
    indexing.request_changed(uow, conversation)
    _event(uow, conversation, requester.id, "conversation.opened", via=via,
           message_id=message.id, follows_ref=follows.ref if follows else None)
    if incident is not None:
        await shared_files.keep(uow, message, files)
        await incident_watch.linked_at_open(uow, conversation, incident)
        _notice(uow, conversation, NoticeKind.RECEIPT)
        return Posted(conversation, message)
    _notice(uow, conversation, NoticeKind.CARD_POST)
    _whole_in_thread(uow, conversation, message)
    await shared_files.relay(uow, conversation, message, files, NoticeKind.FILE_TO_AGENTS)
    _notice(uow, conversation, NoticeKind.RECEIPT, follows_ref=follows.ref if follows else None)
    await incident_watch.watch_for_burst(uow, conversation, desk, text)
    if await assignment.assign_by_rule(uow, conversation) is None:  # else its agent is told
        for agent_id in await _available_agents(uow, desk.id):
            _notice(uow, conversation, NoticeKind.AGENT_NEW_REQUEST, person_id=agent_id)
    return Posted(conversation, message)


async def start_with(uow: UnitOfWork, actor: Actor, employee: Person, desk: Desk,
                     text: str) -> Posted:
    """An agent starts a conversation with an employee (`/desk new @employee desk text`).

    The agent's text is the first message and is relayed to the employee; the
    conversation is the agent's from the start, and that message is its first response.
    """
    desk = await _current_desk(uow, desk)
    await require_ready_desk(uow, desk)
    if await desk_role(uow, actor.id, desk.id) is None:
        raise NotAnAgent("request.cannot_start_there", desk=desk.name)
    if employee.workspace_id != desk.workspace_id:
        raise NotPermitted("request.other_workspace_person")
    text = _clean_text(text, example="message.example_new")
    now = uow.clock.now()
    conversation = Conversation(
        workspace_id=desk.workspace_id, ref=await _next_ref(uow, desk.workspace_id),
        desk_id=desk.id, requester_id=employee.id, assignee_id=actor.id, kind="inquiry",
        status=Status.OPEN, priority=3, subject=_subject(text), opened_at=now,
        updated_at=now, first_response_at=now, last_agent_message_at=now,
        # The column is required; "now" reads as "the requester has not written since".
        last_requester_message_at=now,
    )
    uow.session.add(conversation)
    await uow.session.flush()
    message = Message(conversation_id=conversation.id, author_id=actor.id, kind="agent",
                      body=text, created_at=now)
    uow.session.add(message)
    await uow.session.flush()
    await _mark_read(uow, conversation, actor.id)
    await sla.track(uow, conversation, opened=True)
    indexing.request_changed(uow, conversation)
    _event(uow, conversation, actor.id, "conversation.opened", via="agent",
           message_id=message.id)
    _notice(uow, conversation, NoticeKind.CARD_POST)
    _notice(uow, conversation, NoticeKind.RECEIPT)
    _notice(uow, conversation, NoticeKind.RELAY_TO_REQUESTER, message_id=message.id)
    return Posted(conversation, message)


async def requester_message(uow: UnitOfWork, requester: Person, ref: str | int, text: str, *,
                            requester_side_id: str | None = None,
                            files: Sequence[shared_files.SharedFile] = ()) -> Posted:
    """Add the requester's follow-up to their conversation.

    While waiting on them it goes back to work; after resolve it reopens within the
    desk's reopen window; after that (or once closed) it starts a new request that
    follows the old one.
    """
    conversation = await load(uow, requester.workspace_id, ref)
    if conversation.requester_id != requester.id:
        await _hide_from_outsiders(uow, requester.id, conversation)
        raise NotPermitted("request.only_your_own_add")
    text = _words(text, files, example="message.example_follow_up")
    now = uow.clock.now()
    desk = await _desk(uow, conversation)
    window = timedelta(days=int((desk.settings or {}).get(
        "reopen_window_days", DEFAULT_REOPEN_WINDOW.days)))
    if conversation.status == Status.CLOSED or (
            conversation.status == Status.RESOLVED and conversation.resolved_at is not None
            and now - conversation.resolved_at > window):
        target = desk if desk.archived_at is None else None
        if target is None:
            raise WrongState("request.closed_desk_archived", ref=conversation.ref)
        posted = await open_conversation(
            uow, requester, desk, text, requester_channel=conversation.requester_channel,
            requester_side_id=requester_side_id, via="follow_up", follows=conversation,
            files=files)
        posted.opened_new = True
        return posted
    status = conversation.status
    if conversation.status == Status.RESOLVED:
        _reopen_state(conversation)
        _event(uow, conversation, requester.id, "conversation.reopened", by="requester")
    elif conversation.status == Status.WAITING:
        conversation.status = Status.OPEN if conversation.assignee_id else Status.NEW
        _event(uow, conversation, requester.id, "status.changed", old=Status.WAITING,
               new=conversation.status, by="requester")
    message = Message(conversation_id=conversation.id, author_id=requester.id, kind="requester",
                      body=text, created_at=now, requester_side_id=requester_side_id)
    uow.session.add(message)
    await uow.session.flush()
    conversation.last_requester_message_at = now
    await _touch(uow, conversation, follow_up=message)
    _event(uow, conversation, requester.id, "message.requester", message_id=message.id)
    if text:
        _notice(uow, conversation, NoticeKind.RELAY_TO_AGENTS, message_id=message.id)
    await shared_files.relay(uow, conversation, message, files, NoticeKind.FILE_TO_AGENTS)
    # The ticket card (`view_queries.ticket_card`) shows no message counts or times: a
    # follow-up changes it only by the status it changes (with the SLA line and buttons
    # that follow the status) or by being the requester's first message, which the
    # card shows (`opening_message`). Otherwise the card is left as it is.
    if conversation.status != status or not await _asked_before(uow, conversation, message):
        _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return Posted(conversation, message)


async def _asked_before(uow: UnitOfWork, conversation: Conversation, message: Message) -> bool:
    """Whether the requester wrote in `conversation` before `message`."""
    return (await uow.session.execute(
        select(Message.id).where(Message.conversation_id == conversation.id,
                                 Message.kind == "requester", Message.id < message.id)
        .limit(1))).first() is not None


async def rate(uow: UnitOfWork, requester: Person, ref: str | int, stars: int) -> Conversation:
    """Store the requester's 1–5 satisfaction rating of a resolved or closed request."""
    conversation = await load(uow, requester.workspace_id, ref)
    if conversation.requester_id != requester.id:
        await _hide_from_outsiders(uow, requester.id, conversation)
        raise NotPermitted("request.only_your_own_rate")
    if conversation.status not in DONE:
        raise WrongState("request.rate_when_resolved", ref=conversation.ref)
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput("request.rating_range")
    conversation.rating = stars
    await _touch(uow, conversation)
    _event(uow, conversation, requester.id, "conversation.rated", rating=stars)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def answer_resolved(uow: UnitOfWork, requester: Person, ref: str | int,
                          solved: bool) -> Conversation:
    """The requester's answer to "Did this solve it?": yes closes, no reopens.

    Asked after resolve and after an agent's close; "yes" on a closed request only
    records the confirmation.
    """
    conversation = await load(uow, requester.workspace_id, ref)
    if conversation.requester_id != requester.id:
        await _hide_from_outsiders(uow, requester.id, conversation)
        raise NotPermitted("request.only_your_own_answer")
    if conversation.status not in DONE:
        raise WrongState("request.not_resolved", ref=conversation.ref,
                         status=Words(f"status_word.{Status(conversation.status).value}"))
    now = uow.clock.now()
    if solved and conversation.status == Status.CLOSED:
        _event(uow, conversation, requester.id, "conversation.confirmed", by="requester")
        return conversation
    if solved:
        conversation.status = Status.CLOSED
        conversation.closed_at = now
        _event(uow, conversation, requester.id, "conversation.closed", by="requester",
               confirmed=True)
    else:
        _reopen_state(conversation)
        _event(uow, conversation, requester.id, "conversation.reopened", by="requester",
               reason="not_solved")
        _notice(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="reopened")
    await _touch(uow, conversation)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


def _reopen_state(conversation: Conversation) -> None:
    conversation.status = Status.OPEN if conversation.assignee_id else Status.NEW
    conversation.resolved_at = None
    conversation.closed_at = None


# ---------------------------------------------------------------- agent side


async def agent_reply(uow: UnitOfWork, actor: Actor, ref: str | int, text: str, *,
                      agent_side_id: str | None = None,
                      files: Sequence[shared_files.SharedFile] = (),
                      saved_reply: str | None = None) -> Posted:
    """Relay an agent's reply to the requester; claims the conversation if unassigned.

    `saved_reply`: the name of the desk's saved reply it is (`conversations.chosen_replies`),
    kept with its event.
    """
    conversation, _ = await _for_agent(uow, actor, ref)
    _refuse_closed(conversation)
    text = _words(text, files, example="message.example_reply")
    now = uow.clock.now()
    if conversation.assignee_id is None:
        await _assign(uow, conversation, actor, actor.person, "conversation.claimed")
    message = Message(conversation_id=conversation.id, author_id=actor.id, kind="agent",
                      body=text, created_at=now, agent_side_id=agent_side_id)
    uow.session.add(message)
    await uow.session.flush()
    first = conversation.first_response_at is None
    if first:
        conversation.first_response_at = now
    conversation.last_agent_message_at = now
    await _touch(uow, conversation)
    await _mark_read(uow, conversation, actor.id)
    _event(uow, conversation, actor.id, "message.agent", message_id=message.id,
           first_response=first, **({"saved_reply": saved_reply} if saved_reply else {}))
    if text:
        _notice(uow, conversation, NoticeKind.RELAY_TO_REQUESTER, message_id=message.id)
    await shared_files.relay(uow, conversation, message, files, NoticeKind.FILE_TO_REQUESTER)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return Posted(conversation, message)


async def add_note(uow: UnitOfWork, actor: Actor, ref: str | int, text: str, *,
                   agent_side_id: str | None = None,
                   files: Sequence[shared_files.SharedFile] = ()) -> Posted:
    """Keep an internal note on the conversation; it never reaches the requester.

    Files shared with a note are kept with it and stay internal too.
    """
    conversation, _ = await _for_agent(uow, actor, ref)
    text = _words(text, files,
                  example="message.example_note")
    message = Message(conversation_id=conversation.id, author_id=actor.id, kind="note",
                      body=text, created_at=uow.clock.now(), agent_side_id=agent_side_id)
    uow.session.add(message)
    await uow.session.flush()
    await shared_files.keep(uow, message, files)
    await _touch(uow, conversation)
    await _mark_read(uow, conversation, actor.id)
    _event(uow, conversation, actor.id, "message.note", message_id=message.id)
    return Posted(conversation, message)


async def claim(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Assign the conversation to the acting agent, unless someone holds it already."""
    conversation, _ = await _for_agent(uow, actor, ref)
    if Status(conversation.status) in DONE:
        raise WrongState("request.reopen_before_claiming", ref=conversation.ref,
                         status=Words(f"status_word.{Status(conversation.status).value}"),
                         command=code(f"/desk reopen {conversation.ref}"))
    if conversation.assignee_id == actor.id:
        raise WrongState("request.already_yours", ref=conversation.ref)
    if conversation.assignee_id is not None:
        holder = await uow.session.get(Person, conversation.assignee_id)
        name = holder.display_name if holder else "someone"
        # Plain values only: the session (and its objects) is gone when this is shown.
        raise AlreadyClaimed("request.already_claimed", ref=conversation.ref,
                             name=name if holder else Words("common.someone"),
                             claimed_by_id=conversation.assignee_id,
                             claimed_by_name=name,
                             claimed_by_external_id=holder.external_id if holder else None)
    await _assign(uow, conversation, actor, actor.person, "conversation.claimed")
    await _mark_read(uow, conversation, actor.id)
    return conversation


async def take_over(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """The acting agent takes a claimed conversation over from its holder (the card's
    *Take over*); recorded as `conversation.taken_over` with the previous holder (the
    card shows the new one). An unassigned one is simply claimed."""
    conversation, _ = await _for_agent(uow, actor, ref)
    if Status(conversation.status) in DONE:
        raise WrongState("request.reopen_before_taking_over",
                         status=Words(f"status_word.{Status(conversation.status).value}"),
                         command=code(f"/desk reopen {conversation.ref}"),
                         ref=conversation.ref)
    if conversation.assignee_id == actor.id:
        raise WrongState("request.already_yours", ref=conversation.ref)
    previous = conversation.assignee_id
    kind = "conversation.taken_over" if previous is not None else "conversation.claimed"
    await _assign(uow, conversation, actor, actor.person, kind)
    await _mark_read(uow, conversation, actor.id)
    return conversation


async def unassign(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Put the conversation back in the desk's unassigned queue."""
    conversation, _ = await _for_agent(uow, actor, ref)
    _refuse_closed(conversation)
    if conversation.assignee_id is None:
        raise WrongState("request.not_assigned", ref=conversation.ref)
    await _release(uow, conversation, actor.id, "conversation.unassigned")
    return conversation


async def transfer_to_agent(uow: UnitOfWork, actor: Actor, ref: str | int,
                            target: Person) -> Conversation:
    """Hand the conversation to another agent of its desk."""
    conversation, desk = await _for_agent(uow, actor, ref)
    _refuse_closed(conversation)
    if target.workspace_id != conversation.workspace_id or \
            await desk_role(uow, target.id, desk.id) is None:
        raise NotAnAgent("request.transfer_not_an_agent", person=target.display_name,
                         desk=desk.name, command=code(f"/desk transfer {conversation.ref} HR"))
    if conversation.assignee_id == target.id:
        raise WrongState("request.already_assigned_to", ref=conversation.ref,
                         person=target.display_name)
    await _assign(uow, conversation, actor, target, "conversation.transferred")
    if target.id != actor.id:
        _notice(uow, conversation, NoticeKind.AGENT_ASSIGNED, person_id=target.id,
                by_id=actor.id)
        mark = await _mark(uow, conversation, target.id)
        mark.marked_unread = True
    return conversation


async def transfer_to_desk(uow: UnitOfWork, actor: Actor, ref: str | int,
                           target: Desk) -> Conversation:
    """Move the conversation to another desk: unassigned there, with a new card."""
    conversation, desk = await _for_agent(uow, actor, ref)
    _refuse_closed(conversation)
    target = await _current_desk(uow, target)
    await require_ready_desk(uow, target)
    if target.workspace_id != conversation.workspace_id:
        raise NotPermitted("request.other_workspace_desk")
    if target.id == desk.id:
        raise WrongState("request.already_on_desk", ref=conversation.ref, desk=desk.name)
    await _move(uow, conversation, desk, target, actor.id, "conversation.moved")
    return conversation


async def escalate(uow: UnitOfWork, conversation_id: int, next_tier: Desk,
                   **data: object) -> Conversation | None:
    """The scheduler moves a conversation to its desk's next tier (no actor).

    What `transfer_to_desk` does (unassigned there, a new card, the requester told),
    recorded as `sla.escalated` with `data`. Nothing happens (None) when the
    conversation is closed or already there, or the next tier is archived, not ready (no
    agent channel or agents: nobody there would see it) or of another workspace.
    """
    conversation = await uow.session.get(Conversation, conversation_id)
    if conversation is None or conversation.status == Status.CLOSED:
        return None
    if (next_tier.archived_at is not None
            or next_tier.workspace_id != conversation.workspace_id
            or next_tier.id == conversation.desk_id):
        return None
    if await missing_for_ready(uow, next_tier):
        return None
    desk = await _desk(uow, conversation)
    await _move(uow, conversation, desk, next_tier, None, "sla.escalated", **data)
    return conversation


async def move(uow: UnitOfWork, conversation: Conversation, desk: Desk, target: Desk,
               actor_id: int | None, kind: str, *, requester_what: str = "moved",
               **data: object) -> None:
    """Move the conversation from `desk` to `target` as `transfer_to_desk` does, recorded
    as `kind` with `data`; the requester's update says `requester_what`."""
    await _move(uow, conversation, desk, target, actor_id, kind,
                requester_what=requester_what, **data)


def clean_note(text: str) -> str:
    """A note's text, stripped; refuses one too long."""
    return _clean_text(text, example=None)


async def _move(uow: UnitOfWork, conversation: Conversation, desk: Desk, target: Desk,
                actor_id: int | None, kind: str, *, requester_what: object = "moved",
                **data: object) -> None:
    """Move the conversation from `desk` to `target`, recorded as `kind`, with its notices."""
    old_place = {"channel": conversation.agent_channel, "thread": conversation.agent_thread}
    was_pinned = await _any_pins(uow, conversation)  # the old card is unpinned with the move
    previous_assignee = conversation.assignee_id
    conversation.desk_id = target.id
    conversation.assignee_id = None
    if conversation.status == Status.OPEN:
        conversation.status = Status.NEW
    conversation.agent_channel = None
    conversation.agent_thread = None
    conversation.updated_at = uow.clock.now()
    await sla.moved_desk(uow, conversation)
    # Pins and read marks belonged to the old desk's agents.
    for mark in (await uow.session.execute(
            select(AgentMark).where(AgentMark.conversation_id == conversation.id))).scalars():
        await uow.session.delete(mark)
    _event(uow, conversation, actor_id, kind, from_desk_id=desk.id,
           to_desk_id=target.id, previous_assignee_id=previous_assignee, **data)
    _notice(uow, conversation, NoticeKind.CARD_MOVED, from_desk_id=desk.id,
            to_desk_id=target.id, old_channel=old_place["channel"],
            old_thread=old_place["thread"], was_pinned=was_pinned)
    _notice(uow, conversation, NoticeKind.CARD_POST)
    opening = await opening_message(uow, conversation)
    if opening is not None and len(opening.body) > CARD_EXCERPT:
        # The new desk's thread carries the whole text too; its old place was the old thread.
        opening.agent_side_id = None
        _whole_in_thread(uow, conversation, opening)
    _notice(uow, conversation, NoticeKind.REQUESTER_UPDATE, what=requester_what,
            desk_id=target.id)
    for agent_id in await _available_agents(uow, target.id):
        _notice(uow, conversation, NoticeKind.AGENT_NEW_REQUEST, person_id=agent_id)


async def _any_pins(uow: UnitOfWork, conversation: Conversation) -> bool:
    return (await uow.session.execute(
        select(AgentMark.person_id).where(AgentMark.conversation_id == conversation.id,
                                          AgentMark.pinned_at.is_not(None)).limit(1)
    )).first() is not None


async def pin(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Pin the conversation to the top of the agent's queue (and the card in its channel)."""
    conversation, _ = await _for_agent(uow, actor, ref)
    mark = await _mark(uow, conversation, actor.id)
    if mark.pinned_at is not None:
        raise WrongState("request.already_pinned", ref=conversation.ref)
    first_pin = not await _any_pins(uow, conversation)
    mark.pinned_at = uow.clock.now()
    _event(uow, conversation, actor.id, "conversation.pinned")
    if first_pin:
        _notice(uow, conversation, NoticeKind.CARD_PIN)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def unpin(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Unpin for this agent; the card is unpinned in the channel once nobody pins it."""
    conversation, _ = await _for_agent(uow, actor, ref)
    mark = await _mark(uow, conversation, actor.id)
    if mark.pinned_at is None:
        raise WrongState("request.not_pinned", ref=conversation.ref)
    mark.pinned_at = None
    await uow.session.flush()
    _event(uow, conversation, actor.id, "conversation.unpinned")
    if not await _any_pins(uow, conversation):
        _notice(uow, conversation, NoticeKind.CARD_UNPIN)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def mark_unread(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Mark the conversation unread for this agent (a reminder to come back to it)."""
    conversation, _ = await _for_agent(uow, actor, ref)
    mark = await _mark(uow, conversation, actor.id)
    mark.marked_unread = True
    _event(uow, conversation, actor.id, "conversation.marked_unread")
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)  # the card says it is unread for them
    return conversation


async def mark_read(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Mark the conversation read for this agent (opening its thread does this)."""
    conversation, _ = await _for_agent(uow, actor, ref)
    mark = await uow.session.get(AgentMark, (conversation.id, actor.id))
    shown_unread = mark is not None and mark.marked_unread
    await _mark_read(uow, conversation, actor.id)
    if shown_unread:
        _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def set_priority(uow: UnitOfWork, actor: Actor, ref: str | int,
                       priority: str | int) -> Conversation:
    """Set priority 1–5; the SLA due times are computed again with its targets."""
    value = parse_priority(priority)
    conversation, desk = await _for_agent(uow, actor, ref)
    _refuse_closed(conversation)
    if sla.desk_policy(desk).matrix.on:
        raise WrongState("matrix.priority_follows", ref=conversation.ref, desk=desk.name,
                         impact=code(f"/desk impact {conversation.ref} low|medium|high"),
                         urgency=code(f"/desk urgency {conversation.ref} low|medium|high"))
    if conversation.priority == value:
        raise WrongState("request.already_priority", ref=conversation.ref, priority=value)
    old, conversation.priority = conversation.priority, value
    await sla.refresh_due_times(uow, conversation)
    await _touch(uow, conversation)
    _event(uow, conversation, actor.id, "priority.changed", old=old, new=value)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def set_status(uow: UnitOfWork, actor: Actor, ref: str | int,
                     status: Status) -> Conversation:
    """Change status: waiting (on the requester), on hold, open again, or resolved."""
    if status not in (Status.WAITING, Status.ON_HOLD, Status.OPEN, Status.RESOLVED):
        raise InvalidInput("request.status_words")
    conversation, _ = await _for_agent(uow, actor, ref)
    _refuse_closed(conversation)
    current = Status(conversation.status)
    if status == Status.OPEN:
        if current == Status.RESOLVED:
            return await _reopen(uow, actor, conversation)
        if current not in (Status.WAITING, Status.ON_HOLD):
            raise WrongState("request.already_open", ref=conversation.ref)
        new = Status.OPEN if conversation.assignee_id else Status.NEW
    else:
        if current == status:
            raise WrongState("request.already_status", ref=conversation.ref,
                             status=Words(f"status_word.{Status(status).value}"))
        if current == Status.RESOLVED:
            raise WrongState("request.resolved_reopen_first", ref=conversation.ref,
                             command=code(f"/desk reopen {conversation.ref}"))
        new = status
    now = uow.clock.now()
    conversation.status = new
    if new == Status.RESOLVED:
        conversation.resolved_at = now
    await _touch(uow, conversation)
    _event(uow, conversation, actor.id, "status.changed", old=current, new=new)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    if new == Status.RESOLVED:
        _notice(uow, conversation, NoticeKind.RESOLVE_PROMPT)
    else:
        _notice(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="status", status=new)
    return conversation


async def close(uow: UnitOfWork, actor: Actor, ref: str | int,
                note: str | None = None) -> Conversation:
    """Close the conversation (final for reporting); an optional note is kept internally."""
    conversation, _ = await _for_agent(uow, actor, ref)
    if conversation.status == Status.CLOSED:
        raise WrongState("request.already_closed", ref=conversation.ref)
    now = uow.clock.now()
    note_id = None
    if note and note.strip():
        message = Message(conversation_id=conversation.id, author_id=actor.id, kind="note",
                          body=_clean_text(note, example=None), created_at=now)
        uow.session.add(message)
        await uow.session.flush()
        note_id = message.id
    old = conversation.status
    conversation.status = Status.CLOSED
    conversation.closed_at = now
    await _touch(uow, conversation)
    _event(uow, conversation, actor.id, "conversation.closed", old=old, note_message_id=note_id)
    # Nobody works a closed request: its pins go, and the card is unpinned in its channel.
    if await _any_pins(uow, conversation):
        for mark in (await uow.session.execute(
                select(AgentMark).where(AgentMark.conversation_id == conversation.id,
                                        AgentMark.pinned_at.is_not(None)))).scalars():
            mark.pinned_at = None
        _notice(uow, conversation, NoticeKind.CARD_UNPIN)
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    # One message, in the final state: "closed. Did this solve it?" — or, when the
    # requester was asked already at resolve, only that it is closed now.
    if old == Status.RESOLVED:
        _notice(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="closed")
    else:
        _notice(uow, conversation, NoticeKind.RESOLVE_PROMPT)
    return conversation


async def reopen(uow: UnitOfWork, actor: Actor, ref: str | int) -> Conversation:
    """Reopen a resolved or closed conversation (an event, not a new conversation)."""
    conversation, _ = await _for_agent(uow, actor, ref)
    return await _reopen(uow, actor, conversation)


async def _reopen(uow: UnitOfWork, actor: Actor, conversation: Conversation) -> Conversation:
    if conversation.status not in DONE:
        raise WrongState("request.not_done", ref=conversation.ref,
                         status=Words(f"status_word.{Status(conversation.status).value}"))
    old = conversation.status
    _reopen_state(conversation)
    await _touch(uow, conversation)
    _event(uow, conversation, actor.id, "conversation.reopened", old=old, by="agent")
    _notice(uow, conversation, NoticeKind.CARD_UPDATE)
    _notice(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="reopened")
    return conversation


@dataclass
class AvailabilityChange:
    """The agent's availability now, and the refs released when they went off."""

    available: bool
    released_refs: list[int]


async def set_availability(uow: UnitOfWork, actor: Actor, available: bool) -> AvailabilityChange:
    """Turn the agent's availability on or off.

    Off releases every active conversation assigned to them back to unassigned
    (each with an event and a card update), so available agents can take them.
    """
    if not await served_desk_ids(uow, actor.id):
        raise NotAnAgent("request.availability_for_agents")
    # The actor may come from another unit of work: change the row of this one.
    person = await uow.session.get(Person, actor.id, with_for_update=True)
    assert person is not None
    released: list[int] = []
    if person.available != available:
        person.available = available
        person.updated_at = uow.clock.now()
        record_event(uow, workspace_id=person.workspace_id, actor_id=person.id,
                     kind="agent.availability", available=available)
    if not available:
        rows = await uow.session.execute(
            select(Conversation).where(Conversation.workspace_id == person.workspace_id,
                                       Conversation.assignee_id == person.id,
                                       Conversation.status.in_(list(ACTIVE)))
            .order_by(Conversation.id).with_for_update()
        )
        for conversation in rows.scalars():
            await _release(uow, conversation, actor.id, "conversation.released",
                     reason="agent_unavailable")
            released.append(conversation.ref)
    return AvailabilityChange(available=available, released_refs=released)

