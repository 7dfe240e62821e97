"""The service window's words: hours, time zones, holiday countries, durations, dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desks.errors import InvalidInput
from desks.window_grammar import (
    ALWAYS,
    HOURS_FORM,
    HolidayRegion,
    WeeklyHours,
    WindowConfig,
    format_duration,
    format_hours,
    parse_country,
    parse_date,
    parse_duration,
    parse_hours,
    parse_time_zone,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def hours(**days: list[tuple[str, str]]) -> WeeklyHours:
    """WeeklyHours from `mon=[("08:00", "12:00")]`-style keywords."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

    def minute(text: str) -> int:
        h, m = text.split(":")
        return int(h) * 60 + int(m)

    return WeeklyHours(tuple(tuple((minute(s), minute(e)) for s, e in days.get(n, []))
                             for n in names))


def refusal(parse, *args) -> str:  # noqa: ANN001
    with pytest.raises(InvalidInput) as info:
        parse(*args)
    assert info.value.kind == "invalid_input"
    return info.value.message


EXAMPLE = "sun-thu 08:00-18:00; fri 08:00-13:00"
WORK_DAY = [("08:00", "18:00")]

# ---------------------------------------------------------------- hours: accepted forms


@pytest.mark.parametrize(("text", "expected"), [
    (EXAMPLE, hours(sun=WORK_DAY, mon=WORK_DAY, tue=WORK_DAY, wed=WORK_DAY, thu=WORK_DAY,
                    fri=[("08:00", "13:00")])),
    ("fri-sun 10:00-14:00", hours(fri=[("10:00", "14:00")], sat=[("10:00", "14:00")],
                                  sun=[("10:00", "14:00")])),
    ("sun,tue 09:00-10:00", hours(sun=[("09:00", "10:00")], tue=[("09:00", "10:00")])),
    ("sun, tue 09:00-10:00", hours(sun=[("09:00", "10:00")], tue=[("09:00", "10:00")])),
    ("mon 08:00-12:00, 13:00-17:00", hours(mon=[("08:00", "12:00"), ("13:00", "17:00")])),
    ("mon 08:00-12:00,", hours(mon=[("08:00", "12:00")])),  # a stray comma is harmless
    ("wed 00:00-24:00", hours(wed=[("00:00", "24:00")])),
    ("mon-mon 08:00-09:00", hours(mon=[("08:00", "09:00")])),
    ("sat-fri 07:00-08:00", hours(**{d: [("07:00", "08:00")] for d in
                                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})),
    ("daily 00:00-24:00", hours(**{d: [("00:00", "24:00")] for d in
                                   ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})),
    # Spelling: case, full names, dashes with spaces, en dashes, one-digit hours.
    ("Sunday–Thursday 8:00 – 18:00; FRI 08:00-13:00", parse_hours(EXAMPLE)),
    ("  sun - thu   08:00-18:00 ;fri 08:00—13:00 ; ", parse_hours(EXAMPLE)),
    # Overlapping and touching intervals of one day are joined, in any order.
    ("mon 13:00-17:00, 08:00-12:00, 12:00-13:00", hours(mon=[("08:00", "17:00")])),
    ("mon-wed 08:00-12:00; tue 10:00-14:00", hours(mon=[("08:00", "12:00")],
                                                    tue=[("08:00", "14:00")],
                                                    wed=[("08:00", "12:00")])),
])
def test_accepted_hours(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize("text", ["always", "ALWAYS", " Always ", "24/7"])
def test_always_never_closes(text):
    parsed = parse_hours(text)
    assert parsed == ALWAYS
    assert parsed.always and parsed.has_open_time
    assert parsed != parse_hours("daily 00:00-24:00")  # that one still closes on holidays


def test_weekly_hours_normalise_so_equal_hours_compare_equal():
    joined = WeeklyHours(((( 60, 120), (0, 60)), (), (), (), (), (), ()))
    assert joined.days[MON] == ((0, 120),)
    assert joined == hours(mon=[("00:00", "02:00")])
    with pytest.raises(ValueError):
        WeeklyHours(((),) * 6)
    with pytest.raises(ValueError):
        WeeklyHours((((600, 500),),) + ((),) * 6)


# ---------------------------------------------------------------- hours: canonical text


@pytest.mark.parametrize(("text", "canonical"), [
    (EXAMPLE, EXAMPLE),
    ("fri 08:00-13:00; sun-thu 08:00-18:00", EXAMPLE),
    ("thu,wed,tue,mon,sun 08:00-18:00; fri 8:00-13:00", EXAMPLE),
    ("mon-fri 09:00-17:00", "mon-fri 09:00-17:00"),
    ("fri-sun 10:00-14:00", "fri-sun 10:00-14:00"),
    ("sun,tue 09:00-10:00", "sun 09:00-10:00; tue 09:00-10:00"),
    ("mon 08:00-12:00, 13:00-17:00", "mon 08:00-12:00, 13:00-17:00"),
    ("daily 00:00-24:00", "mon-sun 00:00-24:00"),
    ("sat-fri 07:00-08:00", "mon-sun 07:00-08:00"),
    ("sat 01:00-02:00", "sat 01:00-02:00"),
    ("sun 01:00-02:00; sat 01:00-02:00", "sat-sun 01:00-02:00"),
    ("always", "always"),
])
def test_format_hours_is_canonical(text, canonical):
    parsed = parse_hours(text)
    assert format_hours(parsed) == canonical == str(parsed)
    assert parse_hours(canonical) == parsed


def _day_intervals() -> st.SearchStrategy[tuple[tuple[int, int], ...]]:
    edges = st.lists(st.integers(0, 24 * 60), max_size=6, unique=True)
    return edges.map(sorted).map(lambda e: tuple(zip(e[0::2], e[1::2], strict=False)))


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[_day_intervals()] * 7))
def test_parse_of_format_is_identity(days):
    weekly = WeeklyHours(days)
    if not weekly.has_open_time:
        assert format_hours(weekly) == "closed"
        return
    text = format_hours(weekly)
    assert parse_hours(text) == weekly
    assert format_hours(parse_hours(text)) == text


# ---------------------------------------------------------------- hours: refusals


@pytest.mark.parametrize(("text", "message"), [
    ("mon 25:00-26:00", f"“25:00” is not a time; write hours like {HOURS_FORM}, or `always`."),
    ("sun-thu 08:00-18:60", "“18:60” is not a time"),
    ("mon 24:30-24:40", "“24:30” is not a time"),
    ("", "The hours are missing; write hours like"),
    ("   ", "The hours are missing"),
    ("sun-thu", "“sun-thu” has days but no opening times; write hours like"),
    ("08:00-18:00", "“08:00-18:00” has opening times but no days; write hours like"),
    ("mnday 08:00-10:00", "“mnday” is not a day (days are mon, tue, wed, thu, fri, sat, sun; "
                          "a range like `sun-thu`, a list like `sun,tue`)"),
    ("mon-fri-sat 08:00-10:00", "“mon-fri-sat” is not a day"),
    ("mon- 08:00-10:00", "“mon-” is not a day"),
    ("weekdays 08:00-10:00", "“weekdays” is not a day"),
    ("mon 18:00-08:00", "“18:00-08:00” ends before it starts: an interval cannot cross "
                        "midnight, so split it, like `mon 22:00-24:00; tue 00:00-06:00`."),
    ("mon 08:00-08:00", "“08:00-08:00” is empty"),
    ("mon 24:00-24:00", "“24:00-24:00” starts at 24:00, the end of the day; 24:00 can only "
                        "end an interval"),
    ("mon 8am-6pm", "“8am-6pm” is not an opening interval (write it as `08:00-18:00`)"),
    ("mon 08:00", "“08:00” is not an opening interval"),
    ("mon 0800-1800", "“0800-1800” is not an opening interval"),
    ("always; mon 08:00-10:00", "`always` stands alone"),
    ("mon 08:00-10:00 " + "x" * 600, "Those hours are too long"),
])
def test_malformed_hours_say_what_and_show_the_form(text, message):
    got = refusal(parse_hours, text)
    assert message in got
    assert HOURS_FORM in got or "split it" in got


def test_hours_refusals_quote_at_most_forty_characters():
    got = refusal(parse_hours, "x" * 300 + " 08:00-10:00")
    assert "x" * 41 not in got


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(("text", "expected"), [
    ("Asia/Jerusalem", "Asia/Jerusalem"),
    ("asia/jerusalem", "Asia/Jerusalem"),
    (" Europe/London ", "Europe/London"),
    ("AMERICA/NEW_YORK", "America/New_York"),
    ("UTC", "UTC"),
])
def test_time_zones(text, expected):
    assert parse_time_zone(text) == expected


@pytest.mark.parametrize(("text", "hint"), [
    ("Jerusalem", " Did you mean `Asia/Jerusalem`?"),
    ("Asia/Jerusalm", " Did you mean `Asia/Jerusalem`?"),
    ("Europe/Londn", " Did you mean `Europe/London`?"),
    ("Mars/Olympus_Mons", ""),
    ("localtime", ""),
    ("../../etc/passwd", ""),
    ("", ""),
])
def test_unknown_time_zones_are_refused_with_a_hint(text, hint):
    shown = text or "(nothing)"
    assert refusal(parse_time_zone, text) == (
        f"“{shown}” is not a time zone; write an IANA name like `Asia/Jerusalem` or "
        f"`Europe/London`.{hint}")


# ---------------------------------------------------------------- holiday countries


@pytest.mark.parametrize(("args", "expected"), [
    (("IL",), HolidayRegion("IL")),
    (("il",), HolidayRegion("IL")),
    (("ISR",), HolidayRegion("IL")),
    (("Israel",), HolidayRegion("IL")),
    (("UK",), HolidayRegion("GB")),
    (("united states",), HolidayRegion("US")),
    (("US-CA",), HolidayRegion("US", "CA")),
    (("us-ca",), HolidayRegion("US", "CA")),
    (("US", "CA"), HolidayRegion("US", "CA")),
    (("US", " ny "), HolidayRegion("US", "NY")),
    (("GB-ENG",), HolidayRegion("GB", "ENG")),
])
def test_holiday_countries(args, expected):
    region = parse_country(*args)
    assert region == expected
    assert parse_country(str(region)) == region


def test_holiday_region_text():
    assert str(HolidayRegion("IL")) == "IL"
    assert str(HolidayRegion("US", "CA")) == "US-CA"


COUNTRY_FORM = "write a country code like `IL`, or country and region like `US-CA`."


@pytest.mark.parametrize(("args", "message"), [
    (("XX",), f"“XX” is not a country the holiday calendar knows; {COUNTRY_FORM}"),
    (("",), f"“(nothing)” is not a country the holiday calendar knows; {COUNTRY_FORM}"),
    (("Atlantis-N",), "“Atlantis-N” is not a country the holiday calendar knows"),
    (("US-ZZ",), "“ZZ” is not a region of US the holiday calendar knows (it knows AK, AL, "),
    (("US", "ZZ"), "“ZZ” is not a region of US the holiday calendar knows"),
    (("IL-TA",), "“TA” is not a region of IL the holiday calendar knows (it has no regions); "
                 + COUNTRY_FORM),
    (("US-",), f"“US-” is missing its region; {COUNTRY_FORM}"),
    (("US-CA", "NY"), f"“US-CA” already names a region; {COUNTRY_FORM}"),
])
def test_unknown_countries_and_regions_are_refused(args, message):
    got = refusal(parse_country, *args)
    assert got.startswith(message)
    assert got.endswith(COUNTRY_FORM)


# ---------------------------------------------------------------- durations

DURATION_FORM = "write durations like `45s`, `15m`, `2h` or `3d`."


@pytest.mark.parametrize(("text", "expected", "canonical"), [
    ("45s", timedelta(seconds=45), "45s"),
    ("15m", timedelta(minutes=15), "15m"),
    ("2h", timedelta(hours=2), "2h"),
    ("3d", timedelta(days=3), "3d"),
    ("15M", timedelta(minutes=15), "15m"),
    (" 15 m ", timedelta(minutes=15), "15m"),
    ("90m", timedelta(minutes=90), "1h30m"),
    ("1h30m", timedelta(minutes=90), "1h30m"),
    ("1d 2h 3m 4s", timedelta(days=1, hours=2, minutes=3, seconds=4), "1d2h3m4s"),
    ("365d", timedelta(days=365), "365d"),
    ("86400s", timedelta(days=1), "1d"),
])
def test_durations(text, expected, canonical):
    assert parse_duration(text) == expected
    assert format_duration(expected) == canonical


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 365 * 86400))
def test_duration_round_trip(seconds):
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


@pytest.mark.parametrize(("text", "problem"), [
    ("0m", "must be longer than zero"),
    ("0d0h", "must be longer than zero"),
    ("-5m", "cannot be negative"),
    ("15", "needs a unit, like `15m` for minutes"),
    ("1.5h", "is not a whole number (write `1h30m`)"),
    ("0,5d", "is not a whole number (write `12h`)"),
    ("0.3s", "is not a whole number"),
    ("2w", "is in weeks; write days instead, like `14d`"),
    ("15min", "is not a duration"),
    ("2 hours", "is not a duration"),
    ("30m1h", "is not a duration"),
    ("1h1h", "is not a duration"),
    ("m", "is not a duration"),
    ("366d", "is too long (at most `365d`)"),
    ("9" * 5000 + "d", "is not a duration"),
])
def test_malformed_durations_say_what_and_show_the_form(text, problem):
    shown = text.strip()[:40]
    assert refusal(parse_duration, text) == f"“{shown}” {problem}; {DURATION_FORM}"


def test_missing_duration():
    assert refusal(parse_duration, "") == f"“(nothing)” is not a duration; {DURATION_FORM}"


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-5),
                                      timedelta(seconds=1.5)])
def test_format_duration_refuses_what_cannot_be_written(duration):
    with pytest.raises(ValueError):
        format_duration(duration)


# ---------------------------------------------------------------- dates


def test_dates():
    assert parse_date("2026-12-31") == date(2026, 12, 31)
    assert parse_date(" 2028-02-29 ") == date(2028, 2, 29)


@pytest.mark.parametrize(("text", "message"), [
    ("2026-02-30", "“2026-02-30” is not a day of the calendar; write dates as `YYYY-MM-DD`, "
                   "e.g. `2026-12-31`."),
    ("2026-13-01", "“2026-13-01” is not a day of the calendar"),
    ("31/12/2026", "“31/12/2026” is not a date; write dates as `YYYY-MM-DD`, e.g. `2026-12-31`."),
    ("2026-1-5", "“2026-1-5” is not a date"),
    ("tomorrow", "“tomorrow” is not a date"),
    ("", "“(nothing)” is not a date"),
])
def test_malformed_dates(text, message):
    assert refusal(parse_date, text).startswith(message)


# ---------------------------------------------------------------- the whole configuration


def test_window_config_defaults_to_always_open_in_utc():
    config = WindowConfig()
    assert config.hours == ALWAYS and config.time_zone == "UTC"
    assert config.holidays is None and config.closed_dates == frozenset()
    assert WindowConfig.from_settings({}) == config


def test_window_config_settings_round_trip():
    config = WindowConfig(hours=parse_hours(EXAMPLE), time_zone="Asia/Jerusalem",
                          holidays=HolidayRegion("US", "CA"),
                          closed_dates=[date(2026, 12, 31), date(2026, 1, 1)])
    stored = config.to_settings()
    assert stored == {"hours": EXAMPLE, "time_zone": "Asia/Jerusalem", "holidays": "US-CA",
                      "closed_dates": ["2026-01-01", "2026-12-31"]}
    assert WindowConfig.from_settings(stored) == config
    assert isinstance(config.closed_dates, frozenset)


def test_window_config_settings_are_read_strictly():
    with pytest.raises(InvalidInput):
        WindowConfig.from_settings({"hours": "mon 25:00-26:00"})
    with pytest.raises(InvalidInput):
        WindowConfig.from_settings({"time_zone": "Nowhere/Land"})
