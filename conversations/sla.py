"""SLA clocks and stall checks: the due times a conversation carries, kept up to date.

Due times are counted in the desk's business time by the calendar the database
carries (`storage.business_time`; `bot/bootstrap.py` installs `scheduling.desk_calendar`'s).
Without one nothing is computed and every due time stays NULL.

- **Due times** (`first_response_due_at`, `resolution_due_at`, and the moments their
  warning is due) run from `opened_at` with the desk's target for the priority, plus
  the business time of every finished pause. `refresh_due_times` recomputes them on
  open, on a priority change and on a move to another desk (that desk's policy).
- **Pauses.** The clocks run only while a conversation is `new` or `open`. `track`
  (called after every change) notices a status outside those, records `sla_paused_at`
  and an `sla.paused` event; back in `new`/`open` it moves every unmet due time forward
  by the business time that passed and writes `sla.resumed` with that duration. So
  waiting and on hold pause, and so do resolved and closed (a reopen resumes).
- **Stall checks** (`unassigned_due_at` and, once agents were pinged,
  `unassigned_leads_due_at`, `agent_silence_due_at`,
  `requester_silence_due_at`, `auto_close_at`) are set while their situation lasts and
  cleared when it ends; each armed check has a row in `conversation_timer` (kept by
  `track`, see `conversations.timers`), so each sweep is a range query over its index.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from conversations import timers
from conversations.lifecycle import Status
from desks.errors import InvalidInput
from desks.policy import DeskPolicy, policy_of
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Conversation, Desk

log = logging.getLogger(__name__)

RUNNING = frozenset({Status.NEW, Status.OPEN})


def desk_policy(desk: Desk) -> DeskPolicy:
    """The desk's policy; a malformed one is logged and read as the defaults.

    Cached by the settings' text: each sweep run reads the policy of every desk with
    something due, and parsing one (hours, durations, targets) takes a while.
    """
    return settings_policy(desk.id, desk.settings, desk.language)


def settings_policy(desk_id: int, settings: dict[str, Any] | None,
                    language: str | None = None) -> DeskPolicy:
    """`desk_policy` of the desk `desk_id` whose settings are `settings` (`language`:
    the desk's, which names its default ticket categories)."""
    try:
        return _policy(json.dumps(settings or {}, sort_keys=True, default=str), language)
    except (InvalidInput, ValueError, KeyError, TypeError):
        log.warning("desk %s has malformed policy settings; using defaults", desk_id)
        return DeskPolicy()


@lru_cache(maxsize=1024)
def _policy(settings: str, language: str | None) -> DeskPolicy:
    return policy_of(json.loads(settings), language)


async def _desk_of(uow: UnitOfWork, conversation: Conversation) -> Desk:
    desk = await uow.session.get(Desk, conversation.desk_id)
    assert desk is not None  # foreign key
    return desk


def _event(uow: UnitOfWork, conversation: Conversation, kind: str, **data: Any) -> None:
    record_event(uow, workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                 desk_id=conversation.desk_id, kind=kind, **data)


async def refresh_due_times(uow: UnitOfWork, conversation: Conversation) -> None:
    """(Re)compute the SLA due times from `opened_at` with the desk's targets now (a
    ticket's: its category's), so the business time already passed counts.

    Flags whose moment moved into the future are cleared, so they can fire again.
    """
    calendar = uow.business_time
    if calendar is None:
        return
    desk = await _desk_of(uow, conversation)
    policy = desk_policy(desk)
    paused = timedelta(seconds=conversation.sla_paused_seconds or 0)
    start = conversation.opened_at
    percent = policy.sla.warning_percent / 100
    first, resolution = targets_of(policy, conversation)
    settings = desk.settings
    conversation.first_response_due_at = calendar.add(settings, start, first + paused)
    conversation.first_response_warn_at = calendar.add(settings, start, first * percent + paused)
    conversation.resolution_due_at = calendar.add(settings, start, resolution + paused)
    conversation.resolution_warn_at = calendar.add(settings, start,
                                                   resolution * percent + paused)
    _rearm(conversation, uow.clock.now())


def targets_of(policy: DeskPolicy, conversation: Conversation) -> tuple[timedelta, timedelta]:
    """(first response, resolution) targets of `conversation`: a ticket's category's
    where it has its own, else the desk's, for its priority."""
    if conversation.kind == "ticket":
        return policy.ticket_targets(conversation.category, conversation.priority)
    return (policy.sla.first_response_for(conversation.priority),
            policy.sla.resolution_for(conversation.priority))


def _rearm(conversation: Conversation, now: datetime) -> None:
    for moment, flag in (("first_response_warn_at", "first_response_warned_at"),
                         ("first_response_due_at", "first_response_breached_at"),
                         ("resolution_warn_at", "resolution_warned_at"),
                         ("resolution_due_at", "resolution_breached_at")):
        due = getattr(conversation, moment)
        if due is not None and due > now and getattr(conversation, flag) is not None:
            setattr(conversation, flag, None)


def _pause_or_resume(uow: UnitOfWork, conversation: Conversation, desk: Desk) -> None:
    now = uow.clock.now()
    running = conversation.status in RUNNING
    stopped = pause_event(conversation.status, paused=conversation.sla_paused_at is not None)
    if stopped is not None:
        conversation.sla_paused_at = now
        _event(uow, conversation, "sla.paused", **stopped)
    elif running and conversation.sla_paused_at is not None:
        started, conversation.sla_paused_at = conversation.sla_paused_at, None
        calendar = uow.business_time
        if calendar is None:
            _event(uow, conversation, "sla.resumed", status=conversation.status,
                   paused_since=started.isoformat(), business_seconds=None)
            return
        passed = calendar.between(desk.settings, started, now)
        seconds = int(passed.total_seconds())
        conversation.sla_paused_seconds = (conversation.sla_paused_seconds or 0) + seconds
        if passed:
            unmet = ["resolution_warn_at", "resolution_due_at"]
            if conversation.first_response_at is None:
                unmet += ["first_response_warn_at", "first_response_due_at"]
            for name in unmet:
                due = getattr(conversation, name)
                if due is not None:
                    setattr(conversation, name, calendar.add(desk.settings, due, passed))
            _rearm(conversation, now)
        _event(uow, conversation, "sla.resumed", status=conversation.status,
               paused_since=started.isoformat(), business_seconds=seconds)


def _stalls(uow: UnitOfWork, conversation: Conversation, desk: Desk) -> None:
    calendar = uow.business_time
    if calendar is None:
        return
    now = uow.clock.now()
    policy = desk_policy(desk)
    status = conversation.status
    if status in SETTLED:
        close_at = conversation.auto_close_at
        if status != Status.RESOLVED or conversation.resolved_at is None:
            close_at = None
        elif close_at is None:
            close_at = conversation.resolved_at + policy.auto_close_after
        for name, value in stall_checks_ended(close_at).items():
            setattr(conversation, name, value)
        return

    def after(moment: datetime, duration: timedelta) -> datetime:
        return calendar.add(desk.settings, moment, duration)

    if status == Status.NEW and conversation.assignee_id is None:
        if conversation.unassigned_due_at is None:
            conversation.unassigned_due_at = after(now, policy.stall["unassigned"])
            conversation.unassigned_flagged_at = None
            conversation.unassigned_leads_due_at = None
            conversation.unassigned_leads_flagged_at = None
    else:
        conversation.unassigned_due_at = conversation.unassigned_flagged_at = None
        conversation.unassigned_leads_due_at = conversation.unassigned_leads_flagged_at = None

    unanswered = (conversation.last_agent_message_at is None
                  or conversation.last_agent_message_at < conversation.last_requester_message_at)
    if status == Status.OPEN and conversation.assignee_id is not None and unanswered:
        if conversation.agent_silence_due_at is None:
            conversation.agent_silence_due_at = after(conversation.last_requester_message_at,
                                                      policy.stall["agent_silence"])
            conversation.agent_nudged_at = None
    else:
        conversation.agent_silence_due_at = conversation.agent_nudged_at = None

    if status == Status.WAITING:
        if conversation.requester_silence_due_at is None:
            conversation.requester_silence_due_at = after(now, policy.stall["requester_silence"])
            conversation.requester_reminded_at = None
    else:
        conversation.requester_silence_due_at = conversation.requester_reminded_at = None

    if status == Status.RESOLVED and conversation.resolved_at is not None:
        if conversation.auto_close_at is None:
            conversation.auto_close_at = conversation.resolved_at + policy.auto_close_after
    else:
        conversation.auto_close_at = None


async def track(uow: UnitOfWork, conversation: Conversation, *, opened: bool = False) -> None:
    """Bring the clocks in line with the conversation as it is now (after any change).

    `opened=True` for a new conversation: its due times are computed first. The
    conversation's timers (`conversations.timers`) follow its columns, in this unit of work.
    """
    desk = await _desk_of(uow, conversation)
    if opened:
        await refresh_due_times(uow, conversation)
    _pause_or_resume(uow, conversation, desk)
    _stalls(uow, conversation, desk)
    await timers.sync(uow, conversation, new=opened)


def pause_event(status: str, *, paused: bool) -> dict[str, Any] | None:
    """The data of the `sla.paused` event a conversation moved to `status` gets: its
    clocks stop (and `sla_paused_at` is set) unless they were paused already or the
    status keeps them running (None). `track` and the sweeps' bulk updates use it."""
    if status in RUNNING or paused:
        return None
    return {"status": status}


# Resolved and closed conversations have no stall check left but auto-close.
SETTLED = frozenset({Status.RESOLVED, Status.CLOSED})
# Every stall check's columns.
STALL_COLUMNS = ("unassigned_due_at", "unassigned_flagged_at", "unassigned_leads_due_at",
                 "unassigned_leads_flagged_at", "agent_silence_due_at", "agent_nudged_at",
                 "requester_silence_due_at", "requester_reminded_at", "auto_close_at")


def stall_checks_ended(auto_close_at: Any) -> dict[str, Any]:
    """The stall columns of a conversation resolved or closed: every check ends, and
    auto-close is due at `auto_close_at` (closed: None). `track` sets them on one
    conversation; the sweeps that resolve or close a batch set them in their update
    (there `auto_close_at` is the per-desk value the update is given)."""
    values: dict[str, Any] = dict.fromkeys(STALL_COLUMNS)
    values["auto_close_at"] = auto_close_at
    return values


async def moved_desk(uow: UnitOfWork, conversation: Conversation) -> None:
    """After a move to another desk: that desk's targets and stall thresholds apply."""
    conversation.unassigned_due_at = conversation.unassigned_flagged_at = None
    conversation.unassigned_leads_due_at = conversation.unassigned_leads_flagged_at = None
    conversation.agent_silence_due_at = conversation.agent_nudged_at = None
    conversation.requester_silence_due_at = conversation.requester_reminded_at = None
    await refresh_due_times(uow, conversation)
    await track(uow, conversation)
