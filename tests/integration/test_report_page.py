"""The report page behind a signed, expiring link, served by deskbot's own server (both
databases); and the same page from `deskbot report --format html`.

Three IT requests of November 2026 answered in 10, 20 and 30 minutes (first response
target 15 minutes: one met, two breached), one request at HR, whose desk speaks Hebrew.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import bootstrap
from bot.cli import main
from bot.server import create_app, report_link
from bot.settings import Settings
from conversations import commands
from conversations.reports.periods import parse_period
from conversations.reports.report import build_report, desks_named
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Desk
from tests.conftest import PG_URL
from tests.integration.sla_world import local, sla_world

SETTINGS = Settings.from_env({"DESKBOT_REPORT_SECRET": "a-test-secret",
                              "DESKBOT_PUBLIC_URL": "https://desk.example.com",
                              "DESKBOT_SWEEP_SECONDS": "3600"}, env_file=None)
DECEMBER_7 = local(2026, 12, 7, 10)
FORBIDDEN = "This report link is not valid"


async def seed(db: Database, clock: FrozenClock) -> None:
    """November: three IT requests answered in 10, 20, 30 minutes; one at HR (Hebrew)."""
    clock.set(local(2026, 11, 2, 9))
    world = await sla_world(db)
    eli = await world.person("eli")
    for n in range(3):
        clock.set(local(2026, 11, 2 + n, 9))
        posted = await world.run(commands.open_conversation, eli, world.desks["IT"],
                                 f"printer {n}")
        clock.advance(minutes=10 * (n + 1))
        await world.run(commands.agent_reply, world.actor("dana"), posted.conversation.ref,
                        "fixed")
    clock.set(local(2026, 11, 10, 9))
    await world.run(commands.open_conversation, eli, world.desks["HR"], "leave")
    async with db.unit_of_work() as uow:
        hr = await uow.session.get(Desk, world.desks["HR"].id)
        assert hr is not None
        hr.language = "he"
        await uow.commit()


@pytest.fixture
async def client(db: Database, clock: FrozenClock) -> AsyncIterator[TestClient]:
    await seed(db, clock)
    clock.set(DECEMBER_7)
    deps = await bootstrap.build(SETTINGS, clock, db=db)
    async with TestClient(TestServer(create_app(SETTINGS, deps))) as test_client:
        yield test_client


def path_of(link: str, **changes: str) -> str:
    """The link's path and query, with some of its parameters changed."""
    parts = urlsplit(link)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


async def test_the_link_opens_the_report_with_the_figures_of_build_report(
        client: TestClient, db: Database, clock: FrozenClock) -> None:
    link = report_link(SETTINGS, "IT", "2026-11", clock.now())
    assert link.startswith("https://desk.example.com/report?")
    async with db.unit_of_work(readonly=True) as uow:
        desks = await desks_named(uow, "IT")
        report = await build_report(uow, parse_period("2026-11", clock.now(),
                                                      "Asia/Jerusalem"), desks)
    assert report.current.opened == 3
    response = await client.get(path_of(link))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "no-store" in response.headers["Cache-Control"]
    html = await response.text()
    assert '<html lang="en" dir="ltr">' in html
    assert "Report of IT – 2026-11" in html
    row = '<tr><td>{}</td><td class="n"><bdi>{}</bdi></td>'
    assert row.format("Requests opened", report.current.opened) in html
    assert row.format("Requests resolved", report.current.resolved) in html
    percent = report.current.sla_first_response.overall.percent
    assert percent == 33.3 and row.format("First response within SLA", "33.3%") in html
    assert report.current.first_response.median == 1200
    assert row.format("First response, median", "20 minutes") in html
    assert row.format("First response, 90th percentile", "30 minutes") in html
    # Two inline SVG charts (volume, SLA by week), a print stylesheet, no script.
    assert html.count("<svg") == 2 and "@media print" in html and "<script" not in html
    assert "Requests opened and resolved, by week" in html
    assert "First responses on time, by week" in html
    # Each week's row: the week of November 1st opened 3 (on the 2nd, 3rd and 4th).
    assert '<tr><td>2026-11-01</td><td class="n"><bdi>3</bdi></td>' in html


async def test_a_changed_or_missing_link_gets_403(client: TestClient,
                                                  clock: FrozenClock) -> None:
    link = report_link(SETTINGS, "IT", "2026-11", clock.now())
    expires = dict(parse_qsl(urlsplit(link).query))["expires"]
    signature = dict(parse_qsl(urlsplit(link).query))["sig"]
    changed = [path_of(link, desk="HR"), path_of(link, period="2026-10"),
               path_of(link, expires=str(int(expires) + 3600)),
               path_of(link, sig=("0" if signature[0] != "0" else "1") + signature[1:]),
               path_of(link, sig=""), path_of(link, expires="soon"), "/report",
               path_of(report_link(SETTINGS.replace(report_secret="another"), "IT",
                                   "2026-11", clock.now()))]
    for path in changed:
        response = await client.get(path)
        assert response.status == 403, path
        html = await response.text()
        assert FORBIDDEN in html and "Requests opened" not in html, path
    assert (await client.get(path_of(link))).status == 200


async def test_an_expired_link_gets_403(client: TestClient, clock: FrozenClock) -> None:
    link = report_link(SETTINGS, "IT", "2026-11", clock.now())
    clock.advance(days=7)
    clock.advance(seconds=-1)
    assert (await client.get(path_of(link))).status == 200  # a second before the end
    clock.advance(seconds=1)
    assert (await client.get(path_of(link))).status == 403
    clock.advance(days=30)
    response = await client.get(path_of(link))
    assert response.status == 403 and FORBIDDEN in await response.text()
    # A new link from now works again.
    assert (await client.get(path_of(report_link(SETTINGS, "IT", "2026-11",
                                                 clock.now())))).status == 200


async def test_the_hebrew_desks_page_reads_right_to_left_in_hebrew(
        client: TestClient, clock: FrozenClock) -> None:
    response = await client.get(path_of(report_link(SETTINGS, "HR", "2026-11", clock.now())))
    assert response.status == 200
    html = await response.text()
    assert '<html lang="he" dir="rtl">' in html
    assert "פניות שנפתחו" in html and "מענה ראשון בזמן, לפי שבוע" in html
    assert '<tr><td>פניות שנפתחו</td><td class="n"><bdi>1</bdi></td>' in html
    assert "Requests opened" not in html


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def cli_html(url: str, tmp_path: Path) -> None:
    assert main(["db", "upgrade", "--database-url", url]) == 0

    async def seeded() -> None:
        clock = FrozenClock()
        db = Database(url, clock=clock)
        try:
            await seed(db, clock)
        finally:
            await db.dispose()

    asyncio.run(seeded())
    out = tmp_path / "it.html"
    assert main(["report", "--desk", "IT", "--period", "2026-11", "--format", "html",
                 "-o", str(out), "--database-url", url]) == 0
    html = out.read_text(encoding="utf-8")
    row = '<tr><td>{}</td><td class="n"><bdi>{}</bdi></td>'
    assert row.format("Requests opened", 3) in html
    assert row.format("First response within SLA", "33.3%") in html
    assert row.format("First response, median", "20 minutes") in html
    assert html.count("<svg") == 2
    he = tmp_path / "hr.html"
    assert main(["report", "--desk", "HR", "--period", "2026-11", "--format", "html",
                 "-o", str(he), "--database-url", url]) == 0
    assert 'dir="rtl"' in he.read_text(encoding="utf-8")
    assert main(["report", "--desk", "Payroll", "--format", "html",
                 "--database-url", url]) == 2


def test_cli_writes_the_same_page_as_html(in_tmp: Path) -> None:
    cli_html(f"sqlite+aiosqlite:///{in_tmp / 'desk.db'}", in_tmp)


if PG_URL:
    from tests.integration.test_cli import pg_database  # noqa: F401 - a fixture

    def test_cli_writes_the_page_on_postgresql(in_tmp: Path,
                                               pg_database: str) -> None:  # noqa: F811
        cli_html(pg_database, in_tmp)


def test_the_link_is_good_for_seven_days_by_default() -> None:
    link = report_link(SETTINGS, "IT", "month", DECEMBER_7)
    query = dict(parse_qsl(urlsplit(link).query))
    assert int(query["expires"]) == int((DECEMBER_7 + timedelta(days=7)).timestamp())
    assert len(query["sig"]) == 64 and query["period"] == "month"
