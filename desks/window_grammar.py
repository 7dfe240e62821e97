"""The service window's words: opening hours, time zone, holiday country, durations, dates.

Pure parsing, no database. What it returns is plain configuration (`WeeklyHours`,
`HolidayRegion`, `WindowConfig`); `scheduling.calendar.ServiceWindow` gives it business
time. Every refusal is `InvalidInput` saying what was wrong and showing the right form.

Hours read like `sun-thu 08:00-18:00; fri 08:00-13:00`: clauses split by `;`, each
days (a day, a range that may wrap like `fri-sun`, or a list like `sun,tue`, or
`daily`) then one or more intervals split by `,` (`mon 08:00-12:00, 13:00-17:00`).
`00:00-24:00` is a whole day; an interval never crosses midnight (split it instead).
Intervals of one day that overlap or touch are joined. `always` never closes, not even
on holidays. Times are the desk's local wall-clock times, kept as minutes after local
midnight (0..1440).

Durations are whole numbers with a unit, `s`, `m`, `h` or `d` (`45s`, `15m`, `2h`,
`3d`), or several in that order (`1h30m`). Fractions (`1.5h`) are refused with the
whole-number form to write instead; zero and negatives are refused; at most 365 days.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays

from desks.errors import InvalidInput
from desks.wording import Words, chain, code

MINUTES_PER_DAY = 24 * 60
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
HOURS_FORM = "`sun-thu 08:00-18:00; fri 08:00-13:00`"
DURATION_FORM = "`45s`, `15m`, `2h` or `3d`"
DATE_FORM = "`YYYY-MM-DD`, e.g. `2026-12-31`"
COUNTRY_FORM = "a country code like `IL`, or country and region like `US-CA`"
MAX_DURATION = timedelta(days=365)

Interval = tuple[int, int]  # (start, end) in minutes after local midnight, start < end


def _merge(intervals: Iterable[Sequence[int]]) -> tuple[Interval, ...]:
    """Sort one day's intervals and join those that overlap or touch."""
    merged: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in intervals):
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"bad opening interval {start}-{end} (minutes of a day)")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


@dataclass(frozen=True)
class WeeklyHours:
    """Opening intervals per weekday (Monday first), or `always` (never closes).

    `days[date.weekday()]` is that day's intervals in local minutes, sorted and
    joined; construction normalises, so equal hours compare equal however written.
    """

    days: tuple[tuple[Interval, ...], ...] = ((),) * 7
    always: bool = False

    def __post_init__(self) -> None:
        if self.always:
            days: tuple[tuple[Interval, ...], ...] = (((0, MINUTES_PER_DAY),),) * 7
        else:
            if len(self.days) != 7:
                raise ValueError("weekly hours need exactly 7 days, Monday first")
            days = tuple(_merge(day) for day in self.days)
        object.__setattr__(self, "days", days)

    @property
    def has_open_time(self) -> bool:
        """Whether the week has any open time at all."""
        return self.always or any(self.days)

    def __str__(self) -> str:
        return format_hours(self)


ALWAYS = WeeklyHours(always=True)


@dataclass(frozen=True)
class HolidayRegion:
    """Whose public holidays close the desk: a `holidays` country code and subdivision."""

    country: str
    subdivision: str | None = None

    def __str__(self) -> str:
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


@dataclass(frozen=True)
class WindowConfig:
    """A desk's service window as configured; the default is always open, in UTC."""

    hours: WeeklyHours = ALWAYS
    time_zone: str = "UTC"
    holidays: HolidayRegion | None = None
    closed_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))

    def to_settings(self) -> dict[str, Any]:
        """The JSON-able form kept in the desk's settings (and its YAML export)."""
        return {
            "hours": format_hours(self.hours),
            "time_zone": self.time_zone,
            "holidays": str(self.holidays) if self.holidays else None,
            "closed_dates": [d.isoformat() for d in sorted(self.closed_dates)],
        }

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Self:
        """Read `to_settings()` output back; missing keys take the defaults."""
        country = settings.get("holidays")
        return cls(
            hours=parse_hours(settings.get("hours") or "always"),
            time_zone=parse_time_zone(settings.get("time_zone") or "UTC"),
            holidays=parse_country(country) if country else None,
            closed_dates=frozenset(parse_date(d) for d in settings.get("closed_dates") or ()),
        )


# ---------------------------------------------------------------- hours

_DAY_WORDS = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    "monday": 0, "tues": 1, "tuesday": 1, "weds": 2, "wednesday": 2, "thur": 3, "thurs": 3,
    "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
_DASHES = re.compile(r"\s*[-–—]\s*")
_CLAUSE = re.compile(r"(?P<days>[^\d]*?)\s*(?P<times>\d.*)?")
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_MAX_HOURS_TEXT = 500


def _hours_refusal(key: str, **values: Any) -> InvalidInput:
    return InvalidInput("hours.refusal", problem=Words(key, **values))


def _read_days(text: str, clause: str) -> list[int]:
    words = [w for w in re.split(r"[,\s]+", text) if w]
    if not words:
        raise _hours_refusal("hours.times_no_days", got=clause[:40])
    days: list[int] = []
    for word in words:
        if word == "daily":
            days.extend(range(7))
            continue
        ends = word.split("-")
        unknown = [e for e in ends if e not in _DAY_WORDS]
        if len(ends) > 2 or unknown:
            bad = unknown[0] if unknown and unknown[0] else word
            raise _hours_refusal("hours.not_a_day", got=bad[:40], days=", ".join(DAY_NAMES))
        first, last = _DAY_WORDS[ends[0]], _DAY_WORDS[ends[-1]]
        days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))  # ranges wrap
    return days


def _read_minute(text: str, hour: str, minute: str) -> int:
    h, m = int(hour), int(minute)
    if h > 24 or m > 59 or (h == 24 and m):
        raise _hours_refusal("hours.not_a_time", got=text)
    return h * 60 + m


def _read_intervals(text: str) -> list[Interval]:
    intervals: list[Interval] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        match = _INTERVAL.fullmatch(piece)
        if match is None:
            raise _hours_refusal("hours.not_an_interval", got=piece[:40])
        start_text, end_text = piece.split("-")
        start = _read_minute(start_text, match[1], match[2])
        end = _read_minute(end_text, match[3], match[4])
        if start == MINUTES_PER_DAY:
            raise _hours_refusal("hours.starts_at_midnight", got=piece)
        if end == start:
            raise _hours_refusal("hours.empty_interval", got=piece)
        if end < start:
            raise InvalidInput("hours.crosses_midnight", got=piece)
        intervals.append((start, end))
    if not intervals:
        raise _hours_refusal("hours.times_missing")
    return intervals


def parse_hours(text: str) -> WeeklyHours:
    """Read weekly opening hours (`sun-thu 08:00-18:00; fri 08:00-13:00`, or `always`)."""
    raw = " ".join((text or "").split())
    if not raw:
        raise _hours_refusal("hours.missing")
    if len(raw) > _MAX_HOURS_TEXT:
        raise _hours_refusal("hours.too_long")
    normal = _DASHES.sub("-", raw.lower())
    if normal in ("always", "24/7"):
        return ALWAYS
    days: list[list[Interval]] = [[] for _ in range(7)]
    for clause in (c.strip() for c in re.split(r"[;\n]", normal)):
        if not clause:
            continue
        if clause in ("always", "24/7"):
            raise _hours_refusal("hours.always_alone")
        match = _CLAUSE.fullmatch(clause)
        if match is None or not match["times"]:
            raise _hours_refusal("hours.days_no_times", got=clause[:40])
        intervals = _read_intervals(match["times"])
        for day in _read_days(match["days"], clause):
            days[day].extend(intervals)
    hours = WeeklyHours(tuple(tuple(d) for d in days))
    if not hours.has_open_time:
        raise _hours_refusal("hours.never_open")
    return hours


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_hours(hours: WeeklyHours) -> str:
    """The canonical text of `hours`; `parse_hours(format_hours(h)) == h`.

    Days with the same intervals that follow each other (around the week's end too)
    share a range; clauses run from the first range that starts on or after Sunday.
    """
    if hours.always:
        return "always"
    days = hours.days
    if not any(days):
        return "closed"
    if all(day == days[0] for day in days):
        return f"mon-sun {', '.join(f'{_clock(s)}-{_clock(e)}' for s, e in days[0])}"
    sunday_first = [6, 0, 1, 2, 3, 4, 5]
    begin = next(d for d in sunday_first if days[d] != days[(d - 1) % 7])
    clauses: list[str] = []
    run_start = begin
    for step in range(1, 8):
        day = (begin + step) % 7
        if step < 7 and days[day] == days[run_start]:
            continue
        last = (day - 1) % 7
        if days[run_start]:
            span = DAY_NAMES[run_start] + ("" if last == run_start else f"-{DAY_NAMES[last]}")
            times = ", ".join(f"{_clock(s)}-{_clock(e)}" for s, e in days[run_start])
            clauses.append(f"{span} {times}")
        run_start = day
    return "; ".join(clauses)


# ---------------------------------------------------------------- time zone


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones() if name != "localtime"}


def parse_time_zone(text: str) -> str:
    """An IANA time zone name (`Asia/Jerusalem`), any case; returns the canonical name."""
    name = (text or "").strip()
    zones = _zones_by_lower_name()
    canonical = zones.get(name.lower())
    if canonical is not None:
        try:
            ZoneInfo(canonical)
            return canonical
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name.lower(), list(zones), n=1, cutoff=0.6)
    if not close:  # "Jerusalem" for "Asia/Jerusalem"
        close = [z for z in zones if name and z.rsplit("/", 1)[-1] == name.lower()][:1]
    said = Words("zone.unknown", got=name[:40] or Words("common.nothing"))
    if close:
        said = chain([said, Words("zone.did_you_mean", zone=code(f"{zones[close[0]]}"))])
    raise InvalidInput(said)


# ---------------------------------------------------------------- holidays


@lru_cache(maxsize=1)
def _countries() -> tuple[dict[str, list[str]], dict[str, str]]:
    """Supported countries with their subdivisions, and every accepted name -> alpha-2."""
    supported = holidays.list_supported_countries(include_aliases=False)
    names = {code.lower(): code for code in supported}
    registry = getattr(getattr(holidays, "registry", None), "COUNTRIES", {})
    for module, entry in registry.items():  # alpha-3 codes, aliases, English names
        alpha2 = next((c for c in entry[1:] if c in supported), None)
        if alpha2 is None:
            continue
        for alias in (module.replace("_", " "), *entry):
            names.setdefault(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", alias).lower(), alpha2)
    return supported, names


def parse_country(text: str, subdivision: str | None = None) -> HolidayRegion:
    """A holiday country (`IL`), optionally with its region (`US-CA`, or `US` and `CA`).

    Country codes, alpha-3 codes and English names are accepted; subdivision codes are
    the `holidays` package's own (any case). Returns the canonical codes.
    """
    raw = (text or "").strip()
    country_text, _, region_text = raw.partition("-")
    if subdivision is not None:
        if region_text:
            raise InvalidInput("country.has_region", got=raw[:40])
        region_text = subdivision.strip()
    supported, names = _countries()
    country = names.get(country_text.strip().lower())
    if country is None:
        raise InvalidInput("country.unknown", got=raw[:40] or Words("common.nothing"))
    if not region_text.strip():
        if raw.endswith("-"):
            raise InvalidInput("country.region_missing", got=raw[:40])
        return HolidayRegion(country)
    regions = {r.lower(): r for r in supported[country]}
    region = regions.get(region_text.strip().lower())
    if region is None:
        known = ", ".join(supported[country][:12]) + ("…" if len(supported[country]) > 12 else "")
        raise InvalidInput("country.unknown_region" if known else "country.no_regions",
                           got=region_text.strip()[:40], country=country, known=known)
    return HolidayRegion(country, region)


# ---------------------------------------------------------------- durations and dates

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def _whole_form(number: str, unit: str) -> Words:
    """"is not a whole number (write `1h30m`)" for 1.5h: the same time in whole units,
    when there is one."""
    seconds = Decimal(number.replace(",", ".")) * dict(_UNITS)[unit]
    if not 0 < seconds <= Decimal(MAX_DURATION.total_seconds()) or seconds != int(seconds):
        return Words("duration.not_whole")
    return Words("duration.not_whole_write",
                 form=code(f"{format_duration(timedelta(seconds=int(seconds)))}"))


def parse_duration(text: str) -> timedelta:
    """A positive duration: `45s`, `15m`, `2h`, `3d`, or combined in that order (`1h30m`)."""
    raw = (text or "").strip()
    compact = re.sub(r"\s+", "", raw.lower())
    shown: str | Words = raw[:40] or Words("common.nothing")
    match = _DURATION.fullmatch(compact) if 0 < len(compact) <= 40 else None
    if match is None or not any(match.groups()):
        if compact.startswith("-"):
            problem = Words("duration.negative")
        elif re.fullmatch(r"\d+", compact):
            problem = Words("duration.needs_unit", form=code(f"{compact}m"))
        elif fraction := re.fullmatch(r"(\d*[.,]\d+)([dhms])", compact):
            problem = _whole_form(fraction[1], fraction[2])
        elif re.fullmatch(r"\d+w", compact):
            problem = Words("duration.in_weeks", form=code(f"{int(compact[:-1]) * 7}d"))
        else:
            problem = Words("duration.not_a_duration")
        raise InvalidInput("duration.refusal", got=shown, problem=problem)
    seconds = sum(int(n) * size for n, (_, size) in zip(match.groups(), _UNITS, strict=True)
                  if n is not None)
    if seconds == 0:
        raise InvalidInput("duration.refusal", got=shown, problem=Words("duration.not_positive"))
    if seconds > MAX_DURATION.total_seconds():
        raise InvalidInput("duration.refusal", got=shown, problem=Words("duration.too_long"))
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The canonical text of a positive whole-second duration (`1h30m`); parses back equal."""
    seconds = duration.total_seconds()
    if seconds <= 0 or seconds != int(seconds):
        raise ValueError(f"cannot write {duration!r} as a duration")
    left = int(seconds)
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_date(text: str) -> date:
    """A calendar date written `YYYY-MM-DD` (`2026-12-31`)."""
    raw = (text or "").strip()
    shown = raw[:40] or Words("common.nothing")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput("date.not_in_calendar", got=shown) from None
    raise InvalidInput("date.not_a_date", got=shown)
