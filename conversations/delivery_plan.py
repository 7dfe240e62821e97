"""Delivery plans: what delivering one outbox notice means, decided once for every platform.

`plan(db, notice)` reads what the notice is about as it is now (`read_facts`) and
`decide(notice, facts)` turns that into a `Plan`: a few plain steps — post which view
where, update the card, pin, tell a person, write to the requester, skip and why. The
rules both platforms share live here (a new request already taken is not announced, a
card that is not posted is not updated, a message relayed before is not relayed
again, a relay into a thread that does not exist cannot be delivered). Each platform's
sender carries the steps out (bot/slack/sender.py, bot/teams/sender.py) and keeps only
what is truly its own: how to post, pin, open a chat or upload a file.

A step names the view to show (`View`: a builder of conversations/view_queries.py and
its arguments); the sender builds it from the conversation as it is at delivery and
renders it in the step's `locale` (desks/languages.py): a step that writes to one
person (Tell, ToRequester, Ask, FileFailed, a home tab, a command's answer) speaks
that person's language; one that posts or updates in a desk's channel (the card, its
thread, a digest) speaks the desk's.
`STEP_KINDS` lists every step `decide` may produce; `PLANNED` every notice kind it
plans (a test checks both against NoticeKind and the senders).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from conversations.lifecycle import ACTIVE
from conversations.outbox_worker import Notice, Undeliverable
from desks.languages import DEFAULT_LOCALE, desk_locale, person_locale
from desks.notices import NoticeKind
from storage.database import Database, UnitOfWork
from storage.models import (
    Conversation,
    Desk,
    Incident,
    Message,
    MessageFile,
    PendingRequest,
    Person,
    Workspace,
)

ALERTS = frozenset({NoticeKind.SLA_WARNING, NoticeKind.SLA_BREACH,
                    NoticeKind.STALL_UNASSIGNED, NoticeKind.AGENT_NUDGE,
                    NoticeKind.DUE_WARNING, NoticeKind.DUE_PASSED, NoticeKind.REQUESTER_WITHDREW})
TO_REQUESTER = {  # notice kind -> the view of it the requester gets
    NoticeKind.RECEIPT: "receipt",
    NoticeKind.REQUESTER_UPDATE: "requester_update",
    NoticeKind.RESOLVE_PROMPT: "resolve_prompt",
    NoticeKind.REQUESTER_REMINDER: "scheduler_alert",
    NoticeKind.INCIDENT_NEWS: "incident_news",
}
RELAYS: dict[str, str] = {  # relay kind -> the message column that says it was relayed
    NoticeKind.RELAY_TO_AGENTS: "agent_side_id",
    NoticeKind.RELAY_TO_REQUESTER: "requester_side_id",
}
NO_THREAD = "the card was never posted, so its thread does not exist"


# ---------------------------------------------------------------- what a plan is made of


@dataclass(frozen=True)
class View:
    """Which view to show: `name` is a builder of conversations/view_queries.py, `args`
    what it takes after the unit of work and (for a conversation's views) the conversation."""

    name: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Place:
    """A message in a channel: the card (its thread on Teams), or where it was."""

    channel: str
    message: str


@dataclass(frozen=True)
class RequesterChat:
    """Where the requester is written to: the chat deskbot has with them (None: open one
    with `person`, and remember it) and the thread there (None: the first word starts it)."""

    person: str  # the requester's platform id
    channel: str | None
    thread: str | None


@dataclass(frozen=True)
class Skip:
    """Nothing to deliver; `reason` goes to the log."""

    reason: str


@dataclass(frozen=True)
class PostCard:
    """Post the ticket card in the desk's agent channel; it becomes the card's place
    (the incident's, for an incident's card: `incident_id`)."""

    channel: str
    view: View
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)
    incident_id: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class PostInChannel:
    """Post a message of its own in a channel (a digest)."""

    channel: str
    view: View
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class Update:
    """Re-render the message at `place` with `view` (the card, or what replaced it)."""

    place: Place
    view: View
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class Pin:
    """Pin (`on`) or unpin the message at `place`. Where bots cannot pin, a `card` pin
    re-renders the card instead (it shows the pin); other pins are nothing there."""

    place: Place
    on: bool
    card: bool
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class PostInThread:
    """Post `view` in the card's thread; `relayed` names the message it relays (its
    agent-side id is remembered), None for the conversation's own words (an alert)."""

    place: Place
    view: View
    relayed: int | None = None
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class Tell:
    """Write `view` to one person in their chat with deskbot; `link`: with a link to
    the card (`card`, None when it is not posted)."""

    person: str  # the person's platform id
    view: View
    link: bool = False
    card: Place | None = None
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class ToRequester:
    """Write `view` to the requester; `relayed` as for PostInThread (requester side)."""

    chat: RequesterChat
    view: View
    relayed: int | None = None
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class Ask:
    """Ask the question of a pending request (the desk picker, "add to #ref or new?")
    where its employee wrote: `channel`, `thread` there; no channel: their chat. The
    view is None when the request was answered meanwhile (nothing left to ask)."""

    view: View
    channel: str | None
    thread: str | None
    person: str | None
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class RelayFile:
    """Relay a shared file (the notice's payload names it) into the card's thread
    (`place`), or to the requester (`chat`)."""

    place: Place | None = None
    chat: RequesterChat | None = None
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class FileFailed:
    """Tell a file's author that it did not reach the other side: into the requester's
    chat when they shared it (`chat`), else privately to the agent (`author`; in the
    card's thread, `card`, where the platform can whisper there)."""

    file_name: str
    author: str
    to_desk: bool
    chat: RequesterChat | None = None
    card: Place | None = None
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class PublishHome:
    """Publish the notice's person's home view, as the payload says what it shows."""

    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class AnswerCommand:
    """Give the answer of a command that did not fit in the ack (payload)."""

    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


@dataclass(frozen=True)
class PostReport:
    """Post a desk's report (conversations/reports/chat.py: its card, chart and CSV) in
    `channel`, or in `person`'s chat with deskbot (None: no channel; also where it goes
    when the channel cannot be posted in). The notice's payload says which report."""

    channel: str | None
    person: str | None  # the platform id of who asked (None on a schedule)
    locale: str = field(default=DEFAULT_LOCALE, kw_only=True)


Step = (Skip | PostCard | PostInChannel | Update | Pin | PostInThread | Tell | ToRequester
        | Ask | RelayFile | FileFailed | PublishHome | AnswerCommand | PostReport)
STEP_KINDS: tuple[type, ...] = (Skip, PostCard, PostInChannel, Update, Pin, PostInThread,
                                Tell, ToRequester, Ask, RelayFile, FileFailed, PublishHome,
                                AnswerCommand, PostReport)


@dataclass(frozen=True)
class Plan:
    """The steps that deliver one notice, carried out in order; `ref` names the
    conversation in the log, `conversation_id` is whose views the steps show."""

    steps: tuple[Step, ...]
    conversation_id: int | None = None
    ref: int | None = None


# ---------------------------------------------------------------- what is read


@dataclass
class Facts:
    """What a notice's plan is decided from, as it is now (whatever the kind needs)."""

    conversation: Conversation | None = None
    desk: Desk | None = None
    requester: Person | None = None
    person: Person | None = None  # the notice's person_id
    relayed: bool = False  # the relayed message has its side's id already
    pending: PendingRequest | None = None
    pending_person: Person | None = None
    file: MessageFile | None = None
    author: Person | None = None
    old_desk: Desk | None = None  # the desk a moved card left
    incident: Incident | None = None  # an incident notice's incident


def card_place(conversation: Conversation) -> Place | None:
    """Where the conversation's card is, or None when it is not posted."""
    if conversation.agent_channel and conversation.agent_thread:
        return Place(conversation.agent_channel, conversation.agent_thread)
    return None


def taken(conversation: Conversation) -> bool:
    """Whether a new request's announcement is moot: someone has it, or it is over."""
    return bool(conversation.assignee_id) or conversation.status not in ACTIVE


def requester_chat(conversation: Conversation, requester: Person) -> RequesterChat:
    """Where the requester of `conversation` is written to."""
    return RequesterChat(requester.external_id, conversation.requester_channel,
                         conversation.requester_thread)


INCIDENT_CARD_KINDS = frozenset({NoticeKind.INCIDENT_CARD_POST, NoticeKind.INCIDENT_CARD_UPDATE,
                                 NoticeKind.INCIDENT_THREAD})
CONVERSATION_FREE = frozenset({NoticeKind.DESK_DIGEST, NoticeKind.DESK_NOT_READY,
                               NoticeKind.REQUESTER_PROMPT, NoticeKind.HOME_PUBLISH,
                               NoticeKind.COMMAND_ANSWER, NoticeKind.INCIDENT_PROPOSAL,
                               NoticeKind.REPORT_POST,
                               *INCIDENT_CARD_KINDS})


async def _conversation_of(uow: UnitOfWork, notice: Notice) -> Conversation:
    """The notice's conversation; Undeliverable when it names none or it is gone."""
    if notice.conversation_id is None:
        raise Undeliverable(f"{notice.kind} names no conversation")
    conversation = await uow.session.get(Conversation, notice.conversation_id)
    if conversation is None:
        raise Undeliverable("the conversation no longer exists")
    return conversation


async def workspace_of(db: Database, notice: Notice) -> Workspace:
    """The workspace `notice` is for; Undeliverable when it is gone."""
    async with db.unit_of_work(readonly=True) as uow:
        workspace = await uow.session.get(Workspace, notice.workspace_id)
    if workspace is None:
        raise Undeliverable(f"workspace {notice.workspace_id} no longer exists")
    return workspace


async def read_notice(db: Database, notice: Notice,
                      build: Callable[..., Awaitable[Any]] | None = None,
                      *args: Any) -> tuple[Conversation, Desk, Person, Any]:
    """The notice's conversation, desk and requester as they are now, and the view
    `build(uow, conversation, *args)` makes of them (None without `build`).

    Raises Undeliverable when the notice names no conversation or it is gone.
    """
    async with db.unit_of_work(readonly=True) as uow:
        conversation = await _conversation_of(uow, notice)
        desk = await uow.session.get(Desk, conversation.desk_id)
        requester = await uow.session.get(Person, conversation.requester_id)
        view = await build(uow, conversation, *args) if build else None
    assert desk is not None and requester is not None  # foreign keys
    return conversation, desk, requester, view


async def read_facts(db: Database, notice: Notice) -> Facts:
    """What `decide` needs for `notice`, read in one readonly unit of work.

    Raises Undeliverable when a conversation's notice names none, or it is gone.
    """
    async with db.unit_of_work(readonly=True) as uow:
        return await _facts_in(uow, notice)


async def read_plan(db: Database, notice: Notice) -> tuple[Workspace, Plan]:
    """The workspace `notice` is for and the plan that delivers it, read together (one
    read transaction: a sender's first look at every notice).

    Raises Undeliverable when the workspace is gone, or as `read_facts` does.
    """
    async with db.unit_of_work(readonly=True) as uow:
        workspace = await uow.session.get(Workspace, notice.workspace_id)
        if workspace is None:
            raise Undeliverable(f"workspace {notice.workspace_id} no longer exists")
        facts = await _facts_in(uow, notice)
    return workspace, decide(notice, facts)


async def _facts_in(uow: UnitOfWork, notice: Notice) -> Facts:
    """`read_facts` in the caller's unit of work."""
    kind, payload = notice.kind, notice.payload
    facts = Facts()
    get = uow.session.get
    if kind not in CONVERSATION_FREE:
        facts.conversation = await _conversation_of(uow, notice)
        facts.desk = await get(Desk, facts.conversation.desk_id)
        facts.requester = await get(Person, facts.conversation.requester_id)
    if notice.person_id is not None:
        facts.person = await get(Person, notice.person_id)
    if kind in RELAYS:
        message = await get(Message, int(payload["message_id"]))
        facts.relayed = message is not None and getattr(message, RELAYS[kind]) is not None
    elif kind == NoticeKind.CARD_MOVED:
        facts.old_desk = await get(Desk, int(payload.get("from_desk_id") or 0))
    elif kind == NoticeKind.REPORT_POST:
        ids = [int(i) for i in payload.get("desk_ids") or []]
        facts.desk = await get(Desk, ids[0]) if len(ids) == 1 else None
    elif kind in (NoticeKind.DESK_DIGEST, NoticeKind.INCIDENT_PROPOSAL):
        facts.desk = await get(Desk, int(payload.get("desk_id") or 0))
    elif kind in INCIDENT_CARD_KINDS:
        facts.incident = await get(Incident, int(payload.get("incident_id") or 0))
        if facts.incident is not None:
            facts.desk = await get(Desk, facts.incident.desk_id)
    elif kind == NoticeKind.REQUESTER_PROMPT:
        facts.pending = await get(PendingRequest, int(payload["pending_id"]))
        if facts.pending is not None:
            facts.pending_person = await get(Person, facts.pending.person_id)
    elif kind == NoticeKind.FILE_FAILED:
        facts.file = await get(MessageFile, int(payload.get("file_id") or 0))
        message = (await get(Message, facts.file.message_id)
                   if facts.file is not None and facts.file.message_id else None)
        facts.author = (await get(Person, message.author_id)
                        if message is not None and message.author_id else None)
    return facts


async def plan(db: Database, notice: Notice) -> Plan:
    """The plan that delivers `notice`, from what it is about as it is now."""
    return decide(notice, await read_facts(db, notice))


# ---------------------------------------------------------------- the rules


def decide(notice: Notice, facts: Facts) -> Plan:
    """The plan for `notice` given `facts`; raises Undeliverable when there is none."""
    decider = PLANNED.get(notice.kind)  # type: ignore[call-overload]
    if decider is None:
        raise Undeliverable(f"deskbot has no delivery for {notice.kind!r} notices")
    steps = decider(notice, facts)
    conversation = facts.conversation
    return Plan(tuple(steps), conversation.id if conversation else None,
                conversation.ref if conversation else None)


def _conversation(facts: Facts) -> Conversation:
    assert facts.conversation is not None  # read_facts raised otherwise
    return facts.conversation


def _card_post(notice: Notice, facts: Facts) -> list[Step]:
    conversation, desk = _conversation(facts), facts.desk
    assert desk is not None  # a foreign key
    channel = desk.agent_channel
    if not channel:
        raise Undeliverable(f"the {desk.name} desk has no agent channel; an admin sets "
                            f"one with `/desk admin create` or the desk's settings")
    if conversation.agent_channel == channel and conversation.agent_thread:
        # Delivered before (a process died before recording it): update, don't repost.
        return [Update(Place(channel, conversation.agent_thread), View("ticket_card"),
                       locale=desk_locale(desk))]
    return [PostCard(channel, View("ticket_card"), locale=desk_locale(desk))]


def _card_update(notice: Notice, facts: Facts) -> list[Step]:
    place = card_place(_conversation(facts))
    if place is None:
        return [Skip("the card is not posted")]
    return [Update(place, View("ticket_card"), locale=desk_locale(facts.desk))]


def _card_moved(notice: Notice, facts: Facts) -> list[Step]:
    payload = notice.payload
    channel, thread = payload.get("old_channel"), payload.get("old_thread")
    if not (channel and thread):
        return [Skip("the old card was never posted")]
    old = Place(str(channel), str(thread))
    locale = desk_locale(facts.old_desk or facts.desk)  # the old channel's language
    steps: list[Step] = [Update(old, View("card_moved", (payload,)), locale=locale)]
    if payload.get("was_pinned"):
        # Nobody in the old channel works it any more; its pin would only mislead.
        steps.append(Pin(old, on=False, card=False, locale=locale))
    return steps


def _card_pin(notice: Notice, facts: Facts) -> list[Step]:
    place = card_place(_conversation(facts))
    if place is None:
        return [Skip("the card is not posted")]
    return [Pin(place, on=notice.kind == NoticeKind.CARD_PIN, card=True,
                locale=desk_locale(facts.desk))]


def _relay_to_agents(notice: Notice, facts: Facts) -> list[Step]:
    message_id = int(notice.payload["message_id"])
    if facts.relayed:
        return [Skip("relayed already")]
    place = card_place(_conversation(facts))
    if place is None:
        raise Undeliverable(NO_THREAD)
    return [PostInThread(place, View("relay_to_agents", (message_id,)), relayed=message_id,
                         locale=desk_locale(facts.desk))]


def _relay_to_requester(notice: Notice, facts: Facts) -> list[Step]:
    message_id = int(notice.payload["message_id"])
    if facts.relayed:
        return [Skip("relayed already")]
    assert facts.requester is not None  # a foreign key
    return [ToRequester(requester_chat(_conversation(facts), facts.requester),
                        View("relay_to_requester", (message_id,)), relayed=message_id,
                        locale=person_locale(facts.requester))]


def _to_requester(notice: Notice, facts: Facts) -> list[Step]:
    name = TO_REQUESTER[notice.kind]  # type: ignore[index]
    args: tuple[Any, ...] = ((notice.kind, notice.payload) if name == "scheduler_alert"
                             else () if name == "resolve_prompt" else (notice.payload,))
    assert facts.requester is not None  # a foreign key
    return [ToRequester(requester_chat(_conversation(facts), facts.requester),
                        View(name, args), locale=person_locale(facts.requester))]


def _to_agent(notice: Notice, facts: Facts) -> list[Step]:
    conversation = _conversation(facts)
    assigned = notice.kind == NoticeKind.AGENT_ASSIGNED
    if not assigned and taken(conversation):
        return [Skip("already taken")]
    if facts.person is None:
        raise Undeliverable("the agent to tell no longer exists")
    by = notice.payload.get("by_id")
    what = ("autoassigned" if notice.payload.get("auto") else "assigned") if assigned \
        else "new_request"
    view = View("agent_notification", (what, int(by) if by else None))
    return [Tell(facts.person.external_id, view, True, card_place(conversation),
                 locale=person_locale(facts.person))]


def _alert(notice: Notice, facts: Facts) -> list[Step]:
    """A sweep's alert: to the person the notice names, else in the card's thread."""
    conversation = _conversation(facts)
    view = View("scheduler_alert", (notice.kind, notice.payload))
    place = card_place(conversation)
    if notice.person_id is None:
        if place is None:
            return [Skip("the card is not posted")]
        return [PostInThread(place, view, locale=desk_locale(facts.desk))]
    if facts.person is None:
        raise Undeliverable("the person to tell no longer exists")
    return [Tell(facts.person.external_id, view, True, place,
                 locale=person_locale(facts.person))]


def _digest(notice: Notice, facts: Facts) -> list[Step]:
    if facts.desk is None or not facts.desk.agent_channel:
        raise Undeliverable("the desk or its agent channel no longer exists")
    return [PostInChannel(facts.desk.agent_channel, View("digest", (notice.payload,)),
                          locale=desk_locale(facts.desk))]


def _desk_not_ready(notice: Notice, facts: Facts) -> list[Step]:
    """Requests wait on a desk that is not ready: to the person's chat (the view says
    when the desk is gone)."""
    if facts.person is None:
        raise Undeliverable("the desk or the person to tell no longer exists")
    return [Tell(facts.person.external_id, View("desk_not_ready", (notice.payload,)),
                 locale=person_locale(facts.person))]


def _prompt(notice: Notice, facts: Facts) -> list[Step]:
    pending = facts.pending
    if pending is None:
        return [Skip("answered meanwhile: nothing left to ask")]
    if pending.channel is None and facts.pending_person is None:
        raise Undeliverable("the person to ask no longer exists")
    person = facts.pending_person.external_id if facts.pending_person else None
    question = str(notice.payload.get("question") or "desk")
    return [Ask(View("requester_prompt", (pending.id, question)), pending.channel,
                pending.thread or pending.side_id, person,
                locale=person_locale(facts.pending_person))]


def _file(notice: Notice, facts: Facts) -> list[Step]:
    conversation = _conversation(facts)
    if notice.kind == NoticeKind.FILE_TO_AGENTS:
        place = card_place(conversation)
        if place is None:
            raise Undeliverable(NO_THREAD)
        return [RelayFile(place=place, locale=desk_locale(facts.desk))]
    assert facts.requester is not None  # a foreign key
    return [RelayFile(chat=requester_chat(conversation, facts.requester),
                      locale=person_locale(facts.requester))]


def _file_failed(notice: Notice, facts: Facts) -> list[Step]:
    """Tell a file's author it did not reach the other side."""
    conversation = _conversation(facts)
    if facts.file is None or facts.author is None:
        return [Skip("the file or its author is gone")]
    to_desk = notice.payload.get("relay") == NoticeKind.FILE_TO_AGENTS
    assert facts.requester is not None  # a foreign key
    locale = person_locale(facts.author)
    if to_desk:  # the requester shared it: into their own chat
        return [FileFailed(facts.file.name, facts.author.external_id, True,
                           chat=requester_chat(conversation, facts.requester), locale=locale)]
    return [FileFailed(facts.file.name, facts.author.external_id, False,
                       card=card_place(conversation), locale=locale)]


def _incident(facts: Facts) -> tuple[Incident, Desk]:
    if facts.incident is None or facts.desk is None:
        raise Undeliverable("the incident no longer exists")
    return facts.incident, facts.desk


def incident_place(incident: Incident) -> Place | None:
    """Where the incident's card is, or None when it is not posted."""
    if incident.agent_channel and incident.agent_thread:
        return Place(incident.agent_channel, incident.agent_thread)
    return None


def _incident_card(notice: Notice, facts: Facts) -> list[Step]:
    """An incident's card: posted once in its desk's agent channel, then re-rendered."""
    incident, desk = _incident(facts)
    view = View("incident_card", (incident.id,))
    place = incident_place(incident)
    if notice.kind == NoticeKind.INCIDENT_CARD_UPDATE:
        if place is None:
            return [Skip("the incident's card is not posted")]
        return [Update(place, view, locale=desk_locale(desk))]
    if place is not None and place.channel == desk.agent_channel:
        return [Update(place, view, locale=desk_locale(desk))]  # posted before: update
    if not desk.agent_channel:
        raise Undeliverable(f"the {desk.name} desk has no agent channel")
    return [PostCard(desk.agent_channel, view, locale=desk_locale(desk),
                     incident_id=incident.id)]


def _incident_thread(notice: Notice, facts: Facts) -> list[Step]:
    """An incident's update (or resolution) in its card's thread."""
    incident, desk = _incident(facts)
    place = incident_place(incident)
    if place is None:
        raise Undeliverable(NO_THREAD)
    return [PostInThread(place, View("incident_thread", (incident.id, dict(notice.payload))),
                         locale=desk_locale(desk))]


def _incident_proposal(notice: Notice, facts: Facts) -> list[Step]:
    if facts.desk is None or not facts.desk.agent_channel:
        raise Undeliverable("the desk or its agent channel no longer exists")
    return [PostInChannel(facts.desk.agent_channel,
                          View("incident_proposal", (dict(notice.payload),)),
                          locale=desk_locale(facts.desk))]


def _home(notice: Notice, facts: Facts) -> list[Step]:
    return [PublishHome(locale=person_locale(facts.person))]


def _command_answer(notice: Notice, facts: Facts) -> list[Step]:
    return [AnswerCommand(locale=person_locale(facts.person))]


def _report_post(notice: Notice, facts: Facts) -> list[Step]:
    """A report: where it was asked (or scheduled), in its desk's language (the reader's
    for every desk)."""
    ids = notice.payload.get("desk_ids") or []
    if ids and (facts.desk is None and len(ids) == 1):
        raise Undeliverable("the report's desk no longer exists")
    channel = notice.payload.get("channel") or None
    person = facts.person.external_id if facts.person is not None else None
    if channel is None and person is None:
        raise Undeliverable("the report has nowhere to go")
    one_desk = len(ids) == 1 and facts.desk is not None
    locale = desk_locale(facts.desk) if one_desk else person_locale(facts.person)
    return [PostReport(str(channel) if channel else None, person, locale=locale)]


PLANNED = {
    NoticeKind.CARD_POST: _card_post,
    NoticeKind.CARD_UPDATE: _card_update,
    NoticeKind.CARD_MOVED: _card_moved,
    NoticeKind.CARD_PIN: _card_pin,
    NoticeKind.CARD_UNPIN: _card_pin,
    NoticeKind.RELAY_TO_AGENTS: _relay_to_agents,
    NoticeKind.RELAY_TO_REQUESTER: _relay_to_requester,
    NoticeKind.AGENT_ASSIGNED: _to_agent,
    NoticeKind.AGENT_NEW_REQUEST: _to_agent,
    **{kind: _alert for kind in ALERTS},
    NoticeKind.DESK_DIGEST: _digest,
    NoticeKind.DESK_NOT_READY: _desk_not_ready,
    **{kind: _to_requester for kind in TO_REQUESTER},
    NoticeKind.REQUESTER_PROMPT: _prompt,
    NoticeKind.FILE_TO_AGENTS: _file,
    NoticeKind.FILE_TO_REQUESTER: _file,
    NoticeKind.FILE_FAILED: _file_failed,
    NoticeKind.HOME_PUBLISH: _home,
    NoticeKind.COMMAND_ANSWER: _command_answer,
    NoticeKind.INCIDENT_CARD_POST: _incident_card,
    NoticeKind.INCIDENT_CARD_UPDATE: _incident_card,
    NoticeKind.INCIDENT_THREAD: _incident_thread,
    NoticeKind.INCIDENT_PROPOSAL: _incident_proposal,
    NoticeKind.REPORT_POST: _report_post,
}


__all__ = ["PLANNED", "STEP_KINDS", "Facts", "Plan", "Step", "View", "decide", "plan",
           "read_facts", "read_notice", "read_plan", "workspace_of"]
