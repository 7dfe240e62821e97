"""Business time: when a desk is open, and how much open time lies between two moments.

A `ServiceWindow` is a desk's window configuration (`desks.window_grammar.WindowConfig`)
that can count. Every argument and result is an aware datetime; results are UTC, like
storage. Opening intervals are the desk's local wall-clock times, turned into real
instants day by day in the desk's time zone, so a day that springs forward or falls
back is as long as it really is:

- A local time is *the first instant at which the desk's clock shows that time or
  later*. A time skipped by a spring-forward gap therefore resolves forward to the end
  of the gap (02:30 on a New York spring day is 03:00 EDT); a time repeated by a
  fall-back takes its first occurrence (01:30 on a New York autumn day is 01:30 EDT).
  An interval 01:00-04:00 is so 2 real hours on the spring day and 4 in autumn; one
  that the jump does not touch (08:00-18:00) stays 10 hours.
- Intervals are half-open: a desk open 08:00-18:00 is open at 08:00 and closed at 18:00.
- A public holiday (the `holidays` package's days, looked up once per year) or a
  closed date is closed for the whole local day. `always` never closes, not even on
  holidays.

Business time is walked interval by interval, day by day (never minute by minute).
The open time between two moments is read off an `_OpenTime`: the open intervals of
a run of days kept in order with the open time before each, so a span is two
bisections (a report counts thousands of spans over the same months).
A window with no weekly open time is refused at construction; a window whose holidays
and closed dates leave it shut for over three years in a row raises `NeverOpen`
instead of searching forever.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from desks.errors import InvalidInput
from desks.window_grammar import ALWAYS, HolidayRegion, WindowConfig, parse_hours

MAX_CLOSED_DAYS = 3 * 366  # longest run of closed days searched before giving up
_DAY = timedelta(days=1)
_DAYS_KEPT = 4096  # days of open intervals a window keeps (about eleven years)
_NO_TIME = timedelta(0)
_DAYS_AROUND = 64  # days kept beyond a span's, on each side, in a new `_OpenTime`


class NeverOpen(InvalidInput):
    """The service window has no open time (at all, or for years on end)."""

    kind = "never_open"


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year, as the `holidays` package lists them."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@lru_cache(maxsize=8192)
def _resolve(zone_name: str, wall: datetime) -> datetime:
    """The first instant (UTC) at which the clock of `zone_name` shows `wall` or later."""
    zone = ZoneInfo(zone_name)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first occurrence of a repeated time
    # In a spring-forward gap: the two folds fall on either side of the transition;
    # find the transition (offsets change on whole seconds).
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = int(min(first, other).timestamp()), int(max(first, other).timestamp())
    while low < high:
        middle = (low + high) // 2
        shown = datetime.fromtimestamp(middle, UTC).astimezone(zone).replace(tzinfo=None)
        if shown >= wall:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(high, UTC)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:  # as storage hands them back
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"business time needs an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class ServiceWindow(WindowConfig):
    """A desk's service window with business-time arithmetic (UTC in, UTC out)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("calendar.not_a_time_zone", zone=self.time_zone) from None
        if not self.hours.has_open_time:
            raise NeverOpen("calendar.never_open")
        # Each local day's open intervals, worked out once (`open_intervals_on`): a
        # report counts thousands of spans over the same few hundred days.
        object.__setattr__(self, "_days", {})
        # The open intervals of a run of days, in order (`_open_time_over`).
        object.__setattr__(self, "_open_time", None)

    @classmethod
    def from_config(cls, config: WindowConfig) -> Self:
        """The window of a configuration (as parsed, or read from a desk's settings)."""
        return cls(hours=config.hours, time_zone=config.time_zone, holidays=config.holidays,
                   closed_dates=config.closed_dates)

    @property
    def always_open(self) -> bool:
        """Whether the desk never closes (business time is plain time)."""
        return self.hours.always

    @property
    def zone(self) -> ZoneInfo:
        """The desk's time zone."""
        return ZoneInfo(self.time_zone)

    def is_closed_day(self, day: date) -> bool:
        """Whether the local date `day` is a public holiday or a custom closed date."""
        if self.always_open:
            return False
        if day in self.closed_dates:
            return True
        region = self.holidays
        return region is not None and day in _holiday_dates(region.country,
                                                            region.subdivision, day.year)

    def _at(self, day: date, minute: int) -> datetime:
        return _resolve(self.time_zone, datetime.combine(day, time()) + timedelta(minutes=minute))

    def open_intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The real (UTC) open intervals of the local date `day`, in order; none when closed."""
        days: dict[date, tuple[tuple[datetime, datetime], ...]] = self.__dict__["_days"]
        found = days.get(day)
        if found is None:
            if len(days) >= _DAYS_KEPT:
                days.clear()
            found = days[day] = tuple(self._open_intervals_on(day))
        return list(found)

    def _open_intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.is_closed_day(day):
            return []
        spans = [(self._at(day, start), self._at(day, end))
                 for start, end in self.hours.days[day.weekday()]]
        return [(start, end) for start, end in spans if end > start]  # a gap can swallow one

    def _intervals(self, after: datetime,
                   until: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals ending after `after` (the first clipped to it), in time order.

        Stops once a local day starts at or after `until`; without `until`, raises
        `NeverOpen` after `MAX_CLOSED_DAYS` days in a row without open time.
        """
        day = after.astimezone(self.zone).date() - _DAY  # a fall-back may lead into the day
        closed_run = 0
        while until is None or self._at(day, 0) < until:
            found = False
            for start, end in self.open_intervals_on(day):
                if end > after:
                    found = True
                    yield max(start, after), end
            closed_run = 0 if found else closed_run + 1
            if until is None and closed_run > MAX_CLOSED_DAYS:
                first_closed = day - (closed_run - 1) * _DAY
                raise NeverOpen("calendar.closed_for_years", first=str(first_closed),
                                last=str(day))
            day += _DAY

    def is_open(self, moment: datetime) -> bool:
        """Whether the desk is open at `moment`."""
        moment = _as_utc(moment)
        if self.always_open:
            return True
        local_day = moment.astimezone(self.zone).date()
        return any(start <= moment < end
                   for day in (local_day - _DAY, local_day, local_day + _DAY)
                   for start, end in self.open_intervals_on(day))

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when open, else the instant the desk next opens (UTC)."""
        moment = _as_utc(moment)
        if self.always_open:
            return moment
        start, _ = next(self._intervals(moment))
        return start

    def add_business_time(self, moment: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of open time after `moment` (UTC).

        The result lies in open time or exactly at the end of an interval (a target
        that runs out at closing time is due at closing, not at the next opening).
        A zero duration gives `moment` back; a negative one is refused.
        """
        moment = _as_utc(moment)
        if duration < _NO_TIME:
            raise ValueError(f"business time cannot go backwards: {duration!r}")
        if self.always_open or not duration:
            return moment + duration
        left = duration
        for start, end in self._intervals(moment):
            if left <= end - start:
                return start + left
            left -= end - start
        raise AssertionError("unreachable: the interval walk ends only by raising")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The open time from `start` to `end`; zero when `end` is not after `start`."""
        start, end = _as_utc(start), _as_utc(end)
        if end <= start:
            return _NO_TIME
        if self.always_open:
            return end - start
        kept = self._open_time_over(start, end)
        if kept is None:  # years apart: walked
            return self._walked_between(start, end)
        return kept.until(end) - kept.until(start)

    def _walked_between(self, start: datetime, end: datetime) -> timedelta:
        """`business_time_between` by walking the intervals from `start` (UTC, before `end`)."""
        total = _NO_TIME
        for opened, closed in self._intervals(start, until=end):
            if opened >= end:
                break
            total += min(closed, end) - opened
        return total

    def _open_time_over(self, start: datetime, end: datetime) -> _OpenTime | None:
        """An `_OpenTime` whose days hold `start` and `end`; None when they lie more than
        `_DAYS_KEPT` days apart.

        The one kept is grown (by at least as many days as it has, so spans counted in
        time order rebuild it only a few times) or, when that would make it too long,
        replaced.
        """
        kept: _OpenTime | None = self.__dict__["_open_time"]
        if kept is not None and kept.holds(start, end):
            return kept
        zone = self.zone
        first = start.astimezone(zone).date() - _DAY  # a fall-back may lead into the day
        last = end.astimezone(zone).date()
        if (last - first).days >= _DAYS_KEPT:
            return None
        if kept is not None:
            length = kept.last - kept.first
            grown_first = min(first, kept.first - length) if first < kept.first else kept.first
            grown_last = max(last, kept.last + length) if last > kept.last else kept.last
            if (grown_last - grown_first).days < _DAYS_KEPT:
                first, last = grown_first, grown_last
        around = timedelta(days=_DAYS_AROUND)
        kept = _OpenTime(self, first - around, last + around)
        object.__setattr__(self, "_open_time", kept)
        return kept if kept.holds(start, end) else None


class _OpenTime:
    """The open intervals of the local days `first`..`last` of a window, in time order,
    each with the open time from the first day's start to its own start.

    The open time up to a moment of those days is one bisection; from one moment to
    another, the difference of two (the intervals of the days around add nothing to
    either: they end before the first day starts or start after the last day ends).
    """

    def __init__(self, window: ServiceWindow, first: date, last: date) -> None:
        self.first, self.last = first, last
        self.begins = window._at(first, 0)
        self.ends = window._at(last + _DAY, 0)
        self.starts: list[datetime] = []
        self.lengths: list[timedelta] = []
        self.before: list[timedelta] = []
        total = _NO_TIME
        day = first
        while day <= last:
            for start, end in window.open_intervals_on(day):
                self.starts.append(start)
                self.lengths.append(end - start)
                self.before.append(total)
                total += end - start
            day += _DAY

    def holds(self, start: datetime, end: datetime) -> bool:
        """Whether both moments (UTC) lie within the days kept."""
        return self.begins <= start and end <= self.ends

    def until(self, moment: datetime) -> timedelta:
        """The open time from the first day's start to `moment` (UTC, within the days)."""
        index = bisect_right(self.starts, moment) - 1
        if index < 0:
            return _NO_TIME
        return self.before[index] + min(moment - self.starts[index], self.lengths[index])

ALWAYS_OPEN = ServiceWindow(hours=ALWAYS)
# The documentation's example desk: Sun-Thu 08:00-18:00, Fri 08:00-13:00, Jerusalem, IL.
EXAMPLE_WINDOW = ServiceWindow(
    hours=parse_hours("sun-thu 08:00-18:00; fri 08:00-13:00"),
    time_zone="Asia/Jerusalem",
    holidays=HolidayRegion("IL"),
)
