"""Tickets (issue 17, points 1 and 2) through the command layer, on both databases.

Categories added, changed, listed and removed from chat (admins and the desk's leads);
a ticket's SLA from its category, falling back to the desk's per target; the impact ×
urgency matrix on and off, its table from the desks YAML; categories and the matrix
exported and imported with the desks.
"""

from __future__ import annotations

import json
from datetime import timedelta

import yaml

from conversations.view_models import DeskConfig, QueueList, Reply
from scheduling.desk_calendar import DeskCalendar
from storage.database import Database
from tests.integration import test_commands as commands_tests
from tests.integration import test_desk_config_file as config_tests
from tests.integration.test_commands import ADA, DANA, ELI, LEE, NOA, OMER, Chat, asked

chat = commands_tests.chat
helpdesk = commands_tests.helpdesk
empty_db = config_tests.empty_db


async def always_open(chat: Chat) -> None:
    """IT open around the clock, and a calendar to count in: business time is wall time."""
    chat.db.business_time = DeskCalendar()
    await chat.ok(ADA, "admin hours IT always")


async def categories_shown(chat: Chat, desk: str = "IT") -> str:
    view = await chat.run(ADA, f"admin show {desk}")
    assert isinstance(view, DeskConfig), view
    return dict(view.settings)["Ticket categories"]


# ---------------------------------------------------------------- categories


async def test_categories_are_listed_added_changed_and_removed(helpdesk: Chat) -> None:
    assert await helpdesk.ok(ADA, "admin categories IT") == (
        "Ticket categories of the IT desk: Incident, Service request, IMAC.")
    assert await helpdesk.ok(NOA, "admin categories IT add Hardware sla first-response 1h") == (
        "Added the category Hardware to the IT desk (first response 1h, resolution the "
        "desk's).")
    answer = await helpdesk.ok(ADA, "admin categories IT add incident sla resolution 1d "
                                    "first-response 30m")
    assert answer == ("The category Incident of the IT desk was updated (first response 30m, "
                      "resolution 1d).")
    assert await helpdesk.ok(ADA, "admin categories IT add IMAC") == (
        "The IT desk has the category IMAC already.")
    assert await categories_shown(helpdesk) == (
        "Incident (first response 30m, resolution 1d), Service request, IMAC, "
        "Hardware (first response 1h, resolution the desk's)")
    removed = await helpdesk.ok(ADA, 'admin categories IT remove "service request"')
    assert removed == ("Removed the category Service request from the IT desk. Its "
                       "categories now: Incident (first response 30m, resolution 1d), IMAC, "
                       "Hardware (first response 1h, resolution the desk's).")
    stored = (await helpdesk.desk("IT")).settings["categories"]
    assert stored == [{"name": "Incident", "sla": {"first_response": {"default": "30m"},
                                                   "resolution": {"default": "1d"}}},
                      {"name": "IMAC"},
                      {"name": "Hardware", "sla": {"first_response": {"default": "1h"}}}]
    changes = [e.data["changed"] for e in await helpdesk.events("desk.policy_changed")]
    assert [sorted(c) for c in changes] == [["categories"]] * 3
    # HR kept the defaults.
    assert await categories_shown(helpdesk, "HR") == "Incident, Service request, IMAC"


async def test_malformed_category_commands_are_refused_with_the_form(helpdesk: Chat) -> None:
    before = (await helpdesk.desk("IT")).settings
    usage = ("/desk admin categories DESK [add|remove NAME [sla first-response 30m "
             "resolution 1d]]")
    for text, fragment in [
        ("admin categories", "needs the desk's name"),
        ("admin categories IT rename x", "takes add or remove here, not “rename”"),
        ("admin categories IT add", "needs a category"),
        ("admin categories IT add Net sla", "After sla, write the targets"),
        ("admin categories IT add Net sla first-response", "needs a duration"),
        ("admin categories IT add Net sla first-response soon", "“soon”"),
        ("admin categories IT add Net sla warning 5m", "not “warning”"),
        ("admin categories IT remove Outage", "The IT desk has no category Outage"),
        ("admin categories IT remove IMAC sla resolution 1d", "Remove takes only"),
        ("admin categories Legal", "no desk called"),
        ("admin categories IT add " + "x" * 81, "at most 80 characters"),
    ]:
        reply = await helpdesk.refused(ADA, text, fragment)
        if "no desk called" not in fragment and "80" not in fragment \
                and "Outage" not in fragment:
            assert reply.usage == usage, text
    # Agents are not admins of their desk; nothing was written.
    await helpdesk.refused(DANA, "admin categories IT add Net", "lead")
    await helpdesk.refused(ELI, "admin categories IT", "lead")
    assert (await helpdesk.desk("IT")).settings == before


async def test_a_ticket_takes_its_categorys_targets_and_the_desks_for_the_rest(
        helpdesk: Chat, clock) -> None:
    await always_open(helpdesk)
    await helpdesk.ok(ADA, "admin sla IT first-response 2h")
    await helpdesk.ok(ADA, "admin sla IT resolution 2d")
    await helpdesk.ok(ADA, "admin sla IT first-response 20m priority 5")
    await helpdesk.ok(ADA, "admin categories IT add Incident sla first-response 30m")
    ref = await asked(helpdesk)
    opened = (await helpdesk.conversation(ref)).opened_at
    assert (await helpdesk.conversation(ref)).first_response_due_at == opened + timedelta(hours=2)

    clock.advance(minutes=40)
    await helpdesk.refused(DANA, f"ticket {ref}", "Which category?",
                           "Incident, Service request, IMAC", f"/desk ticket {ref} Incident")
    await helpdesk.refused(LEE, f"ticket {ref} Outage", "The IT desk has no category Outage")
    await helpdesk.refused(OMER, f"ticket {ref} Incident", f"There is no request #{ref}")
    assert await helpdesk.ok(DANA, f"ticket {ref} INCIDENT") == (
        f"🎫 #{ref} is now a ticket: Incident. Its SLA targets apply from when it was opened.")
    conversation = await helpdesk.conversation(ref)
    # Already 40 minutes in: the 30m target is past, counted from when it was opened.
    assert conversation.first_response_due_at == opened + timedelta(minutes=30)
    assert conversation.resolution_due_at == opened + timedelta(days=2)  # the desk's
    [event] = await helpdesk.events("ticket.converted")
    assert event.data == {"category": "Incident", "old_category": None}
    kinds = [n.kind for n in await helpdesk.notices(ref)]
    assert kinds[-2:] == ["card.update", "requester.update"]
    assert (await helpdesk.notices(ref))[-1].payload == {"what": "ticket",
                                                         "category": "Incident"}
    await helpdesk.refused(DANA, f"ticket {ref} IMAC", "is a ticket already",
                           f"/desk category {ref} NAME")

    # Another category: its targets (none of its own: the desk's).
    assert await helpdesk.ok(DANA, f"category {ref} imac") == f"#{ref} is now filed under IMAC."
    assert (await helpdesk.conversation(ref)).first_response_due_at == opened + timedelta(
        hours=2)
    await helpdesk.refused(DANA, f"category {ref} IMAC", "filed under IMAC already")
    # A priority with its own desk target: the category has none for it either.
    await helpdesk.ok(DANA, f"priority {ref} 5")
    assert (await helpdesk.conversation(ref)).first_response_due_at == opened + timedelta(
        minutes=20)
    # The queue row names the category.
    queue = await helpdesk.run(DANA, "queue all")
    assert isinstance(queue, QueueList) and queue.rows[0].category == "IMAC"

    # An inquiry may be filed under a category and keeps the inquiry targets.
    other = await asked(helpdesk, "IT printer")
    await helpdesk.ok(DANA, f"category {other} Incident")
    conversation = await helpdesk.conversation(other)
    assert conversation.kind == "inquiry" and conversation.category == "Incident"
    assert conversation.first_response_due_at == conversation.opened_at + timedelta(hours=2)


async def test_a_desk_without_categories_converts_without_one(helpdesk: Chat) -> None:
    for name in ("Incident", '"Service request"', "IMAC"):
        await helpdesk.ok(ADA, f"admin categories IT remove {name}")
    assert await helpdesk.ok(ADA, "admin categories IT") == (
        "Ticket categories of the IT desk: none.")
    ref = await asked(helpdesk)
    await helpdesk.refused(DANA, f"category {ref} Incident", "has no ticket categories",
                           "/desk admin categories IT add NAME")
    assert await helpdesk.ok(DANA, f"ticket {ref}") == (
        f"🎫 #{ref} is now a ticket. Its SLA targets apply from when it was opened.")
    assert (await helpdesk.conversation(ref)).kind == "ticket"


# ---------------------------------------------------------------- impact × urgency


async def test_the_matrix_on_and_off(helpdesk: Chat, clock) -> None:
    await always_open(helpdesk)
    await helpdesk.ok(ADA, "admin sla IT first-response 1h priority 5")
    ref = await asked(helpdesk)
    await helpdesk.refused(DANA, f"impact {ref} high", "The IT desk sets priority directly",
                           f"/desk priority {ref} 1-5", "/desk admin matrix IT on")
    assert "impact × urgency" in await helpdesk.ok(NOA, "admin matrix IT on")
    assert await helpdesk.ok(ADA, "admin matrix IT on") == (
        "The IT desk's priority now follows impact × urgency (unchanged). Agents set impact "
        "with `/desk impact REF low|medium|high`.")
    view = await helpdesk.run(ADA, "admin show IT")
    assert isinstance(view, DeskConfig)
    assert dict(view.settings)["Impact × urgency"] == "on: priority follows impact × urgency"

    reply = await helpdesk.refused(DANA, f"priority {ref} 4", "follows impact × urgency",
                                   f"/desk impact {ref} low|medium|high",
                                   f"/desk urgency {ref} low|medium|high")
    assert isinstance(reply, Reply)
    assert await helpdesk.ok(DANA, f"impact {ref} HIGH") == f"#{ref}: impact High; priority 4."
    assert await helpdesk.ok(DANA, f"urgency {ref} high") == f"#{ref}: urgency High; priority 5."
    conversation = await helpdesk.conversation(ref)
    assert (conversation.impact, conversation.urgency, conversation.priority) == (
        "high", "high", 5)
    assert conversation.first_response_due_at == conversation.opened_at + timedelta(hours=1)
    await helpdesk.refused(DANA, f"urgency {ref} high", "urgency is High already")
    for impact, urgency, priority in [("low", "low", 1), ("medium", "low", 2),
                                      ("low", "high", 3), ("medium", "high", 4)]:
        await helpdesk.run(DANA, f"impact {ref} {impact}")
        await helpdesk.run(DANA, f"urgency {ref} {urgency}")
        assert (await helpdesk.conversation(ref)).priority == priority, (impact, urgency)
    changes = await helpdesk.events("priority.changed")
    assert changes[-1].data["by"] in ("impact", "urgency")

    for text, fragment in [(f"impact {ref}", "needs low, medium or high"),
                           (f"impact {ref} critical", "not “critical”"),
                           (f"urgency {ref} high now", "“now”"),
                           ("impact", "needs a request number"),
                           ("admin matrix IT", "needs on or off"),
                           ("admin matrix IT maybe", "not “maybe”")]:
        await helpdesk.refused(ADA if text.startswith("admin") else DANA, text, fragment)
    await helpdesk.refused(DANA, "admin matrix IT off", "lead")

    assert await helpdesk.ok(ADA, "admin matrix IT off") == (
        "Agents of the IT desk set priority directly again.")
    assert await helpdesk.ok(DANA, f"priority {ref} 2") == f"#{ref} now has priority 2."


# ---------------------------------------------------------------- desks as code


async def test_categories_and_the_matrix_export_and_import(helpdesk: Chat,
                                                           empty_db: Database) -> None:
    await helpdesk.ok(ADA, "admin categories IT add Incident sla first-response 30m "
                           "resolution 1d")
    await helpdesk.ok(ADA, "admin matrix IT on")
    first = await config_tests.export_text(helpdesk.db, "T1")
    it = next(d for d in yaml.safe_load(first)["desks"] if d["name"] == "IT")
    assert it["settings"]["categories"][0] == {
        "name": "Incident", "sla": {"first_response": {"default": "30m"},
                                    "resolution": {"default": "1d"}}}
    assert it["settings"]["matrix"]["on"] is True
    assert it["settings"]["matrix"]["table"]["high"] == {"high": 5, "medium": 4, "low": 3}

    await config_tests.import_text(empty_db, first)
    assert await config_tests.export_text(empty_db, "T1") == first

    # The table is edited in the file; a category added; the other desk's matrix on.
    document = yaml.safe_load(first)
    it = next(d for d in document["desks"] if d["name"] == "IT")
    it["settings"]["matrix"]["table"]["high"]["high"] = 4
    it["settings"]["categories"].append({"name": "Access", "sla": {"resolution": "4h"}})
    await config_tests.import_text(empty_db, yaml.safe_dump(document, allow_unicode=True))
    again = yaml.safe_load(await config_tests.export_text(empty_db, "T1"))
    it_again = next(d for d in again["desks"] if d["name"] == "IT")
    assert it_again["settings"]["matrix"]["table"]["high"]["high"] == 4
    assert it_again["settings"]["categories"][-1] == {
        "name": "Access", "sla": {"resolution": {"default": "4h"}}}

    for bad, problem in [
        ("categories: [{name: A}, {name: a}]", "categories: The category a is listed twice."),
        ("categories: [{title: A}]", "categories: A category is written like"),
        ("matrix: {on: yes}", "matrix: matrix.on is true or false."),
        ("matrix: {table: {high: {urgent: 5}}}", "matrix: Impact and urgency are high"),
        ("matrix: {table: {high: {high: 9}}}", "matrix: A priority in the matrix is 1 to 5"),
    ]:
        text = f"desks:\n- name: IT\n  settings:\n    {bad}\n"
        try:
            config_tests.read_desk_file(text, "x.yaml")
        except config_tests.DeskFileInvalid as error:
            assert error.problems[0].startswith(f"x.yaml:4: {problem}"), error.problems
        else:
            raise AssertionError(f"{bad} was read")


# ---------------------------------------------------------------- the daily digest


async def test_the_digest_counts_open_tickets_by_category(helpdesk: Chat) -> None:
    from cards import slack, teams
    from conversations import view_queries

    refs = [await asked(helpdesk, f"IT problem {n}") for n in range(4)]
    await helpdesk.ok(DANA, f"ticket {refs[0]} Incident")
    await helpdesk.ok(DANA, f"ticket {refs[1]} incident")
    await helpdesk.ok(DANA, f"ticket {refs[2]} IMAC")
    await helpdesk.ok(DANA, f"close {refs[2]}")  # closed: not counted
    desk = await helpdesk.desk("IT")
    async with helpdesk.db.unit_of_work(readonly=True) as uow:
        _, digest = await view_queries.digest(uow, {"desk_id": desk.id, "day": "2026-12-06",
                                                    "counts": {"open": 4}})
    assert digest.tickets == (("Incident", 2),)
    message = slack.message(digest, locale="en")
    assert "🎫 Open tickets: \u2068Incident\u2069 2" in json.dumps(message, ensure_ascii=False)
    card = teams.card(digest, locale="he")
    assert "טיקטים פתוחים" in json.dumps(card, ensure_ascii=False)


async def test_a_hebrew_desks_default_categories_are_hebrew(helpdesk: Chat) -> None:
    await helpdesk.ok(ADA, "admin language HR he")
    assert await helpdesk.ok(ADA, "admin categories HR") == (
        "Ticket categories of the HR desk: תקלה, בקשת שירות, IMAC.")
    await helpdesk.ok(ADA, "admin categories HR add Payroll")
    assert [c["name"] for c in (await helpdesk.desk("HR")).settings["categories"]] == [
        "תקלה", "בקשת שירות", "IMAC", "Payroll"]
    ref = await asked(helpdesk, "HR leave")
    assert "תקלה" in await helpdesk.ok(OMER, f"ticket {ref} תקלה")
    # The English desk keeps its English names.
    assert "Incident" in await helpdesk.ok(ADA, "admin categories IT")
