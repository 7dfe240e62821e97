"""The report page: a `ReportPage` view model -> one HTML document, every word from the
catalogues in the desk's language (right to left for Hebrew), its charts inline SVG
(`cards.charts`), printable (a print stylesheet), no script.

Also the short page a link that is not (or no longer) valid gets.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, partial
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from cards import charts, dates
from cards.i18n import say, t
from conversations.view_models import ReportFigure, ReportPage

_RTL = frozenset({"he", "ar", "fa", "ur", "yi"})


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("cards", "templates/report"),
                       undefined=StrictUndefined, autoescape=True, trim_blocks=True,
                       lstrip_blocks=True)


def _language(locale: str | None) -> str:
    return (locale or "en").replace("_", "-").split("-", 1)[0].lower()


def direction(locale: str | None) -> str:
    """`rtl` for a language written right to left, else `ltr`."""
    return "rtl" if _language(locale) in _RTL else "ltr"


def shown(value: float | None, unit: str, locale: str) -> str:
    """A figure as the page writes it: 12, 87.5%, 2 hours 5 minutes, 4.5 / 5; — for none."""
    if value is None:
        return t("report.page.none", locale)
    if unit == "percent":
        return f"{value:g}%"
    if unit == "duration":
        return dates.duration(timedelta(seconds=value), locale)
    if unit == "rating":
        return t("report.page.rating", locale, rating=f"{value:.2f}")
    return f"{value:g}"


def change(figure: ReportFigure, locale: str) -> str:
    """Now against the previous period: +3, −2.5%, +1 hour; — when either is missing."""
    if figure.current is None or figure.previous is None:
        return t("report.page.none", locale)
    difference = round(figure.current - figure.previous, 2)
    if difference == 0:
        return "0"
    sign = "+" if difference > 0 else "−"
    if figure.unit == "rating":  # points of the average: +0.25, not "+0.25 / 5"
        return f"{sign}{abs(difference):g}"
    return sign + shown(abs(difference), figure.unit, locale)


def _day(iso: str, locale: str) -> str:
    return dates.short_date(date.fromisoformat(iso), locale)


def report_html(view: ReportPage) -> str:
    """The whole report page."""
    locale = view.language or "en"
    say_ = partial(t, locale=locale)
    labels = [_day(week.start, locale) for week in view.weeks]
    volume = charts.bars(say_("report.chart.volume"), labels, [
        charts.Series(say_("report.chart.opened"), [w.opened for w in view.weeks]),
        charts.Series(say_("report.chart.resolved"), [w.resolved for w in view.weeks])])
    sla = charts.line(say_("report.chart.sla"), labels, [
        charts.Series(say_("report.chart.sla_met"), [w.sla_percent for w in view.weeks])])
    desks = ", ".join(view.desks) if view.desks else say_("report.page.every_desk")
    context: dict[str, Any] = dict(
        view=view, t=say_, lang=_language(locale), dir=direction(locale), desks=desks,
        figures=[(say_(f"report.figure.{f.name}"), shown(f.current, f.unit, locale),
                  shown(f.previous, f.unit, locale), change(f, locale))
                 for f in view.headlines],
        weeks=[(label, w.opened, w.resolved, shown(w.sla_percent, "percent", locale))
               for label, w in zip(labels, view.weeks, strict=True)],
        agents=[(a.name, a.assigned, a.resolved,
                 a.open_now if a.open_now is not None else say_("report.page.none"),
                 shown(a.csat, "rating", locale)) for a in view.agents],
        advice=[say(words, locale) for words in view.recommendations],
        first_day=_day(view.first_day, locale), last_day=_day(view.last_day, locale),
        generated=dates.short_date(view.generated_at.date(), locale)
        + " " + dates.short_time(view.generated_at, locale),
        volume_chart=Markup(volume), sla_chart=Markup(sla))
    return _environment().get_template("report.html.j2").render(**context)


def forbidden_html(locale: str = "en") -> str:
    """The short page of a link that is not valid, or has expired."""
    return _environment().get_template("forbidden.html.j2").render(
        t=partial(t, locale=locale), lang=_language(locale), dir=direction(locale))
