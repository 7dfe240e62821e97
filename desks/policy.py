"""A desk's service policy: service window, SLA targets, stall thresholds, on-call.

Kept in the desk's `settings` JSON (no column per knob, so adding one needs no
migration) and read through `policy_of(desk)`, which validates with the same parsers
the admin commands use. Everything is plain data here; `scheduling` turns the window
into business time.

Stored form (every key optional; absent means the default below):

    {"hours": "sun-thu 08:00-18:00; fri 08:00-13:00", "time_zone": "Asia/Jerusalem",
     "holidays": "IL", "closed_dates": ["2026-12-31"],
     "sla": {"first_response": {"default": "15m", "5": "5m"},
             "resolution": {"default": "2d"}, "warning_percent": 75},
     "stall": {"unassigned": "10m", "agent_silence": "2h", "requester_silence": "3d"},
     "auto_close_after": "7d", "oncall": ["U123"], "escalate_to": "it-tier-2",
     "reopen_window_days": 7}

`escalate_to` names the next-tier desk by slug: a conversation of this desk that
breaches its resolution target moves there (`scheduling.sweeps`). Absent means no
escalation; `desks.service.set_escalation` checks the desk exists and makes no loop.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from desks import audience, autoassign
from desks.errors import InvalidInput
from desks.ticket_policy import (
    DEFAULT_CATEGORIES,
    Category,
    Matrix,
    categories_of,
    find_category,
    matrix_of,
    stored_categories,
    stored_matrix,
)
from desks.window_grammar import (
    WindowConfig,
    format_duration,
    format_hours,
    parse_country,
    parse_date,
    parse_duration,
    parse_hours,
    parse_time_zone,
)
from desks.wording import Words, code

PRIORITIES = (1, 2, 3, 4, 5)
DEFAULT_FIRST_RESPONSE = timedelta(hours=4)
DEFAULT_RESOLUTION = timedelta(days=3)
DEFAULT_WARNING_PERCENT = 75
DEFAULT_STALL = {"unassigned": timedelta(minutes=30), "agent_silence": timedelta(hours=4),
                 "requester_silence": timedelta(days=3)}
DEFAULT_AUTO_CLOSE = timedelta(days=7)
STALL_KINDS = tuple(DEFAULT_STALL)
SLA_KINDS = ("first_response", "resolution")
# The keys of `settings` that belong to the policy (`settings_with` rewrites them all).
POLICY_KEYS = ("hours", "time_zone", "holidays", "closed_dates", "sla", "stall",
               "auto_close_after", "oncall", "escalate_to", "categories", "matrix")


@dataclass(frozen=True)
class SlaTargets:
    """First-response and resolution targets (business time), per priority."""

    first_response: Mapping[int, timedelta] = field(default_factory=dict)
    resolution: Mapping[int, timedelta] = field(default_factory=dict)
    warning_percent: int = DEFAULT_WARNING_PERCENT

    def first_response_for(self, priority: int) -> timedelta:
        """The first-response target of `priority`."""
        return self.first_response.get(priority, DEFAULT_FIRST_RESPONSE)

    def resolution_for(self, priority: int) -> timedelta:
        """The resolution target of `priority`."""
        return self.resolution.get(priority, DEFAULT_RESOLUTION)


@dataclass(frozen=True)
class DeskPolicy:
    """Everything the scheduler needs to know about one desk."""

    window: WindowConfig = field(default_factory=WindowConfig)
    sla: SlaTargets = field(default_factory=SlaTargets)
    stall: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_STALL))
    auto_close_after: timedelta = DEFAULT_AUTO_CLOSE
    oncall: tuple[str, ...] = ()  # platform user ids of on-call agents
    escalate_to: str | None = None  # the next tier's desk slug, on a resolution breach
    categories: tuple[Category, ...] = DEFAULT_CATEGORIES  # ticket categories
    matrix: Matrix = field(default_factory=Matrix)  # impact × urgency → priority

    def ticket_targets(self, category: str | None, priority: int) -> tuple[timedelta, timedelta]:
        """(first response, resolution) of a ticket of `category` at `priority`: the
        category's own targets where it has them, else the desk's."""
        own = find_category(self.categories, category) if category else None
        first = self.sla.first_response_for(priority)
        resolution = self.sla.resolution_for(priority)
        if own is not None:
            first = own.first_response.get(priority, first)
            resolution = own.resolution.get(priority, resolution)
        return first, resolution


def _priority(key: Any) -> int:
    """A priority as stored (`"5"`, or 5 from hand-written YAML)."""
    text = str(key).strip()
    if not (text.isascii() and text.isdigit()) or int(text) not in PRIORITIES:
        raise InvalidInput("policy.not_a_priority_or_default", got=text[:20])
    return int(text)


def _targets(raw: Any) -> dict[int, timedelta]:
    """{"default": "15m", "5": "5m"} -> a target for each priority."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("policy.sla_target_form", example=code("{default: 15m, '5': 5m}"))
    default = parse_duration(raw["default"]) if "default" in raw else None
    targets = {p: default for p in PRIORITIES if default is not None}
    for key, value in raw.items():
        if key != "default":
            targets[_priority(key)] = parse_duration(value)
    return targets


def compact_targets(targets: Mapping[int, timedelta]) -> tuple[timedelta | None,
                                                              dict[int, timedelta]]:
    """(default, overrides): the most common target of all five priorities and the rest.

    Without a target for every priority there is no default (the others fall back to
    the built-in one), and every target is an override.
    """
    if not all(p in targets for p in PRIORITIES):
        return None, dict(sorted(targets.items()))
    default = Counter(targets[p] for p in PRIORITIES).most_common(1)[0][0]
    return default, {p: d for p, d in sorted(targets.items()) if d != default}


def _stored_targets(targets: Mapping[int, timedelta]) -> dict[str, str]:
    default, overrides = compact_targets(targets)
    stored = {"default": format_duration(default)} if default is not None else {}
    stored.update({str(p): format_duration(d) for p, d in overrides.items()})
    return stored


def warning_percent(value: Any) -> int:
    """The SLA warning threshold: a whole percent from 1 to 99 (`80`, `"80%"`)."""
    text = str(value).strip().removesuffix("%").strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or \
            not 1 <= int(text) <= 99:
        raise InvalidInput("policy.not_a_warning", got=str(value)[:20])
    return int(text)


def policy_of(settings: Mapping[str, Any] | None, language: str | None = None) -> DeskPolicy:
    """The policy stored in a desk's `settings` (defaults for what is not set); the
    default ticket categories are named in the desk's `language`."""
    settings = settings or {}
    sla = settings.get("sla") or {}
    stall = dict(DEFAULT_STALL)
    stall.update({k: parse_duration(v) for k, v in (settings.get("stall") or {}).items()
                  if k in STALL_KINDS})
    return DeskPolicy(
        window=WindowConfig.from_settings(settings),
        sla=SlaTargets(first_response=_targets(sla.get("first_response")),
                       resolution=_targets(sla.get("resolution")),
                       warning_percent=warning_percent(sla.get("warning_percent",
                                                               DEFAULT_WARNING_PERCENT))),
        stall=stall,
        auto_close_after=parse_duration(settings["auto_close_after"])
        if settings.get("auto_close_after") else DEFAULT_AUTO_CLOSE,
        oncall=tuple(settings.get("oncall") or ()),
        escalate_to=escalation_slug(settings.get("escalate_to")),
        categories=categories_of(settings.get("categories"), _targets, language),
        matrix=matrix_of(settings.get("matrix")),
    )


def slugify(name: str) -> str:
    """Lower-case, dash-separated form of a desk name (keeps non-Latin letters)."""
    text = unicodedata.normalize("NFKC", name).strip().lower().lstrip("#")
    return re.sub(r"[^\w]+", "-", text).strip("-_")


def escalation_slug(value: Any) -> str | None:
    """The stored next-tier desk: a desk's slug (a name is read as its slug), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("policy.escalate_to_form")
    slug = slugify(value)
    if not slug:
        raise InvalidInput("policy.not_a_desk_name", got=value[:40])
    return slug


def settings_with(settings: Mapping[str, Any] | None, policy: DeskPolicy) -> dict[str, Any]:
    """`settings` with the policy's keys replaced by `policy` (other keys kept)."""
    merged = {k: v for k, v in (settings or {}).items() if k not in POLICY_KEYS}
    merged.update(policy.window.to_settings())
    merged["sla"] = {"first_response": _stored_targets(policy.sla.first_response),
                     "resolution": _stored_targets(policy.sla.resolution),
                     "warning_percent": policy.sla.warning_percent}
    merged["stall"] = {k: format_duration(v) for k, v in policy.stall.items()}
    merged["auto_close_after"] = format_duration(policy.auto_close_after)
    merged["oncall"] = list(policy.oncall)
    if policy.escalate_to is not None:  # absent when off: older settings compare equal
        merged["escalate_to"] = policy.escalate_to
    merged["categories"] = stored_categories(policy.categories, _stored_targets)
    merged["matrix"] = stored_matrix(policy.matrix)
    return merged


# ---------------------------------------------------------------- shown to people


def targets_text(targets: Mapping[int, timedelta]) -> str | Words:
    """A target per priority, compact: `15m (P5: 5m)`; none at all said in words."""
    default, overrides = compact_targets(targets)
    own = ", ".join(f"P{p}: {format_duration(d)}" for p, d in overrides.items())
    if default is None:
        return own or Words("common.none")
    return format_duration(default) + (f" ({own})" if own else "")


def summary_lines(policy: DeskPolicy, names: Mapping[str, str] | None = None,
                  desk_names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The policy as label → value lines (`/desk admin show`), in English; `names` maps
    on-call ids, `desk_names` desk slugs to names."""
    return [(label.english, plain(value))
            for label, value in summary_words(policy, names, desk_names)]


def plain(value: str | Words) -> str:
    """A summary value as English text."""
    return value.english if isinstance(value, Words) else value


def summary_words(policy: DeskPolicy, names: Mapping[str, str] | None = None,
                  desk_names: Mapping[str, str] | None = None
                  ) -> list[tuple[Words, str | Words]]:
    """The policy as label → value lines to say (`/desk admin show`): labels are words,
    values typed forms (hours, durations, targets) or words."""
    window, sla = policy.window, policy.sla
    stall = tuple(Words(f"config_value.stall_{kind}", duration=format_duration(policy.stall[kind]))
                  for kind in STALL_KINDS)
    oncall = tuple((names or {}).get(i, i) for i in policy.oncall)
    closed = tuple(d.isoformat() for d in sorted(window.closed_dates))
    none = Words("common.none")
    return [
        (Words("config_line.hours"), format_hours(window.hours)),
        (Words("config_line.time_zone"), window.time_zone),
        (Words("config_line.holidays"),
         Words("config_value.holidays", country=window.holidays) if window.holidays else none),
        (Words("config_line.closed_dates"), Words("common.list", items=closed) if closed
         else none),
        (Words("config_line.first_response"),
         targets_text({p: sla.first_response_for(p) for p in PRIORITIES})),
        (Words("config_line.resolution"),
         targets_text({p: sla.resolution_for(p) for p in PRIORITIES})),
        (Words("config_line.sla_warning"),
         Words("config_value.sla_warning", percent=sla.warning_percent)),
        (Words("config_line.stall"), Words("common.list", items=stall)),
        (Words("config_line.auto_close"),
         Words("config_value.auto_close", duration=format_duration(policy.auto_close_after))),
        (Words("config_line.oncall"),
         Words("common.list", items=oncall) if oncall else Words("common.nobody")),
        (Words("config_line.escalation"), escalation_words(policy, desk_names)),
        (Words("category.config_line"), categories_words(policy)),
        (Words("matrix.config_line"),
         Words("matrix.config_on" if policy.matrix.on else "matrix.config_off")),
    ]


def categories_words(policy: DeskPolicy) -> str | Words:
    """The desk's ticket categories, each with its own targets if it has any:
    `Incident (first response 30m, resolution 1d), Service request, IMAC`."""
    if not policy.categories:
        return Words("common.none")
    return Words("common.list", items=tuple(category_words(c) for c in policy.categories))


def category_words(category: Category) -> str | Words:
    """One category as shown, with its own targets if it has any."""
    if not category.first_response and not category.resolution:
        return category.name
    return Words("category.config_sla", name=category.name,
                 targets=category_targets(category))


def category_targets(category: Category) -> Words:
    """A category's own targets: `first response 30m, resolution the desk's`."""
    def own(targets: Mapping[int, timedelta]) -> str | Words:
        return targets_text(targets) if targets else Words("category.desk_target")
    return Words("category.config_targets", first_response=own(category.first_response),
                 resolution=own(category.resolution))


def escalation_words(policy: DeskPolicy, desk_names: Mapping[str, str] | None = None) -> Words:
    """Where a resolution breach moves the desk's requests: `to IT Tier 2 …`, or `off`."""
    if policy.escalate_to is None:
        return Words("config_value.escalation_off")
    return Words("config_value.escalation_to",
                 desk=(desk_names or {}).get(policy.escalate_to, policy.escalate_to))


def escalation_text(policy: DeskPolicy, desk_names: Mapping[str, str] | None = None) -> str:
    """Where a resolution breach moves the desk's requests: `to IT Tier 2 …`, or `off`."""
    if policy.escalate_to is None:
        return "off"
    name = (desk_names or {}).get(policy.escalate_to, policy.escalate_to)
    return f"to {name} when a request breaches its resolution target"


# ---------------------------------------------------------------- checking a stored form

Problem = tuple[tuple[str | int, ...], str]  # where in the settings (keys, list indexes), what
# Settings that are no policy, kept as they are (`desks.autoassign`, `desks.audience`).
# `incident_burst`: how many similar requests within how many minutes make deskbot
# propose a major incident (conversations/incident_rules.py; default {count: 3, minutes: 10}).
OTHER_KEYS = ("reopen_window_days", *autoassign.KEYS, audience.KEY, "incident_burst")
# The keys a person writes (round-robin's place in the turn is deskbot's own).
WRITTEN_KEYS = tuple(k for k in POLICY_KEYS + OTHER_KEYS if k != autoassign.CURSOR)
MAX_REOPEN_DAYS = 365


def _check(problems: list[Problem], path: tuple[str | int, ...], read: Any,
           value: Any) -> None:
    try:
        read(value)
    except InvalidInput as error:
        problems.append((path, error.message))


def _duration(value: Any) -> timedelta:
    if isinstance(value, Mapping | list | bool) or value is None:
        raise InvalidInput("policy.not_a_duration_value", got=str(value)[:40])
    return parse_duration(str(value))


def _textual(read: Any, what: str) -> Any:
    """`read`, refusing anything that is not text (YAML turns `NO` into false, `1:30` into 90);
    `what` names the setting (`policy.text_<what>`)."""
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidInput(f"policy.text_{what}")
        return read(value)
    return check


def _mapping(problems: list[Problem], path: tuple[str | int, ...], value: Any,
             keys: tuple[str, ...], what: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append((path, f"{what} is a mapping of {', '.join(keys)}."))
        return {}
    for key in value:
        if str(key) not in keys:
            problems.append(((*path, key), f"not one of {what}'s keys; they are "
                             f"{', '.join(keys)}."))
    return value


def settings_problems(settings: Any) -> list[Problem]:
    """Everything wrong with a stored (or hand-written) settings mapping, key by key.

    Empty means `policy_of(settings)` reads it. Values must be plain JSON data: dates
    and durations as text (`"2026-12-31"`, `"15m"`).
    """
    problems: list[Problem] = []
    if settings is None:
        return problems
    if not isinstance(settings, Mapping):
        return [((), "The settings are a mapping of " + ", ".join(WRITTEN_KEYS)
                 + ".")]
    for key, value in settings.items():
        path: tuple[str | int, ...] = (key,)
        if key == "hours":
            _check(problems, path, _textual(parse_hours, "hours"), value)
        elif key == "time_zone":
            _check(problems, path,
                   _textual(parse_time_zone, "time_zone"), value)
        elif key == "holidays":
            if value is not None:
                _check(problems, path,
                       _textual(parse_country, "country"),
                       value)
        elif key == "closed_dates":
            if value is not None and not isinstance(value, list):
                problems.append((path, "closed_dates is a list of dates like `2026-12-31`."))
                continue
            for index, day in enumerate(value or ()):
                _check(problems, (*path, index),
                       _textual(parse_date, "closed_date"), day)
        elif key == "sla":
            sla = _mapping(problems, path, value, (*SLA_KINDS, "warning_percent"), "sla")
            for kind in SLA_KINDS:
                targets = _mapping(problems, (*path, kind), sla.get(kind),
                                   ("default", *map(str, PRIORITIES)), f"sla.{kind}")
                for priority, target in targets.items():
                    if str(priority) in ("default", *map(str, PRIORITIES)):
                        _check(problems, (*path, kind, priority), _duration, target)
            if "warning_percent" in sla:
                _check(problems, (*path, "warning_percent"), warning_percent,
                       sla["warning_percent"])
        elif key == "stall":
            stall = _mapping(problems, path, value, STALL_KINDS, "stall")
            for kind, limit in stall.items():
                if kind in STALL_KINDS:
                    _check(problems, (*path, kind), _duration, limit)
        elif key == "auto_close_after":
            _check(problems, path, _duration, value)
        elif key == "oncall":
            if value is not None and not (isinstance(value, list)
                                          and all(isinstance(v, str) and v for v in value)):
                problems.append((path, "oncall is a list of platform user ids, like "
                                       "`[U0123ABC]`."))
        elif key == "escalate_to":
            _check(problems, path, escalation_slug, value)
        elif key == "categories":
            _check(problems, path, lambda v: categories_of(v, _targets), value)
        elif key == "matrix":
            _check(problems, path, matrix_of, value)
        elif key == audience.KEY:
            _check(problems, path, audience.check_audience, value)
        elif key == autoassign.KEY:
            _check(problems, path, autoassign.check_rule, value)
        elif key == autoassign.CURSOR:
            _check(problems, path, autoassign.check_cursor, value)
        elif key == "reopen_window_days":
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    1 <= value <= MAX_REOPEN_DAYS):
                problems.append((path, f"reopen_window_days is a whole number of days from "
                                       f"1 to {MAX_REOPEN_DAYS}."))
        elif key == "incident_burst":
            burst = value if isinstance(value, Mapping) else None
            numbers = [burst.get(k) for k in ("count", "minutes")] if burst else []
            if burst is None or set(burst) - {"count", "minutes"} or not all(
                    number is None or (isinstance(number, int) and not isinstance(number, bool)
                                       and 1 <= number <= 1440) for number in numbers):
                problems.append((path, "incident_burst is `{count: 3, minutes: 10}`: whole "
                                       "numbers (count 2 or more; 1 turns it off)."))
        else:
            problems.append((path, f"not a desk setting; they are "
                                   f"{', '.join(WRITTEN_KEYS)}."))
    return problems

