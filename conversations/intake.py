"""Intake: which desk a new request goes to, and requests that wait for the employee's choice.

An employee's message becomes a request at once when one desk is the obvious target
(the workspace has one desk, or one desk's routing keywords match). Otherwise the text
is held as a pending request while the employee picks a desk, or answers "add to
#1042 or start a new request?"; the buttons carry only the pending request's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from conversations.lifecycle import ACTIVE
from desks import audience
from desks.errors import DeskNotReady, NotPermitted, UnknownDesk, WrongState
from desks.notices import NoticeKind
from storage.database import UnitOfWork, rows_matched
from storage.journal import write_notice
from storage.models import Conversation, Desk, DeskMember, PendingRequest, Person

# A pending request nobody answered is dropped after this long (see forget_pending).
PENDING_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class Routing:
    """Where a new request goes: `desk` when decided, else the `choices` to offer."""

    desk: Desk | None
    choices: tuple[Desk, ...] = ()
    matched_keyword: str | None = None


def _tokens(text: str) -> list[str]:
    return re.findall(r"[\w-]+", text.casefold())


def keyword_matches(desk: Desk, text: str) -> str | None:
    """The first of `desk`'s routing keywords found in `text` (as a word or phrase), or None."""
    tokens = _tokens(text)
    words = set(tokens)
    lowered = " " + " ".join(tokens) + " "
    for keyword in desk.routing_keywords or []:
        key = keyword.casefold().strip()
        if not key:
            continue
        if (" " in key and f" {key} " in lowered) or key in words:
            return keyword
    return None


async def open_desks(uow: UnitOfWork, workspace_id: int,
                     viewer: audience.Viewer | None = None) -> list[Desk]:
    """The workspace's desks that take requests, by name: not archived, and ready (an
    agent channel and at least one agent; see `desks.service.missing_for_ready`); with
    `viewer`, only those they may see (`desks.audience`)."""
    staffed = select(DeskMember.desk_id).where(DeskMember.desk_id == Desk.id).exists()
    rows = await uow.session.scalars(
        select(Desk).where(Desk.workspace_id == workspace_id, Desk.archived_at.is_(None),
                           Desk.agent_channel.is_not(None), Desk.agent_channel != "", staffed)
        .order_by(Desk.name, Desk.id))
    return audience.visible(rows, viewer)


async def route(uow: UnitOfWork, workspace_id: int, text: str,
                viewer: audience.Viewer | None = None) -> Routing:
    """Pick the desk for `text`: the only desk, or the one whose keywords match.

    Several matching desks, or none, leave the choice to the employee. A workspace
    without desks gets a refusal that says how to create one.
    """
    desks = await open_desks(uow, workspace_id, viewer)
    if not desks:
        any_desk = (await uow.session.execute(select(Desk.id).where(
            Desk.workspace_id == workspace_id, Desk.archived_at.is_(None)).limit(1))).first()
        if any_desk is not None:
            raise DeskNotReady("intake.no_desk_ready")
        raise UnknownDesk("intake.no_desk_yet")
    if len(desks) == 1:
        return Routing(desk=desks[0], choices=tuple(desks))
    matched = [(desk, key) for desk in desks if (key := keyword_matches(desk, text))]
    if len(matched) == 1:
        return Routing(desk=matched[0][0], choices=tuple(desks), matched_keyword=matched[0][1])
    return Routing(desk=None, choices=tuple(desks))


async def hold(uow: UnitOfWork, requester: Person, text: str, *, channel: str | None = None,
               thread: str | None = None, side_id: str | None = None,
               via: str = "dm") -> PendingRequest:
    """Keep `text` until the employee chooses where it goes; returns the pending request."""
    pending = PendingRequest(workspace_id=requester.workspace_id, person_id=requester.id,
                             text=text, channel=channel, thread=thread, side_id=side_id,
                             via=via, created_at=uow.clock.now())
    uow.session.add(pending)
    await uow.session.flush()
    return pending


async def awaiting_answer(uow: UnitOfWork, requester: Person,
                          channel: str | None) -> PendingRequest | None:
    """The person's pending request from `channel` that still waits for their answer
    (the newest, if several), locked for this unit of work; None without one."""
    query = (select(PendingRequest)
             .where(PendingRequest.person_id == requester.id,
                    PendingRequest.channel == channel,
                    PendingRequest.created_at >= uow.clock.now() - PENDING_KEPT)
             .order_by(PendingRequest.created_at.desc(), PendingRequest.id.desc()).limit(1)
             .with_for_update())
    return (await uow.session.scalars(query)).first()


def collect(pending: PendingRequest, text: str, *, limit: int) -> bool:
    """Add `text` to what `pending` holds (one paragraph more), unless the whole would
    pass `limit` characters; True when added. The question already asked covers it."""
    combined = f"{pending.text}\n\n{text}"
    if len(combined) > limit:
        return False
    pending.text = combined
    return True


def ask_requester(uow: UnitOfWork, pending: PendingRequest, question: str) -> None:
    """Queue the question about `pending`: `desk` (the desk picker), `add_or_new`, or
    `incident:<id>` (the known-incident offer), or `suggest:…` (answers offered before
    the request is sent, conversations/knowledge/deflection.py).

    It goes through the outbox like every other message, so it is not lost when the
    platform is briefly unreachable; the sender renders it from the pending row.
    """
    if question not in ("desk", "add_or_new") \
            and not question.startswith(("incident:", "suggest:")):
        raise ValueError(f"unknown question {question!r}")
    write_notice(uow, workspace_id=pending.workspace_id, kind=NoticeKind.REQUESTER_PROMPT,
                 person_id=pending.person_id,
                 payload={"pending_id": pending.id, "question": question})


async def take(uow: UnitOfWork, requester: Person, pending_id: int) -> PendingRequest:
    """Remove and return the pending request; refuses someone else's or one already sent.

    Taking it in the same unit of work as opening the request means a double click
    opens one request: the second click finds nothing to take.
    """
    pending = await uow.session.get(PendingRequest, pending_id, with_for_update=True) \
        if 0 < pending_id < 2 ** 63 else None  # a forged id beyond the column: none
    if pending is None:
        raise WrongState("intake.already_sent")
    if pending.person_id != requester.id:
        raise NotPermitted("intake.not_your_request")
    await uow.session.delete(pending)
    await uow.session.flush()
    return pending


async def forget_pending(uow: UnitOfWork) -> int:
    """Drop pending requests older than PENDING_KEPT; returns how many."""
    result = await uow.session.execute(
        delete(PendingRequest).where(PendingRequest.created_at < uow.clock.now() - PENDING_KEPT))
    return rows_matched(result) or 0


async def active_requests(uow: UnitOfWork, requester: Person) -> list[Conversation]:
    """The requester's conversations still being worked, newest first."""
    rows = await uow.session.scalars(
        select(Conversation).where(Conversation.requester_id == requester.id,
                                   Conversation.status.in_(sorted(ACTIVE)))
        .order_by(Conversation.opened_at.desc(), Conversation.id.desc()).limit(10))
    return list(rows)


async def by_requester_thread(uow: UnitOfWork, workspace_id: int, channel: str,
                              thread: str) -> Conversation | None:
    """The conversation whose requester side lives in `thread` of `channel` (latest first)."""
    rows = await uow.session.scalars(
        select(Conversation).where(Conversation.workspace_id == workspace_id,
                                   Conversation.requester_channel == channel,
                                   Conversation.requester_thread == thread)
        .order_by(Conversation.id.desc()).limit(1))
    return rows.first()


async def by_agent_thread(uow: UnitOfWork, workspace_id: int, channel: str,
                          thread: str) -> Conversation | None:
    """The conversation whose card thread is `thread` in the agent channel `channel`."""
    rows = await uow.session.scalars(
        select(Conversation).where(Conversation.workspace_id == workspace_id,
                                   Conversation.agent_channel == channel,
                                   Conversation.agent_thread == thread)
        .order_by(Conversation.id.desc()).limit(1))
    return rows.first()


async def desk_by_channel(uow: UnitOfWork, workspace_id: int, channel: str) -> tuple[
        Desk | None, Desk | None]:
    """(desk whose agent channel is `channel`, desk whose intake channel is `channel`)."""
    rows = await uow.session.scalars(
        select(Desk).where(Desk.workspace_id == workspace_id, Desk.archived_at.is_(None),
                           (Desk.agent_channel == channel) | (Desk.intake_channel == channel)))
    agent = intake = None
    for desk in rows:
        if desk.agent_channel == channel and agent is None:
            agent = desk
        if desk.intake_channel == channel and intake is None:
            intake = desk
    return agent, intake
