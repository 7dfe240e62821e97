"""Reports in chat: `/desk report [DESK|all] [PERIOD]`, and the post it asks for.

The command decides who may see which report and where it goes, and writes one
`report.post` notice (the work of reading a quarter's requests and drawing its chart
is the outbox's, never the command's acknowledgement). Delivering that notice reads
the report as it is then (`report_post`): the summary card's figures, the chart's
weeks, the CSV of the period's requests and the signed link to the whole page.

Who may: workspace admins and desk leads, any desk or `all`; agents, the desks they
serve (not `all`: they name a desk); anyone else is refused. The period is as
`periods.parse_period` reads it, `month` when none is written (as the CLI's). The
post goes into the channel the command was typed in, or the caller's chat with
deskbot (the sender falls back to that chat when it cannot post in the channel).

The signed link's key and the address people reach deskbot at are the server's
settings: they come in as a `ReportLinks`, built in bot/bootstrap.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from conversations.outbox_worker import Notice, Undeliverable
from conversations.reports import links
from conversations.reports.periods import FORMS, Period, known_zone, parse_period
from conversations.reports.report import build_report
from conversations.reports.report_view import link_desk, report_page
from conversations.view_models import Reply, ReportPost, View
from desks.errors import DeskbotError, InvalidInput, NotPermitted
from desks.grammar import Args, Word
from desks.languages import desk_locale
from desks.notices import NoticeKind
from desks.permissions import Role, served_desk_ids
from desks.service import find_desk
from desks.wording import Words
from storage.database import Database, UnitOfWork
from storage.journal import write_notice
from storage.models import Desk, DeskMember

if TYPE_CHECKING:  # the command line imports this module's commands
    from conversations.command_line.context import Context

USAGE = "/desk report [DESK|all] [week|month|quarter|2026-Q4|2026-11|FROM..TO]"
DEFAULT_PERIOD = "month"
# The headline figures the card shows (names of report_view.HEADLINES), in its order.
CARD_FIGURES = ("opened", "resolved", "first_response_median", "sla_first_response",
                "sla_resolution", "satisfaction", "backlog_end")
CARD_RECOMMENDATIONS = 3
_PERIOD_WORDS = frozenset({"week", "month", "quarter"})
_PERIOD_SHAPE = re.compile(r"^[0-9]{4}-")


@dataclass(frozen=True)
class ReportLinks:
    """How report links are made: the address people reach deskbot at and the key
    links are signed with (the server's settings)."""

    base_url: str
    key: bytes

    def link(self, desk: str, period: str, now: datetime) -> str:
        """The signed link to the page of `desk` (as `report_view.link_desk` writes it,
        or a desk's name; "" for every desk) for `period`."""
        return links.link(self.base_url, self.key, desk, period, now)


def csv_link(page_link: str) -> str:
    """The CSV of a report page's requests behind the same signed link (Teams' file)."""
    return page_link + "&format=csv"


# ---------------------------------------------------------------- the command


def looks_like_period(word: str) -> bool:
    """Whether `word` is written as a period is (`month`, `2026-Q4`…), right or not."""
    return word.lower() in _PERIOD_WORDS or bool(_PERIOD_SHAPE.match(word))


async def _is_lead(uow: UnitOfWork, person_id: int) -> bool:
    return (await uow.session.execute(
        select(DeskMember.desk_id).where(DeskMember.person_id == person_id,
                                         DeskMember.role == Role.LEAD.value).limit(1)
    )).first() is not None


def _words_of(args: Args) -> list[str]:
    found = []
    while args.more():
        token = args.take()
        if not isinstance(token, Word):
            raise args.fail("report.usage")
        found.append(token.text.strip())
    return found


async def report(ctx: Context, args: Args) -> View:
    """`/desk report [DESK|all] [PERIOD]`: queue the report's post; a private word that
    it is on its way."""
    words = _words_of(args)
    period_text = DEFAULT_PERIOD
    if words and looks_like_period(words[-1]):
        period_text = words.pop()
    desk_name = " ".join(words)
    served = await served_desk_ids(ctx.uow, ctx.actor.id)
    wide = ctx.actor.is_admin or await _is_lead(ctx.uow, ctx.actor.id)
    if not wide and not served:
        raise NotPermitted("report.not_for_employees")
    desks: list[Desk]
    if desk_name.lower() == "all":
        if not wide:
            raise args.fail("report.agents_name_a_desk")
        desks = []
    elif desk_name:
        desk = await find_desk(ctx.uow, ctx.workspace.id, desk_name)
        if not wide and desk.id not in served:
            raise NotPermitted("report.not_your_desk", desk=desk.name)
        desks = [desk]
    else:
        here = await _desk_here(ctx, served)
        if here is None:
            raise args.fail("report.name_a_desk")
        desks = [here]
    shown = desks or await _workspace_desks(ctx.uow, ctx.workspace.id)
    try:
        period = parse_period(period_text, ctx.uow.clock.now(), _zone(shown))
    except InvalidInput as error:
        raise args.fail(error.words or "report.bad_period") from error
    channel = None if ctx.caller_in_dm else ctx.caller_channel
    queue_report(ctx.uow, ctx.workspace.id, desks, period, channel=channel,
                 person_id=ctx.actor.id)
    desk_words = desks[0].name if len(desks) == 1 else Words("report.page.every_desk")
    return Reply.of(Words("report.on_its_way", desk=desk_words, period=period.label,
                          first=period.first.isoformat(), last=period.last.isoformat()))


async def _desk_here(ctx: Context, served: Sequence[int]) -> Desk | None:
    """The desk a report names when none is written: the one whose agent channel the
    command was typed in, else the only desk the caller serves."""
    if ctx.caller_channel and not ctx.caller_in_dm:
        here = (await ctx.uow.session.execute(
            select(Desk).where(Desk.workspace_id == ctx.workspace.id,
                               Desk.agent_channel == ctx.caller_channel,
                               Desk.archived_at.is_(None)).limit(1))).scalar_one_or_none()
        if here is not None:
            return here
    if len(served) == 1:
        return await ctx.uow.session.get(Desk, served[0])
    return None


async def _workspace_desks(uow: UnitOfWork, workspace_id: int) -> list[Desk]:
    return list((await uow.session.execute(
        select(Desk).where(Desk.workspace_id == workspace_id, Desk.archived_at.is_(None))
        .order_by(Desk.id))).scalars())


def _zone(desks: Sequence[Desk]) -> str:
    """The desks' time zone when they share one, else UTC (as the CLI's)."""
    zones = {known_zone((d.settings or {}).get("time_zone")) for d in desks}
    return zones.pop() if len(zones) == 1 else "UTC"


def queue_report(uow: UnitOfWork, workspace_id: int, desks: Sequence[Desk], period: Period,
                 *, channel: str | None, person_id: int | None,
                 scheduled: bool = False) -> None:
    """Write the `report.post` notice of `desks` ([]: every desk) for `period`, in the
    caller's transaction."""
    write_notice(uow, workspace_id=workspace_id, kind=NoticeKind.REPORT_POST,
                 person_id=person_id,
                 ordering_key=f"report:{workspace_id}:{desks[0].id if desks else 'all'}",
                 payload={"desk_ids": [d.id for d in desks], "period": period.label,
                          "channel": channel, "scheduled": scheduled})


# ---------------------------------------------------------------- the post


async def report_desks(uow: UnitOfWork, workspace_id: int,
                       payload: Mapping[str, Any]) -> list[Desk]:
    """The desks a `report.post` notice is about (every live desk of the workspace when
    it names none); Undeliverable-worthy when it names desks that are all gone."""
    ids = [int(i) for i in payload.get("desk_ids") or []]
    if not ids:
        return await _workspace_desks(uow, workspace_id)
    rows = (await uow.session.execute(select(Desk).where(Desk.id.in_(ids)))).scalars()
    return [d for d in rows if d.archived_at is None]


async def report_post(uow: UnitOfWork, workspace_id: int, payload: Mapping[str, Any],
                      report_links: ReportLinks, language: str) -> ReportPost | None:
    """The post of a `report.post` notice, read as things are now; None when its desk
    is gone (archived or deleted)."""
    desks = await report_desks(uow, workspace_id, payload)
    if not desks:
        return None
    every = not payload.get("desk_ids")
    now = uow.clock.now()
    try:
        period = parse_period(str(payload.get("period") or DEFAULT_PERIOD), now, _zone(desks))
    except DeskbotError:
        return None  # a label we wrote ourselves; never malformed in practice
    built = await build_report(uow, period, desks)
    page = report_page(built, language)
    by_name = {f.name: f for f in page.headlines}
    # By id, never by name: a name may be a desk of another workspace too.
    linked = link_desk(workspace_id=workspace_id) if every else link_desk(desks[0].id)
    stem = "report-" + ("all" if every else (desks[0].slug or "desk")) + "-" + period.label
    return ReportPost(
        desks=() if every else tuple(d.name for d in desks), period=period.label,
        first_day=period.first.isoformat(), last_day=period.last.isoformat(),
        headlines=tuple(by_name[name] for name in CARD_FIGURES),
        weeks=page.weeks, recommendations=page.recommendations[:CARD_RECOMMENDATIONS],
        requests=len(built.requests), link=report_links.link(linked, period.label, now),
        csv=built.csv(), file_stem=stem.replace("..", "_to_"), language=language,
        scheduled=bool(payload.get("scheduled")))


async def read_report(db: Database, notice: Notice, report_links: ReportLinks,
                      language: str) -> ReportPost:
    """The report a `report.post` notice asks to post, read now, in `language` (the
    step's); Undeliverable when its desk is gone."""
    async with db.unit_of_work(readonly=True) as uow:
        post = await report_post(uow, notice.workspace_id, notice.payload, report_links,
                                 language)
    if post is None:
        raise Undeliverable("the report's desk no longer exists")
    return post


def csv_file(post: ReportPost) -> bytes:
    """The CSV of a post's requests as a file: UTF-8 with a byte-order mark, so
    spreadsheet programs read Hebrew right."""
    return post.csv.encode("utf-8-sig")


def post_language(desks: Sequence[Desk], reader: str) -> str:
    """The language a report is posted in: its desk's (the desks' when they share one),
    else the reader's."""
    languages = {desk_locale(d) for d in desks}
    return languages.pop() if len(languages) == 1 else reader


__all__ = ["FORMS", "USAGE", "ReportLinks", "csv_file", "csv_link", "looks_like_period",
           "post_language",
           "queue_report", "read_report", "report", "report_desks", "report_post"]
