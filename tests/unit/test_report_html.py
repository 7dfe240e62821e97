"""The report page's HTML and charts: escaped, script-free, every word from the
catalogues (the pseudo-locale shows any that is not), right to left in Hebrew."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from cards import charts
from cards.i18n import PSEUDO_LOCALE
from cards.report_page import forbidden_html, report_html
from conversations.view_models import ReportAgent, ReportFigure, ReportPage, ReportWeek
from desks.wording import Words

HOSTILE = '<script>alert("x")</script> & </svg><b>'
HEBREW = "משאבי אנוש"
PRODUCT_WORDS = {"SLA", "UTC", "deskbot", "desk", "report"}  # `/desk report` is a command


def page(text: str, language: str) -> ReportPage:
    return ReportPage(
        desks=(text,), period="2026-11", first_day="2026-11-01", last_day="2026-11-30",
        time_zone="UTC", generated_at=datetime(2026, 12, 7, 8, 5, tzinfo=UTC),
        headlines=(ReportFigure("opened", "count", 12, 9),
                   ReportFigure("first_response_median", "duration", 1200, None),
                   ReportFigure("sla_first_response", "percent", 87.5, 90),
                   ReportFigure("satisfaction", "rating", 4.5, 4.25)),
        weeks=(ReportWeek("2026-11-01", 5, 3, 80.0), ReportWeek("2026-11-08", 7, 9, None)),
        by_category=((text, 4),), by_priority=(("5", 1), ("3", 11)),
        agents=(ReportAgent(text, 5, 4, 2, 4.5), ReportAgent(text, 1, 0, None, None)),
        breaches=2, requests=14,
        recommendations=(Words("report.advice.one_agent_carries", agent=text, resolved=4,
                               total=5, share=80),),
        language=language)


def visible(html: str) -> str:
    """What a reader sees: the text outside tags and the stylesheet."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["en", "he"])
def test_user_text_is_escaped_and_there_is_no_script(language: str) -> None:
    html = report_html(page(HOSTILE, language))
    assert "<script" not in html and "</svg><b>" not in html
    assert "&lt;script&gt;" in html
    assert html.count("<svg") == html.count("</svg>") == 2


def test_every_word_comes_from_the_catalogue() -> None:
    html = report_html(page(HEBREW, PSEUDO_LOCALE))
    assert visible(html).count("⟦") > 40  # the page's words, each marked
    outside = re.sub(r"⟦[^⟧]*⟧", " ", visible(html))
    words = {w for w in re.findall(r"[A-Za-z]{2,}", outside)} - PRODUCT_WORDS
    assert words == set(), outside
    forbidden = re.sub(r"⟦[^⟧]*⟧", " ", visible(forbidden_html(PSEUDO_LOCALE)))
    assert set(re.findall(r"[A-Za-z]{2,}", forbidden)) <= PRODUCT_WORDS


def test_hebrew_reads_right_to_left_with_hebrew_words() -> None:
    html = report_html(page(HEBREW, "he"))
    assert '<html lang="he" dir="rtl">' in html
    assert "פניות שנפתחו" in html and "20 דקות" in html and "87.5%" in html
    outside = visible(html).replace(HEBREW, "")
    assert set(re.findall(r"[A-Za-z]{2,}", outside)) <= PRODUCT_WORDS
    assert '<html lang="en" dir="ltr">' in report_html(page(HEBREW, "en"))


def test_the_figures_show_against_the_previous_period() -> None:
    html = visible(report_html(page("IT", "en")))
    assert re.search(r"Requests opened\s+12\s+9\s+\+3", html)
    assert re.search(r"First response within SLA\s+87\.5%\s+90%\s+−2\.5%", html)
    assert re.search(r"First response, median\s+20 minutes\s+—\s+—", html)


def test_charts_draw_each_value_and_escape_labels() -> None:
    svg = charts.bars('a "chart" <title>', ["w1", "w<2>"],
                      [charts.Series("opened", [3, 0]), charts.Series("done", [None, 5])])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect class=\"series-0\" x=") == 3  # two bars and the legend's
    assert "w&lt;2&gt;" in svg and "<title>a \"chart\" &lt;title&gt;</title>" in svg
    line = charts.line("sla", ["a", "b", "c"], [charts.Series("met", [50, None, 100])])
    assert line.count("<circle") == 2 and "<polyline" not in line  # no line across a gap
    assert "100%" in line


def test_the_y_axis_tops_at_a_round_number() -> None:
    assert [charts._scale_top(v) for v in (0, 3, 15, 60, 101)] == [1, 5, 20, 100, 200]
