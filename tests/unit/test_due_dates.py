"""Due dates (conversations/due_dates.py): WHEN read in the desk's time zone, with no
database. Each test says what an agent typing `/desk due` would expect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.due_dates import card_when, checked, due_state, parse_due, warn_at
from desks.errors import InvalidInput
from desks.window_grammar import WindowConfig

JERUSALEM = ZoneInfo("Asia/Jerusalem")
NEW_YORK = ZoneInfo("America/New_York")
IT = WindowConfig.from_settings({"hours": "sun-thu 08:00-18:00; fri 08:00-13:00",
                                 "time_zone": "Asia/Jerusalem"})
ALWAYS_NY = WindowConfig.from_settings({"time_zone": "America/New_York"})
# Monday 7 December 2026, 12:00 in Jerusalem (10:00 UTC).
MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=JERUSALEM).astimezone(UTC)


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-10 14:00", at(JERUSALEM, 2026, 12, 10, 14, 0)),
    ("2026-12-10 9:05", at(JERUSALEM, 2026, 12, 10, 9, 5)),
    ("tomorrow 12:00", at(JERUSALEM, 2026, 12, 8, 12, 0)),
    ("Tomorrow 08:30", at(JERUSALEM, 2026, 12, 8, 8, 30)),
    ("today 16:00", at(JERUSALEM, 2026, 12, 7, 16, 0)),
    ("+2d", MONDAY_NOON + timedelta(days=2)),
    ("+1w", MONDAY_NOON + timedelta(days=7)),
    ("+3h", MONDAY_NOON + timedelta(hours=3)),
    ("+45m", MONDAY_NOON + timedelta(minutes=45)),
])
def test_wall_times_are_read_in_the_desks_zone(text: str, expected: datetime) -> None:
    assert parse_due(text, MONDAY_NOON, IT) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # Thursday: the desk closes at 18:00; Friday at 13:00; Saturday it is closed: 17:00.
    ("2026-12-10", at(JERUSALEM, 2026, 12, 10, 18, 0)),
    ("2026-12-11", at(JERUSALEM, 2026, 12, 11, 13, 0)),
    ("2026-12-12", at(JERUSALEM, 2026, 12, 12, 17, 0)),
    ("today", at(JERUSALEM, 2026, 12, 7, 18, 0)),
    ("tomorrow", at(JERUSALEM, 2026, 12, 8, 18, 0)),
])
def test_a_date_alone_is_the_end_of_that_service_day(text: str, expected: datetime) -> None:
    assert parse_due(text, MONDAY_NOON, IT) == expected


def test_a_date_alone_at_an_always_open_desk_is_17_00() -> None:
    now = at(NEW_YORK, 2026, 12, 7, 9, 0)
    assert parse_due("2026-12-08", now, ALWAYS_NY) == at(NEW_YORK, 2026, 12, 8, 17, 0)


def test_days_ahead_keep_the_wall_time_across_a_dst_change() -> None:
    # New York springs forward on Sunday 8 March 2026: Saturday 10:00 EST + 1 day is
    # Sunday 10:00 EDT, 23 hours later; +24h is 11:00 EDT.
    saturday = at(NEW_YORK, 2026, 3, 7, 10, 0)
    assert parse_due("+1d", saturday, ALWAYS_NY) == at(NEW_YORK, 2026, 3, 8, 10, 0)
    assert parse_due("+1d", saturday, ALWAYS_NY) - saturday == timedelta(hours=23)
    assert parse_due("+24h", saturday, ALWAYS_NY) == at(NEW_YORK, 2026, 3, 8, 11, 0)
    # Before the change New York is UTC-5, after it UTC-4.
    assert parse_due("2026-03-09 14:00", saturday, ALWAYS_NY) == datetime(
        2026, 3, 9, 18, 0, tzinfo=UTC)
    assert parse_due("2026-03-07 14:00", saturday, ALWAYS_NY) == datetime(
        2026, 3, 7, 19, 0, tzinfo=UTC)


def test_a_skipped_time_is_read_after_the_change_and_a_repeated_one_first() -> None:
    saturday = at(NEW_YORK, 2026, 3, 7, 10, 0)
    # 02:30 does not exist on 8 March: the clock shows 03:30 EDT at that moment.
    assert parse_due("2026-03-08 02:30", saturday, ALWAYS_NY) == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC)
    # 01:30 happens twice on 1 November: the first (EDT, UTC-4).
    assert parse_due("2026-11-01 01:30", saturday, ALWAYS_NY) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC)


def test_off_clears() -> None:
    assert parse_due("off", MONDAY_NOON, IT) is None
    assert parse_due(" OFF ", MONDAY_NOON, IT) is None


@pytest.mark.parametrize("text", ["2026-12-07 11:59", "2026-12-07 12:00", "today 09:00",
                                  "2025-01-01", "2026-12-06"])
def test_a_moment_not_ahead_is_refused_with_the_right_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_due(text, MONDAY_NOON, IT)
    assert refused.value.words is not None
    assert refused.value.words.key == "due.in_past"
    message = refused.value.message
    assert "Asia/Jerusalem" in message and "`tomorrow 12:00`" in message and "`off`" in message


@pytest.mark.parametrize("text", ["", "soon", "2026-13-01 10:00", "2026-02-30", "tomorrow 24:00",
                                  "tomorrow 12:60", "+2x", "+d", "-2d", "2 days", "12:00",
                                  "tomorrow at 12:00", "2026-12-10 14:00 UTC", "+99999d",
                                  "off now", "next week", "0000-01-01"])
def test_what_is_no_due_date_is_refused_with_the_right_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_due(text, MONDAY_NOON, IT)
    assert refused.value.words is not None
    assert refused.value.words.key == "due.form"
    assert "`2026-12-10 14:00`" in refused.value.message and "`+2d`" in refused.value.message


@pytest.mark.parametrize("text", ["2035-01-01 10:00", "9999-12-31 23:59", "9999-12-31",
                                  "+9999w"])
def test_too_far_ahead_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_due(text, MONDAY_NOON, IT)
    assert refused.value.words is not None and refused.value.words.key == "due.too_far"


def test_the_warning_falls_at_the_percent_of_the_way() -> None:
    due = MONDAY_NOON + timedelta(days=4)
    assert warn_at(MONDAY_NOON, due, 75) == MONDAY_NOON + timedelta(days=3)
    assert warn_at(MONDAY_NOON, due, 50) == MONDAY_NOON + timedelta(days=2)


def test_how_a_due_date_stands() -> None:
    due, warn = MONDAY_NOON + timedelta(hours=4), MONDAY_NOON + timedelta(hours=3)
    before = MONDAY_NOON + timedelta(hours=1)
    assert due_state("open", None, None, None, None, before) == "none"
    assert due_state("open", due, warn, None, None, before) == "ok"
    assert due_state("waiting", due, warn, None, None, warn) == "warning"
    assert due_state("open", due, warn, before, None, before) == "warning"  # warned
    assert due_state("open", due, warn, None, None, due) == "passed"
    assert due_state("new", due, warn, None, before, before) == "passed"  # flagged
    assert due_state("resolved", due, warn, None, None, due) == "none"
    assert due_state("closed", due, warn, None, None, before) == "none"


def test_a_cards_control_carries_a_moment_or_the_desks_wall_time() -> None:
    # Slack's picker: the adapter writes its Unix time as an ISO moment with offset.
    moment = card_when("2026-12-10T12:00:00+00:00")
    assert moment == datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    assert isinstance(moment, datetime) and moment.tzinfo is UTC
    # Teams' date and time inputs: the desk's wall time, read as the command reads it.
    assert card_when("2026-12-10 14:00") == "2026-12-10 14:00"
    assert parse_due(str(card_when("2026-12-10 14:00")), MONDAY_NOON, IT) \
        == at(JERUSALEM, 2026, 12, 10, 14, 0)
    assert card_when(None) == "" and card_when("off") == "off"
    assert card_when("2026-12-10T14:00") == "2026-12-10T14:00"  # no offset: not a moment
    assert card_when("xT") == "xT"
    with pytest.raises(InvalidInput) as past:
        checked(MONDAY_NOON - timedelta(minutes=1), MONDAY_NOON, IT)
    assert past.value.words is not None and past.value.words.key == "due.in_past"
    with pytest.raises(InvalidInput):
        checked(MONDAY_NOON + timedelta(days=4 * 366), MONDAY_NOON, IT)
    assert checked(MONDAY_NOON + timedelta(hours=1), MONDAY_NOON, IT) \
        == MONDAY_NOON + timedelta(hours=1)
