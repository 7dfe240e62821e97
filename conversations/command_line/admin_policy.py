"""`/desk admin hours|holidays|sla|stall|oncall|autoclose|escalate`: a desk's service policy.

Each handler reads the words, checks each value with the window grammar (so a bad
time, zone, country, date or duration is refused with the subcommand's usage), then
runs one `desks.service` setter, which checks permissions and records the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from conversations.command_line.context import Context
from conversations.view_models import Reply, View
from desks import service
from desks.errors import InvalidInput
from desks.grammar import Args, Word, shown
from desks.policy import DeskPolicy, targets_text, warning_percent
from desks.window_grammar import (
    format_duration,
    format_hours,
    parse_country,
    parse_date,
    parse_duration,
    parse_hours,
    parse_time_zone,
)
from desks.wording import Words, chain, code

DESK = Words("arg.desk")
T = TypeVar("T")
_ZONE_WORDS = ("tz", "timezone", "time-zone", "zone")
_NONE_WORDS = ("none", "off", "no")


def _read(args: Args, parse: Callable[[str], T], text: str) -> T:
    """`parse(text)`, a refusal carrying the subcommand's usage when it is malformed."""
    try:
        return parse(text)
    except InvalidInput as error:
        raise args.fail(error.words or error.message) from None


def _words(args: Args, what: Words) -> list[str]:
    """The remaining tokens as words (mentions and channels refused)."""
    words = []
    while args.more():
        token = args.take()
        assert token is not None  # more() said one is left
        if not isinstance(token, Word):
            raise args.fail("grammar.needs_not", command=code(f"/desk {args.command}"), what=what,
                            got=shown(token)[:40])
        words.append(token.text)
    return words


def _unchanged(change: service.PolicyChange) -> Words:
    return Words("common.empty") if change.changed else Words("policy.unchanged")


def _window(policy: DeskPolicy) -> Words:
    hours = format_hours(policy.window.hours)
    if hours == "always":
        return Words("policy.always_open", zone=policy.window.time_zone)
    return Words("policy.open", hours=hours, zone=policy.window.time_zone)


async def hours(ctx: Context, args: Args) -> View:
    """`/desk admin hours DESK "sun-thu 08:00-18:00; fri 08:00-13:00" [tz Zone]`."""
    name = args.word(DESK)
    rest = args.tokens[args.at:]
    cut = next((i for i, t in enumerate(rest)
                if isinstance(t, Word) and t.text.lower() in _ZONE_WORDS), len(rest))
    hours_words = _words(Args(args.text, rest[:cut], args.command, args.usage),
                         Words("arg.hours"))
    zone_words = rest[cut + 1:]
    args.at = len(args.tokens)
    if cut < len(rest) and len(zone_words) != 1:
        raise args.fail("policy.tz_needs_one")
    if not hours_words and cut == len(rest):
        raise args.fail("policy.hours_needed")
    hours_text = " ".join(hours_words) or None
    if hours_text is not None:
        _read(args, parse_hours, hours_text)
    zone = None
    if zone_words:
        token = zone_words[0]
        if not isinstance(token, Word):
            raise args.fail("policy.tz_needs_zone", got=shown(token)[:40])
        zone = token.text
        _read(args, parse_time_zone, zone)
    change = await service.set_hours(ctx.uow, ctx.actor, name, hours_text, zone)
    policy = change.policy
    said = [Words("policy.hours_set", desk=change.desk.name, window=_window(policy),
                  unchanged=_unchanged(change))]
    if policy.window.hours.always and policy.window.holidays:
        said.append(Words("policy.holidays_always_open"))
    return Reply.of(chain(said))


async def holidays(ctx: Context, args: Args) -> View:
    """`/desk admin holidays DESK IL | US-CA | none | add DATE… | remove DATE…`."""
    name = args.word(DESK)
    words = _words(args, Words("arg.holidays"))
    if not words:
        raise args.fail("policy.holidays_needed")
    how = words[0].lower()
    if how in ("add", "remove"):
        if len(words) == 1:
            raise args.fail("policy.holidays_needs_date",
                            command=code(f"/desk admin holidays {name} {how}"))
        days = sorted({_read(args, parse_date, w) for w in words[1:]})
        run = service.add_closed_date if how == "add" else service.remove_closed_date
        for day in days:
            change = await run(ctx.uow, ctx.actor, name, day)
        closed = tuple(d.isoformat() for d in sorted(change.policy.window.closed_dates))
        return Reply.of(Words("policy.closed_dates", desk=change.desk.name,
                              dates=closed or Words("common.none")))
    if len(words) == 1 and how in _NONE_WORDS:
        change = await service.set_holidays(ctx.uow, ctx.actor, name, None)
        return Reply.of(Words("policy.no_holidays", desk=change.desk.name,
                              unchanged=_unchanged(change)))
    country = " ".join(words)
    _read(args, parse_country, country)
    change = await service.set_holidays(ctx.uow, ctx.actor, name, country)
    said = [Words("policy.holidays_set", desk=change.desk.name,
                  country=change.policy.window.holidays, unchanged=_unchanged(change))]
    if change.policy.window.hours.always:
        example = f"`/desk admin hours {change.desk.name} \"sun-thu 08:00-18:00\"`"
        said.append(Words("policy.holidays_need_hours", command=example))
    return Reply.of(chain(said))


_SLA_WORDS = ("first-response", "resolution", "warning")


async def sla(ctx: Context, args: Args) -> View:
    """`/desk admin sla DESK first-response 15m | resolution 2d [priority 5] | warning 80%`."""
    name = args.word(DESK)
    kind = args.choice(Words("arg.sla_kind"), _SLA_WORDS)
    if kind == "warning":
        percent = args.word(Words("arg.percent"))
        args.done()
        _read(args, warning_percent, percent)
        change = await service.set_warning_percent(ctx.uow, ctx.actor, name, percent)
        return Reply.of(Words("policy.warning_set", desk=change.desk.name,
                              percent=change.policy.sla.warning_percent,
                              unchanged=_unchanged(change)))
    duration = _read(args, parse_duration,
                     args.word(Words("arg.duration", example=code(f"{_EXAMPLE[kind]}"))))
    priority = None
    word = args.optional_word()
    if word is not None:
        if word.lower() == "priority":
            priority = args.word(Words("arg.priority_number"))
        elif word.lower().startswith("p") and word[1:].isdigit():
            priority = word
        else:
            raise args.fail("policy.priority_as", got=word[:40])
        _read(args, service.priority_of, priority)
    args.done()
    change = await service.set_sla(ctx.uow, ctx.actor, name, kind, duration, priority)
    sla_targets = change.policy.sla
    targets = {p: (sla_targets.first_response_for(p) if kind == "first-response"
                   else sla_targets.resolution_for(p)) for p in range(1, 6)}
    label = "first_response" if kind == "first-response" else "resolution"
    return Reply.of(Words(f"policy.sla_{label}_set", desk=change.desk.name,
                          targets=targets_text(targets), unchanged=_unchanged(change)))


_EXAMPLE = {"first-response": "15m", "resolution": "2d", "unassigned": "10m",
            "agent-silence": "2h", "requester-silence": "3d"}
_STALL_WORDS = ("unassigned", "agent-silence", "requester-silence")


async def stall(ctx: Context, args: Args) -> View:
    """`/desk admin stall DESK unassigned 10m | agent-silence 2h | requester-silence 3d`."""
    name = args.word(DESK)
    word = args.word(Words("arg.stall_kind"))
    kind = word.lower().replace("_", "-")
    if kind not in _STALL_WORDS:
        raise args.fail("policy.stall_takes", got=word[:40])
    duration = _read(args, parse_duration,
                     args.word(Words("arg.duration", example=code(f"{_EXAMPLE[kind]}"))))
    args.done()
    change = await service.set_stall(ctx.uow, ctx.actor, name, kind, duration)
    key = kind.replace("-", "_")
    return Reply.of(Words(f"policy.stall_{key}_set", desk=change.desk.name,
                          duration=format_duration(change.policy.stall[key]),
                          unchanged=_unchanged(change)))


async def oncall(ctx: Context, args: Args) -> View:
    """`/desk admin oncall DESK add|remove @a …`."""
    name = args.word(DESK)
    how = args.choice(Words("arg.add_or_remove"), ("add", "remove"))
    people = [ctx.person(m) for m in args.mentions(Words("arg.people"))]
    change = await service.set_oncall(ctx.uow, ctx.actor, name, how, people)
    members = {p.external_id: p.display_name
               for p, _ in await service.members(ctx.uow, change.desk)}
    names = tuple(members.get(i, i) for i in change.policy.oncall) or Words("common.nobody")
    return Reply.of(Words("policy.oncall_set", desk=change.desk.name, people=names,
                          unchanged=_unchanged(change)))


async def autoclose(ctx: Context, args: Args) -> View:
    """`/desk admin autoclose DESK 7d`."""
    name = args.word(DESK)
    duration = _read(args, parse_duration, args.word(Words("arg.duration", example=code("7d"))))
    args.done()
    change = await service.set_auto_close(ctx.uow, ctx.actor, name, duration)
    return Reply.of(Words("policy.autoclose_set", desk=change.desk.name,
                          duration=format_duration(change.policy.auto_close_after),
                          unchanged=_unchanged(change)))


async def escalate(ctx: Context, args: Args) -> View:
    """`/desk admin escalate DESK to NEXT DESK | off`."""
    name = args.word(DESK)
    how = args.choice(Words("arg.escalate_how"), ("to", "off"))
    target = None
    if how == "to":
        words = _words(args, Words("arg.next_tier"))
        if not words:
            raise args.fail("policy.escalate_needs_desk",
                            command=code(f"/desk admin escalate {name} to"))
        target = " ".join(words)
    args.done()
    change = await service.set_escalation(ctx.uow, ctx.actor, name, target)
    if change.policy.escalate_to is None:
        return Reply.of(Words("policy.escalate_off", desk=change.desk.name,
                              unchanged=_unchanged(change)))
    next_tier = await service.find_desk(ctx.uow, change.desk.workspace_id,
                                        change.policy.escalate_to)
    return Reply.of(Words("policy.escalate_set", desk=change.desk.name,
                          next_desk=next_tier.name, unchanged=_unchanged(change)))
