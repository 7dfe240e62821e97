"""A whole report: the figures of a period and of the one before, its requests, and the
recommendations drawn from them; as JSON (`as_dict`) and as the CSV of its requests.

These two outputs are what the CLI, the card and the report page read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conversations.reports import recommendations
from conversations.reports.figures import Figures, figures
from conversations.reports.periods import Period
from conversations.reports.reading import (
    RequestFacts,
    read_deflected,
    read_open_now,
    read_requests,
)
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Desk


@dataclass(frozen=True)
class Report:
    """The report of `desks` (names; empty: every desk) for `current`."""

    desks: tuple[str, ...]
    generated_at: datetime
    current: Figures
    previous: Figures
    # Every request opened, done or closed in the current period.
    requests: tuple[RequestFacts, ...]
    recommendations: tuple[Words, ...]

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (instants as ISO 8601 UTC)."""
        values: dict[str, Any] = _plain({
            "desks": list(self.desks),
            "generated_at": self.generated_at,
            "period": _period(self.current.period),
            "previous_period": _period(self.previous.period),
            "figures": _figures(self.current),
            "previous": _figures(self.previous),
            "change": change(self.current, self.previous),
            "recommendations": [{"key": w.key, "values": w.values, "english": w.english}
                                for w in self.recommendations],
            "requests": len(self.requests),
        })
        return values

    def csv(self) -> str:
        """One row per request of the period (`CSV_COLUMNS`)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in self.requests:
            writer.writerow([_cell(v) for v in csv_row(r)])
        return out.getvalue()


CSV_COLUMNS = ("ref", "desk", "kind", "category", "priority", "status", "way_in", "platform",
               "opened_at", "first_response_at", "resolved_at", "closed_at",
               "first_response_business_seconds", "resolution_business_seconds",
               "first_response_sla", "resolution_sla", "assignee", "rating",
               "agent_replies", "reopens")


def _sla_word(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "breached")


def csv_row(r: RequestFacts) -> list[Any]:
    """The CSV cells of one request, in `CSV_COLUMNS` order."""
    return [r.ref, r.desk, r.kind, r.category, r.priority, r.status, r.way_in, r.platform,
            r.opened_at, r.first_response_at, r.done_at, r.closed_at,
            r.first_response_seconds, r.resolution_seconds,
            _sla_word(r.first_response_met), _sla_word(r.resolution_met), r.assignee,
            r.rating, r.agent_replies, len(r.reopened_at)]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _period(period: Period) -> dict[str, Any]:
    return {"label": period.label, "unit": period.unit, "first_day": period.first.isoformat(),
            "last_day": period.last.isoformat(), "time_zone": period.zone,
            "start": period.start, "end": period.end}


def _figures(figures: Figures) -> dict[str, Any]:
    values = asdict(figures)
    values.pop("period")
    values["backlog"]["trend"] = [{"at": at, "open": count}
                                  for at, count in figures.backlog.trend]
    return values


# The figures set against the previous period: name in `change`, how to read it.
HEADLINES: dict[str, Callable[[Figures], float | int | None]] = {
    "opened": lambda f: f.opened,
    "resolved": lambda f: f.resolved,
    "closed": lambda f: f.closed,
    "reopened": lambda f: f.reopened,
    "first_response_median": lambda f: f.first_response.median,
    "first_response_p90": lambda f: f.first_response.p90,
    "resolution_median": lambda f: f.resolution.median,
    "resolution_p90": lambda f: f.resolution.p90,
    "sla_first_response_percent": lambda f: f.sla_first_response.overall.percent,
    "sla_resolution_percent": lambda f: f.sla_resolution.overall.percent,
    "satisfaction_average": lambda f: f.satisfaction.average,
    "satisfaction_response_rate": lambda f: f.satisfaction.response_rate,
    "first_contact_percent": lambda f: f.first_contact.percent,
    "backlog_end": lambda f: f.backlog.end,
    "deflected": lambda f: f.deflected,
}


def change(current: Figures, previous: Figures) -> dict[str, dict[str, Any]]:
    """Each headline figure now, before, and the difference (None when either is None)."""
    result = {}
    for name, read in HEADLINES.items():
        now, before = read(current), read(previous)
        difference = None if now is None or before is None else round(now - before, 2)
        result[name] = {"current": now, "previous": before, "change": difference}
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Words):
        return {"key": value.key, "values": _plain(value.values)}
    return value


async def build_report(uow: UnitOfWork, period: Period,
                       desks: list[Desk] | None = None) -> Report:
    """The report of `desks` (None: every desk of every workspace) for `period`."""
    previous = period.previous()
    desk_ids = [d.id for d in desks] if desks is not None else None
    requests = await read_requests(uow, start=previous.start, end=period.end,
                                   desk_ids=desk_ids)
    open_now = await read_open_now(uow, desk_ids)
    current, before = figures(requests, period, open_now), figures(requests, previous)
    current = replace(current, deflected=await read_deflected(
        uow, start=period.start, end=period.end, desk_ids=desk_ids))
    before = replace(before, deflected=await read_deflected(
        uow, start=previous.start, end=previous.end, desk_ids=desk_ids))
    touched = tuple(r for r in requests if period.contains(r.opened_at)
                    or period.contains(r.done_at) or period.contains(r.closed_at))
    names = tuple(d.name for d in desks) if desks is not None else ()
    return Report(desks=names, generated_at=uow.clock.now(), current=current,
                  previous=before, requests=touched,
                  recommendations=tuple(recommendations.recommend(current, before, touched)))


async def desks_named(uow: UnitOfWork, name: str | None) -> list[Desk]:
    """The desks called `name` (or with that slug; None: every desk), any workspace,
    not archived."""
    wanted = (name or "").strip().lower()
    rows = (await uow.session.execute(select(Desk).where(Desk.archived_at.is_(None)))).scalars()
    return [d for d in rows if name is None or d.name.lower() == wanted or d.slug == wanted]
