"""Dates, times, ages and durations in the reader's language.

English keeps the formats deskbot always wrote ("08:00", "Sunday", "2026-12-13",
"5m"); every other language is formatted by Babel (CLDR): Hebrew gets the 24-hour
"8:05", "13.12.2026", "יום ראשון, 13 בדצמבר 2026" (HEBREW.md §2.11). Phrases with
numbers in them ("within 15 minutes", "5m" ages) come from the catalogue with its
plural forms, never from Babel's relative forms. A ref is never formatted here.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_time

from cards.i18n import DEFAULT_LOCALE, t
from cards.text import age_parts, strip_bidi
from conversations.view_models import ExpectedResponse

_FULL_DATE = "full"  # "יום ראשון, 13 בדצמבר 2026"


def _language(locale: str | None) -> str:
    return (locale or DEFAULT_LOCALE).replace("-", "_").split("_", 1)[0].lower()


def _babel(locale: str | None) -> str | None:
    """The Babel locale to format with, or None for English (its own formats) and the
    pseudo-locale (English words)."""
    language = _language(locale)
    return None if language in (DEFAULT_LOCALE, "qps") else language


def short_time(moment: datetime, locale: str | None = DEFAULT_LOCALE) -> str:
    """A clock time: "08:00" in English, "8:00" in Hebrew (24-hour, no AM/PM)."""
    babel = _babel(locale)
    return f"{moment:%H:%M}" if babel is None else format_time(moment, "H:mm", locale=babel)


def short_date(day: date, locale: str | None = DEFAULT_LOCALE) -> str:
    """A date in figures: "2026-12-13" in English, "13.12.2026" in Hebrew."""
    babel = _babel(locale)
    return day.isoformat()[:10] if babel is None else format_date(day, "short", locale=babel)


def full_date(day: date, locale: str | None = DEFAULT_LOCALE) -> str:
    """A date in words: "Sunday, 13 December 2026"; "יום ראשון, 13 בדצמבר 2026"."""
    babel = _babel(locale)
    if babel is None:
        return f"{day:%A}, {day.day} {day:%B %Y}"
    return format_date(day, _FULL_DATE, locale=babel)


def weekday(day: date, locale: str | None = DEFAULT_LOCALE) -> str:
    """A day's name: "Sunday"; "יום ראשון"."""
    babel = _babel(locale)
    return f"{day:%A}" if babel is None else format_date(day, "EEEE", locale=babel)


def service_day(value: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """A digest's day (an ISO date) for the reader: English keeps the ISO date, other
    languages get the date in words; anything that is not an ISO date is kept as is."""
    if _babel(locale) is None:
        return value
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return value
    return full_date(day, locale)


def age(since: datetime, now: datetime, locale: str | None = DEFAULT_LOCALE) -> str:
    """A short age from the catalogue: "now", "5m", "3h", "2d"; "עכשיו", "שעתיים"…"""
    unit, count = age_parts(since, now)
    return t("age.now", locale) if unit == "now" else t(f"age.{unit}", locale, count=count)


def duration(delta: timedelta, locale: str | None = DEFAULT_LOCALE) -> str:
    """A target in words: "15 minutes", "2 hours 30 minutes", "3 days"; "שעתיים ועוד
    30 דקות" (rounded up to the minute, never less than one)."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [t(f"duration.{unit}", locale, count=n)
             for n, unit in ((days, "days"), (hours, "hours"), (minutes, "minutes")) if n]
    spelled = parts[-1]
    for part in reversed(parts[:-1]):
        spelled = t("duration.join", locale, first=part, rest=spelled)
    return spelled


def expected_response(kind: str, locale: str | None = DEFAULT_LOCALE, *,
                      target: timedelta | None = None, moment: datetime | None = None) -> str:
    """A receipt's promise: kind "within" (`target`), "by" / "when_opens" (`moment`, in
    the desk's zone) or "on_call": "within 15 minutes", "by Sunday 08:00"; "תוך 15 דקות",
    "כשהדסק ייפתח, יום ראשון בשעה 8:00"."""
    if kind == "within" and target is not None:
        return t("expected.within", locale, duration=duration(target, locale))
    if kind in ("by", "when_opens") and moment is not None:
        return t(f"expected.{kind}", locale, day=weekday(moment, locale),
                 time=short_time(moment, locale))
    return t("expected.on_call", locale)


def promise(value: ExpectedResponse | str | None,
            locale: str | None = DEFAULT_LOCALE) -> str | None:
    """A receipt's `expected_response` worded for the reader when it is facts; None when
    it is not (a plain string is shown as given, escaped by the template as user text).

    The phrase goes into receipt.expected's `{when}`, which the catalogue isolates as a
    whole; isolates do not nest in our text (tests/unit/cards_checks.py), so the
    phrase's own ones (around "15 דקות", "יום ראשון": our words, not a user's) go."""
    if not isinstance(value, ExpectedResponse):
        return None
    return strip_bidi(expected_response(value.kind, locale, target=value.target,
                                        moment=value.moment))
