"""Desks as code: `deskbot desks export` / `import` and `conversations.desk_file`, on
both databases.

Round trip (export, import into an empty database, export again: the same text),
line-numbered problems, all or nothing, the events an import writes, and the CLI's
exit codes (0 ok, 2 a bad file or arguments, 1 the database).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from conversations.desk_file import (
    DeskFileInvalid,
    apply_desk_file,
    export_desks,
    find_workspace,
    read_desk_file,
)
from desks import service
from storage.clock import FrozenClock
from storage.database import Database, normalise_url
from storage.models import Conversation, Desk, DeskMember, Event, Person, Workspace
from tests.integration.world import World

PG_URL = os.environ.get("DESKBOT_TEST_DATABASE_URL", "").strip()
TABLES = (Workspace, Person, Desk, DeskMember, Conversation, Event)


@pytest.fixture
async def empty_db(backend: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Database]:
    """A second database (SQLite file, or PostgreSQL schema) with nothing in it."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", clock=clock)
        await db.create_all()
        yield db
        await db.dispose()
        return
    schema = f"e_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalise_url(PG_URL))
    async with admin.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    db = Database(PG_URL, clock=clock,
                  connect_args={"server_settings": {"search_path": schema}})
    try:
        await db.create_all()
        yield db
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


async def export_text(db: Database, external_id: str | None = None) -> str:
    async with db.unit_of_work(readonly=True) as uow:
        workspace = await find_workspace(uow, external_id)
        assert workspace is not None
        return await export_desks(uow, workspace)


async def import_text(db: Database, text: str, source: str = "desks.yaml",
                      workspace: str | None = None) -> Any:
    config = read_desk_file(text, source)
    async with db.unit_of_work() as uow:
        result = await apply_desk_file(uow, config, workspace_external_id=workspace)
        await uow.commit()
        return result


async def snapshot(db: Database) -> dict[str, Any]:
    """Row counts, and every desk as stored."""
    async with db.unit_of_work(readonly=True) as uow:
        counts = {m.__tablename__: (await uow.session.execute(
            select(func.count()).select_from(m))).scalar_one() for m in TABLES}
        desks = (await uow.session.execute(select(Desk).order_by(Desk.id))).scalars()
        counts["desks"] = [(d.name, d.description, d.agent_channel, d.intake_channel,
                            d.routing_keywords, d.settings, d.archived_at) for d in desks]
        members = await uow.session.execute(
            select(DeskMember.desk_id, DeskMember.person_id, DeskMember.role)
            .order_by(DeskMember.desk_id, DeskMember.person_id))
        counts["members"] = [tuple(row) for row in members.all()]
        return counts


async def configure(world: World) -> None:
    """The docs' example window on IT, and a bit of everything else."""
    ada, people = world.actor("ada"), world.people
    await world.run(service.set_hours, ada, "IT", "sun-thu 08:00-18:00; fri 08:00-13:00",
                    "Asia/Jerusalem")
    await world.run(service.set_holidays, ada, "IT", "IL")
    await world.run(service.add_closed_date, ada, "IT", "2026-12-31")
    await world.run(service.set_sla, ada, "IT", "first-response", "15m")
    await world.run(service.set_sla, ada, "IT", "first-response", "5m", 5)
    await world.run(service.set_stall, ada, "IT", "unassigned", "10m")
    await world.run(service.set_oncall, ada, "IT", "add", [people["dana"]])
    await world.run(service.set_routing_keywords, ada, "IT", ["vpn", "wifi"])
    await world.run(service.set_intake_channel, ada, "HR", "C_ASK_HR")
    async with world.db.unit_of_work() as uow:
        desk = await service.create_desk(uow, ada, "Facilities", description="Desks, keys")
        await service.archive_desk(uow, ada, desk)
        await uow.commit()


# ---------------------------------------------------------------- export and round trip


async def test_export_writes_every_desk(world: World) -> None:
    await configure(world)
    document = yaml.safe_load(await export_text(world.db))
    assert document["version"] == 1
    assert document["workspace"] == {"platform": "slack", "external_id": "T1", "name": "Acme"}
    assert [d["name"] for d in document["desks"]] == ["Facilities", "HR", "IT"]
    facilities, hr, it = document["desks"]
    assert facilities["archived"] is True and facilities["agents"] == []
    assert hr["intake_channel"] == "C_ASK_HR"
    assert {k: it[k] for k in ("name", "description", "agent_channel", "routing_keywords",
                               "leads", "agents", "archived")} == {
        "name": "IT", "description": "Laptops, VPN, accounts", "agent_channel": "C_IT",
        "routing_keywords": ["vpn", "wifi"], "leads": ["U_NOA"],
        "agents": ["U_DANA", "U_LEE"], "archived": False}
    assert it["settings"]["hours"] == "sun-thu 08:00-18:00; fri 08:00-13:00"
    assert it["settings"]["closed_dates"] == ["2026-12-31"]  # text, not a YAML date
    assert it["settings"]["sla"]["first_response"] == {"default": "15m", "5": "5m"}
    assert it["settings"]["oncall"] == ["U_DANA"]


async def test_round_trip_into_an_empty_database(world: World, empty_db: Database) -> None:
    await configure(world)
    first = await export_text(world.db)

    result = await import_text(empty_db, first)

    assert (result.created, result.updated) == (["Facilities", "HR", "IT"], [])
    assert await export_text(empty_db) == first
    # People it did not know are created by their ids.
    async with empty_db.unit_of_work(readonly=True) as uow:
        names = (await uow.session.execute(
            select(Person.external_id, Person.display_name).order_by(Person.external_id)))
        assert names.all() == [("U_DANA", "U_DANA"), ("U_LEE", "U_LEE"), ("U_NOA", "U_NOA"),
                               ("U_OMER", "U_OMER")]

    # Applying it again changes nothing and says so.
    again = await import_text(empty_db, first)
    assert (again.created, again.updated, again.unchanged) == ([], [], ["Facilities", "HR",
                                                                        "IT"])
    assert await export_text(empty_db) == first


async def test_import_updates_by_name_and_writes_events(world: World) -> None:
    await configure(world)
    document = yaml.safe_load(await export_text(world.db))
    it = document["desks"][2]
    it.update(name="it", description="Everything with a plug", agents=["U_LEE", "U_NEW"],
              leads=["U_DANA"], routing_keywords=["Printer"])
    it["settings"].update(hours="always", oncall=["U_NEW"])
    del it["settings"]["stall"]  # left out: back to the defaults
    document["desks"][0]["archived"] = False  # Facilities back in service
    document["desks"].append({"name": "Legal", "agents": ["U_OMER"]})
    ref = await world.run(_ask, world)
    async with world.db.unit_of_work() as uow:
        conversation = await uow.session.get(Conversation, ref)
        conversation.assignee_id, conversation.status = world.people["noa"].id, "open"
        await uow.commit()

    before = max(e.id for e in await world.events())
    result = await import_text(world.db, yaml.safe_dump(document), source="mine.yaml")

    assert (result.created, result.updated, result.unchanged) == (
        ["Legal"], ["Facilities", "it"], ["HR"])
    async with world.db.unit_of_work(readonly=True) as uow:
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        assert (desk.name, desk.slug, desk.description) == ("it", "it", "Everything with a plug")
        assert desk.routing_keywords == ["printer"]
        assert desk.settings["hours"] == "always" and desk.settings["oncall"] == ["U_NEW"]
        assert desk.settings["stall"]["unassigned"] == "30m"
        roles = dict((await uow.session.execute(
            select(Person.external_id, DeskMember.role)
            .join(DeskMember, DeskMember.person_id == Person.id)
            .where(DeskMember.desk_id == desk.id))).all())
        assert roles == {"U_DANA": "lead", "U_LEE": "agent", "U_NEW": "agent"}
        # Noa is off the desk: her conversation went back to the queue, as in chat.
        conversation = await uow.session.get(Conversation, ref)
        assert (conversation.assignee_id, conversation.status) == (None, "new")
        facilities = (await uow.session.execute(
            select(Desk).where(Desk.slug == "facilities"))).scalar_one()
        assert facilities.archived_at is None

    written = [e for e in await world.events() if e.id > before]
    kinds = {e.kind for e in written}
    assert {"desk.renamed", "desk.described", "desk.routing_keywords", "desk.agent_added",
            "desk.lead_added", "desk.agent_removed", "desk.policy_changed", "desk.restored",
            "desk.created", "conversation.released", "desks.imported"} <= kinds
    # The import's events are the system's: no person acted.
    assert all(e.actor_id is None for e in written)
    summary = written[-1]
    assert summary.kind == "desks.imported" and summary.data == {
        "source": "mine.yaml", "created": ["Legal"], "updated": ["Facilities", "it"],
        "unchanged": ["HR"]}


async def _ask(uow: Any, world: World) -> int:
    from conversations.commands import open_conversation

    desk = await uow.session.get(Desk, world.desks["IT"].id)
    posted = await open_conversation(uow, world.people["eli"], desk, "printer jam",
                                     via="command")
    return posted.conversation.id


# ---------------------------------------------------------------- problems, by line


BAD = """\
version: 1
workspace: {platform: slack, external_id: T1}
desks:
- name: IT
  agents: [U_DANA]
  leads: [U_NOA]
  settings:
    hours: mon 25:00-26:00
    time_zone: Mars/Olympus
    closed_dates: [2026-02-30]
    sla:
      first_response: {default: 15, 7: 5m}
      warning_percent: 120
    stall: {unassigned: 1.5h}
    oncall: [U_ELI]
    colour: blue
- name: HR
  archived: maybe
  agent: [U_X]
- name: it
- description: no name
"""


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(DeskFileInvalid) as caught:
        read_desk_file(BAD, "desks.yaml")
    assert caught.value.problems == [
        "desks.yaml:8: hours: “25:00” is not a time; write hours like "
        "`sun-thu 08:00-18:00; fri 08:00-13:00`, or `always`.",
        "desks.yaml:9: time_zone: “Mars/Olympus” is not a time zone; write an IANA name like "
        "`Asia/Jerusalem` or `Europe/London`.",
        "desks.yaml:10: closed_dates[0]: “2026-02-30” is not a day of the calendar; write "
        "dates as `YYYY-MM-DD`, e.g. `2026-12-31`.",
        "desks.yaml:12: sla.first_response.7: not one of sla.first_response's keys; they are "
        "default, 1, 2, 3, 4, 5.",
        "desks.yaml:12: sla.first_response.default: “15” needs a unit, like `15m` for "
        "minutes; write durations like `45s`, `15m`, `2h` or `3d`.",
        "desks.yaml:13: sla.warning_percent: “120” is not a warning threshold; write a whole "
        "percent from 1 to 99, like `80%`.",
        "desks.yaml:14: stall.unassigned: “1.5h” is not a whole number (write `1h30m`); "
        "write durations like `45s`, `15m`, `2h` or `3d`.",
        "desks.yaml:15: oncall[0]: “U_ELI” is not one of this desk's agents or leads.",
        "desks.yaml:16: colour: not a desk setting; they are hours, time_zone, holidays, "
        "closed_dates, sla, stall, auto_close_after, oncall, escalate_to, categories, matrix, "
        "reopen_window_days, autoassign, audience, incident_burst.",
        "desks.yaml:18: archived: true or false, not “maybe”.",
        "desks.yaml:19: agent: not a desk key; they are name, description, agent_channel, "
        "intake_channel, routing_keywords, leads, agents, archived, language, settings, "
        "saved_replies, articles.",
        "desks.yaml:20: name: “it” is the same desk as “IT” (line 4).",
        "desks.yaml:21: desks[3]: a desk needs a `name:`.",
    ]


@pytest.mark.parametrize(("text", "problem"), [
    ("desks: [\n", "f.yaml:2: not YAML: expected the node content, but found '<stream end>'"),
    ("", "f.yaml:1: a desk file is a mapping with `desks:`"),
    ("- name: IT\n", "f.yaml:1: a desk file is a mapping with `desks:`"),
    ("version: 2\ndesks: []\n", "f.yaml:1: version: this deskbot reads version 1."),
    ("desks: []\ndesks: []\n", "f.yaml:2: desks: given twice."),
    ("workspace: {platform: irc}\ndesks: []\n", "f.yaml:1: workspace.platform: is slack or "
                                                "teams."),
    ("desks:\n- name: IT\n  agents: U_DANA\n", "f.yaml:3: agents: is a list"),
    ("desks:\n- name: IT\n  agents: [12]\n", "f.yaml:3: agents: is text"),
    ("desks:\n- name: '#'\n", "f.yaml:2: name: A desk needs a name"),
    ("desks:\n- name: IT\n  settings:\n    hours: 8\n", "f.yaml:4: hours: The hours is text"),
    ("desks:\n- name: IT\n  settings: [always]\n", "f.yaml:3: settings: The settings are a "
                                                   "mapping"),
])
def test_file_shapes_that_are_refused(text: str, problem: str) -> None:
    with pytest.raises(DeskFileInvalid) as caught:
        read_desk_file(text, "f.yaml")
    assert caught.value.problems[0].startswith(problem), caught.value.problems


def test_yaml_words_that_are_not_what_they_seem() -> None:
    text = ("desks:\n- name: Oslo\n  archived: false\n  settings:\n    holidays: NO\n"
            "    closed_dates: [2026-12-31]\n")
    [desk] = read_desk_file(text).desks
    assert desk.settings == {"holidays": "NO", "closed_dates": ["2026-12-31"]}  # Norway
    assert desk.archived is False


# ---------------------------------------------------------------- all or nothing


async def test_one_bad_desk_among_good_ones_changes_nothing(world: World) -> None:
    await configure(world)
    good = yaml.safe_load(await export_text(world.db))
    good["desks"][2]["settings"]["hours"] = "always"
    good["desks"].append({"name": "Legal", "agents": ["U_OMER"]})
    good["desks"].append({"name": "Broken", "settings": {"time_zone": "Mars/Olympus"}})
    before = await snapshot(world.db)

    with pytest.raises(DeskFileInvalid, match="Mars/Olympus"):
        await import_text(world.db, yaml.safe_dump(good))

    assert await snapshot(world.db) == before


async def test_a_problem_found_while_applying_rolls_everything_back(world: World) -> None:
    await configure(world)
    # The file leaves IT's people as they are but puts someone else on call: that is
    # found only against the database, after Legal was already created.
    text = ("workspace: {platform: slack, external_id: T1}\ndesks:\n"
            "- name: Legal\n  agents: [U_OMER]\n"
            "- name: IT\n  settings:\n    oncall: [U_OMER]\n")
    before = await snapshot(world.db)

    with pytest.raises(DeskFileInvalid) as caught:
        await import_text(world.db, text, source="x.yaml")

    assert caught.value.problems == ["x.yaml:5: oncall: “U_OMER” is not one of the IT desk's "
                                     "agents or leads."]
    assert await snapshot(world.db) == before


async def test_the_workspace_comes_from_the_flag_or_the_database(world: World) -> None:
    await configure(world)
    text = await export_text(world.db)
    async with world.db.unit_of_work() as uow:
        await service.create_desk(uow, world.actor("ada"), "Other")  # so T1 is not empty
        await uow.commit()
    # Copy T1's desks into a new workspace T2 (the flag wins over the file).
    result = await import_text(world.db, text, workspace="T2")
    assert result.workspace.external_id == "T2" and result.created == ["Facilities", "HR",
                                                                       "IT"]
    with pytest.raises(Exception, match="Several workspaces"):
        await export_text(world.db)
    # Without a platform there is no creating a workspace.
    with pytest.raises(Exception, match="no workspace T3"):
        await import_text(world.db, "desks: []\n", workspace="T3")


# ---------------------------------------------------------------- the CLI


def _cli_database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    return url


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_cli_import_then_export(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _cli_database(in_tmp)
    source = in_tmp / "desks.yaml"
    source.write_text("version: 1\nworkspace: {platform: slack, external_id: T1}\ndesks:\n"
                      "- name: IT\n  agents: [U_DANA]\n  settings:\n"
                      "    hours: sun-thu 08:00-18:00; fri 08:00-13:00\n"
                      "    time_zone: Asia/Jerusalem\n    holidays: IL\n"
                      "    sla: {first_response: {default: 15m}}\n", encoding="utf-8")
    capsys.readouterr()

    assert main(["desks", "import", str(source), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out == (f"{source} applied to slack:T1: created IT; updated none; "
                   "unchanged none\n")

    exported = in_tmp / "out.yaml"
    assert main(["desks", "export", "--database-url", url, "-o", str(exported)]) == 0
    assert main(["desks", "export", "--database-url", url, "--workspace", "T1"]) == 0
    assert capsys.readouterr().out == exported.read_text(encoding="utf-8")
    [desk] = yaml.safe_load(exported.read_text(encoding="utf-8"))["desks"]
    assert desk["settings"]["holidays"] == "IL" and desk["agents"] == ["U_DANA"]

    assert main(["desks", "import", str(exported), "--database-url", url]) == 0
    assert "unchanged IT" in capsys.readouterr().out


def test_cli_import_into_a_new_sqlite_file_migrates_it_first(
        in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{in_tmp / 'fresh.db'}"  # never upgraded
    source = in_tmp / "desks.yaml"
    source.write_text("version: 1\nworkspace: {platform: slack, external_id: T1}\ndesks:\n"
                      "- name: HR\n", encoding="utf-8")
    assert main(["desks", "import", str(source), "--database-url", url]) == 0
    assert "created HR" in capsys.readouterr().out
    assert main(["db", "current", "--database-url", url]) == 0
    assert capsys.readouterr().out.strip().endswith("(head)")


def test_cli_bad_file_exits_2_one_line_per_problem(in_tmp: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = _cli_database(in_tmp)
    (in_tmp / "desks.yaml").write_text(BAD, encoding="utf-8")
    capsys.readouterr()

    assert main(["desks", "import", "desks.yaml", "--database-url", url]) == 2

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 13 and captured.out == ""
    assert lines[0].startswith("desks.yaml:8: hours: “25:00” is not a time")
    assert all(line.startswith("desks.yaml:") for line in lines)


@pytest.mark.parametrize(("args", "expected"), [
    (["desks", "import", "missing.yaml"], "deskbot desks import: cannot read missing.yaml: "
                                          "No such file or directory"),
    (["desks", "export", "--workspace", "T9"], "deskbot desks export: There is no workspace "
                                               "T9."),
    (["desks", "export"], "deskbot desks export: The database has no workspace yet."),
    (["desks"], "deskbot desks: the following arguments are required: COMMAND"),
])
def test_cli_usage_problems_exit_2(in_tmp: Path, capsys: pytest.CaptureFixture[str],
                                   args: list[str], expected: str) -> None:
    url = _cli_database(in_tmp)
    capsys.readouterr()
    extra = ["--database-url", url] if len(args) > 1 else []
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and err.count("\n") == 1, err


def test_cli_database_trouble_exits_1(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "desks.yaml").write_text("workspace: {platform: slack, external_id: T1}\n"
                                       "desks: [{name: IT}]\n", encoding="utf-8")
    missing = f"sqlite:///{in_tmp / 'no-such-dir' / 'x.db'}"
    for args in (["desks", "export"], ["desks", "import", "desks.yaml"]):
        capsys.readouterr()
        assert main([*args, "--database-url", missing]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"deskbot {args[0]} {args[1]}: error: database at sqlite:///")
        assert err.count("\n") == 1 and "Traceback" not in err


if PG_URL:
    from tests.integration.test_cli import pg_database  # noqa: F401 - a fixture

    def test_cli_round_trip_on_postgresql(in_tmp: Path, pg_database: str,  # noqa: F811
                                          capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["db", "upgrade", "--database-url", pg_database]) == 0
        source = in_tmp / "desks.yaml"
        source.write_text("workspace: {platform: teams, external_id: tenant-1}\ndesks:\n"
                          "- name: IT\n  leads: ['29:abc']\n  settings: {holidays: US-CA}\n"
                          "- name: HR\n  archived: true\n", encoding="utf-8")
        assert main(["desks", "import", str(source), "--database-url", pg_database]) == 0
        first = in_tmp / "first.yaml"
        assert main(["desks", "export", "-o", str(first), "--database-url", pg_database]) == 0
        assert main(["desks", "import", str(first), "--database-url", pg_database]) == 0
        capsys.readouterr()
        assert main(["desks", "export", "--database-url", pg_database]) == 0
        assert capsys.readouterr().out == first.read_text(encoding="utf-8")
        bad = in_tmp / "bad.yaml"
        bad.write_text("desks:\n- name: IT\n  settings: {hours: nope}\n", encoding="utf-8")
        assert main(["desks", "import", str(bad), "--database-url", pg_database]) == 2


# ---------------------------------------------------------------- escalation


async def test_escalation_exports_and_imports(world: World, empty_db: Database) -> None:
    await configure(world)
    await world.run(service.set_escalation, world.actor("ada"), "HR", "IT")
    first = await export_text(world.db)
    hr = yaml.safe_load(first)["desks"][1]
    assert hr["name"] == "HR" and hr["settings"]["escalate_to"] == "it"
    assert "escalate_to" not in yaml.safe_load(first)["desks"][2]["settings"]  # IT: off

    await import_text(empty_db, first)  # HR comes before IT in the file: checked after all
    assert await export_text(empty_db) == first

    # A desk's name is read as its slug; null turns it off.
    document = yaml.safe_load(first)
    document["desks"][2]["settings"]["escalate_to"] = "Facilities"
    document["desks"][1]["settings"]["escalate_to"] = None
    await import_text(empty_db, yaml.safe_dump(document))
    again = yaml.safe_load(await export_text(empty_db))
    assert again["desks"][2]["settings"]["escalate_to"] == "facilities"
    assert "escalate_to" not in again["desks"][1]["settings"]


async def test_the_incident_burst_rule_exports_and_imports(world: World,
                                                          empty_db: Database) -> None:
    await configure(world)
    first = yaml.safe_load(await export_text(world.db))
    first["desks"][1]["settings"]["incident_burst"] = {"count": 5, "minutes": 30}
    await import_text(empty_db, yaml.safe_dump(first))
    again = yaml.safe_load(await export_text(empty_db))
    assert again["desks"][1]["settings"]["incident_burst"] == {"count": 5, "minutes": 30}
    first["desks"][1]["settings"]["incident_burst"] = {"count": "many"}
    with pytest.raises(DeskFileInvalid):
        await import_text(empty_db, yaml.safe_dump(first))


@pytest.mark.parametrize(("settings", "problem"), [
    ("escalate_to: Legal", "x.yaml:5: escalate_to: there is no desk “legal”"),
    ("escalate_to: IT", "x.yaml:5: escalate_to: The IT desk cannot escalate to itself"),
    ("escalate_to: HR", "x.yaml:5: escalate_to: That would make a loop: IT → HR → IT"),
    # Checked with the file, at the value's line (the others against the database, once
    # every desk of the file is in place: at the desk's line).
    ("escalate_to: [HR]", "x.yaml:7: escalate_to: escalate_to is the next-tier desk's name"),
])
async def test_escalation_problems_in_a_file_change_nothing(world: World, settings: str,
                                                            problem: str) -> None:
    await configure(world)
    await world.run(service.set_escalation, world.actor("ada"), "HR", "IT")
    text = ("workspace: {platform: slack, external_id: T1}\ndesks:\n"
            "- name: Legal2\n  agents: [U_OMER]\n"
            f"- name: IT\n  settings:\n    {settings}\n")
    before = await snapshot(world.db)

    with pytest.raises(DeskFileInvalid) as caught:
        await import_text(world.db, text, source="x.yaml")

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(problem), caught.value.problems
    assert await snapshot(world.db) == before


# ---------------------------------------------------------------- saved replies


async def test_saved_replies_export_and_import(world: World, empty_db: Database) -> None:
    from desks import saved_replies
    from storage.models import SavedReply

    await configure(world)
    ada = world.actor("ada")
    for name, text in (("vpn", "Hi {name}, try the VPN again. ({ref})"),
                       ("Leave", "שלום {שם}, בקשת החופשה התקבלה.")):
        await world.run(saved_replies.add_reply, ada, world.desks["IT"], name, text)
    first = await export_text(world.db)
    it = yaml.safe_load(first)["desks"][2]
    assert it["saved_replies"] == [{"name": "Leave", "text": "שלום {שם}, בקשת החופשה התקבלה."},
                                   {"name": "vpn", "text": "Hi {name}, try the VPN again. ({ref})"}]
    assert "saved_replies" not in yaml.safe_load(first)["desks"][1]  # HR has none

    await import_text(empty_db, first)
    assert await export_text(empty_db) == first
    again = await import_text(empty_db, first)
    assert again.unchanged == ["Facilities", "HR", "IT"]

    # The file's list is the whole truth: changed, added, gone; each with its event.
    document = yaml.safe_load(first)
    document["desks"][2]["saved_replies"] = [{"name": "vpn", "text": "Reconnect, {name}."},
                                             {"name": "wifi", "text": "Forget the network."}]
    result = await import_text(empty_db, yaml.safe_dump(document, allow_unicode=True))
    assert result.updated == ["IT"]
    async with empty_db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(SavedReply.name, SavedReply.text).order_by(SavedReply.name))).all()
        kinds = (await uow.session.execute(
            select(Event.kind, func.count()).where(Event.kind.like("desk.saved_reply%"))
            .group_by(Event.kind).order_by(Event.kind))).all()
    assert [tuple(r) for r in rows] == [("vpn", "Reconnect, {name}."),
                                        ("wifi", "Forget the network.")]
    assert [tuple(k) for k in kinds] == [("desk.saved_reply_added", 4),
                                         ("desk.saved_reply_removed", 2)]


@pytest.mark.parametrize(("replies", "problem"), [
    ("saved_replies: vpn", "x.yaml:3: saved_replies: is a list of replies"),
    ("saved_replies: [{name: vpn}]", "x.yaml:3: saved_replies[0]: a saved reply is a mapping"),
    ("saved_replies: [{name: vpn, text: 'Hi {first}'}]",
     "x.yaml:3: saved_replies[0]: `{first}` is not a placeholder I can fill"),
    ("saved_replies: [{name: vpn, text: a}, {name: VPN, text: b}]",
     "x.yaml:3: saved_replies[1]: the saved reply “VPN” is listed twice."),
    (f"saved_replies: [{{name: {'n' * 41}, text: a}}]", "at most 40 characters"),
])
def test_saved_reply_problems_in_a_file(replies: str, problem: str) -> None:
    text = f"desks:\n- name: IT\n  {replies}\n"
    with pytest.raises(DeskFileInvalid) as refused:
        read_desk_file(text, "x.yaml")
    assert any(problem in line for line in refused.value.problems), refused.value.problems


async def test_articles_export_and_import(world: World, empty_db: Database) -> None:
    from conversations.knowledge import articles
    from storage.models import KbArticle

    await configure(world)
    ada = world.actor("ada")
    await world.run(articles.add_article, ada, world.desks["IT"], "VPN drops",
                    "Reinstall the VPN client 5.2.")
    await world.run(articles.add_article, ada, world.desks["HR"], "חופשה",
                    "מגישים בקשה בפורטל.")
    await world.run(articles.add_article, ada, world.desks["IT"], "Wifi", "Forget it.")
    first = await export_text(world.db)
    desks = yaml.safe_load(first)["desks"]
    assert desks[2]["articles"] == [
        {"id": "KB-1", "title": "VPN drops", "text": "Reinstall the VPN client 5.2."},
        {"id": "KB-3", "title": "Wifi", "text": "Forget it."}]
    assert desks[1]["articles"] == [{"id": "KB-2", "title": "חופשה",
                                     "text": "מגישים בקשה בפורטל."}]
    assert "articles" not in desks[0]  # Facilities has none

    await import_text(empty_db, first)  # numbers kept: they are free there
    assert await export_text(empty_db) == first
    again = await import_text(empty_db, first)
    assert again.unchanged == ["Facilities", "HR", "IT"]

    # The file's list is the whole truth: KB-1 edited, KB-3 gone, one added (a new number).
    document = yaml.safe_load(first)
    document["desks"][2]["articles"] = [
        {"id": "KB-1", "title": "VPN drops", "text": "Use client 5.3."},
        {"title": "Printer", "text": "Power it off and on."}]
    result = await import_text(empty_db, yaml.safe_dump(document, allow_unicode=True))
    assert result.updated == ["IT"]
    async with empty_db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(KbArticle.number, KbArticle.title, KbArticle.body,
                   KbArticle.removed_at.is_(None)).order_by(KbArticle.number))).all()
        kinds = (await uow.session.execute(
            select(Event.kind, func.count()).where(Event.kind.like("kb.%"))
            .group_by(Event.kind).order_by(Event.kind))).all()
    assert [tuple(r) for r in rows] == [
        (1, "VPN drops", "Use client 5.3.", True), (2, "חופשה", "מגישים בקשה בפורטל.", True),
        (3, "Wifi", "Forget it.", False), (4, "Printer", "Power it off and on.", True)]
    assert [tuple(k) for k in kinds] == [("kb.article_added", 4), ("kb.article_edited", 1),
                                         ("kb.article_removed", 1)]


@pytest.mark.parametrize(("listed", "problem"), [
    ("articles: vpn", "x.yaml:3: articles: is a list of articles"),
    ("articles: [{title: VPN}]", "x.yaml:3: articles[0]: an article is a mapping"),
    ("articles: [{id: seven, title: VPN, text: a}]", "is not an article number"),
    ("articles: [{title: '  ', text: a}]", "needs a title"),
    ("articles: [{id: KB-1, title: a, text: b}, {id: kb-1, title: c, text: d}]",
     "x.yaml:3: articles[1]: the article KB-1 is listed twice."),
])
def test_article_problems_in_a_file(listed: str, problem: str) -> None:
    text = f"desks:\n- name: IT\n  {listed}\n"
    with pytest.raises(DeskFileInvalid) as refused:
        read_desk_file(text, "x.yaml")
    assert any(problem in line for line in refused.value.problems), refused.value.problems
