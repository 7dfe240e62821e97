"""The aiohttp application: routes, and the start/stop of what `bootstrap` built.

`GET /healthz` and `GET /metrics` (Prometheus text format, storage/metrics.py)
always; Slack's endpoints (`/slack/events`, and `/slack/install` +
`/slack/oauth_redirect` with OAuth) when Slack is configured; `/api/messages` when
Teams is on; `GET /report`, the report page behind a signed, expiring link
(conversations/reports/links.py): anything but a valid link gets 403 and a short page;
with `&format=csv`, the CSV of the report's requests (Teams' report file).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.bootstrap import Deps
from bot.settings import Settings
from cards.report_page import forbidden_html, report_html
from conversations.reports import links
from conversations.reports.report_view import page_view, report_of
from desks.errors import DeskbotError
from storage import metrics

log = logging.getLogger(__name__)

DEPS = web.AppKey("deps", Deps)
SETTINGS = web.AppKey("settings", Settings)
SNAPSHOTS = web.AppKey("snapshots", metrics.Snapshots)
HEALTH_TIMEOUT_SECONDS = 5.0
# How long /metrics reuses its database states (depths, conversations): scrapes stay cheap.
METRICS_CACHE_SECONDS = 5.0


def create_app(settings: Settings, deps: Deps) -> web.Application:
    """Build the application; it starts `deps` on startup and closes them on cleanup."""
    app = web.Application()
    app[SETTINGS] = settings
    app[DEPS] = deps
    app[SNAPSHOTS] = metrics.Snapshots(deps.db, ttl=METRICS_CACHE_SECONDS)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get(links.PATH, report_page)
    if deps.slack is not None:
        deps.slack.add_routes(app)
    if deps.teams is not None:
        deps.teams.add_routes(app)
    app.on_startup.append(_start)
    app.on_cleanup.append(_close)
    return app


async def _start(app: web.Application) -> None:
    await app[DEPS].start()
    # What is built by now lives as long as the server (SQLAlchemy's metadata and
    # mappers, bolt, the templates): freeze it out of the collector's generations, so
    # a full collection under load walks only short-lived objects. Otherwise its
    # pauses of several milliseconds land in the ack latency.
    gc.freeze()


async def _close(app: web.Application) -> None:
    await app[DEPS].close()


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers a `SELECT 1`, 503 when it does not."""
    db = request.app[DEPS].db
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with db.unit_of_work(readonly=True) as uow:
                await uow.session.execute(text("SELECT 1"))
    except Exception as error:  # any failure to answer is "unavailable"
        log.warning("health check: database unavailable (%s)", type(error).__name__)
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics_page(request: web.Request) -> web.Response:
    """The metrics in Prometheus' text format; the database states cached a few seconds."""
    deps = request.app[DEPS]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            snapshot = await request.app[SNAPSHOTS].read()
    except Exception as error:  # the counters still answer; the states are left out
        log.warning("metrics: database states unavailable (%s)", type(error).__name__)
        body = generate_latest(metrics.REGISTRY)
    else:
        platforms = [name for name, on in (("slack", deps.slack), ("teams", deps.teams)) if on]
        body = metrics.render(snapshot, platforms)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def report_link(settings: Settings, desk: str, period: str, now: datetime,
                valid: timedelta = links.VALID) -> str:
    """The signed link to the report page of `desk` (its name; "" for every desk) for
    `period` (`2026-11`, `month`…), good for `valid` (7 days) from `now`."""
    return links.link(settings.report_base_url, settings.report_key(), desk, period, now,
                      valid)


# The page is a whole report: not cached by proxies, not framed, not indexed, no script.
REPORT_HEADERS = {"Cache-Control": "private, no-store", "X-Frame-Options": "DENY",
                  "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


def _forbidden() -> web.Response:
    return web.Response(status=403, text=forbidden_html(), content_type="text/html",
                        headers=REPORT_HEADERS)


async def report_page(request: web.Request) -> web.Response:
    """The report a signed link asks for; 403 and a short page for any other link."""
    settings, db = request.app[SETTINGS], request.app[DEPS].db
    asked = links.check(settings.report_key(), request.query, db.clock.now())
    if asked is None:
        return _forbidden()
    if request.query.get("format") == "csv":
        return await _report_csv(request, asked)
    try:
        async with db.unit_of_work(readonly=True) as uow:
            view = await page_view(uow, asked.desk or None, asked.period)
    except DeskbotError:  # a period we signed but cannot read: no valid link either
        return _forbidden()
    if view is None:  # the desk was renamed or archived since
        return _forbidden()
    return web.Response(text=report_html(view), content_type="text/html",
                        headers=REPORT_HEADERS)


async def _report_csv(request: web.Request, asked: links.Asked) -> web.Response:
    """The CSV of the requests of the report a valid link asks for (`&format=csv`, which
    the signature does not cover: the same link shows the same report either way)."""
    db = request.app[DEPS].db
    try:
        async with db.unit_of_work(readonly=True) as uow:
            report = await report_of(uow, asked.desk or None, asked.period)
    except DeskbotError:
        return _forbidden()
    if report is None:
        return _forbidden()
    name = f"report-{asked.period.replace('..', '_to_')}.csv"
    return web.Response(body=report.csv().encode("utf-8-sig"), content_type="text/csv",
                        charset="utf-8", headers={
                            **REPORT_HEADERS,
                            "Content-Disposition": f'attachment; filename="{name}"'})
