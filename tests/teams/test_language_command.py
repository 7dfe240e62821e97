"""`language` end to end on Teams (a text command): the answer comes in Hebrew."""

from __future__ import annotations

from storage.clock import FrozenClock
from storage.database import Database
from tests.teams.harness import card_text, teams_world


async def test_a_person_who_chooses_hebrew_is_answered_in_hebrew(db: Database,
                                                               clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await world.dm(world.eli, "language he")
        await world.settled()
        answer = card_text(world.chat_of(world.eli)[-1])
        assert "השפה שבה נכתוב לכם מעכשיו: עברית." in answer, answer
        await world.dm(world.eli, "claim 1042")
        await world.settled()
        refused = card_text(world.chat_of(world.eli)[-1])
        assert "You are not" not in refused and "There is no" not in refused, refused
        assert "נציגים" in refused or "אין פנייה" in refused, refused
        await world.say(world.ada, world.it_channel, "admin create IT Laptops, VPN")
        await world.settled()
        await world.say(world.ada, world.it_channel, "admin language IT he")
        await world.settled()
        await world.dm(world.eli, "language auto")
        await world.settled()
        back = card_text(world.chat_of(world.eli)[-1])
        assert "I will write to you in your Slack or Teams language" in back, back
