"""Report periods: each written form, in the desk's time zone, and the refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.reports.periods import Period, parse_period
from desks.errors import InvalidInput

JERUSALEM = "Asia/Jerusalem"
# Monday 7 December 2026, 01:30 in Jerusalem (Sunday 23:30 UTC).
NOW = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


def test_a_quarter_runs_from_midnight_to_midnight_in_the_desks_zone() -> None:
    period = parse_period("2026-Q4", NOW, JERUSALEM)

    assert (period.first, period.last) == (date(2026, 10, 1), date(2026, 12, 31))
    # Israel is on summer time (UTC+3) on 1 October and on winter time (UTC+2) in December.
    assert period.start == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert period.label == "2026-Q4"
    assert period.previous().label == "2026-Q3"
    assert period.previous().end == period.start


def test_the_first_quarter_follows_the_last_one_of_the_year_before() -> None:
    period = parse_period("2027-q1", NOW, JERUSALEM)

    assert period.previous() == Period("quarter", date(2026, 10, 1), date(2026, 12, 31),
                                       JERUSALEM)
    assert period.start == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)


def test_a_month_and_its_previous_month() -> None:
    period = parse_period("2026-03", NOW, JERUSALEM)

    assert (period.first, period.last, period.days) == (date(2026, 3, 1), date(2026, 3, 31), 31)
    assert period.previous().label == "2026-02"
    assert period.previous().days == 28


def test_a_span_of_days_is_inclusive_and_its_previous_has_the_same_length() -> None:
    period = parse_period("2026-11-01..2026-11-30", NOW, JERUSALEM)

    assert period.days == 30
    assert period.end == datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    previous = period.previous()
    assert (previous.first, previous.last) == (date(2026, 10, 2), date(2026, 10, 31))


def test_week_month_quarter_are_the_last_complete_ones_in_the_desks_day() -> None:
    # Already Monday 7 December in Jerusalem, still Sunday 6 December in UTC.
    week = parse_period("week", NOW, JERUSALEM)
    assert (week.first, week.last) == (date(2026, 11, 29), date(2026, 12, 5))
    assert week.first.weekday() == 6  # a Sunday
    utc_week = parse_period("week", NOW, "UTC")
    assert (utc_week.first, utc_week.last) == (date(2026, 11, 29), date(2026, 12, 5))
    assert parse_period("Month", NOW, JERUSALEM).label == "2026-11"
    assert parse_period("quarter", NOW, JERUSALEM).label == "2026-Q3"
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo(JERUSALEM))
    assert parse_period("quarter", new_year, JERUSALEM).label == "2026-Q4"
    assert parse_period("month", new_year, JERUSALEM).label == "2026-12"
    assert parse_period("quarter", new_year, "Europe/London").label == "2026-Q3"


def test_weeks_of_a_period_for_the_backlog_trend() -> None:
    period = parse_period("2026-11-01..2026-11-15", NOW, "UTC")

    assert [m.day for m in period.weeks()] == [1, 8, 15, 16]


@pytest.mark.parametrize("written", ["", "2026", "2026-Q5", "2026-13", "2026-02-30..2026-03-01",
                                     "yesterday", "2026-11-01...2026-11-30", "Q4-2026",
                                     "2026-11-1..2026-11-30", "٢٠٢٦-11"])
def test_bad_forms_are_refused_with_the_forms_that_work(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(written, NOW, JERUSALEM)

    assert refused.value.words is not None
    assert refused.value.words.key == "report.bad_period"
    assert "2026-Q4" in refused.value.message and "2026-11-01..2026-11-30" in refused.value.message


def test_a_backwards_or_too_long_span_is_refused() -> None:
    with pytest.raises(InvalidInput) as backwards:
        parse_period("2026-11-30..2026-11-01", NOW)
    assert "2026-11-01..2026-11-30" in backwards.value.message
    with pytest.raises(InvalidInput) as long:
        parse_period("2020-01-01..2026-01-01", NOW)
    assert long.value.words is not None and long.value.words.key == "report.period_too_long"


@given(st.one_of(st.text(max_size=40),
                 st.from_regex(r"[0-9]{4}-(Q[0-9]|[0-9]{2})", fullmatch=True),
                 st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}-[0-9]{2}",
                               fullmatch=True)))
def test_any_text_is_a_period_or_a_refusal(written: str) -> None:
    try:
        period = parse_period(written, NOW, JERUSALEM)
    except InvalidInput as refused:
        assert refused.words is not None and refused.words.key.startswith("report.")
        return
    assert period.start < period.end
    assert period.previous().end == period.start


def test_a_zone_that_does_not_exist_counts_in_utc() -> None:
    assert parse_period("2026-11", NOW, "Mars/Olympus").zone == "UTC"
