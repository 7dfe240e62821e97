"""A report posted in chat, without a database: its PNG chart in both languages, its
Slack and Teams cards validated as the platforms would (hostile desk names, no data),
and what `/desk report` reads as a period."""

from __future__ import annotations

import io
import struct
from typing import Any

import pytest

from cards import report_chart, slack, teams
from conversations.reports.chat import csv_file, csv_link, looks_like_period
from conversations.view_models import ReportFigure, ReportPost, ReportWeek
from desks.wording import Words
from tests.unit.cards_checks import check_message, texts, without_isolates
from tests.unit.test_cards_teams import check_card, shown_text

WEEKS = (ReportWeek("2026-10-04", 5, 3, 80.0), ReportWeek("2026-10-11", 7, 6, None),
         ReportWeek("2026-10-18", 0, 4, 100.0))
HEADLINES = (ReportFigure("opened", "count", 12, 9), ReportFigure("resolved", "count", 10, None),
             ReportFigure("first_response_median", "duration", 900, 1200),
             ReportFigure("sla_first_response", "percent", 87.5, 90.0),
             ReportFigure("sla_resolution", "percent", None, None),
             ReportFigure("satisfaction", "rating", 4.25, 4.5),
             ReportFigure("backlog_end", "count", 4, 2))


def post(**changes: Any) -> ReportPost:
    values: dict[str, Any] = dict(
        desks=("IT",), period="2026-Q4", first_day="2026-10-01", last_day="2026-12-31",
        headlines=HEADLINES, weeks=WEEKS,
        recommendations=(Words("report.advice.few_ratings", rated=1, done=10),),
        requests=12, link="https://deskbot.example/report?desk=IT&period=2026-Q4&sig=ab",
        csv="ref,desk\n1001,IT\n", file_stem="report-it-2026-Q4")
    values.update(changes)
    return ReportPost(**values)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("locale", ["en", "he"])
def test_the_chart_is_a_png_in_either_language(locale: str) -> None:
    data = report_chart.png(post(language=locale), locale)
    assert png_size(data) == (800, 500)
    assert len(data) > 5000  # bars, a line and words: not an empty canvas


def test_the_chart_draws_a_period_without_weeks_or_requests() -> None:
    for weeks in ((), (ReportWeek("2026-10-04", 0, 0, None),)):
        assert png_size(report_chart.png(post(weeks=weeks, requests=0), "he")) == (800, 500)


async def test_the_chart_is_drawn_off_the_event_loop() -> None:
    assert (await report_chart.drawn(post(), "en"))[:4] == b"\x89PNG"


def test_hebrew_is_given_to_matplotlib_as_it_orders_it() -> None:
    import matplotlib

    word = "נפתחו 5"
    if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 11):
        assert report_chart.visual(word, "he") == word  # libraqm lays it out
    else:
        assert report_chart.visual(word, "he") == "5 וחתפנ"
    assert report_chart.visual("\u2068Opened\u2069 5", "en") == "Opened 5"


@pytest.mark.parametrize("locale", ["en", "he"])
def test_the_slack_card_has_the_figures_advice_and_the_link(locale: str) -> None:
    message = check_message(slack.message(post(), locale=locale))
    shown = without_isolates(texts(message))
    if locale == "en":
        assert "Report of IT – 2026-Q4" in shown
        assert "*Requests opened*\n12 (before: 9; change: +3)" in shown
        assert "*First response within SLA*\n87.5% (before: 90%; change: −2.5%)" in shown
        assert "Only 1 of 10 requests done were rated" in shown
    else:
        assert "דוח של IT – 2026-Q4" in shown
    [button] = [e for b in message["blocks"] for e in b.get("elements") or [] if e.get("url")]
    assert button["url"] == post().link


@pytest.mark.parametrize("locale", ["en", "he"])
def test_the_teams_card_has_the_figures_advice_and_the_link(locale: str) -> None:
    card = check_card(teams.card(post(), locale=locale))
    shown = without_isolates(shown_text(card))
    assert ("Requests opened" if locale == "en" else "פניות שנפתחו") in shown
    assert [a["url"] for a in card["actions"]] == [post().link]
    assert card.get("rtl", False) == (locale == "he")


def test_hostile_names_and_every_desk_never_break_the_cards() -> None:
    for desks in (("<!channel> *IT* <https://evil|x>",), ("x" * 500,), ()):
        hostile = post(desks=desks, recommendations=(), link="javascript:alert(1)")
        message = check_message(slack.message(hostile, locale="en"))
        assert "<!channel>" not in texts(message)
        assert not [e for b in message["blocks"] for e in b.get("elements") or []
                    if e.get("url")]
        card = check_card(teams.card(hostile, locale="en"))
        assert card.get("actions", []) == []
    every = without_isolates(texts(slack.message(post(desks=()), locale="en")))
    assert "Report of every desk" in every


def test_the_csv_file_reads_hebrew_in_a_spreadsheet() -> None:
    data = csv_file(post(csv="ref,desk\n1001,משאבי אנוש\n"))
    assert data.startswith(b"\xef\xbb\xbf")
    assert io.BytesIO(data).read().decode("utf-8-sig").splitlines()[1] == "1001,משאבי אנוש"
    assert csv_link("https://d/report?desk=IT&sig=1") == "https://d/report?desk=IT&sig=1&format=csv"


@pytest.mark.parametrize(("word", "period"), [
    ("month", True), ("WEEK", True), ("quarter", True), ("2026-Q4", True), ("2026-11", True),
    ("2026-11-01..2026-11-30", True), ("2026-13", True), ("IT", False), ("all", False),
    ("Payroll", False), ("2026", False)])
def test_what_reads_as_a_period(word: str, period: bool) -> None:
    assert looks_like_period(word) is period
