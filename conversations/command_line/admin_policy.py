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

DESK = "the desk's name, e.g. IT"
T = TypeVar("T")
_ZONE_WORDS = ("tz", "timezone", "time-zone", "zone")
_NONE_WORDS = ("none", "off", "no")


def _read(args: Args, parse: Callable[[str], T], text: str) -> T:
    """`parse(text)`, a refusal carrying the subcommand's usage when it is malformed."""
    try:
        return parse(text)
    except InvalidInput as error:
        raise args.fail(error.message) from None


def _words(args: Args, what: str) -> list[str]:
    """The remaining tokens as words (mentions and channels refused)."""
    words = []
    while args.more():
        token = args.take()
        assert token is not None  # more() said one is left
        if not isinstance(token, Word):
            raise args.fail(f"`/desk {args.command}` needs {what}, not {shown(token)[:40]}.")
        words.append(token.text)
    return words


def _unchanged(change: service.PolicyChange) -> str:
    return "" if change.changed else " (unchanged)"


def _window(policy: DeskPolicy) -> str:
    hours = format_hours(policy.window.hours)
    if hours == "always":
        return f"always open (time zone {policy.window.time_zone})"
    return f"open {hours} ({policy.window.time_zone})"


async def hours(ctx: Context, args: Args) -> View:
    """`/desk admin hours DESK "sun-thu 08:00-18:00; fri 08:00-13:00" [tz Zone]`."""
    name = args.word(DESK)
    rest = args.tokens[args.at:]
    cut = next((i for i, t in enumerate(rest)
                if isinstance(t, Word) and t.text.lower() in _ZONE_WORDS), len(rest))
    hours_words = _words(Args(args.text, rest[:cut], args.command, args.usage),
                         'the opening hours, e.g. "sun-thu 08:00-18:00; fri 08:00-13:00"')
    zone_words = rest[cut + 1:]
    args.at = len(args.tokens)
    if cut < len(rest) and len(zone_words) != 1:
        raise args.fail("`tz` needs one time zone after it, like `tz Asia/Jerusalem`.")
    if not hours_words and cut == len(rest):
        raise args.fail("`/desk admin hours` needs the opening hours, e.g. "
                        "`/desk admin hours IT \"sun-thu 08:00-18:00; fri 08:00-13:00\" "
                        "tz Asia/Jerusalem`, or `always`.")
    hours_text = " ".join(hours_words) or None
    if hours_text is not None:
        _read(args, parse_hours, hours_text)
    zone = None
    if zone_words:
        token = zone_words[0]
        if not isinstance(token, Word):
            raise args.fail(f"`tz` needs a time zone, not {shown(token)[:40]}.")
        zone = token.text
        _read(args, parse_time_zone, zone)
    change = await service.set_hours(ctx.uow, ctx.actor, name, hours_text, zone)
    policy = change.policy
    note = ""
    if policy.window.hours.always and policy.window.holidays:
        note = " Holidays do not close a desk that is always open."
    return Reply(text=f"The {change.desk.name} desk is {_window(policy)}"
                      f"{_unchanged(change)}.{note}")


async def holidays(ctx: Context, args: Args) -> View:
    """`/desk admin holidays DESK IL | US-CA | none | add DATE… | remove DATE…`."""
    name = args.word(DESK)
    words = _words(args, "a country code like IL, `none`, or `add`/`remove` and a date")
    if not words:
        raise args.fail("`/desk admin holidays` needs a country code like `IL` or `US-CA`, "
                        "`none`, or `add 2026-12-31` / `remove 2026-12-31`.")
    how = words[0].lower()
    if how in ("add", "remove"):
        if len(words) == 1:
            raise args.fail(f"`/desk admin holidays {name} {how}` needs a date, like "
                            "`2026-12-31`.")
        days = sorted({_read(args, parse_date, w) for w in words[1:]})
        run = service.add_closed_date if how == "add" else service.remove_closed_date
        for day in days:
            change = await run(ctx.uow, ctx.actor, name, day)
        closed = ", ".join(d.isoformat() for d in sorted(change.policy.window.closed_dates))
        return Reply(text=f"The {change.desk.name} desk's closed dates: {closed or 'none'}.")
    if len(words) == 1 and how in _NONE_WORDS:
        change = await service.set_holidays(ctx.uow, ctx.actor, name, None)
        return Reply(text=f"The {change.desk.name} desk does not close on public holidays"
                          f"{_unchanged(change)}.")
    country = " ".join(words)
    _read(args, parse_country, country)
    change = await service.set_holidays(ctx.uow, ctx.actor, name, country)
    note = (" It is always open, so they take effect once it has hours: "
            f"`/desk admin hours {change.desk.name} \"sun-thu 08:00-18:00\"`."
            if change.policy.window.hours.always else "")
    return Reply(text=f"The {change.desk.name} desk closes on {change.policy.window.holidays} "
                      f"public holidays{_unchanged(change)}.{note}")


_SLA_WORDS = ("first-response", "resolution", "warning")


async def sla(ctx: Context, args: Args) -> View:
    """`/desk admin sla DESK first-response 15m | resolution 2d [priority 5] | warning 80%`."""
    name = args.word(DESK)
    kind = args.choice("first-response, resolution or warning", _SLA_WORDS)
    if kind == "warning":
        percent = args.word("a percent, like `80%`")
        args.done()
        _read(args, warning_percent, percent)
        change = await service.set_warning_percent(ctx.uow, ctx.actor, name, percent)
        return Reply(text=f"The {change.desk.name} desk warns when "
                          f"{change.policy.sla.warning_percent}% of an SLA target has passed"
                          f"{_unchanged(change)}.")
    duration = _read(args, parse_duration, args.word(f"a duration, like `{_EXAMPLE[kind]}`"))
    priority = None
    word = args.optional_word()
    if word is not None:
        if word.lower() == "priority":
            priority = args.word("a priority from 1 to 5")
        elif word.lower().startswith("p") and word[1:].isdigit():
            priority = word
        else:
            raise args.fail(f"I did not understand “{word[:40]}”; name a priority as "
                            "`priority 5`.")
        _read(args, service.priority_of, priority)
    args.done()
    change = await service.set_sla(ctx.uow, ctx.actor, name, kind, duration, priority)
    sla_targets = change.policy.sla
    targets = {p: (sla_targets.first_response_for(p) if kind == "first-response"
                   else sla_targets.resolution_for(p)) for p in range(1, 6)}
    label = "first-response" if kind == "first-response" else "resolution"
    return Reply(text=f"The {change.desk.name} desk's {label} target: "
                      f"{targets_text(targets)}, in business time"
                      f"{_unchanged(change)}.")


_EXAMPLE = {"first-response": "15m", "resolution": "2d", "unassigned": "10m",
            "agent-silence": "2h", "requester-silence": "3d"}
_STALL_WORDS = ("unassigned", "agent-silence", "requester-silence")
_STALL_SAYS = {"unassigned": "flags requests left unassigned for {}",
               "agent_silence": "nudges the assignee when a requester has waited {} for an "
                                "answer",
               "requester_silence": "reminds requesters who have not answered for {} (and "
                                    "resolves after a second period)"}


async def stall(ctx: Context, args: Args) -> View:
    """`/desk admin stall DESK unassigned 10m | agent-silence 2h | requester-silence 3d`."""
    name = args.word(DESK)
    word = args.word("unassigned, agent-silence or requester-silence")
    kind = word.lower().replace("_", "-")
    if kind not in _STALL_WORDS:
        raise args.fail(f"`/desk admin stall` takes unassigned, agent-silence or "
                        f"requester-silence here, not “{word[:40]}”.")
    duration = _read(args, parse_duration, args.word(f"a duration, like `{_EXAMPLE[kind]}`"))
    args.done()
    change = await service.set_stall(ctx.uow, ctx.actor, name, kind, duration)
    key = kind.replace("-", "_")
    says = _STALL_SAYS[key].format(format_duration(change.policy.stall[key]))
    return Reply(text=f"The {change.desk.name} desk {says}{_unchanged(change)}.")


async def oncall(ctx: Context, args: Args) -> View:
    """`/desk admin oncall DESK add|remove @a …`."""
    name = args.word(DESK)
    how = args.choice("add or remove", ("add", "remove"))
    people = [ctx.person(m) for m in args.mentions("at least one @person")]
    change = await service.set_oncall(ctx.uow, ctx.actor, name, how, people)
    members = {p.external_id: p.display_name
               for p, _ in await service.members(ctx.uow, change.desk)}
    names = ", ".join(members.get(i, i) for i in change.policy.oncall) or "nobody"
    return Reply(text=f"On call for the {change.desk.name} desk: {names}"
                      f"{_unchanged(change)}.")


async def autoclose(ctx: Context, args: Args) -> View:
    """`/desk admin autoclose DESK 7d`."""
    name = args.word(DESK)
    duration = _read(args, parse_duration, args.word("a duration, like `7d`"))
    args.done()
    change = await service.set_auto_close(ctx.uow, ctx.actor, name, duration)
    return Reply(text=f"The {change.desk.name} desk closes resolved requests after "
                      f"{format_duration(change.policy.auto_close_after)}"
                      f"{_unchanged(change)}.")


async def escalate(ctx: Context, args: Args) -> View:
    """`/desk admin escalate DESK to NEXT DESK | off`."""
    name = args.word(DESK)
    how = args.choice("`to` and the next-tier desk, or `off`", ("to", "off"))
    target = None
    if how == "to":
        words = _words(args, "the next-tier desk's name, e.g. IT Tier 2")
        if not words:
            raise args.fail(f"`/desk admin escalate {name} to` needs the next-tier desk's "
                            "name, e.g. `IT Tier 2`.")
        target = " ".join(words)
    args.done()
    change = await service.set_escalation(ctx.uow, ctx.actor, name, target)
    if change.policy.escalate_to is None:
        return Reply(text=f"Requests of the {change.desk.name} desk that breach their "
                          f"resolution target stay there{_unchanged(change)}.")
    next_tier = await service.find_desk(ctx.uow, change.desk.workspace_id,
                                        change.policy.escalate_to)
    return Reply(text=f"Requests of the {change.desk.name} desk that breach their resolution "
                      f"target move to the {next_tier.name} desk{_unchanged(change)}.")
