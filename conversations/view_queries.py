"""View models built from the database: what every card, message and home tab shows.

Platform-neutral: the Slack and Teams senders and listeners call these inside a unit
of work and render the result with `cards`. Each builder reads the conversation
as it is *now*; a notice's payload only adds what the current state cannot tell
(the old place of a moved card, who was assigned at the time).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from conversations import (
    chosen_replies,
    commands,
    due_dates,
    incident_views,
    intake,
    queues,
    sla,
    tiers,
    withdrawal,
)
from conversations.commands import DEFAULT_REOPEN_WINDOW
from conversations.knowledge import offered, similar
from conversations.lifecycle import ACTIVE
from conversations.outbox_worker import Undeliverable
from conversations.queues import QueueItem, QueueView, RequestItem
from conversations.view_models import (
    AddOrNew,
    AgentHome,
    AgentNotification,
    CardMoved,
    DeskConfig,
    DeskOption,
    DeskPicker,
    Digest,
    EmployeeHome,
    ExpectedResponse,
    MyRequests,
    OpenRequest,
    PersonRef,
    QueueList,
    QueueRow,
    Receipt,
    RelayToAgents,
    RelayToRequester,
    Reply,
    RequesterUpdate,
    RequestRow,
    ResolvePrompt,
    SchedulerAlert,
    SlaState,
    TicketCard,
    clip,
)
from desks import audience, autoassign
from desks import service as desks
from desks.errors import InvalidInput
from desks.permissions import Actor, Role, served_desk_ids
from desks.policy import policy_of
from desks.wording import Words, chain, refs
from storage.database import UnitOfWork
from storage.models import AgentMark, Conversation, Desk, Event, Message, PendingRequest, Person

# requester.update's "what" as the core writes it -> RequesterUpdate.what as cards show it.
UPDATE_WHAT = {"assigned": "picked_up", "moved": "transferred"}
# A desk or person no longer in the database (rows are archived, not deleted, so only a
# hand-edited database has none): "?" in every language, as renderers show a blank name.
UNKNOWN = "?"
OWN_REQUESTS_ON_AGENT_HOME = 5


# ---------------------------------------------------------------- small parts


def person_ref(person: Person | None) -> PersonRef | None:
    """A person as cards show them (name, and platform id for mentions)."""
    return PersonRef(person.display_name, person.external_id) if person else None


def desk_option(desk: Desk) -> DeskOption:
    """A desk as offered in pickers and selects."""
    return DeskOption(desk.slug, desk.name, desk.description)


async def _person(uow: UnitOfWork, person_id: int | None) -> Person | None:
    return await uow.session.get(Person, person_id) if person_id else None


async def _desk(uow: UnitOfWork, desk_id: int | None) -> Desk | None:
    return await uow.session.get(Desk, desk_id) if desk_id else None


async def _desk_name(uow: UnitOfWork, desk_id: int | None) -> str:
    desk = await _desk(uow, desk_id)
    return desk.name if desk else UNKNOWN


async def _requester(uow: UnitOfWork, conversation: Conversation) -> PersonRef:
    return person_ref(await _person(uow, conversation.requester_id)) or PersonRef(UNKNOWN)


async def _message(uow: UnitOfWork, conversation: Conversation, message_id: int) -> Message:
    message = await uow.session.get(Message, int(message_id))
    if message is None or message.conversation_id != conversation.id:
        raise LookupError(f"message {message_id} is not part of #{conversation.ref}")
    return message


# ---------------------------------------------------------------- agent side


async def ticket_card(uow: UnitOfWork, conversation: Conversation) -> TicketCard:
    """The ticket card of `conversation` as it is now."""
    desk = await _desk(uow, conversation.desk_id)
    assert desk is not None  # foreign key
    opening = await commands.opening_message(uow, conversation)
    first = opening.body if opening is not None else conversation.subject
    # The card shows the start; the core posts a longer text whole in the card's thread.
    whole_in_thread = len(first) > commands.CARD_EXCERPT
    earlier = (await uow.session.execute(
        select(func.count()).select_from(Conversation)
        .where(Conversation.requester_id == conversation.requester_id,
               Conversation.id < conversation.id))).scalar_one()
    pinned = (await uow.session.execute(
        select(AgentMark.person_id).where(AgentMark.conversation_id == conversation.id,
                                          AgentMark.pinned_at.is_not(None)).limit(1)
    )).first() is not None
    unread_for = tuple(PersonRef(person.display_name, person.external_id)
                       for person in (await uow.session.execute(
                           select(Person).join(AgentMark, AgentMark.person_id == Person.id)
                           .where(AgentMark.conversation_id == conversation.id,
                                  AgentMark.marked_unread.is_(True))
                           .order_by(Person.display_name, Person.id))).scalars())
    agents = tuple(person_ref(person) for person, _ in await desks.members(uow, desk)
                   if person.id != conversation.assignee_id)
    other_desks = tuple(desk_option(d) for d in await desks.list_desks(uow, desk.workspace_id)
                        if d.id != desk.id)
    policy = sla.desk_policy(desk)
    return TicketCard(
        ref=conversation.ref, desk=desk_option(desk), subject=conversation.subject,
        first_message=clip(first, commands.CARD_EXCERPT), whole_in_thread=whole_in_thread,
        requester=await _requester(uow, conversation), requester_earlier_requests=earlier,
        opened_at=conversation.opened_at, priority=conversation.priority,
        status=conversation.status, kind=conversation.kind,
        assignee=person_ref(await _person(uow, conversation.assignee_id)),
        pinned=pinned and conversation.status != "closed",
        sla=sla_state(conversation, uow.clock.now()),
        rating=conversation.rating,
        agents=agents,  # type: ignore[arg-type]
        other_desks=other_desks, unread_for=unread_for, language=desk.language or "en",
        category=conversation.category,
        categories=tuple(c.name for c in policy.categories), matrix=policy.matrix.on,
        impact=conversation.impact, urgency=conversation.urgency,
        due_at=conversation.due_at, due_state=due_of(conversation, uow.clock.now()),
        due_zone=policy.window.time_zone,
        due_wall=due_dates.wall(conversation.due_at, policy.window)
        if conversation.due_at else "",
        withdrawn=await withdrawal.was_withdrawn(uow, conversation),
        **await _tiers(uow, conversation, desk),
        **await incident_views.ticket_card_incidents(uow, conversation),
        saved_replies=(await chosen_replies.card_choices(uow, desk.id)
                       if conversation.status != "closed" else ()),
        similar=await similar.on_card(uow, conversation.id))


async def _tiers(uow: UnitOfWork, conversation: Conversation, desk: Desk) -> dict[str, Any]:
    """The card's tier facts: how an escalation brought it here, whether it may go on."""
    here = await tiers.escalated_here(uow, conversation)
    facts: dict[str, Any] = {"can_escalate": (
        conversation.kind == tiers.TICKET and conversation.status not in ("resolved", "closed")
        and await tiers.next_tier(uow, desk) is not None)}
    if here is not None:
        facts.update(escalated_from=here.from_desk or UNKNOWN, escalated_by=person_ref(here.by),
                     escalation_note=here.note)
    return facts


def due_of(conversation: Conversation | QueueItem, now: datetime) -> str:
    """How the request's due date stands (`conversations.due_dates.due_state`)."""
    return due_dates.due_state(conversation.status, conversation.due_at,
                               conversation.due_warn_at, conversation.due_warned_at,
                               conversation.due_flagged_at, now)


def sla_state(conversation: Conversation | QueueItem, now: datetime,
              window: object | None = None) -> SlaState:
    """The card's (and a queue row's) SLA line: the clock that matters now, and how it stands.

    First response until an agent has answered, then resolution; paused while the
    clocks stand still (waiting, on hold); none once resolved or without due times.
    The state carries the target and its due time, which the cards write as a clock
    time in the reader's zone (a countdown on a posted card would go stale). `window`
    is accepted for callers that pass the desk's service window; the due times were
    computed in business time already.
    """
    del window  # the due time is absolute: the reader's clock shows it
    if conversation.status in ("resolved", "closed"):
        return SlaState()
    if conversation.first_response_at is None and conversation.first_response_due_at:
        target, due = "first_response", conversation.first_response_due_at
        warn, flags = conversation.first_response_warn_at, (
            conversation.first_response_warned_at, conversation.first_response_breached_at)
    elif conversation.resolution_due_at:
        target, due = "resolution", conversation.resolution_due_at
        warn, flags = conversation.resolution_warn_at, (
            conversation.resolution_warned_at, conversation.resolution_breached_at)
    else:
        return SlaState()
    if conversation.sla_paused_at is not None:
        return SlaState("paused", due_at=due, target=target)
    if flags[1] is not None or now >= due:
        return SlaState("breached", due_at=due, target=target)
    if flags[0] is not None or (warn is not None and now >= warn):
        return SlaState("warning", due_at=due, target=target)
    return SlaState("ok", due_at=due, target=target)


async def card_moved(uow: UnitOfWork, conversation: Conversation,
                     payload: Mapping[str, Any]) -> CardMoved:
    """What replaces the card in its old channel (payload of card.moved: from/to desk ids)."""
    moved = (await uow.session.execute(
        select(Event.actor_id).where(Event.conversation_id == conversation.id,
                                     Event.kind.in_(("conversation.moved", "sla.escalated",
                                                     "conversation.escalated")))
        .order_by(Event.id.desc()).limit(1))).scalar_one_or_none()
    return CardMoved(ref=conversation.ref, subject=conversation.subject,
                     from_desk=await _desk_name(uow, payload.get("from_desk_id")),
                     to_desk=await _desk_name(uow, payload.get("to_desk_id")
                                              or conversation.desk_id),
                     by=person_ref(await _person(uow, moved)))


async def relay_to_agents(uow: UnitOfWork, conversation: Conversation,
                          message_id: int) -> RelayToAgents:
    """The requester's message `message_id`, for the card's thread."""
    message = await _message(uow, conversation, message_id)
    author = person_ref(await _person(uow, message.author_id))
    return RelayToAgents(ref=conversation.ref,
                         requester=author or await _requester(uow, conversation),
                         text=message.body)


async def agent_notification(uow: UnitOfWork, conversation: Conversation, what: str,
                             by: int | None = None, link: str | None = None
                             ) -> AgentNotification:
    """A DM to an agent: `what` is new_request | assigned; `by` the assigning person's id."""
    return AgentNotification(what=what, ref=conversation.ref,
                             desk=await _desk_name(uow, conversation.desk_id),
                             subject=conversation.subject,
                             requester=await _requester(uow, conversation),
                             by=person_ref(await _person(uow, by)), link=link)


SCHEDULER_ALERTS = {"sla.warning": "sla_warning", "sla.breach": "sla_breach",
                    "stall.unassigned": "unassigned", "stall.agent_silent": "agent_silent",
                    "requester.reminder": "requester_reminder",
                    "due.warning": "due_warning", "due.passed": "due_passed",
                    "requester.withdrew": "withdrawn"}


async def scheduler_alert(uow: UnitOfWork, conversation: Conversation, kind: str,
                          payload: Mapping[str, Any]) -> SchedulerAlert:
    """A sweep's notice (`kind`: sla.warning, sla.breach, stall.*, requester.reminder)."""
    target = payload.get("target")
    due = None
    if target == "first_response":
        due = conversation.first_response_due_at
    elif target == "resolution":
        due = conversation.resolution_due_at
    if kind in ("due.warning", "due.passed"):
        due = conversation.due_at
    # A list comprehension: with `await` inside, a generator expression is an async one.
    mentions = [person_ref(await _person(uow, int(i))) for i in payload.get("mention_ids") or ()]
    what = SCHEDULER_ALERTS.get(kind, "other")
    if what == "unassigned" and payload.get("stage") == "leads":
        what = "unassigned_leads"
    return SchedulerAlert(what=what, ref=conversation.ref,
                          desk=await _desk_name(uow, conversation.desk_id),
                          subject=conversation.subject,
                          target=str(target) if target else None, due_at=due,
                          mentions=tuple(m for m in mentions if m is not None))


async def digest(uow: UnitOfWork, payload: Mapping[str, Any]) -> tuple[Desk | None, Digest]:
    """The daily digest of desk.digest's payload, and the desk (for its channel); the
    open tickets by category as they are at delivery."""
    desk = await _desk(uow, payload.get("desk_id"))
    counts = payload.get("counts") or {}
    tickets: tuple[tuple[str, int], ...] = ()
    if desk is not None:
        rows = await uow.session.execute(
            select(Conversation.category, func.count()).where(
                Conversation.desk_id == desk.id, Conversation.kind == "ticket",
                Conversation.status.in_(list(ACTIVE)))
            .group_by(Conversation.category))
        tickets = tuple(sorted(((category or "", int(n)) for category, n in rows),
                               key=lambda pair: (-pair[1], pair[0])))
    return desk, Digest(desk=desk.name if desk else UNKNOWN, day=str(payload.get("day") or ""),
                        tickets=tickets,
                        **{k: int(counts.get(k) or 0)
                           for k in ("open", "unassigned", "breached", "due_today", "pinned")})


# ---------------------------------------------------------------- requester side


async def relay_to_requester(uow: UnitOfWork, conversation: Conversation,
                             message_id: int) -> RelayToRequester:
    """An agent's reply `message_id`, with the agent's name, for the requester's thread."""
    message = await _message(uow, conversation, message_id)
    agent = person_ref(await _person(uow, message.author_id)) or PersonRef(UNKNOWN)
    return RelayToRequester(ref=conversation.ref, agent=agent,
                            desk=await _desk_name(uow, conversation.desk_id), text=message.body)


async def receipt(uow: UnitOfWork, conversation: Conversation,
                  payload: Mapping[str, Any] | None = None) -> Receipt:
    """The reply under the employee's first message: ref, desk, expected first response.

    The promise (facts, worded by the renderers) is counted in the desk's service
    window by the business-time calendar on the unit of work (`scheduling.desk_calendar`,
    installed by bootstrap); a database without one promises no time, nor does a
    calendar that answers anything but `ExpectedResponse` facts.
    """
    follows = (payload or {}).get("follows_ref")
    desk = await _desk(uow, conversation.desk_id)
    promise = (uow.business_time.expected_response(desk, conversation)
               if desk and uow.business_time else None)
    return Receipt(ref=conversation.ref, desk=desk.name if desk else UNKNOWN,
                   expected_response=promise if isinstance(promise, ExpectedResponse) else None,
                   follows_ref=int(follows) if follows else None)


async def requester_update(uow: UnitOfWork, conversation: Conversation,
                           payload: Mapping[str, Any]) -> RequesterUpdate:
    """A change the requester hears about, from requester.update's payload.

    The core writes what=assigned (agent_id), status (status), moved (desk_id),
    closed and reopened; the agent and desk are the ones of that moment.
    """
    what = str(payload.get("what") or "status")
    agent = None
    if payload.get("agent_id"):
        agent = person_ref(await _person(uow, int(payload["agent_id"])))
    to_desk = None
    if what in ("moved", "escalated"):
        to_desk = await _desk_name(uow, payload.get("desk_id") or conversation.desk_id)
    status = payload.get("status")
    category = payload.get("category")
    return RequesterUpdate(ref=conversation.ref, what=UPDATE_WHAT.get(what, what),
                           desk=await _desk_name(uow, conversation.desk_id), agent=agent,
                           status=str(status) if status else None, to_desk=to_desk,
                           category=str(category) if category else None,
                           due_at=conversation.due_at if what == "due" else None)


# Events that ask "Did this solve it?" and events that are the requester's answer.
_ASKED = ("status.changed", "conversation.closed")
_ANSWERS = ("conversation.confirmed", "conversation.closed", "conversation.reopened")


async def _answer(uow: UnitOfWork, conversation: Conversation) -> bool | None:
    """The requester's answer to the latest "Did this solve it?": True (solved), False
    (not solved: reopened), or None while unanswered."""
    rows = (await uow.session.execute(
        select(Event.kind, Event.data).where(Event.conversation_id == conversation.id,
                                             Event.kind.in_(_ASKED + _ANSWERS))
        .order_by(Event.id.desc()).limit(50))).all()
    for kind, data in rows:
        data = data or {}
        by_requester = data.get("by") == "requester"
        if kind == "conversation.confirmed" or (kind == "conversation.closed"
                                                and by_requester):
            return True
        if kind == "conversation.reopened" and data.get("reason") == "not_solved":
            return False
        if kind == "conversation.closed" or (kind == "status.changed"
                                             and data.get("new") == "resolved"):
            return None  # asked, and not answered since
    return None


async def resolve_prompt(uow: UnitOfWork, conversation: Conversation) -> ResolvePrompt:
    """"Did this solve it?" with the rating buttons, as it reads now: an answer or a
    rating already given replaces its buttons; after a close it says "was closed"."""
    return ResolvePrompt(ref=conversation.ref,
                         desk=await _desk_name(uow, conversation.desk_id),
                         answered=await _answer(uow, conversation),
                         rating=conversation.rating,
                         closed=conversation.status == "closed")


# ---------------------------------------------------------------- lists and homes


def queue_row(item: QueueItem, now: datetime | None, link: str | None = None) -> QueueRow:
    """One queue row with its SLA state as of `now`, computed as the card's is (none
    without `now`)."""
    return QueueRow(ref=item.ref, subject=item.subject, desk=item.desk,
                    requester=item.requester, assignee=item.assignee, status=item.status,
                    priority=item.priority, opened_at=item.opened_at, pinned=item.pinned,
                    unread=item.unread,
                    sla=sla_state(item, now) if now else SlaState(),
                    link=link, category=item.category, due_at=item.due_at,
                    due_state=due_of(item, now) if now else "none")


def queue_list(items: Iterable[QueueItem], view: str, desk: str | None = None,
               now: datetime | None = None) -> QueueList:
    """An agent's queue (`/desk queue`) from conversations.queues.queue's items."""
    return QueueList(view=str(view), rows=tuple(queue_row(i, now) for i in items), desk=desk,
                     now=now)


def request_row(item: RequestItem) -> RequestRow:
    """One of the requester's own requests."""
    return RequestRow(ref=item.ref, subject=item.subject, desk=item.desk, status=item.status,
                      assignee=item.assignee, opened_at=item.opened_at,
                      updated_at=item.updated_at)


def my_requests(items: Iterable[RequestItem]) -> MyRequests:
    """The requester's own requests (`/desk my`)."""
    return MyRequests(rows=tuple(request_row(i) for i in items))


async def agent_home(uow: UnitOfWork, actor: Actor, view: str = "unassigned",
                     desk_slug: str | None = None, page: int = 1, page_size: int = 15, *,
                     now: datetime | None = None) -> AgentHome:
    """The agent's home tab: counts per view, one page of the chosen view, desk filter.

    An unknown view falls back to unassigned; a desk the agent does not serve is
    ignored (the filter shows all their desks); the page is clamped to what exists.
    """
    chosen = QueueView(view) if view in {v.value for v in QueueView} else QueueView.UNASSIGNED
    served = set(await served_desk_ids(uow, actor.id))
    own_desks = [d for d in await desks.list_desks(uow, actor.workspace_id) if d.id in served]
    desk = next((d for d in own_desks if desk_slug and d.slug == desk_slug), None)
    counts: dict[str, int] = {}
    chosen_items: list[QueueItem] = []
    for each in QueueView:
        items = await queues.queue(uow, actor, each, desk)
        counts[each.value] = len(items)
        if each == chosen:
            chosen_items = items
    pages = max(1, math.ceil(len(chosen_items) / page_size))
    page = min(max(1, page), pages)
    shown = chosen_items[(page - 1) * page_size: page * page_size]
    person = await uow.session.get(Person, actor.id) or actor.person
    own = [r for r in await queues.my_requests(uow, person) if r.status in ACTIVE]
    now = now or uow.clock.now()
    return AgentHome(name=person.display_name, available=bool(person.available),
                     view=chosen.value, counts=counts,
                     rows=tuple(queue_row(i, now) for i in shown),
                     page=page, pages=pages, desks=tuple(desk_option(d) for d in own_desks),
                     desk=desk.slug if desk else None,
                     own_requests=tuple(request_row(r)
                                        for r in own[:OWN_REQUESTS_ON_AGENT_HOME]),
                     now=now)


async def employee_home(uow: UnitOfWork, person: Person) -> EmployeeHome:
    """An employee's home tab: their own requests, newest first, and the desks that take
    requests (not those still being set up)."""
    items = await queues.my_requests(uow, person)
    open_desks = await intake.open_desks(uow, person.workspace_id,
                                         await audience.viewer_for(uow, person))
    return EmployeeHome(name=person.display_name,
                        requests=tuple(request_row(i) for i in items),
                        desks=tuple(desk_option(d) for d in open_desks))


async def desk_not_ready(uow: UnitOfWork, payload: Mapping[str, Any]) -> Reply | None:
    """The DM telling a desk's leads and admins that requests wait on a desk that can no
    longer be worked (`NoticeKind.DESK_NOT_READY`); None when the desk is gone."""
    desk = await uow.session.get(Desk, int(payload["desk_id"]))
    if desk is None:
        return None
    numbers = [int(r) for r in payload.get("refs") or []]
    # What it lacks now, in words the reader's language can say (the payload keeps
    # the English of the moment); a desk made ready since leaves nothing to tell.
    missing = await desks.missing_to_be_ready(uow, desk)
    if not missing or not numbers:
        return None
    return Reply.of(Words("notice.desk_not_ready", desk=desk.name, refs=refs(numbers),
                          count=len(numbers), missing=chain(missing, "common.semicolon")),
                    kind="error")


async def desk_config(uow: UnitOfWork, desk: Desk) -> DeskConfig:
    """`/desk admin show`: the desk's whole configuration."""
    from desks.policy import POLICY_KEYS, plain, summary_words

    members = await desks.members(uow, desk)
    settings = dict(desk.settings or {})
    window = int(settings.pop("reopen_window_days", DEFAULT_REOPEN_WINDOW.days))
    rule = autoassign.rule_of(settings)
    seen = audience.audience_of(settings)
    for key in (*autoassign.KEYS, audience.KEY, offered.KEY):
        settings.pop(key, None)
    from conversations.reports.schedule import KEY as REPORT_KEY
    from conversations.reports.schedule import schedule_words
    report_schedule = schedule_words(settings.pop(REPORT_KEY, None) and desk.settings,
                                     desk.agent_channel)
    # First what keeps it from taking requests (nothing, once it is ready).
    said: list[tuple[Any, Any]] = [
        (Words("config_line.not_ready"), missing)
        for missing in await desks.missing_to_be_ready(uow, desk)]
    said.append((Words("config_line.reopen_window"),
                 Words("config_value.reopen_window", count=window)))
    try:
        policy = policy_of(settings, desk.language)
    except InvalidInput as error:  # hand-edited settings: show them, and what is wrong
        said.append((Words("config_line.service_policy"),
                     Words("config_value.unreadable", problem=error.words or error.message)))
    else:
        # On-call agents by name where known (they are kept as platform user ids).
        names = {p.external_id: p.display_name for p, _ in members}
        desk_names = {d.slug: d.name for d in await desks.list_desks(
            uow, desk.workspace_id, include_archived=True)} if policy.escalate_to else {}
        said += summary_words(policy, names, desk_names)
        said.append((Words("autoassign.line"), autoassign.rule_words(rule)))
        said.append((Words("audience.line"), ", ".join(
            [f"#{c}" for c in seen.channels] + [names.get(p, p) for p in seen.people])
            if seen else Words("audience.everyone")))
        said.append((Words("report.config_line"), report_schedule))
        said.append((Words("suggest.config_line"), offered.offer_words(desk.settings)))
        settings = {k: v for k, v in settings.items() if k not in POLICY_KEYS}
    kept = await chosen_replies.card_choices(uow, desk.id)
    said.append((Words("saved_reply.config_line"),
                 Words("saved_reply.config_value", count=len(kept),
                       names=tuple(name for _, name in kept)) if kept
                 else Words("common.none")))
    # Settings deskbot does not know: their stored key (as words) and value, as they are.
    said += [(Words("config_line.stored_setting", setting=key.replace("_", " ").capitalize()),
              _setting(value))
             for key, value in sorted(settings.items())]
    lines = [(plain(label), plain(value)) for label, value in said]
    return DeskConfig(
        name=desk.name, slug=desk.slug, description=desk.description,
        agent_channel=desk.agent_channel, intake_channel=desk.intake_channel,
        agents=tuple(person_ref(p) for p, role in members  # type: ignore[misc]
                     if role == Role.AGENT),
        leads=tuple(person_ref(p) for p, role in members  # type: ignore[misc]
                    if role == Role.LEAD),
        routing_keywords=tuple(desk.routing_keywords or ()),
        archived=desk.archived_at is not None, language=desk.language or "en",
        settings=tuple(lines), settings_words=tuple(said))


def _setting(value: Any) -> str | Words:
    """A stored value as it is (the admin's own text), or "none" said in words."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or Words("common.none")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or Words("common.none")
    return str(value)


async def requester_prompt(uow: UnitOfWork, pending: PendingRequest,
                           question: str) -> AddOrNew | DeskPicker:
    """The question about `pending`: "add to #ref or a new request?" while the employee
    has requests open (`question` "add_or_new"), else which desk should help.

    Raises Undeliverable when the employee who wrote it is gone: nobody to ask."""
    if question == "add_or_new":
        person = await uow.session.get(Person, pending.person_id)
        if person is None:
            raise Undeliverable("the person to ask no longer exists")
        open_requests = []
        for conversation in await intake.active_requests(uow, person):
            desk = await uow.session.get(Desk, conversation.desk_id)
            open_requests.append(OpenRequest(conversation.ref, conversation.subject,
                                             desk.name if desk else ""))
        if open_requests:
            return AddOrNew(pending_id=pending.id, text=pending.text,
                            open_requests=tuple(open_requests[:5]))
    person = await uow.session.get(Person, pending.person_id)
    desks = await intake.open_desks(uow, pending.workspace_id,
                                    await audience.viewer_for(uow, person) if person else None)
    return DeskPicker(pending_id=pending.id, text=pending.text,
                      desks=tuple(DeskOption(d.slug, d.name, d.description) for d in desks))

