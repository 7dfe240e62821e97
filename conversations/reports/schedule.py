"""Reports on a schedule: `/desk admin report DESK weekly|monthly|quarterly|off [#channel]`,
and the sweep that posts each desk's report of the period just ended, once.

The schedule lives in the desk's settings (`"report": {"every", "channel", "since"}`;
no channel: the desk's agent channel at posting time), so `/desk admin show` shows
it and `deskbot desks export/import` carries it. A period is posted when it ended
after the schedule was set (`since`), by the sweep that claims (desk, period) in
`report_run` (unique) in the transaction that queues its notice: however many
replicas sweep at once, one posts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from conversations.reports.chat import queue_report
from conversations.reports.periods import known_zone, parse_period
from conversations.view_models import Reply, View
from desks import service
from desks.errors import DeskbotError
from desks.grammar import Args
from desks.permissions import require_desk_admin
from desks.wording import Words
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Desk, ReportRun

if TYPE_CHECKING:  # the command line imports this module's commands
    from conversations.command_line.context import Context

USAGE = "/desk admin report DESK weekly|monthly|quarterly|off [#channel]"
KEY = "report"  # in the desk's settings
# How often -> the period word whose last complete one is posted.
EVERY = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}


@dataclass(frozen=True)
class Schedule:
    """A desk's report schedule: how often, where (None: its agent channel), since when."""

    every: str  # weekly | monthly | quarterly
    channel: str | None
    since: datetime | None


def schedule_of(settings: Mapping[str, Any] | None) -> Schedule | None:
    """The schedule stored in a desk's settings, or None (none, or unreadable)."""
    stored = (settings or {}).get(KEY)
    if not isinstance(stored, Mapping) or stored.get("every") not in EVERY:
        return None
    since = None
    if isinstance(stored.get("since"), str):
        try:
            since = datetime.fromisoformat(stored["since"])
        except ValueError:
            since = None
    channel = stored.get("channel")
    return Schedule(str(stored["every"]), str(channel) if channel else None, since)


def schedule_words(settings: Mapping[str, Any] | None, agent_channel: str | None) -> Words:
    """What `/desk admin show` says of the schedule."""
    found = schedule_of(settings)
    if found is None:
        return Words("report.config_off")
    channel = found.channel or agent_channel
    return Words("report.config_value", every=Words(f"report.every.{found.every}"),
                 channel=f"#{channel}" if channel else Words("report.agent_channel"))


async def admin_report(ctx: Context, args: Args) -> View:
    """`/desk admin report DESK weekly|monthly|quarterly|off [#channel]` (admins, and a
    desk's leads for their desk)."""
    name = args.word(Words("arg.desk"))
    every = args.choice(Words("arg.report_every"), (*EVERY, "off"))
    channel = args.channel()
    args.done()
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
    await require_desk_admin(ctx.uow, ctx.actor, desk)
    settings = dict(desk.settings or {})
    if every == "off":
        settings.pop(KEY, None)
        said = Words("report.schedule_off", desk=desk.name)
    else:
        where = channel.channel_id if channel else None
        if where is None and not desk.agent_channel:
            raise args.fail("report.schedule_no_channel", desk=desk.name)
        settings[KEY] = {"every": every, "channel": where,
                         "since": ctx.uow.clock.now().isoformat()}
        shown = (f"#{channel.label}" if channel and channel.label
                 else f"#{where}" if where else Words("report.agent_channel"))
        said = Words("report.schedule_set", desk=desk.name,
                     every=Words(f"report.every.{every}"), channel=shown)
    if settings != (desk.settings or {}):
        desk.settings = settings  # a new dict, so the JSON column is seen as changed
        record_event(ctx.uow, workspace_id=desk.workspace_id, desk_id=desk.id,
                     actor_id=ctx.actor.id, kind="desk.report_schedule",
                     every=every, channel=channel.channel_id if channel else None)
    return Reply.of(said)


async def _claim(uow: UnitOfWork, desk_id: int, period: str, now: datetime) -> bool:
    """Claim (desk, period) for posting; False when another run has it already."""
    insert = postgresql_insert if not uow.db.is_sqlite else sqlite_insert
    result = await uow.session.execute(
        insert(ReportRun).values(desk_id=desk_id, period=period, created_at=now)
        .on_conflict_do_nothing(index_elements=["desk_id", "period"]))
    return bool(getattr(result, "rowcount", 0) == 1)


async def post_scheduled_reports(uow: UnitOfWork, now: datetime) -> int:
    """Queue the report of each scheduled desk's period just ended, once; how many."""
    desks = (await uow.session.execute(
        select(Desk).where(Desk.archived_at.is_(None)))).scalars().all()
    posted = 0
    for desk in desks:
        schedule = schedule_of(desk.settings)
        channel = schedule.channel or desk.agent_channel if schedule else None
        if schedule is None or channel is None:
            continue
        zone = known_zone((desk.settings or {}).get("time_zone"))
        try:
            period = parse_period(EVERY[schedule.every], now, zone)
        except DeskbotError:
            continue
        if schedule.since is not None and period.end <= schedule.since:
            continue  # it ended before the schedule was set
        if not await _claim(uow, desk.id, period.label, now):
            continue
        queue_report(uow, desk.workspace_id, [desk], period, channel=channel,
                     person_id=None, scheduled=True)
        posted += 1
    return posted
