"""Business time: the docs' worked examples, holidays, daylight saving, and its algebra."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desks.errors import InvalidInput
from desks.window_grammar import HolidayRegion, WeeklyHours, WindowConfig, parse_hours
from scheduling.calendar import (
    ALWAYS_OPEN,
    EXAMPLE_WINDOW,
    MAX_CLOSED_DAYS,
    NeverOpen,
    ServiceWindow,
)

JERUSALEM = ZoneInfo("Asia/Jerusalem")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)
FIRST_RESPONSE = timedelta(minutes=15)
IL_2026 = holidays.country_holidays("IL", years=2026)


def jerusalem(*args: int) -> datetime:
    return datetime(*args, tzinfo=JERUSALEM)


def local(moment: datetime, zone: ZoneInfo = JERUSALEM) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


def window(text: str, zone: str, **kwargs) -> ServiceWindow:  # noqa: ANN003
    return ServiceWindow(hours=parse_hours(text), time_zone=zone, **kwargs)


# ---------------------------------------------------------------- the docs' worked examples


def test_example_window_is_the_docs_example():
    assert str(EXAMPLE_WINDOW.hours) == "sun-thu 08:00-18:00; fri 08:00-13:00"
    assert EXAMPLE_WINDOW.time_zone == "Asia/Jerusalem"
    assert EXAMPLE_WINDOW.holidays == HolidayRegion("IL")
    assert not EXAMPLE_WINDOW.always_open


@pytest.mark.parametrize(("opened", "due"), [
    # Thu 17:50 before a closed Friday (Shavuot, Fri 2026-05-22): 10 min Thu, 5 min Sun.
    (jerusalem(2026, 5, 21, 17, 50), "Sun 2026-05-24 08:05"),
    # An ordinary Thursday 17:50: the example window opens Friday 08:00-13:00.
    (jerusalem(2026, 1, 8, 17, 50), "Fri 2026-01-09 08:05"),
    # Fri 12:55: 5 min Friday, Saturday closed, 10 min Sunday.
    (jerusalem(2026, 1, 9, 12, 55), "Sun 2026-01-11 08:10"),
    # In hours: plain 15 minutes.
    (jerusalem(2026, 1, 6, 10, 0), "Tue 2026-01-06 10:15"),
    # Opened Saturday night (closed): due 15 minutes after Sunday's opening.
    (jerusalem(2026, 1, 10, 21, 0), "Sun 2026-01-11 08:15"),
    # At closing time exactly: closed, so due after the next opening.
    (jerusalem(2026, 1, 6, 18, 0), "Wed 2026-01-07 08:15"),
    # A target that runs out at closing time is due at closing, not at the next opening.
    (jerusalem(2026, 1, 6, 17, 45), "Tue 2026-01-06 18:00"),
])
def test_first_response_due_in_the_example_window(opened, due):
    result = EXAMPLE_WINDOW.add_business_time(opened, FIRST_RESPONSE)
    assert local(result) == due
    assert result.tzinfo is UTC


@pytest.mark.parametrize(("opened", "holiday", "due"), [
    # Yom Kippur, Mon 2026-09-21: opened on the day -> the next working day.
    (jerusalem(2026, 9, 21, 10, 0), date(2026, 9, 21), "Tue 2026-09-22 08:15"),
    # Its eve (Sun 09-20) is a working day for the package: 10 min Sunday, 5 min Tuesday.
    (jerusalem(2026, 9, 20, 17, 50), date(2026, 9, 21), "Tue 2026-09-22 08:05"),
    # Rosh Hashana, Sat-Sun 2026-09-12/13: opened Friday 12:55 -> Monday.
    (jerusalem(2026, 9, 11, 12, 55), date(2026, 9, 13), "Mon 2026-09-14 08:10"),
    # Pesach, Thu 2026-04-02: opened on its eve 17:55 -> Friday.
    (jerusalem(2026, 4, 1, 17, 55), date(2026, 4, 2), "Fri 2026-04-03 08:10"),
    (jerusalem(2026, 4, 2, 9, 0), date(2026, 4, 2), "Fri 2026-04-03 08:15"),
])
def test_israeli_holidays_close_the_desk_for_the_whole_day(opened, holiday, due):
    assert holiday in IL_2026  # as the `holidays` package says, not as we remember it
    assert holiday - timedelta(days=1) not in IL_2026 or holiday == date(2026, 9, 13)
    assert not EXAMPLE_WINDOW.is_open(opened.replace(hour=12)) or opened.date() != holiday
    assert local(EXAMPLE_WINDOW.add_business_time(opened, FIRST_RESPONSE)) == due


def test_custom_closed_dates_close_whole_days_across_the_year_end():
    desk = ServiceWindow.from_config(WindowConfig(
        hours=EXAMPLE_WINDOW.hours, time_zone="Asia/Jerusalem", holidays=HolidayRegion("IL"),
        closed_dates=frozenset({date(2026, 12, 31)})))
    assert desk.is_closed_day(date(2026, 12, 31)) and not desk.is_open(jerusalem(2026, 12, 31, 12))
    assert local(desk.add_business_time(jerusalem(2026, 12, 30, 17, 50), FIRST_RESPONSE)) == (
        "Fri 2027-01-01 08:05")
    assert local(EXAMPLE_WINDOW.add_business_time(jerusalem(2026, 12, 30, 17, 50),
                                                  FIRST_RESPONSE)) == "Thu 2026-12-31 08:05"


def test_a_hold_of_two_business_hours_moves_due_times_by_exactly_two_business_hours():
    desk = EXAMPLE_WINDOW
    # On hold Mon 10:00-12:00: a due time of 10:15 moves to 12:15.
    paused = desk.business_time_between(jerusalem(2026, 1, 5, 10), jerusalem(2026, 1, 5, 12))
    assert paused == timedelta(hours=2)
    assert local(desk.add_business_time(jerusalem(2026, 1, 5, 10, 15), paused)) == (
        "Mon 2026-01-05 12:15")
    # On hold Fri 12:00 to Sun 09:00: one open hour Friday, one Sunday.
    paused = desk.business_time_between(jerusalem(2026, 1, 9, 12), jerusalem(2026, 1, 11, 9))
    assert paused == timedelta(hours=2)
    due = jerusalem(2026, 1, 9, 12, 10)
    moved = desk.add_business_time(due, paused)
    assert local(moved) == "Sun 2026-01-11 09:10"
    assert desk.business_time_between(due, moved) == timedelta(hours=2)


def test_business_time_of_a_year_in_the_example_window():
    # 52 weeks of 55 open hours, minus the holidays that fall on open days.
    year = EXAMPLE_WINDOW.business_time_between(jerusalem(2026, 1, 1), jerusalem(2027, 1, 1))
    no_holidays = window("sun-thu 08:00-18:00; fri 08:00-13:00", "Asia/Jerusalem")
    full = no_holidays.business_time_between(jerusalem(2026, 1, 1), jerusalem(2027, 1, 1))
    lost = sum((timedelta(hours=5 if d.weekday() == 4 else 10) for d in IL_2026
                if d.weekday() != 5), timedelta())
    assert full - year == lost
    # 2026 starts on a Thursday and has 365 days: 53 Thursdays, 52 of each other day.
    assert full == timedelta(hours=52 * 55 + 10)


def test_long_durations_walk_days_not_minutes():
    desk = window("sun-thu 08:00-18:00; fri 08:00-13:00", "Asia/Jerusalem")
    started = clock.perf_counter()
    done = desk.add_business_time(jerusalem(2026, 1, 4, 8), timedelta(hours=52 * 55))
    assert clock.perf_counter() - started < 2  # a minute-by-minute walk takes far longer
    assert local(done) == "Fri 2027-01-01 13:00"  # closing time of the 52nd week's Friday


# ---------------------------------------------------------------- opening and closing


def test_intervals_are_half_open():
    assert EXAMPLE_WINDOW.is_open(jerusalem(2026, 1, 6, 8, 0))
    assert EXAMPLE_WINDOW.is_open(jerusalem(2026, 1, 6, 17, 59, 59))
    assert not EXAMPLE_WINDOW.is_open(jerusalem(2026, 1, 6, 18, 0))
    assert not EXAMPLE_WINDOW.is_open(jerusalem(2026, 1, 6, 7, 59, 59))
    assert not EXAMPLE_WINDOW.is_open(jerusalem(2026, 1, 10, 12))  # Saturday


def test_next_open():
    open_moment = jerusalem(2026, 1, 6, 9, 30)
    assert EXAMPLE_WINDOW.next_open(open_moment) == open_moment
    assert local(EXAMPLE_WINDOW.next_open(jerusalem(2026, 1, 9, 13))) == "Sun 2026-01-11 08:00"
    assert local(EXAMPLE_WINDOW.next_open(jerusalem(2026, 9, 20, 18))) == "Tue 2026-09-22 08:00"
    assert EXAMPLE_WINDOW.next_open(open_moment).tzinfo is UTC


def test_several_intervals_a_day():
    desk = window("mon 08:00-12:00, 13:00-17:00", "Europe/London")
    monday = datetime(2026, 1, 5, 11, 50, tzinfo=LONDON)
    assert local(desk.add_business_time(monday, FIRST_RESPONSE), LONDON) == "Mon 2026-01-05 13:05"
    assert not desk.is_open(monday.replace(hour=12, minute=30))
    assert desk.business_time_between(monday.replace(hour=0), monday.replace(hour=23)) == (
        timedelta(hours=8))


def test_results_are_utc_whatever_zone_the_input_has():
    moment = datetime(2026, 1, 6, 6, 0, tzinfo=UTC)  # 08:00 in Jerusalem
    assert EXAMPLE_WINDOW.add_business_time(moment.astimezone(NEW_YORK), MINUTE) == (
        moment + MINUTE)


def test_zero_and_negative_durations():
    saturday = jerusalem(2026, 1, 10, 12)
    assert EXAMPLE_WINDOW.add_business_time(saturday, timedelta(0)) == saturday
    with pytest.raises(ValueError):
        EXAMPLE_WINDOW.add_business_time(saturday, -MINUTE)
    assert EXAMPLE_WINDOW.business_time_between(saturday, saturday - MINUTE) == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        EXAMPLE_WINDOW.is_open(datetime(2026, 1, 6, 9))
    with pytest.raises(ValueError, match="aware"):
        EXAMPLE_WINDOW.add_business_time(datetime(2026, 1, 6, 9), MINUTE)


# ---------------------------------------------------------------- always open, never open


def test_always_open_is_plain_time_and_ignores_holidays():
    desk = ServiceWindow(hours=parse_hours("always"), time_zone="Asia/Jerusalem",
                         holidays=HolidayRegion("IL"), closed_dates=frozenset({date(2026, 1, 1)}))
    yom_kippur = jerusalem(2026, 9, 21, 3)
    for calendar in (desk, ALWAYS_OPEN):
        assert calendar.always_open and calendar.is_open(yom_kippur)
        assert calendar.next_open(yom_kippur) == yom_kippur
        assert calendar.add_business_time(yom_kippur, timedelta(days=3)) == (
            yom_kippur + timedelta(days=3))
    # "Every day, all day" still closes on holidays.
    round_the_clock = window("daily 00:00-24:00", "Asia/Jerusalem", holidays=HolidayRegion("IL"))
    assert not round_the_clock.is_open(yom_kippur)


def test_a_window_that_never_opens_is_refused_at_construction():
    with pytest.raises(NeverOpen) as info:
        ServiceWindow(hours=WeeklyHours(), time_zone="Asia/Jerusalem")
    assert isinstance(info.value, InvalidInput)
    assert "never open" in info.value.message and "`always`" in info.value.message


def test_an_unknown_time_zone_is_refused_at_construction():
    with pytest.raises(InvalidInput, match="is not a time zone"):
        ServiceWindow(time_zone="Nowhere/Land")


def test_closed_dates_covering_everything_stop_the_search():
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(4 * 53))
    desk = window("mon 08:00-10:00", "Europe/London", closed_dates=mondays)
    started = clock.perf_counter()
    with pytest.raises(NeverOpen, match="closed every day from"):
        desk.add_business_time(datetime(2026, 1, 1, tzinfo=UTC), MINUTE)
    with pytest.raises(NeverOpen):
        desk.next_open(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.perf_counter() - started < 5
    # Counting closed time is no search: it is simply none.
    assert desk.business_time_between(datetime(2026, 1, 1, tzinfo=UTC),
                                      datetime(2030, 1, 1, tzinfo=UTC)) == timedelta(0)
    # Open again after the closed run: found, as long as the run is not too long.
    assert len(mondays) * 7 > MAX_CLOSED_DAYS
    short = window("mon 08:00-10:00", "Europe/London",
                   closed_dates=frozenset(sorted(mondays)[:150]))
    assert short.next_open(datetime(2026, 1, 1, tzinfo=UTC)).date() == (
        sorted(mondays)[150])


def test_settings_build_the_same_window():
    stored = EXAMPLE_WINDOW.to_settings()
    assert ServiceWindow.from_settings(stored) == EXAMPLE_WINDOW
    assert isinstance(ServiceWindow.from_settings(stored), ServiceWindow)


# ---------------------------------------------------------------- daylight saving


def new_york(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


def test_dst_days_are_23_and_25_hours_long():
    desk = window("daily 00:00-24:00", "America/New_York")
    assert desk.business_time_between(new_york(2026, 3, 8), new_york(2026, 3, 9)) == (
        timedelta(hours=23))
    assert desk.business_time_between(new_york(2026, 11, 1), new_york(2026, 11, 2)) == (
        timedelta(hours=25))
    assert desk.business_time_between(new_york(2026, 3, 9), new_york(2026, 3, 10)) == (
        timedelta(hours=24))


@pytest.mark.parametrize(("text", "day", "hours"), [
    ("daily 08:00-18:00", date(2026, 3, 8), 10),   # the jump is outside: still 10 h
    ("daily 08:00-18:00", date(2026, 11, 1), 10),
    ("daily 01:00-04:00", date(2026, 3, 8), 2),    # 02:00-03:00 never happens
    ("daily 01:00-04:00", date(2026, 11, 1), 4),   # 01:00-02:00 happens twice
    ("daily 01:00-04:00", date(2026, 3, 9), 3),
])
def test_an_interval_is_real_elapsed_time_when_the_jump_falls_inside(text, day, hours):
    desk = window(text, "America/New_York")
    spans = desk.open_intervals_on(day)
    assert sum((end - start for start, end in spans), timedelta()) == timedelta(hours=hours)


def test_a_time_skipped_by_spring_forward_resolves_to_the_end_of_the_gap():
    desk = window("sun 02:30-05:00", "America/New_York")
    [(start, end)] = desk.open_intervals_on(date(2026, 3, 8))
    assert start == new_york(2026, 3, 8, 3, 0) and start.astimezone(NEW_YORK).hour == 3
    assert end - start == timedelta(hours=2)
    # An interval lying wholly inside the gap has no time that day.
    assert window("sun 02:10-02:50", "America/New_York").open_intervals_on(date(2026, 3, 8)) == []


def test_a_time_repeated_by_fall_back_takes_its_first_occurrence():
    desk = window("sun 01:30-03:00", "America/New_York")
    [(start, end)] = desk.open_intervals_on(date(2026, 11, 1))
    # Compared in UTC: Python never calls an ambiguous local time equal across zones.
    assert start == new_york(2026, 11, 1, 1, 30, fold=0).astimezone(UTC)
    assert start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not 01:30 EST
    assert end - start == timedelta(hours=2, minutes=30)


@pytest.mark.parametrize(("zone", "spring", "autumn"), [
    ("Asia/Jerusalem", date(2026, 3, 27), date(2026, 10, 25)),
    ("Europe/London", date(2026, 3, 29), date(2026, 10, 25)),
    ("America/Santiago", date(2026, 9, 6), date(2026, 4, 4)),  # midnight itself skipped
])
def test_other_zones_dst_days(zone, spring, autumn):
    desk = window("daily 00:00-24:00", zone)
    tz = ZoneInfo(zone)

    def day_length(day: date) -> timedelta:
        return desk.business_time_between(datetime(day.year, day.month, day.day, tzinfo=tz),
                                          datetime.combine(day + timedelta(days=1),
                                                           datetime.min.time(), tzinfo=tz))

    assert day_length(spring) == timedelta(hours=23)
    assert day_length(autumn) == timedelta(hours=25)


# ---------------------------------------------------------------- properties

ZONES = {"Asia/Jerusalem": HolidayRegion("IL"), "Europe/London": HolidayRegion("GB", "ENG"),
         "America/New_York": HolidayRegion("US", "NY"),
         # Chile changes its clocks at midnight: whole local days start an hour late.
         "America/Santiago": HolidayRegion("CL")}
FIXED_HOURS = {
    "Asia/Jerusalem": ["sun-thu 08:00-18:00; fri 08:00-13:00",
                       "daily 00:00-03:00, 22:00-24:00", "fri 01:30-02:30; sun 00:30-02:30"],
    "Europe/London": ["mon-fri 09:00-17:30", "sun 00:30-02:30; sat 23:00-24:00",
                      "daily 00:00-24:00"],
    "America/New_York": ["mon-fri 08:00-18:00; sun 01:00-03:00, 12:00-12:15",
                         "sun 01:30-02:30", "daily 00:00-24:00"],
    "America/Santiago": ["daily 00:00-24:00", "sat-sun 00:00-01:30, 23:00-24:00"],
}


@cache
def anchors(zone_name: str) -> tuple[datetime, ...]:
    """DST changes (found by scanning every 3 h) and local year ends, 2025-2027."""
    zone = ZoneInfo(zone_name)
    found = []
    moment, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        moment += timedelta(hours=3)
        now_offset = moment.astimezone(zone).utcoffset()
        if now_offset != offset:
            found.append(moment)
            offset = now_offset
    found += [datetime(year, 1, 1, tzinfo=zone).astimezone(UTC) for year in (2026, 2027, 2028)]
    assert len(found) >= 9
    return tuple(found)


def random_hours() -> st.SearchStrategy[WeeklyHours]:
    edges = st.lists(st.integers(0, 96).map(lambda q: q * 15), max_size=4, unique=True)
    day = edges.map(sorted).map(lambda e: tuple(zip(e[0::2], e[1::2], strict=False)))
    return st.tuples(*[day] * 7).map(WeeklyHours).filter(lambda h: h.has_open_time)


@st.composite
def windows(draw: st.DrawFn) -> ServiceWindow:
    zone = draw(st.sampled_from(sorted(ZONES)))
    hours = draw(st.one_of(st.sampled_from(FIXED_HOURS[zone]).map(parse_hours), random_hours()))
    closed = draw(st.sets(st.sampled_from([date(2025, 12, 31), date(2026, 1, 2),
                                           date(2026, 12, 31), date(2027, 1, 1)]), max_size=2))
    region = ZONES[zone] if draw(st.booleans()) else None
    return ServiceWindow(hours=hours, time_zone=zone, holidays=region,
                         closed_dates=frozenset(closed))


@st.composite
def moments(draw: st.DrawFn, zone: str) -> datetime:
    anchor = draw(st.sampled_from(anchors(zone)))
    shift = timedelta(minutes=draw(st.integers(-4 * 24 * 60, 4 * 24 * 60)),
                      seconds=draw(st.sampled_from([0, 0, 0, 1, 29, 59])))
    return anchor + shift


durations = st.one_of(
    st.integers(1, 21 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 4 * 3600).map(lambda s: timedelta(seconds=s)),
)
PROPERTY = settings(max_examples=80, deadline=None)


@PROPERTY
@given(st.data())
def test_business_time_between_undoes_add_business_time(data):
    desk = data.draw(windows())
    start = data.draw(moments(desk.time_zone))
    duration = data.draw(durations)
    due = desk.add_business_time(start, duration)
    assert due > start and due.tzinfo is UTC
    assert desk.business_time_between(start, due) == duration


@PROPERTY
@given(st.data())
def test_add_business_time_lands_in_open_time_or_at_closing(data):
    desk = data.draw(windows())
    due = desk.add_business_time(data.draw(moments(desk.time_zone)), data.draw(durations))
    assert desk.is_open(due) or desk.is_open(due - TICK)


@PROPERTY
@given(st.data())
def test_add_business_time_is_monotonic(data):
    desk = data.draw(windows())
    first, second = sorted([data.draw(moments(desk.time_zone)), data.draw(moments(desk.time_zone))])
    short, long = sorted([data.draw(durations), data.draw(durations)])
    assert desk.add_business_time(first, short) <= desk.add_business_time(first, long)
    assert desk.add_business_time(first, short) <= desk.add_business_time(second, short)


@PROPERTY
@given(st.data())
def test_next_open_is_open_and_nothing_before_it_is(data):
    desk = data.draw(windows())
    moment = data.draw(moments(desk.time_zone))
    opening = desk.next_open(moment)
    assert opening >= moment and desk.is_open(opening)
    assert desk.is_open(moment) == (opening == moment)
    assert desk.business_time_between(moment, opening) == timedelta(0)
    if opening > moment:
        assert not desk.is_open(moment + (opening - moment) / 2)
        assert not desk.is_open(opening - TICK)


@PROPERTY
@given(st.data())
def test_business_time_between_adds_up(data):
    desk = data.draw(windows())
    a, b, c = sorted(data.draw(moments(desk.time_zone)) for _ in range(3))
    assert (desk.business_time_between(a, b) + desk.business_time_between(b, c)
            == desk.business_time_between(a, c))
    assert desk.business_time_between(a, c) <= c - a
    assert desk.business_time_between(c, a) == timedelta(0)


@PROPERTY
@given(st.data())
def test_business_time_between_is_the_walk_over_the_intervals(data):
    """Read off the days kept (`_OpenTime`, grown or replaced as spans come in any
    order, some years apart) it is what walking the intervals gives."""
    desk = data.draw(windows())
    for _ in range(data.draw(st.integers(1, 12))):
        start = data.draw(moments(desk.time_zone))
        start -= timedelta(days=365 * data.draw(st.sampled_from([0, 0, 0, 1, 7, 30])))
        end = start + data.draw(durations) * data.draw(st.sampled_from([1, 1, 5, 100]))
        walked = desk._walked_between(start.astimezone(UTC), end.astimezone(UTC))
        assert desk.business_time_between(start, end) == walked


def test_spans_years_apart_are_walked_or_kept_anew():
    desk = EXAMPLE_WINDOW.from_config(EXAMPLE_WINDOW)
    week = (jerusalem(2026, 1, 4, 0, 0), jerusalem(2026, 1, 11, 0, 0))
    assert desk.business_time_between(*week) == timedelta(hours=4 * 10 + 10 + 5)
    # Twenty years: more days than are kept, walked.
    assert desk.business_time_between(jerusalem(2006, 1, 4), jerusalem(2026, 1, 4)) > \
        timedelta(days=20 * 365 * 40 // 168 - 100)
    # Ten years before: the days kept are replaced, then grown back.
    old = (jerusalem(2016, 1, 3, 0, 0), jerusalem(2016, 1, 10, 0, 0))
    assert desk.business_time_between(*old) == timedelta(hours=4 * 10 + 10 + 5)
    assert desk.business_time_between(*week) == timedelta(hours=4 * 10 + 10 + 5)


@PROPERTY
@given(st.data())
def test_always_open_is_plain_addition(data):
    zone = data.draw(st.sampled_from(sorted(ZONES)))
    desk = ServiceWindow(hours=parse_hours("always"), time_zone=zone, holidays=ZONES[zone])
    start = data.draw(moments(zone))
    duration = data.draw(durations)
    for calendar in (desk, ALWAYS_OPEN):
        assert calendar.add_business_time(start, duration) == start + duration
        assert calendar.business_time_between(start, start + duration) == duration
        assert calendar.is_open(start) and calendar.next_open(start) == start


def test_a_window_refused_at_construction_is_said_in_the_readers_language():
    """`/desk admin hours IT always tz Mars/Olympus` reaches the calendar's refusals:
    they are catalogue words, Hebrew in Hebrew, nothing English in the pseudo-locale."""
    from cards.i18n import PSEUDO_LOCALE, say
    from tests.unit.test_pseudo_views import stray_words

    refusals = []
    for build in (lambda: ServiceWindow(time_zone="Mars/Olympus"),
                  lambda: ServiceWindow(hours=WeeklyHours(), time_zone="Asia/Jerusalem")):
        with pytest.raises(InvalidInput) as info:
            build()
        refusals.append(info.value)
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(4 * 53))
    with pytest.raises(NeverOpen) as closed:
        window("mon 08:00-10:00", "Europe/London", closed_dates=mondays).next_open(
            datetime(2026, 1, 1, tzinfo=UTC))
    refusals.append(closed.value)
    for refusal in refusals:
        assert refusal.words is not None, refusal.message
        pseudo = say(refusal.words, PSEUDO_LOCALE)
        assert stray_words(pseudo, {"Mars", "Olympus"}) == [], pseudo
        hebrew = say(refusal.words, "he")
        assert stray_words(hebrew, {"Mars", "Olympus", "IANA", "Asia", "Jerusalem", "sun",
                                    "thu", "fri", "always"}) == [], hebrew
