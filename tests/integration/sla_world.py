"""The example desk of SPEC §4 for SLA and sweep tests: IT works Sun–Thu 08:00–18:00 and
Fri 08:00–13:00 in Asia/Jerusalem with Israeli holidays; first response 15m."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from conversations import commands
from scheduling.desk_calendar import DeskCalendar
from storage.database import Database
from storage.models import Conversation, Desk
from tests.integration.world import World, build_world

JERUSALEM = ZoneInfo("Asia/Jerusalem")
EXAMPLE = {"hours": "sun-thu 08:00-18:00; fri 08:00-13:00", "time_zone": "Asia/Jerusalem",
           "holidays": "IL",
           "sla": {"first_response": {"default": "15m"}, "resolution": {"default": "2d"}},
           "stall": {"unassigned": "8h", "agent_silence": "8h", "requester_silence": "3d"}}


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Jerusalem wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=JERUSALEM).astimezone(UTC)


async def sla_world(db: Database, **changes: Any) -> World:
    """The story's world with the calendar installed and IT on the example policy."""
    db.business_time = DeskCalendar()
    world = await build_world(db)
    await set_policy(world, "IT", **changes)
    return world


async def set_policy(world: World, desk: str, **changes: Any) -> None:
    settings = {**EXAMPLE, **changes}
    async with world.db.unit_of_work() as uow:
        row = await uow.session.get(Desk, world.desks[desk].id)
        assert row is not None
        row.settings = settings
        await uow.commit()
    world.desks[desk].settings = settings


async def ask(world: World, who: str = "eli", desk: str = "IT",
              text: str = "my laptop will not start") -> Conversation:
    posted = await world.run(commands.open_conversation, await world.person(who),
                             world.desks[desk], text)
    return posted.conversation


async def ask_many(world: World, count: int, desk: str = "IT") -> None:
    """Eli opens `count` requests at `desk` at once (one unit of work): a sweep's load."""
    eli = await world.person("eli")
    async with world.db.unit_of_work() as uow:
        for i in range(count):
            await commands.open_conversation(uow, eli, world.desks[desk], f"request {i}")
        await uow.commit()
