"""Reports on a generated world whose every figure is known in advance.

The world is built through the real commands (`conversations/commands.py`) with the
FrozenClock set to each chosen moment: open (with the way in), priority, agent
replies, waiting and the requester's return (a pause), resolve, reopen, close,
rating. Two things are written to the rows directly, as no command sets them yet:
a request's category and its kind (ticket). The real breach sweep runs a minute
after the first-response due time of each request answered late, and flags it; at
the end all the sweeps run once (`scheduling.sweeps.sweep_all`), three weeks on,
and flag the breaches of the requests nobody answered.

IT works Sun–Thu 08:00–18:00 in Asia/Jerusalem (first response 15m, resolution 2d);
every November request opens at 09:00–09:11 on a working day and is done the same
day, so its business time equals the minutes the plan chose, and the expected
figures follow from each request's number `i` by the formulas of `plan`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from conversations import commands
from conversations.lifecycle import Status
from conversations.reports.periods import parse_period
from conversations.reports.report import build_report
from scheduling.desk_calendar import window_of
from scheduling.sweeps import sla_breaches, sweep_all, sweep_one
from storage.clock import FrozenClock
from storage.database import Database
from tests.conftest import PG_URL
from tests.integration.sla_world import JERUSALEM, local, sla_world
from tests.integration.world import World

NOVEMBER = 240
OCTOBER = 20
OCTOBER_LEFT_OPEN = 5
HR_REQUESTS = 10
CATEGORIES = {0: "Printers", 1: "VPN"}
PRIORITIES = [3, 2, 4, 5, 1]
WAYS_IN = ["dm", "intake", "command"]


@dataclass
class Plan:
    """One November request as chosen: minutes after opening for each step."""

    i: int
    opened: datetime
    answered: bool
    first: int  # minutes to the first reply
    resolve: int  # minutes to the (first) resolve
    waiting: bool  # 30 minutes waiting on the requester after the reply
    second_reply: bool
    reopened: bool  # reopened 5 minutes after resolve, resolved again at +20
    closed: bool  # closed at resolve + 30
    rating: int | None
    agent: str

    @property
    def category(self) -> str | None:
        return CATEGORIES.get(self.i % 4)

    @property
    def priority(self) -> int:
        return PRIORITIES[self.i % 5]

    @property
    def way_in(self) -> str:
        return WAYS_IN[self.i % 3]

    @property
    def kind(self) -> str:
        return "ticket" if self.i % 6 == 0 else "inquiry"

    @property
    def done_minutes(self) -> int:
        return self.resolve + (20 if self.reopened else 0)

    @property
    def resolution_seconds(self) -> int:
        """Open time minus the pauses: waiting (30m), resolved before the reopen (5m)."""
        return 60 * (self.done_minutes - (30 if self.waiting else 0)
                     - (5 if self.reopened else 0))


def working_days(first: date, last: date) -> list[date]:
    """Sun–Thu days the example window is open all of 09:00–12:59 (no holiday)."""
    window = window_of({"hours": "sun-thu 08:00-18:00; fri 08:00-13:00",
                        "time_zone": "Asia/Jerusalem", "holidays": "IL"})
    days, day = [], first
    while day <= last:
        if day.weekday() in (6, 0, 1, 2, 3) and all(
                window.is_open(local(day.year, day.month, day.day, h)) for h in (9, 12)):
            days.append(day)
        day += timedelta(days=1)
    return days


def plan() -> list[Plan]:
    days = working_days(date(2026, 11, 1), date(2026, 11, 30))
    plans = []
    for i in range(NOVEMBER):
        day = days[i % len(days)]
        answered = i % 12 != 11
        plans.append(Plan(
            i=i, opened=local(day.year, day.month, day.day, 9, i // len(days)),
            answered=answered, first=5 + i % 20, resolve=60 + (i % 50) * 3,
            waiting=answered and i % 7 == 0, second_reply=answered and i % 5 == 2,
            reopened=answered and i % 11 == 0, closed=answered and i % 3 == 0,
            rating=(1 + i % 5) if answered and i % 4 in (0, 1) else None,
            agent="dana" if i % 2 == 0 else "lee"))
    return plans


async def build(world: World, clock: FrozenClock, plans: list[Plan]) -> None:
    eli = await world.person("eli")
    it = world.desks["IT"]
    for october, day in enumerate(working_days(date(2026, 10, 4), date(2026, 10, 29))[:OCTOBER]):
        clock.set(local(day.year, day.month, day.day, 10))
        async with world.db.unit_of_work() as uow:
            ref = (await commands.open_conversation(uow, eli, it, f"october {october}")
                   ).conversation.ref
            if october >= OCTOBER_LEFT_OPEN:
                clock.advance(minutes=10)
                await commands.agent_reply(uow, world.actor("dana"), ref, "on it")
                clock.advance(minutes=50)
                await commands.set_status(uow, world.actor("dana"), ref, Status.RESOLVED)
            await uow.commit()
    for p in plans:
        agent = world.actor(p.agent)

        def at(minutes: int, p: Plan = p) -> None:
            clock.set(p.opened + timedelta(minutes=minutes))

        at(0)
        async with world.db.unit_of_work() as uow:
            conversation = (await commands.open_conversation(
                uow, eli, it, f"request {p.i}", via=p.way_in)).conversation
            conversation.category, conversation.kind = p.category, p.kind  # no command yet
            ref = conversation.ref
            if p.priority != 3:
                await commands.set_priority(uow, world.actor("noa"), ref, p.priority)
            await uow.commit()
        if p.answered and p.first > 15:
            at(16)  # the breach sweep runs a minute after the first response was due
            assert await sweep_one(world.db, clock.now(), sla_breaches) >= 1
        async with world.db.unit_of_work() as uow:
            if p.answered:
                at(p.first)
                await commands.agent_reply(uow, agent, ref, "here is how")
                if p.second_reply:
                    at(p.first + 1)
                    await commands.agent_reply(uow, agent, ref, "and one more thing")
                if p.waiting:
                    at(p.first + 3)
                    await commands.set_status(uow, agent, ref, Status.WAITING)
                    at(p.first + 33)
                    await commands.requester_message(uow, eli, ref, "tried it")
                at(p.resolve)
                await commands.set_status(uow, agent, ref, Status.RESOLVED)
                if p.reopened:
                    at(p.resolve + 5)
                    await commands.reopen(uow, agent, ref)
                    at(p.resolve + 20)
                    await commands.set_status(uow, agent, ref, Status.RESOLVED)
                if p.closed:
                    at(p.done_minutes + 30)
                    await commands.close(uow, agent, ref)
                if p.rating is not None:
                    at(p.done_minutes + 40)
                    await commands.rate(uow, eli, ref, p.rating)
            await uow.commit()
    hr = world.desks["HR"]
    for n in range(HR_REQUESTS):
        clock.set(local(2026, 11, 2, 11, n))
        await world.run(commands.open_conversation, eli, hr, f"hr {n}")
    clock.set(local(2026, 12, 22, 10))  # long after every due time: the sweeps flag them
    await sweep_all(world.db, clock)


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: list[float]) -> float | None:
    return float(sorted(values)[math.ceil(0.9 * len(values)) - 1]) if values else None


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def expected(plans: list[Plan]) -> dict[str, Any]:
    """The November figures, from the plan alone."""
    done = [p for p in plans if p.answered]
    unanswered = [p for p in plans if not p.answered]
    firsts = [60.0 * p.first for p in done]
    met_first = [p for p in done if p.first <= 15]

    def per_priority(met: Any) -> dict[str, dict[str, Any]]:
        result = {}
        for priority in sorted({p.priority for p in plans}):
            mine = [p for p in plans if p.priority == priority]
            ok = sum(1 for p in mine if met(p))
            result[str(priority)] = {"decided": len(mine), "met": ok,
                                     "percent": pct(ok, len(mine))}
        return result

    ratings = [p.rating for p in done if p.rating is not None]
    fcr = [p for p in done if not p.second_reply and not p.reopened]

    def backlog(moment: datetime) -> int:
        return OCTOBER_LEFT_OPEN + sum(1 for p in unanswered if p.opened < moment)

    agents = []
    for name, key in (("Dana", "dana"), ("Lee", "lee")):
        mine = [p for p in done if p.agent == key]
        rated = [p.rating for p in mine if p.rating is not None]
        agents.append({"name": name, "assigned": len(mine), "resolved": len(mine),
                       "median_first_response": median([60.0 * p.first for p in mine]),
                       "csat": round(statistics.fmean(rated), 2), "ratings": len(rated),
                       "open_now": 0})
    weeks = [local(2026, 11, d, 0) for d in (1, 8, 15, 22, 29)] + [local(2026, 12, 1, 0)]
    return {
        "opened": NOVEMBER, "resolved": len(done),
        "closed": sum(1 for p in plans if p.closed),
        "reopened": sum(1 for p in plans if p.reopened),
        "by_category": {"(none)": sum(1 for p in plans if p.category is None),
                        "Printers": sum(1 for p in plans if p.category == "Printers"),
                        "VPN": sum(1 for p in plans if p.category == "VPN")},
        "by_priority": {str(k): sum(1 for p in plans if p.priority == k) for k in range(1, 6)},
        "by_kind": {"inquiry": sum(1 for p in plans if p.kind == "inquiry"),
                    "ticket": sum(1 for p in plans if p.kind == "ticket")},
        "by_way_in": {w: sum(1 for p in plans if p.way_in == w) for w in sorted(WAYS_IN)},
        "by_platform": {"slack": NOVEMBER},
        "first_response": {"count": len(done), "median": median(firsts), "p90": p90(firsts)},
        "resolution": {"count": len(done),
                       "median": median([p.resolution_seconds for p in done]),
                       "p90": p90([p.resolution_seconds for p in done])},
        "sla_first_response": {
            "overall": {"decided": NOVEMBER, "met": len(met_first),
                        "percent": pct(len(met_first), NOVEMBER)},
            "per_priority": per_priority(lambda p: p.answered and p.first <= 15)},
        "sla_resolution": {
            "overall": {"decided": NOVEMBER, "met": len(done),
                        "percent": pct(len(done), NOVEMBER)},
            "per_priority": per_priority(lambda p: p.answered)},
        "breaches": (NOVEMBER - len(met_first)) + len(unanswered),
        "agents": agents,
        "satisfaction": {"done": len(done), "rated": len(ratings),
                         "response_rate": pct(len(ratings), len(done)),
                         "average": round(statistics.fmean(ratings), 2),
                         "distribution": {str(s): ratings.count(s) for s in range(1, 6)}},
        "first_contact": {"done": len(done), "resolved_first_contact": len(fcr),
                          "percent": pct(len(fcr), len(done))},
        "backlog": {"start": backlog(weeks[0]), "end": backlog(weeks[-1]),
                    "trend": [{"at": w.isoformat(), "open": backlog(w)} for w in weeks]},
    }


async def test_every_figure_of_a_generated_month(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    plans = plan()
    await build(world, clock, plans)
    want = expected(plans)

    async with db.unit_of_work(readonly=True) as uow:
        period = parse_period("2026-11", clock.now(), str(JERUSALEM))
        report = await build_report(uow, period, [world.desks["IT"]])
        everything = await build_report(uow, period)
    data = json.loads(json.dumps(report.as_dict()))
    got = data["figures"]

    for name, value in want.items():
        if name == "breaches":
            assert len(got["breaches"]) == value
        elif name == "agents":
            assert [{k: a[k] for k in value[0]} for a in got["agents"]] == value
        else:
            assert got[name] == value, name
    assert data["period"]["label"] == "2026-11"
    assert data["period"]["start"] == "2026-10-31T22:00:00+00:00"
    # October: 20 opened, 15 answered in 10 minutes and resolved in an hour, 5 never.
    before = data["previous"]
    assert data["previous_period"]["label"] == "2026-10"
    assert (before["opened"], before["resolved"]) == (OCTOBER, OCTOBER - OCTOBER_LEFT_OPEN)
    assert before["first_response"] == {"count": 15, "median": 600.0, "p90": 600.0}
    assert before["resolution"] == {"count": 15, "median": 3600.0, "p90": 3600.0}
    assert before["sla_first_response"]["overall"]["met"] == 15
    assert before["backlog"]["end"] == OCTOBER_LEFT_OPEN == want["backlog"]["start"]
    assert data["change"]["opened"] == {"current": NOVEMBER, "previous": OCTOBER,
                                        "change": NOVEMBER - OCTOBER}
    # The sweep flagged every breach: the late answers' a minute after their due time,
    # the unanswered requests' both clocks at the end.
    assert all(b["breached_at"] is not None for b in got["breaches"])
    assert sum(b["clock"] == "resolution" for b in got["breaches"]) == NOVEMBER // 12
    # The backlog grew from the 5 October leftovers to 25, and first responses on time
    # fell from 15 of 20 to 124 of 240: the two rules that fire here (the late answers
    # are spread over every day; the categories are alike; the agents share the work;
    # more than half the requests done were rated).
    assert [w["key"] for w in data["recommendations"]] == [
        "report.advice.backlog_growing", "report.advice.first_response_slipping"]
    assert data["recommendations"][0]["values"] == {"start": 5, "end": 25}
    assert data["recommendations"][1]["values"] == {"before": 75, "after": 52}
    assert data["recommendations"][0]["english"] == (
        "Open requests grew from 5 at the start of the period to 25 at its end.")
    # Every desk: HR's requests count too.
    assert everything.current.opened == NOVEMBER + HR_REQUESTS
    assert everything.desks == ()

    rows = list(csv.DictReader(io.StringIO(report.csv())))
    assert len(rows) == len(report.requests) == NOVEMBER
    start, end = period.start, period.end

    def inside(cell: str) -> bool:
        return bool(cell) and start <= datetime.fromisoformat(cell) < end

    assert sum(inside(r["opened_at"]) for r in rows) == got["opened"]
    assert sum(inside(r["resolved_at"]) for r in rows) == got["resolved"]
    assert sum(inside(r["closed_at"]) for r in rows) == got["closed"]
    assert sum(int(r["reopens"]) for r in rows) == got["reopened"]
    firsts = [float(r["first_response_business_seconds"]) for r in rows
              if r["first_response_business_seconds"]]
    assert median(firsts) == got["first_response"]["median"]
    resolutions = [float(r["resolution_business_seconds"]) for r in rows
                   if r["resolution_business_seconds"]]
    assert p90(resolutions) == got["resolution"]["p90"]
    breached = sum((r["first_response_sla"] == "breached") + (r["resolution_sla"] == "breached")
                   for r in rows)
    assert breached == len(got["breaches"])
    ratings = [int(r["rating"]) for r in rows if r["rating"]]
    assert round(statistics.fmean(ratings), 2) == got["satisfaction"]["average"]
    assert {r["desk"] for r in rows} == {"IT"}
    assert min(datetime.fromisoformat(r["opened_at"]) for r in rows).tzinfo is not None
    assert all(datetime.fromisoformat(r["opened_at"]).astimezone(UTC) >= start for r in rows)


# ---------------------------------------------------------------- deskbot report


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_cli_writes_the_report_as_json_and_csv(in_tmp: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cli_report(f"sqlite+aiosqlite:///{in_tmp / 'desk.db'}", in_tmp, capsys)


if PG_URL:
    from tests.integration.test_cli import pg_database  # noqa: F401 - a fixture

    def test_cli_writes_the_report_on_postgresql(in_tmp: Path, pg_database: str,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        cli_report(pg_database, in_tmp, capsys)


def cli_report(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`deskbot report` on a database of its own: three IT requests of November 2026
    (answered in 10, 20 and 30 minutes), one HR request."""
    assert main(["db", "upgrade", "--database-url", url]) == 0

    async def seed() -> None:
        clock = FrozenClock(local(2026, 11, 2, 9))
        db = Database(url, clock=clock)
        try:
            world = await sla_world(db)
            eli = await world.person("eli")
            for n in range(3):
                clock.set(local(2026, 11, 2 + n, 9))
                posted = await world.run(commands.open_conversation, eli, world.desks["IT"],
                                         f"printer {n}")
                clock.advance(minutes=10 * (n + 1))
                await world.run(commands.agent_reply, world.actor("dana"),
                                posted.conversation.ref, "fixed")
            await world.run(commands.open_conversation, eli, world.desks["HR"], "leave")
        finally:
            await db.dispose()

    asyncio.run(seed())
    capsys.readouterr()
    out = tmp_path / "it.json"
    assert main(["report", "--desk", "it", "--period", "2026-11", "--format", "json",
                 "-o", str(out), "--database-url", url]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["desks"] == ["IT"]
    assert data["period"]["time_zone"] == "Asia/Jerusalem"
    assert data["figures"]["opened"] == 3
    assert data["figures"]["first_response"] == {"count": 3, "median": 1200.0, "p90": 1800.0}
    assert data["figures"]["sla_first_response"]["overall"] == {"decided": 3, "met": 1,
                                                                "percent": 33.3}

    assert main(["report", "--period", "2026-11", "--format", "csv",
                 "--database-url", url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(r["desk"] for r in rows) == ["HR", "IT", "IT", "IT"]
    # Every desk, and HR counts in UTC: their days are UTC's.
    assert main(["report", "--period", "2026-11", "--database-url", url]) == 0
    every = json.loads(capsys.readouterr().out)
    assert (every["desks"], every["period"]["time_zone"]) == ([], "UTC")
    assert every["figures"]["opened"] == 4
    assert [r["first_response_sla"] for r in rows if r["desk"] == "IT"] == [
        "met", "breached", "breached"]

    assert main(["report", "--desk", "IT", "--period", "2026-13", "--database-url", url]) == 2
    assert "2026-11-01..2026-11-30" in capsys.readouterr().err
    assert main(["report", "--desk", "Payroll", "--database-url", url]) == 2
    assert "There is no desk" in capsys.readouterr().err


async def test_agents_available_when_each_request_was_opened(db: Database,
                                                             clock: FrozenClock) -> None:
    """Read back from the `agent.availability` events: Dana turns on at 10:00 and off at
    12:00; Lee turns on at 11:30 and stays on; Noa never changes (off)."""
    world = await sla_world(db)
    eli = await world.person("eli")
    steps: list[tuple[int, int, str | None, bool | None]] = [
        (9, 0, None, None), (10, 0, "dana", True), (11, 0, None, None),
        (11, 30, "lee", True), (11, 45, None, None), (12, 0, "dana", False),
        (13, 0, None, None)]
    for hour, minute, who, available in steps:
        clock.set(local(2026, 11, 2, hour, minute))
        if who is None:
            await world.run(commands.open_conversation, eli, world.desks["IT"], "help")
        else:
            await world.run(commands.set_availability, world.actor(who), bool(available))

    async with db.unit_of_work(readonly=True) as uow:
        period = parse_period("2026-11", clock.now(), str(JERUSALEM))
        report = await build_report(uow, period, [world.desks["IT"]])

    assert [r.agents_available for r in report.requests] == [0, 1, 2, 1]
    # Nobody took them: no agent has a request open now.
    assert report.current.agents == ()
    await world.run(commands.claim, world.actor("lee"), report.requests[0].ref)
    async with db.unit_of_work(readonly=True) as uow:
        report = await build_report(uow, period, [world.desks["IT"]])
    assert [(a.name, a.assigned, a.open_now) for a in report.current.agents] == [("Lee", 1, 1)]
    assert report.previous.agents == ()
