"""The report as a page's view model: the headline figures against the previous period,
the weeks of the period (for its charts), the breakdowns, the agents and the
recommendations, read from one `Report` (the same one the CLI's JSON and CSV read).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from conversations.reports.figures import Figures
from conversations.reports.periods import parse_period
from conversations.reports.report import Report, build_report, desks_named
from conversations.view_models import ReportAgent, ReportFigure, ReportPage, ReportWeek
from storage.database import UnitOfWork
from storage.models import Desk

# The headline figures, in the page's order: (name, unit, how to read it).
HEADLINES: tuple[tuple[str, str, Callable[[Figures], float | int | None]], ...] = (
    ("opened", "count", lambda f: f.opened),
    ("resolved", "count", lambda f: f.resolved),
    ("closed", "count", lambda f: f.closed),
    ("reopened", "count", lambda f: f.reopened),
    ("first_response_median", "duration", lambda f: f.first_response.median),
    ("first_response_ninetieth", "duration", lambda f: f.first_response.p90),
    ("resolution_median", "duration", lambda f: f.resolution.median),
    ("resolution_ninetieth", "duration", lambda f: f.resolution.p90),
    ("sla_first_response", "percent", lambda f: f.sla_first_response.overall.percent),
    ("sla_resolution", "percent", lambda f: f.sla_resolution.overall.percent),
    ("satisfaction", "rating", lambda f: f.satisfaction.average),
    ("response_rate", "percent", lambda f: f.satisfaction.response_rate),
    ("first_contact", "percent", lambda f: f.first_contact.percent),
    ("backlog_end", "count", lambda f: f.backlog.end),
)


def report_page(report: Report, language: str = "en") -> ReportPage:
    """The page of `report`, in `language` (the desk's)."""
    current, previous = report.current, report.previous
    period = current.period
    return ReportPage(
        desks=report.desks, period=period.label, first_day=period.first.isoformat(),
        last_day=period.last.isoformat(), time_zone=period.zone,
        generated_at=report.generated_at,
        headlines=tuple(ReportFigure(name, unit, read(current), read(previous))
                        for name, unit, read in HEADLINES),
        weeks=weeks(report),
        by_category=_sorted(current.by_category), by_priority=tuple(
            sorted(current.by_priority.items(), key=lambda item: item[0], reverse=True)),
        agents=tuple(ReportAgent(a.name, a.assigned, a.resolved, a.open_now, a.csat)
                     for a in current.agents),
        breaches=len(current.breaches), requests=len(report.requests),
        recommendations=report.recommendations, language=language)


def _sorted(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def weeks(report: Report) -> tuple[ReportWeek, ...]:
    """The period's weeks (the last may be shorter): requests opened in each, done in
    each, and the share of first responses met of those opened in each."""
    figures: Figures = report.current
    bounds = figures.period.weeks()
    zone = ZoneInfo(figures.period.zone)
    found = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        opened = [r for r in report.requests if start <= r.opened_at < end]
        done = [r for r in report.requests if r.done_at is not None and start <= r.done_at < end]
        decided = [r.first_response_met for r in opened if r.first_response_met is not None]
        percent = round(100 * sum(decided) / len(decided), 1) if decided else None
        first_day = (start.astimezone(zone) + timedelta(hours=1)).date()
        found.append(ReportWeek(first_day.isoformat(), len(opened), len(done), percent))
    return tuple(found)


async def page_view(uow: UnitOfWork, desk_name: str | None,
                    period_text: str) -> ReportPage | None:
    """The page of the desk called `desk_name` (None or "": every desk) for
    `period_text`, in the desks' language; None when there is no such desk. Refuses a
    malformed period (`InvalidInput`)."""
    found = await _report_and_language(uow, desk_name, period_text)
    return report_page(*found) if found is not None else None


async def report_of(uow: UnitOfWork, desk_name: str | None, period_text: str) -> Report | None:
    """The report `page_view` shows (its CSV is the requests'); None for no such desk."""
    found = await _report_and_language(uow, desk_name, period_text)
    return found[0] if found is not None else None


# How a link posted in chat names what it shows: one desk by its id, or every desk of one
# workspace (a name alone may be a desk of several workspaces, or every desk of all).
DESK_ID, WORKSPACE = "#", "workspace:"


def link_desk(desk_id: int | None = None, workspace_id: int | None = None) -> str:
    """A chat link's `desk`: `#<desk id>`, or `workspace:<id>` for every desk of it."""
    return f"{DESK_ID}{desk_id}" if desk_id is not None else f"{WORKSPACE}{workspace_id}"


async def _desks_linked(uow: UnitOfWork, desk_name: str) -> list[Desk]:
    """The live desks a link's `desk` names: `#<id>`, `workspace:<id>`, or a name."""
    for prefix in (DESK_ID, WORKSPACE):
        number = desk_name[len(prefix):]
        if desk_name.startswith(prefix) and number.isascii() and number.isdigit():
            column = Desk.id if prefix == DESK_ID else Desk.workspace_id
            return list((await uow.session.execute(
                select(Desk).where(column == int(number), Desk.archived_at.is_(None))
                .order_by(Desk.id))).scalars())
    return await desks_named(uow, desk_name)


async def _report_and_language(uow: UnitOfWork, desk_name: str | None,
                               period_text: str) -> tuple[Report, str] | None:
    desks = await _desks_linked(uow, desk_name) if desk_name else None
    if desks == []:
        return None
    shown = desks if desks is not None else await desks_named(uow, None)
    # Days are the desks' days when they share a time zone, else UTC's (as the CLI's).
    zones = {(d.settings or {}).get("time_zone") or "UTC" for d in shown}
    zone = zones.pop() if len(zones) == 1 else "UTC"
    languages = {d.language or "en" for d in shown}
    language = languages.pop() if len(languages) == 1 else "en"
    period = parse_period(period_text, uow.clock.now(), zone)
    return await build_report(uow, period, desks), language
