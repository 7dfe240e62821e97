"""`/desk admin hours|holidays|sla|stall|oncall|autoclose` through the command layer.

Typed as a person would, on both databases: the docs' example window, `show` listing
it, and a private refusal with the subcommand's usage for every malformed value —
with nothing written.
"""

from __future__ import annotations

from typing import Any

import pytest

from conversations.view_models import DeskConfig, Reply
from tests.integration import test_commands as commands_tests
from tests.integration.test_commands import ADA, DANA, ELI, LEE, NOA, OMER, Chat, at

# The people and desks of test_commands (IT: agents Dana and Lee, lead Noa; HR: agent
# Omer, lead Noa), as fixtures of this module too.
chat = commands_tests.chat
helpdesk = commands_tests.helpdesk

EXAMPLE = 'admin hours IT "sun-thu 08:00-18:00; fri 08:00-13:00" tz Asia/Jerusalem'


async def settings(chat: Chat, desk: str = "IT") -> dict[str, Any]:
    return dict((await chat.desk(desk)).settings or {})


async def shown(chat: Chat, desk: str = "IT") -> dict[str, str]:
    view = await chat.run(ADA, f"admin show {desk}")
    assert isinstance(view, DeskConfig), view
    return dict(view.settings)


async def refused_unchanged(chat: Chat, text: str, *fragments: str, who: str = ADA) -> Reply:
    """Refused (privately, saying `fragments`), and the desk's settings as they were."""
    before = {name: await settings(chat, name) for name in ("IT", "HR")}
    reply = await chat.refused(who, text, *fragments)
    assert {name: await settings(chat, name) for name in ("IT", "HR")} == before
    return reply


# ---------------------------------------------------------------- the docs' example


async def test_the_example_window_then_show(helpdesk: Chat) -> None:
    answer = await helpdesk.ok(ADA, EXAMPLE)
    assert answer == ("The IT desk is open sun-thu 08:00-18:00; fri 08:00-13:00 "
                      "(Asia/Jerusalem).")
    assert await helpdesk.ok(ADA, "admin holidays IT IL") == (
        "The IT desk closes on IL public holidays.")
    assert await helpdesk.ok(ADA, "admin sla IT first-response 15m") == (
        "The IT desk's first-response target: 15m, in business time.")

    stored = await settings(helpdesk)
    assert (stored["hours"], stored["time_zone"], stored["holidays"]) == (
        "sun-thu 08:00-18:00; fri 08:00-13:00", "Asia/Jerusalem", "IL")
    assert stored["sla"]["first_response"] == {"default": "15m"}
    events = await helpdesk.events("desk.policy_changed")
    assert [sorted(e.data["changed"]) for e in events] == [["hours", "time_zone"],
                                                           ["holidays"], ["sla"]]
    assert {e.actor_id for e in events} == {(await helpdesk.person(ADA)).id}

    lines = await shown(helpdesk)
    assert lines["Hours"] == "sun-thu 08:00-18:00; fri 08:00-13:00"
    assert lines["Time zone"] == "Asia/Jerusalem"
    assert lines["Holidays"] == "IL public holidays"
    assert lines["First response"] == "15m"
    assert lines["Reopen window"] == "7 days after resolve"  # not policy, still shown


async def test_show_lists_everything_compactly(helpdesk: Chat) -> None:
    for text in ["admin hours IT sun-thu 08:00-18:00; fri 08:00-13:00",  # unquoted is fine
                 "admin hours IT tz Asia/Jerusalem",
                 "admin holidays IT US-CA",
                 "admin holidays IT add 2026-12-31 2026-12-24",
                 "admin sla IT first-response 15m",
                 "admin sla IT first-response 5m priority 5",
                 "admin sla IT resolution 2d",
                 "admin sla IT resolution 4h p5",
                 "admin sla IT warning 80%",
                 "admin stall IT unassigned 10m",
                 "admin stall IT agent-silence 2h",
                 "admin stall IT requester-silence 3d",
                 "admin autoclose IT 14d",
                 f"admin oncall IT add {at(DANA)} and {at(NOA)}"]:
        await helpdesk.ok(ADA, text)
    lines = await shown(helpdesk)
    assert {k: v for k, v in lines.items() if k != "Reopen window"} == {
        "Hours": "sun-thu 08:00-18:00; fri 08:00-13:00",
        "Time zone": "Asia/Jerusalem",
        "Holidays": "US-CA public holidays",
        "Closed dates": "2026-12-24, 2026-12-31",
        "First response": "15m (P5: 5m)",
        "Resolution": "2d (P5: 4h)",
        "SLA warning": "at 80% of a target",
        "Stall alerts": "unassigned 10m, agent silence 2h, requester silence 3d",
        "Auto-close": "14d after resolve",
        "On call": "Dana, Noa",
        "Escalation": "off",
        "Ticket categories": "Incident, Service request, IMAC",
        "Impact × urgency": "off: agents set priority",
        "Auto-assign": "off: agents claim requests",
        "Audience": "everyone (a public desk)",
        "Saved replies": "none",
        "Scheduled report": "off",
        "Offered before sending": "articles and the answers of resolved requests",
    }


async def test_show_of_a_new_desk_has_the_defaults(helpdesk: Chat) -> None:
    lines = await shown(helpdesk, "HR")
    assert lines["Hours"] == "always" and lines["Time zone"] == "UTC"
    assert (lines["Holidays"], lines["Closed dates"], lines["On call"]) == ("none", "none",
                                                                            "nobody")
    assert lines["First response"] == "4h" and lines["Resolution"] == "3d"
    assert await settings(helpdesk, "HR") == {}  # showing writes nothing


async def test_replies_of_each_subcommand(helpdesk: Chat) -> None:
    ok = helpdesk.ok
    assert await ok(ADA, "admin hours IT always") == (
        "The IT desk is always open (time zone UTC) (unchanged).")
    assert await ok(ADA, "admin holidays IT il") == (
        "The IT desk closes on IL public holidays. It is always open, so they take effect "
        "once it has hours: `/desk admin hours IT \"sun-thu 08:00-18:00\"`.")
    assert await ok(ADA, "admin holidays IT none") == (
        "The IT desk does not close on public holidays.")
    assert await ok(ADA, "admin holidays IT add 2026-12-31") == (
        "The IT desk's closed dates: 2026-12-31.")
    assert await ok(ADA, "admin holidays IT remove 2026-12-31") == (
        "The IT desk's closed dates: none.")
    assert await ok(ADA, "admin sla IT warning 90") == (
        "The IT desk warns when 90% of an SLA target has passed.")
    assert await ok(ADA, "admin stall IT unassigned 1h30m") == (
        "The IT desk flags requests left unassigned for 1h30m.")
    assert await ok(ADA, "admin autoclose IT 7d") == (
        "The IT desk closes resolved requests after 7d (unchanged).")
    assert await ok(ADA, f"admin oncall IT add {at(LEE)}") == "On call for the IT desk: Lee."
    assert await ok(ADA, f"admin oncall IT remove {at(LEE)}") == (
        "On call for the IT desk: nobody.")


async def test_a_lead_may_configure_their_own_desk_only(helpdesk: Chat) -> None:
    await helpdesk.ok(ADA, f"admin leads HR add {at(OMER)}")
    await helpdesk.ok(NOA, "admin sla IT first-response 30m")  # Noa leads IT
    await refused_unchanged(helpdesk, "admin sla IT first-response 10m",
                            "Only an admin or a lead of the IT desk", who=OMER)
    await refused_unchanged(helpdesk, EXAMPLE, "Only an admin or a lead of the IT desk",
                            who=DANA)
    await refused_unchanged(helpdesk, f"admin oncall IT add {at(DANA)}",
                            "Only an admin or a lead of the IT desk", who=ELI)
    assert (await settings(helpdesk))["sla"]["first_response"] == {"default": "30m"}


# ---------------------------------------------------------------- malformed input

MALFORMED = [
    # hours
    ('admin hours IT "mon 25:00-26:00"', "“25:00” is not a time", "hours"),
    ('admin hours IT "sun-thu 08:00"', "“08:00” is not an opening interval", "hours"),
    ('admin hours IT "funday 08:00-10:00"', "“funday” is not a day", "hours"),
    ('admin hours IT "mon 18:00-08:00"', "ends before it starts", "hours"),
    ('admin hours IT "sun-thu"', "has days but no opening times", "hours"),
    ('admin hours IT "08:00-18:00"', "has opening times but no days", "hours"),
    ('admin hours IT "mon 24:00-24:00"', "starts at 24:00", "hours"),
    ("admin hours IT always tz Mars/Olympus", "“Mars/Olympus” is not a time zone", "hours"),
    ("admin hours IT tz Jerusalem", "Did you mean `Asia/Jerusalem`?", "hours"),
    ('admin hours IT "mon 08:00-10:00" tz', "`tz` needs one time zone", "hours"),
    ("admin hours IT always tz Asia/Jerusalem Europe/London", "`tz` needs one time zone",
     "hours"),
    ("admin hours IT", "needs the opening hours", "hours"),
    (f"admin hours IT {at(DANA)}", "needs the opening hours", "hours"),
    ("admin hours", "needs the desk's name", "hours"),
    # holidays
    ("admin holidays IT XX", "“XX” is not a country the holiday calendar knows", "holidays"),
    ("admin holidays IT US-XX", "“XX” is not a region of US", "holidays"),
    ("admin holidays IT IL-", "is missing its region", "holidays"),
    ("admin holidays IT add 2026-02-30", "“2026-02-30” is not a day of the calendar",
     "holidays"),
    ("admin holidays IT add 31/12/2026", "“31/12/2026” is not a date", "holidays"),
    ("admin holidays IT add", "needs a date", "holidays"),
    ("admin holidays IT", "needs a country code", "holidays"),
    # sla
    ("admin sla IT first-response 15", "“15” needs a unit, like `15m`", "sla"),
    ("admin sla IT first-response 1.5h", "write `1h30m`", "sla"),
    ("admin sla IT first-response 0m", "must be longer than zero", "sla"),
    ("admin sla IT first-response -5m", "cannot be negative", "sla"),
    ("admin sla IT resolution 400d", "too long (at most `365d`)", "sla"),
    ("admin sla IT resolution 2w", "write days instead, like `14d`", "sla"),
    ("admin sla IT resolution soon", "“soon” is not a duration", "sla"),
    ("admin sla IT first-response 15m priority 6", "“6” is not a priority", "sla"),
    ("admin sla IT first-response 15m priority", "needs a priority from 1 to 5", "sla"),
    ("admin sla IT first-response 15m urgently", "I did not understand “urgently”", "sla"),
    ("admin sla IT first-response", "needs a duration, like `15m`", "sla"),
    ("admin sla IT warning 120%", "“120%” is not a warning threshold", "sla"),
    ("admin sla IT warning 80% now", "I did not understand “now”", "sla"),
    ("admin sla IT response 15m", "takes first-response or resolution or warning", "sla"),
    # stall
    ("admin stall IT idle 10m", "takes unassigned, agent-silence or requester-silence",
     "stall"),
    ("admin stall IT unassigned ten", "“ten” is not a duration", "stall"),
    ("admin stall IT agent-silence", "needs a duration, like `2h`", "stall"),
    # autoclose
    ("admin autoclose IT 7", "“7” needs a unit", "autoclose"),
    ("admin autoclose IT 7d 8d", "I did not understand “8d”", "autoclose"),
    # oncall
    ("admin oncall IT add dana", "“dana” is not a person", "oncall"),
    ("admin oncall IT add", "needs at least one @person", "oncall"),
    ("admin oncall IT maybe <@U_DANA|dana>", "takes add or remove", "oncall"),
]


@pytest.mark.parametrize(("text", "fragment", "sub"), MALFORMED,
                         ids=[t for t, _, _ in MALFORMED])
async def test_malformed_input_is_a_private_error_with_the_usage(
        helpdesk: Chat, text: str, fragment: str, sub: str) -> None:
    reply = await refused_unchanged(helpdesk, text, fragment)
    assert reply.usage is not None and reply.usage.startswith(f"/desk admin {sub} DESK"), (
        reply.usage)


@pytest.mark.parametrize(("text", "fragment"), [
    ("admin hours Payroll always", "There is no desk called “Payroll”"),
    (f"admin oncall IT add {at(OMER)}", "Omer is not an agent of the IT desk"),
    ("admin holidays IT remove 2027-01-01", "2027-01-01 is not one of the desk's closed dates"),
])
async def test_refusals_of_the_core_are_private_too(helpdesk: Chat, text: str,
                                                     fragment: str) -> None:
    await refused_unchanged(helpdesk, text, fragment)


async def test_a_refusal_after_good_words_changes_nothing(helpdesk: Chat) -> None:
    # Two dates, the second one bad: the first is not added either.
    await refused_unchanged(helpdesk, "admin holidays IT add 2026-12-31 2026-13-01",
                            "“2026-13-01” is not a day of the calendar")
    assert await helpdesk.events("desk.policy_changed") == []


# ---------------------------------------------------------------- escalation


async def test_escalate_to_the_next_tier_then_off(helpdesk: Chat) -> None:
    await helpdesk.ok(ADA, 'admin create "IT Tier 2" <#C_IT2|it-tier-2>')
    said = await helpdesk.ok(ADA, "admin escalate IT to IT Tier 2")
    assert said == ("Requests of the IT desk that breach their resolution target move to "
                    "the IT Tier 2 desk.")
    assert (await settings(helpdesk))["escalate_to"] == "it-tier-2"
    assert (await shown(helpdesk))["Escalation"] == \
        "to IT Tier 2 when a request breaches its resolution target"
    assert (await shown(helpdesk, "HR"))["Escalation"] == "off"
    assert (await helpdesk.ok(NOA, "admin escalate IT to it-tier-2")).endswith("(unchanged).")
    # The next tier's rename keeps the link.
    await helpdesk.ok(ADA, 'admin rename "IT Tier 2" IT Specialists')
    assert (await settings(helpdesk))["escalate_to"] == "it-specialists"
    assert (await shown(helpdesk))["Escalation"].startswith("to IT Specialists ")
    said = await helpdesk.ok(ADA, "admin escalate IT off")
    assert said == ("Requests of the IT desk that breach their resolution target stay "
                    "there.")
    assert "escalate_to" not in await settings(helpdesk)
    assert (await shown(helpdesk))["Escalation"] == "off"
    events = await helpdesk.events("desk.policy_changed")
    assert [e.data["changed"]["escalate_to"] for e in events
            if "escalate_to" in e.data["changed"]] == [
        {"old": None, "new": "it-tier-2"}, {"old": "it-tier-2", "new": "it-specialists"},
        {"old": "it-specialists", "new": None}]


@pytest.mark.parametrize(("text", "fragments"), [
    ("admin escalate IT to Legal", ("There is no desk called “Legal”", "Desks: HR, IT")),
    ("admin escalate IT to IT", ("cannot escalate to itself",)),
    ("admin escalate IT to", ("needs the next-tier desk's name",)),
    ("admin escalate IT", ("`to` and the next-tier desk, or `off`",)),
    ("admin escalate IT sideways", ("takes to or off here",)),
    ("admin escalate IT off now", ("I did not understand “now”",)),
    ("admin escalate Legal to IT", ("There is no desk called “Legal”",)),
])
async def test_escalate_refuses_bad_input(helpdesk: Chat, text: str,
                                          fragments: tuple[str, ...]) -> None:
    reply = await refused_unchanged(helpdesk, text, *fragments)
    if "no desk" not in reply.text and "itself" not in reply.text:  # the grammar's: usage
        assert reply.usage == "/desk admin escalate DESK to NEXTDESK | off", reply


async def test_escalate_refuses_a_loop_and_strangers(helpdesk: Chat) -> None:
    await helpdesk.ok(ADA, 'admin create "IT Tier 2"')
    await helpdesk.ok(ADA, "admin escalate IT to IT Tier 2")
    await helpdesk.ok(ADA, 'admin escalate "IT Tier 2" to HR')
    await refused_unchanged(helpdesk, "admin escalate HR to IT",
                            "That would make a loop: HR → IT → IT Tier 2 → HR")
    await refused_unchanged(helpdesk, 'admin escalate "IT Tier 2" to IT',
                            "That would make a loop: IT Tier 2 → IT → IT Tier 2")
    # Only admins, and the desk's own leads (Noa leads IT and HR; Dana is an agent).
    await refused_unchanged(helpdesk, "admin escalate IT off", who=DANA)
    await refused_unchanged(helpdesk, "admin escalate HR off", who=ELI)
