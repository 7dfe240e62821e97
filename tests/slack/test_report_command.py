"""`/desk report` through the Slack path, both databases.

The real deskbot against the fake Slack Web API: a lead's `/desk report IT quarter` in
the desk's channel posts the summary card there, then the chart (PNG) and the CSV of
the quarter's requests as files (files.getUploadURLExternal, the upload, then
files.completeUploadExternal into the channel); the card's link opens the report page
on the running server, and a changed or expired link does not. An employee, an agent
of another desk and a malformed period are refused privately, and nothing is posted.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from conversations.reports.report import CSV_COLUMNS
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    MAYA,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, local, open_by_dm, set_up_it
from tests.slack.test_story import posts

JANUARY_5 = local(2027, 1, 5, 9)  # the fourth quarter of 2026 is over


def link_of(card: dict[str, Any]) -> str:
    """The URL of the card's "Open the full report" button."""
    for block in card["blocks"]:
        for element in block.get("elements") or []:
            if element.get("url"):
                return str(element["url"])
    raise AssertionError(f"no link on the card: {card}")


async def fetch(world: SlackWorld, link: str) -> tuple[int, str]:
    """GET the link's path and query from the running server."""
    parts = urlsplit(link)
    async with world.session.get(f"{world.url}{parts.path}?{parts.query}") as response:
        return response.status, await response.text()


def changed(link: str, **values: str) -> str:
    """`link` with some of its query values replaced."""
    parts = urlsplit(link)
    query = {key: found[0] for key, found in parse_qs(parts.query).items()}
    query.update(values)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


async def two_requests(world: SlackWorld) -> None:
    """IT set up, and two requests in its fourth quarter: one claimed and resolved."""
    await set_up_it(world)
    await open_by_dm(world, ELI, "my laptop will not start")
    await open_by_dm(world, OMER, "the VPN drops every hour")
    world.clock.advance(minutes=5)
    await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
    await world.command(DANA, "status 1001 resolved", channel=IT_CHANNEL)
    await world.settled()


async def test_a_lead_posts_the_quarter_report_with_its_chart_and_csv(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await two_requests(world)
        clock.set(JANUARY_5)
        before = len(posts(world, IT_CHANNEL))
        answer = await world.command(MAYA, "report IT quarter", channel=IT_CHANNEL)
        assert answer["response_type"] == "ephemeral"
        assert "2026-Q4" in block_text(answer) and "on its way" in block_text(answer)
        await world.settled()

        [card] = posts(world, IT_CHANNEL)[before:]
        text = block_text(card).replace("\u2068", "").replace("\u2069", "")
        assert "Report of IT – 2026-Q4" in text
        assert "Requests opened*\n2 (before: 0" in text
        assert "Requests resolved*\n1" in text
        assert "First response within SLA" in text and "Open at the end (backlog)" in text

        asked = world.api.calls_to("files.getUploadURLExternal")
        assert [c.params["filename"] for c in asked] == [
            "report-it-2026-Q4.png", "report-it-2026-Q4.csv"]
        completed = world.api.calls_to("files.completeUploadExternal")
        assert [c.params["channel_id"] for c in completed] == [IT_CHANNEL, IT_CHANNEL]
        chart, table = world.api.uploaded(IT_CHANNEL)
        assert chart["bytes"].startswith(b"\x89PNG\r\n\x1a\n")
        rows = list(csv.reader(io.StringIO(table["bytes"].decode("utf-8-sig"))))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert sorted(row[0] for row in rows[1:]) == ["1001", "1002"]
        assert "2026-Q4" in table["comment"]

        link = link_of(card)
        status, page = await fetch(world, link)
        assert status == 200 and "<html" in page and "2026-Q4" in page
        csv_status, _ = await fetch(world, link + "&format=csv")
        assert csv_status == 200
        for bad in (changed(link, period="2026-Q3"), changed(link, desk="HR"),
                    changed(link, sig="0" * 64)):
            assert (await fetch(world, bad))[0] == 403, bad
        clock.advance(days=7, minutes=1)
        assert (await fetch(world, link))[0] == 403
        assert (await fetch(world, link + "&format=csv"))[0] == 403


async def test_a_report_asked_in_a_dm_is_posted_there(db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await two_requests(world)
        clock.set(JANUARY_5)
        await world.command(ADA, "report all 2026-12")
        await world.settled()
        [opened] = world.api.calls_to("conversations.open")[-1:]
        assert opened.params["users"] == ADA
        dm = opened.response["channel"]["id"]
        [card] = [m for m in posts(world, dm) if "Report of" in block_text(m)]
        assert "every desk" in block_text(card)
        assert [f["name"] for f in world.api.uploaded(dm)] == [
            "report-all-2026-12.png", "report-all-2026-12.csv"]


async def test_refusals_post_nothing(db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await two_requests(world)
        await world.command(ADA, f"admin create HR <#{HR_CHANNEL}|hr-desk>")
        await world.command(ADA, f"admin agents HR add <@{OMER}|omer>")
        clock.set(JANUARY_5)

        employee = await world.command(ELI, "report IT")
        assert employee["response_type"] == "ephemeral"
        assert "Reports are for a desk's agents" in block_text(employee)
        other = await world.command(OMER, "report IT month", channel=HR_CHANNEL)
        assert "not one of them" in block_text(other)
        every = await world.command(DANA, "report all", channel=IT_CHANNEL)
        assert "for leads and admins" in block_text(every)
        assert "/desk report [DESK|all]" in block_text(every)
        bad = await world.command(MAYA, "report IT 2026-13", channel=IT_CHANNEL)
        assert "is not a report period" in block_text(bad)
        assert "/desk report [DESK|all]" in block_text(bad)
        unknown = await world.command(MAYA, "report Payroll", channel=IT_CHANNEL)
        assert "Payroll" in block_text(unknown)
        await world.settled()
        assert world.api.calls_to("files.getUploadURLExternal") == []
        assert not [m for m in posts(world, IT_CHANNEL) if "Report of" in block_text(m)]

        # An agent of the desk may: the month just ended, by default.
        own = await world.command(DANA, "report", channel=IT_CHANNEL)
        assert "2026-12" in block_text(own)
        await world.settled()
        assert len(world.api.calls_to("files.completeUploadExternal")) == 2


async def test_a_channel_deskbot_cannot_post_in_sends_the_report_to_the_asker(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await two_requests(world)
        clock.set(JANUARY_5)
        world.api.fail_next("chat.postMessage", "channel_not_found")
        await world.command(MAYA, "report IT quarter", channel="CRANDOM")
        await world.settled()
        [opened] = world.api.calls_to("conversations.open")[-1:]
        assert opened.params["users"] == MAYA
        dm = opened.response["channel"]["id"]
        assert [m for m in posts(world, dm) if "Report of" in block_text(m)]
        assert [f["name"] for f in world.api.uploaded(dm)] == [
            "report-it-2026-Q4.png", "report-it-2026-Q4.csv"]
        assert world.api.uploaded("CRANDOM") == []


async def test_a_scheduled_report_is_posted_once_in_the_agent_channel(
        db: Database, clock: FrozenClock) -> None:
    from scheduling.sweeps import sweep_all

    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await two_requests(world)
        said = await world.command(ADA, "admin report IT monthly")
        assert "posted monthly in the agent channel" in block_text(said)
        clock.set(local(2026, 12, 1, 9))
        for _ in range(2):
            await sweep_all(world.db, world.clock)
            await world.settled()
        [card] = [m for m in posts(world, IT_CHANNEL) if "Report of" in block_text(m)]
        assert "2026-11" in block_text(card) and "scheduled report" in block_text(card)
        assert [f["name"] for f in world.api.uploaded(IT_CHANNEL)] == [
            "report-it-2026-11.png", "report-it-2026-11.csv"]


async def test_a_failed_upload_is_retried_without_posting_twice(
        db: Database, clock: FrozenClock) -> None:
    from tests.slack.test_flaky_slack import drain_with_time

    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await two_requests(world)
        clock.set(JANUARY_5)
        # The CSV's upload fails twice (Slack's 500) after the card and the chart are
        # out: the notice is tried again later, and posts neither of them again.
        world.api.fail_next("files.getUploadURLExternal", status=500, times=2,
                            matching={"filename": "report-it-2026-Q4.csv"})
        await world.command(MAYA, "report IT quarter", channel=IT_CHANNEL)
        await drain_with_time(world)
        failed = world.api.calls_to("files.getUploadURLExternal", ok=False)
        assert [c.params["filename"] for c in failed] == ["report-it-2026-Q4.csv"] * 2
        cards = [m for m in posts(world, IT_CHANNEL) if "Report of" in block_text(m)]
        assert len(cards) == 1
        names = [f["name"] for f in world.api.uploaded(IT_CHANNEL)]
        assert sorted(names) == ["report-it-2026-Q4.csv", "report-it-2026-Q4.png"]
