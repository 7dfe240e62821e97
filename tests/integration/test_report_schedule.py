"""`/desk admin report DESK weekly|monthly|quarterly|off [#channel]` and the sweep that
posts a desk's report of the period just ended once, both databases.

Two sweepers (two `Database`s on one database, as two replicas) racing post each month
once: the (desk, period) claim in `report_run` is unique and written with the notice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from conversations.desk_file import export_desks
from conversations.reports import schedule
from desks.notices import NoticeKind
from scheduling.desk_calendar import DeskCalendar
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import OutboxNotice, ReportRun, Workspace
from tests.conftest import DatabaseFactory
from tests.integration import test_commands as commands_tests
from tests.integration.test_commands import ADA, DANA, NOA, Chat

chat = commands_tests.chat  # the fixtures the helpdesk is made with
helpdesk = commands_tests.helpdesk

NOVEMBER_10 = datetime(2026, 11, 10, 9, tzinfo=UTC)
DECEMBER_1 = datetime(2026, 12, 1, 1, tzinfo=UTC)
JANUARY_1 = datetime(2027, 1, 1, 1, tzinfo=UTC)
FEBRUARY_1 = datetime(2027, 2, 1, 1, tzinfo=UTC)


async def reports(desk_chat: Chat) -> list[dict]:
    """The payloads of every report notice queued, oldest first."""
    return [n.payload for n in await desk_chat.all(OutboxNotice,
                                              OutboxNotice.kind == NoticeKind.REPORT_POST)]


async def test_two_sweepers_post_each_month_once_until_it_is_off(
        helpdesk: Chat, database_factory: DatabaseFactory, clock: FrozenClock) -> None:
    clock.set(NOVEMBER_10)
    said = await helpdesk.ok(ADA, "admin report IT monthly")
    assert "IT desk's report is posted monthly in the agent channel" in said
    shown = await helpdesk.run(ADA, "admin show IT")
    assert ("Scheduled report", "monthly, in #C_IT") in shown.settings  # type: ignore[union-attr]
    second = database_factory()
    second.business_time = DeskCalendar()
    first = helpdesk.db

    async def both() -> None:
        done = await asyncio.gather(sweep_all(first), sweep_all(second))
        assert all(n >= 0 for found in done for n in found.values()), done

    await both()  # October ended before the schedule was set: not posted
    assert await reports(helpdesk) == []
    clock.set(DECEMBER_1)
    for _ in range(3):
        await both()
    it = await helpdesk.desk("IT")
    assert await reports(helpdesk) == [{"desk_ids": [it.id], "period": "2026-11",
                                        "channel": "C_IT", "scheduled": True}]
    assert [(r.desk_id, r.period) for r in await helpdesk.all(ReportRun)] == [
        (it.id, "2026-11")]

    clock.set(JANUARY_1)
    await both()
    await both()
    assert [r["period"] for r in await reports(helpdesk)] == ["2026-11", "2026-12"]

    assert "no longer posted" in await helpdesk.ok(NOA, "admin report IT off")
    clock.set(FEBRUARY_1)
    await both()
    assert [r["period"] for r in await reports(helpdesk)] == ["2026-11", "2026-12"]
    shown = await helpdesk.run(ADA, "admin show IT")
    assert ("Scheduled report", "off") in shown.settings  # type: ignore[union-attr]


async def test_a_claim_held_by_one_sweeper_is_not_taken_by_another(
        helpdesk: Chat, database_factory: DatabaseFactory, clock: FrozenClock) -> None:
    clock.set(NOVEMBER_10)
    await helpdesk.ok(ADA, "admin report IT monthly")
    clock.set(DECEMBER_1)
    second = database_factory()
    claimed, tried = asyncio.Event(), asyncio.Event()

    async def holder() -> int:
        async with helpdesk.db.unit_of_work() as uow:
            posted = await schedule.post_scheduled_reports(uow, clock.now())
            claimed.set()
            # Let the other sweeper reach its claim while this one is uncommitted.
            for _ in range(20):
                await asyncio.sleep(0)
            tried.set()
            await uow.commit()
        return posted

    async def latecomer() -> int:
        await claimed.wait()
        async with second.unit_of_work() as uow:
            posted = await schedule.post_scheduled_reports(uow, clock.now())
            await uow.commit()
        return posted

    assert sorted(await asyncio.gather(holder(), latecomer())) == [0, 1]
    assert tried.is_set()
    assert [r["period"] for r in await reports(helpdesk)] == ["2026-11"]


async def test_who_may_schedule_and_what_is_refused(helpdesk: Chat, clock: FrozenClock) -> None:
    clock.set(NOVEMBER_10)
    await helpdesk.refused(DANA, "admin report IT monthly", "Only an admin or a lead")
    reply = await helpdesk.refused(ADA, "admin report IT daily")
    assert reply.usage == schedule.USAGE
    await helpdesk.refused(ADA, "admin report Payroll monthly", "Payroll")
    await helpdesk.ok(ADA, "admin create Facilities")
    await helpdesk.refused(ADA, "admin report Facilities weekly", "has no agent channel")
    said = await helpdesk.ok(NOA, "admin report IT quarterly <#C_REPORTS|reports>")
    assert "quarterly in #reports" in said
    # The export keeps it (`deskbot desks export`), so an import brings it back.
    async with helpdesk.db.unit_of_work(readonly=True) as uow:
        [workspace] = (await uow.session.execute(select(Workspace))).scalars()
        text = await export_desks(uow, workspace)
    assert "report:" in text and "every: quarterly" in text and "channel: C_REPORTS" in text
    # A week's report: the last whole week (Sunday to Saturday), posted in #reports.
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))
    await helpdesk.ok(ADA, "admin report IT weekly <#C_REPORTS|reports>")
    clock.set(datetime(2026, 12, 7, 9, tzinfo=UTC))
    assert await sweep_all(helpdesk.db) is not None
    assert [(r["period"], r["channel"]) for r in await reports(helpdesk)] == [
        ("2026-11-29..2026-12-05", "C_REPORTS")]


async def test_an_archived_desk_posts_no_report(helpdesk: Chat, db: Database,
                                                clock: FrozenClock) -> None:
    clock.set(NOVEMBER_10)
    await helpdesk.ok(ADA, "admin report IT monthly")
    await helpdesk.ok(ADA, "admin archive IT")
    clock.set(DECEMBER_1)
    await sweep_all(db)
    assert await reports(helpdesk) == []


async def test_a_chat_link_shows_its_own_workspace_only(helpdesk: Chat, db: Database,
                                                        clock: FrozenClock) -> None:
    from conversations.reports.report_view import link_desk, page_view
    from desks.people import ensure_person, ensure_workspace
    from desks.permissions import Actor
    from desks.service import create_desk

    clock.set(NOVEMBER_10)
    it = await helpdesk.desk("IT")
    async with db.unit_of_work() as uow:  # another Slack workspace with an IT desk too
        other = await ensure_workspace(uow, "slack", "T2")
        admin = Actor(await ensure_person(uow, other, "U_ADMIN", "Admin"), is_admin=True)
        await create_desk(uow, admin, "IT", agent_channel="C_OTHER_IT")
        await uow.commit()
    async with db.unit_of_work(readonly=True) as uow:
        by_id = await page_view(uow, link_desk(it.id), "2026-10")
        every = await page_view(uow, link_desk(workspace_id=it.workspace_id), "2026-10")
        by_name = await page_view(uow, "IT", "2026-10")  # the CLI's way: any workspace
        gone = await page_view(uow, link_desk(9999), "2026-10")
    assert by_id is not None and by_id.desks == ("IT",)
    assert every is not None and sorted(every.desks) == ["HR", "IT"]
    assert by_name is not None and by_name.desks == ("IT", "IT")
    assert gone is None
