"""Report periods: `week`, `month`, `quarter`, `2026-Q4`, `2026-11`, `2026-11-01..2026-11-30`.

A period is a span of whole days in the desk's time zone, kept as UTC instants
[start, end). The words `week`, `month` and `quarter` name the last *complete* one
before the clock's now (a week runs Sunday to Saturday, as the desks' work weeks
do); the other forms name a calendar quarter, a month, or the days FROM..TO
inclusive. Anything else is refused with the forms that work.

The previous period, which every figure is set against, is the calendar unit just
before for a named week, month or quarter, and the same number of days just before
for FROM..TO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desks.errors import InvalidInput

FORMS = "week, month, quarter, 2026-Q4, 2026-11 or 2026-11-01..2026-11-30"
# A FROM..TO span longer than this is refused (a report reads every request in it).
MAX_DAYS = 3 * 366

_QUARTER = re.compile(r"^([0-9]{4})-[qQ]([1-4])$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_RANGE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})$")


@dataclass(frozen=True)
class Period:
    """Whole days `first`..`last` (inclusive) in `zone`; `unit` is week, month,
    quarter or days (a FROM..TO span)."""

    unit: str
    first: date
    last: date
    zone: str = "UTC"

    @cached_property
    def start(self) -> datetime:
        """The first instant of the period (UTC)."""
        return _midnight(self.first, self.zone)

    @cached_property
    def end(self) -> datetime:
        """The first instant after the period (UTC)."""
        return _midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """How the period is written: `2026-Q4`, `2026-11`, `2026-11-01..2026-11-30`."""
        if self.unit == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.unit == "month":
            return f"{self.first.year}-{self.first.month:02d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def contains(self, moment: datetime | None) -> bool:
        """Whether `moment` falls inside the period."""
        return moment is not None and self.start <= moment < self.end

    def previous(self) -> Period:
        """The period just before, that the figures are set against."""
        if self.unit == "quarter":
            return quarter_of(_month_before(self.first, 3), self.zone)
        if self.unit == "month":
            return month_of(_month_before(self.first, 1), self.zone)
        return Period(self.unit, self.first - timedelta(days=self.days),
                      self.first - timedelta(days=1), self.zone)

    def weeks(self) -> list[datetime]:
        """The instants the backlog trend is read at: the start, every 7 days after,
        and the end."""
        moments = [_midnight(self.first + timedelta(days=d), self.zone)
                   for d in range(0, self.days, 7)]
        return [*moments, self.end]


def _midnight(day: date, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _month_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def month_of(day: date, zone: str = "UTC") -> Period:
    """The calendar month `day` is in."""
    first = day.replace(day=1)
    following = _month_before(first, -1)
    return Period("month", first, following - timedelta(days=1), zone)


def quarter_of(day: date, zone: str = "UTC") -> Period:
    """The calendar quarter `day` is in."""
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    following = _month_before(first, -3)
    return Period("quarter", first, following - timedelta(days=1), zone)


def known_zone(zone: str | None) -> str:
    """`zone` when it names a time zone, else "UTC" (a desk's broken setting must not
    stop its report)."""
    try:
        ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return zone or "UTC"


def parse_period(text: str, now: datetime, zone: str = "UTC") -> Period:
    """Read a period as a person writes it, relative to `now`, in the desk's `zone`.

    Refuses (`InvalidInput`, `report.bad_period`) any other form, a date that does
    not exist, an empty or backwards FROM..TO, and one longer than three years.
    """
    written = (text or "").strip()
    zone = known_zone(zone)
    today = now.astimezone(ZoneInfo(zone)).date()
    word = written.lower()
    if word == "week":
        # Sunday-based weeks: weekday() is 0 on Monday, so Sunday is (weekday + 1) % 7 days back.
        this_week = today - timedelta(days=(today.weekday() + 1) % 7)
        return Period("week", this_week - timedelta(days=7), this_week - timedelta(days=1), zone)
    if word == "month":
        return month_of(_month_before(today.replace(day=1), 1), zone)
    if word == "quarter":
        return quarter_of(_month_before(quarter_of(today).first, 3), zone)
    try:
        if found := _QUARTER.match(written):
            year, quarter = int(found[1]), int(found[2])
            return quarter_of(date(year, quarter * 3 - 2, 1), zone)
        if found := _MONTH.match(written):
            return month_of(date(int(found[1]), int(found[2]), 1), zone)
        if found := _RANGE.match(written):
            first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
            if last < first:
                raise InvalidInput("report.period_backwards", first=found[1], last=found[2])
            if (last - first).days + 1 > MAX_DAYS:
                raise InvalidInput("report.period_too_long", days=MAX_DAYS)
            return Period("days", first, last, zone)
    except ValueError:
        pass  # a month 13, a February 30th: refused below like any other bad form
    raise InvalidInput("report.bad_period", got=written[:40])
