"""A desk's service policy set through `desks.service`, on both databases.

Who may change it (admins; leads of that desk), what is stored (`desk.settings` in
the form `desks.policy` documents), which events are written, and that a refusal
writes nothing at all.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from desks import service
from desks.errors import InvalidInput, NotAnAgent, NotPermitted, UnknownDesk
from desks.permissions import Role
from desks.policy import DEFAULT_FIRST_RESPONSE, policy_of, settings_with
from desks.window_grammar import HolidayRegion, parse_hours
from storage.models import Desk, Event
from tests.integration.world import World

EXAMPLE_HOURS = "sun-thu 08:00-18:00; fri 08:00-13:00"


async def settings_of(world: World, name: str = "IT") -> dict[str, Any]:
    async with world.db.unit_of_work(readonly=True) as uow:
        desk = await uow.session.get(Desk, world.desks[name].id)
        assert desk is not None
        return dict(desk.settings or {})


async def changed(world: World) -> list[dict[str, Any]]:
    return [e.data["changed"] for e in await world.events("desk.policy_changed")]


# ---------------------------------------------------------------- each setter


async def test_hours_and_time_zone_are_stored_canonically(world: World) -> None:
    ada = world.actor("ada")
    change = await world.run(service.set_hours, ada, "IT",
                             "Sun - Thu 8:00-18:00 ; FRI 08:00-13:00", "asia/jerusalem")
    assert change.changed
    stored = await settings_of(world)
    assert (stored["hours"], stored["time_zone"]) == (EXAMPLE_HOURS, "Asia/Jerusalem")
    policy = policy_of(stored)
    assert policy.window.hours == parse_hours(EXAMPLE_HOURS)
    [event] = await world.events("desk.policy_changed")
    assert event.actor_id == world.people["ada"].id and event.desk_id == world.desks["IT"].id
    assert event.data["changed"] == {"hours": {"old": "always", "new": EXAMPLE_HOURS},
                                     "time_zone": {"old": "UTC", "new": "Asia/Jerusalem"}}

    # Only the zone: the hours stay. The same again: nothing written.
    await world.run(service.set_hours, ada, "IT", None, "Europe/London")
    assert (await settings_of(world))["hours"] == EXAMPLE_HOURS
    again = await world.run(service.set_hours, ada, "IT", None, "Europe/London")
    assert again.changed == {}
    assert len(await world.events("desk.policy_changed")) == 2


async def test_holidays_and_closed_dates(world: World) -> None:
    ada = world.actor("ada")
    await world.run(service.set_holidays, ada, "IT", "us-ca")
    assert policy_of(await settings_of(world)).window.holidays == HolidayRegion("US", "CA")
    await world.run(service.set_holidays, ada, "IT", None)
    assert (await settings_of(world))["holidays"] is None

    await world.run(service.add_closed_date, ada, "IT", "2026-12-31")
    await world.run(service.add_closed_date, ada, "IT", date(2026, 12, 24))
    assert (await settings_of(world))["closed_dates"] == ["2026-12-24", "2026-12-31"]
    await world.run(service.remove_closed_date, ada, "IT", "2026-12-24")
    assert (await settings_of(world))["closed_dates"] == ["2026-12-31"]
    assert [list(c) for c in await changed(world)] == [["holidays"], ["holidays"],
                                                       ["closed_dates"], ["closed_dates"],
                                                       ["closed_dates"]]
    with pytest.raises(InvalidInput, match="not one of the desk's closed dates "
                                           r"\(2026-12-31\)"):
        await world.run(service.remove_closed_date, ada, "IT", "2027-01-01")


async def test_sla_default_and_per_priority(world: World) -> None:
    ada = world.actor("ada")
    await world.run(service.set_sla, ada, "IT", "first-response", "15m")
    await world.run(service.set_sla, ada, "IT", "first_response", "5m", priority=5)
    assert (await settings_of(world))["sla"]["first_response"] == {"default": "15m",
                                                                     "5": "5m"}
    # A new default leaves a priority's own target alone.
    await world.run(service.set_sla, ada, "IT", "first-response", "20m")
    sla = policy_of(await settings_of(world)).sla
    assert [sla.first_response_for(p) for p in range(1, 6)] == (
        [timedelta(minutes=20)] * 4 + [timedelta(minutes=5)])

    # A priority alone: the others keep the built-in target.
    await world.run(service.set_sla, ada, "HR", "resolution", "2d", priority="p4")
    hr = policy_of(await settings_of(world, "HR")).sla
    assert hr.resolution_for(4) == timedelta(days=2)
    assert (await settings_of(world, "HR"))["sla"]["resolution"] == {"4": "2d"}
    assert hr.first_response_for(1) == DEFAULT_FIRST_RESPONSE

    await world.run(service.set_warning_percent, ada, "IT", "80%")
    assert (await settings_of(world))["sla"]["warning_percent"] == 80
    last = (await changed(world))[-1]
    assert last["sla"]["old"]["warning_percent"] == 75
    assert last["sla"]["new"]["warning_percent"] == 80


async def test_stall_and_auto_close(world: World) -> None:
    ada = world.actor("ada")
    await world.run(service.set_stall, ada, "IT", "unassigned", "10m")
    await world.run(service.set_stall, ada, "IT", "agent-silence", "2h")
    await world.run(service.set_stall, ada, "IT", "requester_silence", "3d")
    await world.run(service.set_auto_close, ada, "IT", "14d")
    stored = await settings_of(world)
    assert stored["stall"] == {"unassigned": "10m", "agent_silence": "2h",
                               "requester_silence": "3d"}
    assert stored["auto_close_after"] == "14d"
    assert policy_of(stored).auto_close_after == timedelta(days=14)
    with pytest.raises(InvalidInput, match="not a stall rule"):
        await world.run(service.set_stall, ada, "IT", "idle", "10m")


async def test_oncall_only_agents_of_the_desk(world: World) -> None:
    ada = world.actor("ada")
    people = world.people
    change = await world.run(service.set_oncall, ada, "IT", "add",
                             [people["dana"], people["noa"], people["dana"]])
    assert change.policy.oncall == ("U_DANA", "U_NOA")  # platform user ids; a lead counts
    with pytest.raises(NotAnAgent, match="Omer is not an agent of the IT desk"):
        await world.run(service.set_oncall, ada, "IT", "add", [people["lee"], people["omer"]])
    assert policy_of(await settings_of(world)).oncall == ("U_DANA", "U_NOA")

    await world.run(service.set_oncall, ada, "IT", "remove", [people["noa"]])
    assert (await settings_of(world))["oncall"] == ["U_DANA"]
    # An agent taken off the desk is taken off its on-call list too.
    await world.run(service.remove_members, ada, "IT", [people["dana"]], Role.AGENT)
    assert (await settings_of(world))["oncall"] == []
    assert (await changed(world))[-1] == {"oncall": {"old": ["U_DANA"], "new": []}}


async def test_other_settings_are_kept(world: World) -> None:
    async with world.db.unit_of_work() as uow:
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        desk.settings = {"reopen_window_days": 3}
        await uow.commit()
    await world.run(service.set_hours, world.actor("ada"), "IT", "always", "Asia/Tokyo")
    stored = await settings_of(world)
    assert stored["reopen_window_days"] == 3 and stored["time_zone"] == "Asia/Tokyo"
    assert stored == settings_with(stored, policy_of(stored))


# ---------------------------------------------------------------- who may


SETTERS = [
    (service.set_hours, (EXAMPLE_HOURS, "Asia/Jerusalem")),
    (service.set_holidays, ("IL",)),
    (service.add_closed_date, ("2026-12-31",)),
    (service.set_sla, ("first-response", "15m")),
    (service.set_sla, ("resolution", "2d", 5)),
    (service.set_warning_percent, (80,)),
    (service.set_stall, ("unassigned", "10m")),
    (service.set_auto_close, ("3d",)),
]


@pytest.mark.parametrize(("setter", "args"), SETTERS,
                         ids=[f"{s.__name__}-{i}" for i, (s, _) in enumerate(SETTERS)])
async def test_admin_and_the_desks_lead_may_change_it(world: World, setter: Any,
                                                      args: tuple[Any, ...]) -> None:
    await world.run(setter, world.actor("ada"), "IT", *args)  # admin
    await world.run(setter, world.actor("noa"), "HR", *args)  # lead of HR
    assert len(await world.events("desk.policy_changed")) == 2
    assert (await settings_of(world)) == (await settings_of(world, "HR"))


@pytest.mark.parametrize(("setter", "args"), SETTERS,
                         ids=[f"{s.__name__}-{i}" for i, (s, _) in enumerate(SETTERS)])
async def test_others_are_refused_and_nothing_is_written(world: World, setter: Any,
                                                         args: tuple[Any, ...]) -> None:
    # Omer leads HR only; Dana is an agent of IT; Eli works no desk.
    await world.run(service.add_members, world.actor("ada"), "HR", [world.people["omer"]],
                    Role.LEAD)
    events = await world.count(Event)
    for who in ("omer", "dana", "eli"):
        with pytest.raises(NotPermitted, match="Only an admin or a lead of the IT desk"):
            await world.run(setter, world.actor(who), "IT", *args)
    with pytest.raises(UnknownDesk):
        await world.run(setter, world.actor("ada"), "Facilities", *args)
    assert await settings_of(world) == {}
    assert await world.count(Event) == events


async def test_oncall_permissions(world: World) -> None:
    dana = world.people["dana"]
    with pytest.raises(NotPermitted):
        await world.run(service.set_oncall, world.actor("dana"), "IT", "add", [dana])
    await world.run(service.set_oncall, world.actor("noa"), "IT", "add", [dana])
    assert (await settings_of(world))["oncall"] == ["U_DANA"]


@pytest.mark.parametrize(("setter", "args", "message"), [
    (service.set_hours, ("mon 25:00-26:00",), "“25:00” is not a time"),
    (service.set_hours, ("always", "Mars/Olympus"), "is not a time zone"),
    (service.set_hours, (None, None), "Give the hours"),
    (service.set_holidays, ("XX",), "not a country the holiday calendar knows"),
    (service.add_closed_date, ("2026-02-30",), "not a day of the calendar"),
    (service.set_sla, ("response", "15m"), "not an SLA target"),
    (service.set_sla, ("first-response", "15"), "needs a unit"),
    (service.set_sla, ("first-response", "15m", 6), "not a priority"),
    (service.set_warning_percent, ("100%",), "not a warning threshold"),
    (service.set_stall, ("unassigned", "0m"), "longer than zero"),
    (service.set_auto_close, ("1.5d",), "write `1d12h`"),
])
async def test_malformed_values_write_nothing(world: World, setter: Any, args: tuple[Any, ...],
                                              message: str) -> None:
    events = await world.count(Event)
    with pytest.raises(InvalidInput, match=message):
        await world.run(setter, world.actor("ada"), "IT", *args)
    assert await settings_of(world) == {}
    assert await world.count(Event) == events
