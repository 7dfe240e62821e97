"""The aiohttp application: routes, and the start/stop of what `bootstrap` built.

`GET /healthz` always; Slack's endpoints (`/slack/events`, and `/slack/install` +
`/slack/oauth_redirect` with OAuth) when Slack is configured; `/api/messages` when
Teams is on.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from aiohttp import web
from sqlalchemy import text

from bot.bootstrap import Deps
from bot.settings import Settings

log = logging.getLogger(__name__)

DEPS = web.AppKey("deps", Deps)
SETTINGS = web.AppKey("settings", Settings)
HEALTH_TIMEOUT_SECONDS = 5.0


def create_app(settings: Settings, deps: Deps) -> web.Application:
    """Build the application; it starts `deps` on startup and closes them on cleanup."""
    app = web.Application()
    app[SETTINGS] = settings
    app[DEPS] = deps
    app.router.add_get("/healthz", healthz)
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
