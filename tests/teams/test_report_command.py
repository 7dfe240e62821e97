"""`report` through the Teams path, both databases, as tests/slack/test_report_command.py
does through Slack: the real deskbot (the real CloudAdapter) against the fake Bot
Framework connector.

A lead's `report IT quarter` in IT's channel starts a new thread there: one message
with the summary card, the chart inline (a PNG `data:` URL) and the CSV as an
attachment behind deskbot's own signed link; the card's link opens the report page on
the running server, and a changed or expired link does not. Refusals post nothing.
"""

from __future__ import annotations

import base64
import csv
import io
from typing import Any
from urllib.parse import urlsplit

from conversations.reports.report import CSV_COLUMNS
from storage.clock import FrozenClock
from storage.database import Database
from tests.teams.harness import TeamsWorld, card_text, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, local, said_back, urls, with_maya

JANUARY_5 = local(2027, 1, 5, 9)  # the fourth quarter of 2026 is over


async def fetch(world: TeamsWorld, link: str) -> tuple[int, bytes]:
    """GET the link's path and query from the running server."""
    parts = urlsplit(link)
    async with world.session.get(f"{world.url}{parts.path}?{parts.query}") as response:
        return response.status, await response.read()


def reports(world: TeamsWorld) -> list[dict[str, Any]]:
    """The report messages at the top of IT's channel."""
    return [a for a in world.threads_in(world.it_channel)
            if "Report of" in card_text(a).replace("\u2068", "").replace("\u2069", "")]


async def two_requests(desk: Desk) -> None:
    world = desk.world
    await desk.set_up_it()
    await desk.open_by_chat(world.eli, "my laptop will not start")
    await desk.open_by_chat(world.omer, "the VPN drops every hour")
    world.clock.advance(minutes=5)
    await desk.command(world.dana, "claim 1001")
    await desk.command(world.dana, "status 1001 resolved")


async def test_a_lead_posts_the_quarter_report_with_its_chart_and_csv(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await two_requests(desk)
        clock.set(JANUARY_5)
        answer = await desk.command(desk.maya, "report IT quarter")
        assert "2026-Q4" in answer and "on its way" in answer
        await world.settled()

        [posted] = reports(world)
        card, chart, table = posted["attachments"]
        assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
        text = card_text(posted).replace("\u2068", "").replace("\u2069", "")
        assert "Report of IT – 2026-Q4" in text and "Requests opened" in text
        assert chart["contentType"] == "image/png" and chart["name"] == "report-it-2026-Q4.png"
        prefix = "data:image/png;base64,"
        assert chart["contentUrl"].startswith(prefix)
        assert base64.b64decode(chart["contentUrl"][len(prefix):]).startswith(b"\x89PNG")
        assert table["contentType"] == "text/csv" and table["name"] == "report-it-2026-Q4.csv"

        status, body = await fetch(world, table["contentUrl"])
        assert status == 200
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert sorted(row[0] for row in rows[1:]) == ["1001", "1002"]

        [link] = urls(posted)
        status, page = await fetch(world, link)
        assert status == 200 and b"2026-Q4" in page
        assert (await fetch(world, link.replace("period=2026-Q4", "period=2026-Q3")))[0] == 403
        clock.advance(days=7, minutes=1)
        assert (await fetch(world, link))[0] == 403
        assert (await fetch(world, table["contentUrl"]))[0] == 403


async def test_refusals_post_nothing(db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await two_requests(desk)
        await world.say(world.ada, world.hr_channel, "admin create HR")
        await world.say(world.ada, world.hr_channel, "admin agents HR add {Omer}",
                        mentions=(world.omer,))
        await world.settled()
        clock.set(JANUARY_5)

        await world.dm(world.eli, "report IT month")
        await world.settled()
        assert "Reports are for a desk's agents" in desk.chat(world.eli)[-1]
        said = await world.say(world.omer, world.hr_channel, "report IT month")
        await world.settled()
        assert "not one of them" in said_back(world, said["conversation"]["id"])
        bad = await desk.command(desk.maya, "report IT 2026-13")
        assert "is not a report period" in bad and "Usage:" in bad
        every = await desk.command(world.dana, "report all")
        assert "for leads and admins" in every
        assert reports(world) == []

        # In a personal chat: the report goes there.
        await world.dm(desk.maya, "report IT 2026-12")
        await world.settled()
        [posted] = [a for a in world.chat_of(desk.maya)
                    if "Report of" in card_text(a).replace("\u2068", "").replace("\u2069", "")]
        assert [a["contentType"] for a in posted["attachments"][1:]] == ["image/png", "text/csv"]
        assert reports(world) == []


async def test_a_channel_the_bot_may_not_post_in_sends_the_report_to_the_asker(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await two_requests(desk)
        clock.set(JANUARY_5)
        world.connector.fail_next("create_conversation", 403)
        await desk.command(desk.maya, "report IT quarter")
        await world.settled()
        assert reports(world) == []
        [posted] = [a for a in world.chat_of(desk.maya)
                    if "Report of" in card_text(a).replace("\u2068", "").replace("\u2069", "")]
        assert [a["name"] for a in posted["attachments"][1:]] == [
            "report-it-2026-Q4.png", "report-it-2026-Q4.csv"]
