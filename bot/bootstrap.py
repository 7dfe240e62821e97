"""The one place where deskbot's parts are built and wired.

`build(settings)` makes the database (and, on SQLite, migrates it), the clock, the
business-time calendar due times are counted in, the platform adapters whose
credentials are set, their senders, the outbox worker that delivers through them
and the scheduler that runs the sweeps. Nothing is built at import time; tests call `build` with
their own clock and settings pointing at fake platform APIs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from bot.settings import Settings
from scheduling.desk_calendar import DeskCalendar
from scheduling.jobs import SweepScheduler
from storage import migrate
from storage.clock import Clock, SystemClock
from storage.database import Database
from storage.limits import OpeningLimit

log = logging.getLogger(__name__)


class OutboxWorker(Protocol):
    """What bootstrap needs of `conversations.outbox_worker.OutboxWorker`."""

    def wake(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Deps:
    """Everything the server and the platform adapters use, built once at start."""

    settings: Settings
    db: Database
    clock: Clock
    outbox_worker: OutboxWorker | None = None
    slack: Any = None  # bot.slack.app.SlackAdapter when Slack is configured
    teams: Any = None  # bot.teams.app.TeamsAdapter when Teams is on
    scheduler: Any = None  # scheduling.jobs.SweepScheduler
    _started: bool = field(default=False, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    async def start(self) -> None:
        """Start the background work (the outbox worker, Socket Mode), when there is any."""
        if self.outbox_worker is not None:
            await self.outbox_worker.start()
        self._started = True
        if self.scheduler is not None:
            await self.scheduler.start()
        if self.slack is not None:
            await self.slack.start()
        if self.teams is not None:
            await self.teams.start()

    async def close(self) -> None:
        """Stop the background work and close every database connection (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.scheduler is not None and self._started:
                await self.scheduler.stop()
            if self.slack is not None and self._started:
                await self.slack.stop()
            if self.teams is not None and self._started:
                await self.teams.stop()
            if self.outbox_worker is not None and self._started:
                await self.outbox_worker.stop()
        finally:
            self._started = False
            await self.db.dispose()


async def build(settings: Settings, clock: Clock | None = None, *,
                db: Database | None = None) -> Deps:
    """Build and wire deskbot's parts from `settings`; the caller closes them (`Deps.close`).

    On SQLite pending migrations run here (one process owns the file). On PostgreSQL
    they are a deployment step (`deskbot db upgrade`), so several replicas never race;
    a database behind head is logged as an error. A `db` given by the caller (tests)
    is used as it is: its schema is the caller's business.
    """
    clock = clock or SystemClock()
    given = db is not None
    db = db if db is not None else Database(settings.database_url, clock=clock)
    try:
        if not given:
            await _prepare_schema(settings, db)
        if db.business_time is None:
            db.business_time = DeskCalendar()  # due times in each desk's service window
        db.opening_limit = OpeningLimit(settings.requests_per_person,
                                        timedelta(minutes=settings.requests_window_minutes))
        slack = _build_slack(settings, db, clock)
        teams = _build_teams(settings, db, clock)
        outbox_worker = _build_outbox_worker(settings, db, slack, teams)
    except BaseException:
        await db.dispose()
        raise
    return Deps(settings=settings, db=db, clock=clock, outbox_worker=outbox_worker, slack=slack,
                teams=teams, scheduler=SweepScheduler(
                    db, clock, settings.sweep_seconds,
                    retention=timedelta(days=settings.retention_days)))


async def _prepare_schema(settings: Settings, db: Database) -> None:
    where = settings.database_url_safe
    if db.is_sqlite:
        result = await migrate.upgrade(db)
        if result.changed:
            log.info("database at %s migrated from %s to %s", where,
                     result.before or "empty", result.after)
        else:
            log.info("database at %s is at %s", where, result.after)
        return
    waiting = await migrate.pending(db)
    if waiting:
        log.error("database at %s is behind: %s not applied; run `deskbot db upgrade`",
                  where, ", ".join(waiting))
    else:
        log.info("database at %s is at %s", where, migrate.head_revision())


def _build_slack(settings: Settings, db: Database, clock: Clock) -> Any:
    missing = settings.slack_missing()
    if missing:
        log.warning("Slack is off: missing %s", ", ".join(missing))
        return None
    from bot.slack.app import SlackAdapter

    adapter = SlackAdapter(settings, db, clock)
    mode = ("OAuth (multi-workspace)" if settings.slack_oauth else
            "Socket Mode" if settings.slack_app_token else "single workspace")
    log.info("Slack is on: %s, Web API at %s", mode, settings.slack_api_url)
    return adapter


def _build_teams(settings: Settings, db: Database, clock: Clock) -> Any:
    """The Teams adapter: with an app id (authenticated), or with the local-emulator
    switch on a loopback bind (unauthenticated); otherwise Teams is off."""
    from bot.teams.app import TeamsAdapter, is_loopback

    if settings.microsoft_app_id is None:
        if not settings.teams_emulator:
            log.info("Teams is off: MICROSOFT_APP_ID is not set (DESKBOT_TEAMS_EMULATOR=1 "
                     "serves /api/messages unauthenticated on loopback, for a local Bot "
                     "Framework Emulator)")
            return None
        if not is_loopback(settings.host):
            log.warning("Teams is off: the Teams emulator switch serves /api/messages "
                        "without authentication, so only on a loopback bind "
                        "(DESKBOT_HOST is %s)", settings.host)
            return None
        log.warning("Teams is on without authentication (the emulator switch, no "
                    "MICROSOFT_APP_ID): /api/messages accepts unsigned activities, on "
                    "loopback only")
        return TeamsAdapter(settings, db, clock)
    missing = settings.teams_missing()
    if missing:
        log.warning("Teams is off: missing %s", ", ".join(missing))
        return None
    if settings.teams_emulator:
        log.warning("the Teams emulator switch is ignored: MICROSOFT_APP_ID is set, so "
                    "every activity must carry a Bot Framework token")
    log.info("Teams is on: bot %s, Bot Framework authentication on",
             settings.microsoft_app_id)
    return TeamsAdapter(settings, db, clock)


class PlatformSender:
    """Delivers each notice through the sender of its workspace's platform."""

    def __init__(self, db: Database, senders: dict[str, Any]) -> None:
        self.db = db
        self.senders = senders
        self._platforms: dict[int, str] = {}  # workspace id -> platform (never changes)

    async def deliver(self, notice: Any) -> Any:
        """Hand `notice` to its platform's sender."""
        from conversations.outbox_worker import Undeliverable
        from storage.models import Workspace

        platform = self._platforms.get(notice.workspace_id)
        if platform is None:
            async with self.db.unit_of_work(readonly=True) as uow:
                workspace = await uow.session.get(Workspace, notice.workspace_id)
            if workspace is None:
                raise Undeliverable(f"workspace {notice.workspace_id} no longer exists")
            platform = self._platforms[notice.workspace_id] = workspace.platform
        sender = self.senders.get(platform)
        if sender is None:
            raise Undeliverable(f"{platform} is not configured on this server")
        return await sender.deliver(notice)


def _build_outbox_worker(settings: Settings, db: Database, slack: Any,
                      teams: Any) -> OutboxWorker | None:
    senders: dict[str, Any] = {}
    inboxes = []
    from conversations.reports.chat import ReportLinks

    # Report cards link to the page behind a signed link (DESKBOT_PUBLIC_URL, the key).
    report_links = ReportLinks(settings.report_base_url, settings.report_key())
    if slack is not None:
        from bot.slack.channel_pace import ChannelPacer
        from bot.slack.sender import SlackSender

        pacer = None
        if settings.slack_channel_posts_per_minute:
            # On deskbot's clock, the one the outbox's retry times are on.
            pacer = ChannelPacer(settings.slack_channel_posts_per_minute / 60,
                                 settings.slack_channel_burst,
                                 clock=lambda: db.clock.now().timestamp())
        senders["slack"] = SlackSender(
            db, slack.client_for,
            forget_client=slack.forget_client if settings.slack_oauth else None,
            max_file_mb=settings.max_file_mb,
            extra_admins=settings.admins, report_links=report_links, pacer=pacer)
        inboxes.append(slack.inbox)
    if teams is not None:
        from bot.teams.sender import TeamsSender

        senders["teams"] = TeamsSender(db, teams.connector_for, teams.addresses,
                                       bot_id_fallback=f"28:{teams.app_id}",
                                       max_file_mb=settings.max_file_mb,
                                       report_links=report_links)
        inboxes.append(teams.inbox)
    if not senders:
        log.warning("no platform sender configured; notices stay in the outbox")
        return None
    from conversations.outbox_worker import OutboxWorker

    async def pace() -> None:
        for inbox in inboxes:  # acks first: wait for a quiet gap in arrivals
            await inbox.yield_to_arrivals()

    if len(senders) == 1:
        sender: Any = next(iter(senders.values()))
        only = next(iter(senders))

        def platform_of(workspace_id: int) -> str:
            return only
    else:
        sender = PlatformSender(db, senders)

        def platform_of(workspace_id: int) -> str:  # known once its first notice went out
            return sender._platforms.get(workspace_id, "unknown")
    # Leases renewed every 5 s: a replica killed mid-send holds its notices up 20 s at most.
    outbox_worker = OutboxWorker(db, sender, pace=pace, platform_of=platform_of,
                                 lease=timedelta(seconds=20))
    db.on_after_commit(outbox_worker.wake)  # deliver right after each commit
    return outbox_worker
