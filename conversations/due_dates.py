"""Due dates an agent sets on a request (`/desk due REF WHEN`), read in the desk's zone.

WHEN is one of (every wall time in the desk's time zone, `desks.policy`):
- `2026-12-10 14:00`: that moment; `2026-12-10` alone: the end of the desk's service
  hours that weekday (its last closing time in the weekly hours), or 17:00 where the
  desk is always open or has no hours that weekday (holidays are not looked at: a
  date someone names is kept even if the desk is closed then);
- `today 16:00`, `tomorrow 12:00`; `today` / `tomorrow` alone as a date alone;
- `+3h`, `+30m` (that much time from now), `+2d` (the same wall time that many days
  on: across a DST change it is still the same time of day);
- `off`: no due date.
A time the clocks skip at a DST change is read as the clock shows it after the
change (02:30 on a spring-forward night is 03:30); a time they repeat is the first.
A due moment not after now is refused.

The assignee is warned at the desk's SLA warning percent of the time from setting
the due date to its moment (75% by default: set 4 days ahead, warned a day before),
and told once when it passes (`scheduling.sweep_rules.due_date`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations import commands, sla
from conversations.lifecycle import ACTIVE, Status
from desks.errors import InvalidInput, WrongState
from desks.notices import NoticeKind
from desks.permissions import Actor
from desks.window_grammar import WindowConfig
from desks.wording import Words, code
from storage.database import UnitOfWork
from storage.models import Conversation

OFF = "off"
DEFAULT_END = time(17, 0)  # a date alone, where the desk's hours do not say
MAX_AHEAD = timedelta(days=3 * 366)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_AFTER = re.compile(r"\+(\d{1,4})([mhdw])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(days=7)}
EXAMPLES = tuple(code(form) for form in ("2026-12-10 14:00", "tomorrow 12:00", "+2d", "+3h",
                                         "off"))


def _form(got: str) -> InvalidInput:
    return InvalidInput("due.form", got=got[:40] or Words("common.nothing"),
                        examples=EXAMPLES)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the desk's clock shows `day` `at` (a skipped time: as shown after
    the change; a repeated one: the first)."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    return first.astimezone(UTC)


def end_of_day(day: date, window: WindowConfig) -> datetime:
    """A date alone: the end of the desk's service hours that weekday, else 17:00."""
    zone = ZoneInfo(window.time_zone)
    spans = () if window.hours.always else window.hours.days[day.weekday()]
    if not spans:
        return local_moment(day, DEFAULT_END, zone)
    wall = datetime.combine(day, time()) + timedelta(minutes=spans[-1][1])
    return local_moment(wall.date(), wall.time(), zone)


def _time(text: str) -> time | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_due(text: str, now: datetime, window: WindowConfig) -> datetime | None:
    """The due moment WHEN names (UTC), or None for `off`; refuses anything else and a
    moment not after `now` (the words say the right forms)."""
    words = (text or "").strip().lower().split()
    if words == [OFF]:
        return None
    try:
        due = _read(words, now, window)
    except (OverflowError, ValueError):  # a date at the end of the calendar
        due = None
    if due is None:
        raise _form(text.strip())
    return checked(due, now, window)


def checked(due: datetime, now: datetime, window: WindowConfig) -> datetime:
    """`due`, refused when it is not after `now` or more than three years on."""
    if due <= now:
        raise InvalidInput("due.in_past", when=shown(due, window),
                           examples=EXAMPLES)
    if due - now > MAX_AHEAD:
        raise InvalidInput("due.too_far", when=shown(due, window))
    return due


def _read(words: list[str], now: datetime, window: WindowConfig) -> datetime | None:
    zone = ZoneInfo(window.time_zone)
    today = now.astimezone(zone).date()
    due: datetime | None = None
    if len(words) == 1 and (after := _AFTER.fullmatch(words[0])):
        count, unit = int(after[1]), after[2]
        if unit in "dw":  # whole days: the same wall time, whatever DST does
            local = now.astimezone(zone)
            due = local_moment(local.date() + count * _UNITS[unit], local.time(), zone)
        else:
            due = now + count * _UNITS[unit]
    elif words and len(words) <= 2:
        day: date | None = None
        if words[0] in ("today", "tomorrow"):
            day = today + timedelta(days=words[0] == "tomorrow")
        elif match := _DATE.fullmatch(words[0]):
            day = date(int(match[1]), int(match[2]), int(match[3]))
        at = _time(words[1]) if len(words) == 2 else None
        if day is not None and len(words) == 1:
            due = end_of_day(day, window)
        elif day is not None and at is not None:
            due = local_moment(day, at, zone)
    return due


def card_when(value: str | None) -> str | datetime:
    """What a card's due date control carried, for `set_due`: an ISO moment with its
    offset (Slack's picker: `bot.slack` writes its Unix time so) is that moment; anything
    else (Teams' `YYYY-MM-DD HH:MM` in the desk's zone, `off`) is read as the command's
    WHEN."""
    text = (value or "").strip()
    if "T" in text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
    return text


def wall(moment: datetime, window: WindowConfig) -> str:
    """A moment as the desk's clock shows it: `YYYY-MM-DD HH:MM`."""
    return f"{moment.astimezone(ZoneInfo(window.time_zone)):%Y-%m-%d %H:%M}"


def shown(moment: datetime, window: WindowConfig) -> str:
    """A due moment as the command's answer writes it: wall time and the desk's zone."""
    local = moment.astimezone(ZoneInfo(window.time_zone))
    return f"{local:%Y-%m-%d %H:%M} {window.time_zone}"


def warn_at(now: datetime, due: datetime, warning_percent: int) -> datetime:
    """When the assignee is warned: `warning_percent` of the way from now to `due`."""
    return now + (due - now) * (warning_percent / 100)


async def set_due(uow: UnitOfWork, actor: Actor, ref: str | int,
                  when: str | datetime) -> tuple[Conversation, str | None]:
    """Set (or, `off`, clear) the request's due date; agents of its desk only. `when`
    is the command's WHEN or, from a card's picker, the moment itself.

    Returns the conversation and the due moment as the answer shows it (None: cleared).
    The card and the requester are told; the timers follow (`sla.track`).
    """
    conversation, desk = await commands.agent_conversation(uow, actor, ref)
    if conversation.status == Status.CLOSED:
        raise WrongState("request.closed_reopen_first", ref=conversation.ref,
                         command=code(f"/desk reopen {conversation.ref}"))
    if conversation.status == Status.RESOLVED:
        raise WrongState("request.resolved_reopen_first", ref=conversation.ref,
                         command=code(f"/desk reopen {conversation.ref}"))
    policy = sla.desk_policy(desk)
    now = uow.clock.now()
    due = parse_due(when, now, policy.window) if isinstance(when, str) \
        else checked(when, now, policy.window)
    if due is None:
        if conversation.due_at is None:
            raise WrongState("due.none_set", ref=conversation.ref)
        previous = conversation.due_at
        conversation.due_at = conversation.due_warn_at = None
        conversation.due_warned_at = conversation.due_flagged_at = None
        await commands.touch(uow, conversation)
        commands.record(uow, conversation, actor.id, "due.cleared",
                        previous=previous.isoformat())
        commands.tell(uow, conversation, NoticeKind.CARD_UPDATE)
        commands.tell(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="due_cleared")
        return conversation, None
    previous_due = conversation.due_at
    conversation.due_at = due
    conversation.due_warn_at = warn_at(now, due, policy.sla.warning_percent)
    conversation.due_warned_at = conversation.due_flagged_at = None
    await commands.touch(uow, conversation)
    commands.record(uow, conversation, actor.id, "due.set", due_at=due.isoformat(),
                    previous=previous_due.isoformat() if previous_due else None)
    commands.tell(uow, conversation, NoticeKind.CARD_UPDATE)
    commands.tell(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="due")
    return conversation, shown(due, policy.window)


def due_state(status: str, due_at: datetime | None, warn_at: datetime | None,
              warned_at: datetime | None, flagged_at: datetime | None,
              now: datetime) -> str:
    """How a due date stands: none | ok | warning | passed (none once the request is
    resolved or closed: the due date no longer runs)."""
    if due_at is None or status not in ACTIVE:
        return "none"
    if flagged_at is not None or now >= due_at:
        return "passed"
    if warned_at is not None or (warn_at is not None and now >= warn_at):
        return "warning"
    return "ok"
