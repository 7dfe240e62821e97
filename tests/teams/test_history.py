"""`history REF` through the Teams path, both databases, as tests/slack/test_history.py
does through Slack: the real deskbot (the real CloudAdapter) against the fake Bot
Framework connector."""

from __future__ import annotations

from storage.clock import FrozenClock
from storage.database import Database
from tests.teams.harness import teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, due, said_back, with_maya

STEPS = ["Request opened", "Claimed", "Status: Waiting on requester",
         "Reply to the requester", "Internal note", "Status: Resolved"]


def plain(text: str) -> str:
    """`text` without the isolates around names and times."""
    return text.replace("\u2068", "").replace("\u2069", "")


def positions(text: str, steps: list[str]) -> list[int]:
    return [text.find(step) for step in steps]


async def test_history_shows_the_steps_in_order_to_the_desk_and_the_requester(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        card, _ = await desk.open_by_chat(world.eli, "my laptop will not start")
        clock.advance(minutes=1)
        await desk.command(world.dana, "claim 1001")
        clock.advance(minutes=1)
        await desk.command(world.dana, "status 1001 waiting")
        clock.advance(minutes=1)
        await world.say(world.dana, world.it_channel, "Try holding the power button",
                        thread_root=card["id"], mention=False)
        await world.settled()
        clock.advance(minutes=1)
        await world.say(world.dana, world.it_channel, "// battery might be dead",
                        thread_root=card["id"], mention=False)
        await world.settled()
        clock.advance(minutes=1)
        await desk.command(world.dana, "status 1001 resolved")

        shown = await desk.command(world.dana, "history 1001")
        assert due(SUNDAY_9) in shown  # each step says when, in the reader's own zone
        text = plain(shown)
        assert "History of #1001" in text and "my laptop will not start" in text
        found = positions(text, STEPS)
        assert -1 not in found and found == sorted(found), (found, text)
        assert "Claimed · Dana" in text and "Request opened · Eli" in text
        assert text.count("SLA paused") == 1 and "· deskbot ·" in text
        assert "battery" not in text

        # Eli, in his personal chat: his own request's steps, without the note.
        said = await world.dm(world.eli, "history 1001")
        await world.settled()
        own = plain(said_back(world, said["conversation"]["id"]))
        mine = [step for step in STEPS if step != "Internal note"]
        found = positions(own, mine)
        assert -1 not in found and found == sorted(found), own
        assert "Internal note" not in own

        # Omer is neither an agent of IT nor the requester: no such request.
        said = await world.dm(world.omer, "history 1001")
        await world.settled()
        other = said_back(world, said["conversation"]["id"])
        assert "There is no request #1001" in other and "Claimed" not in other


async def test_malformed_history_is_answered_with_the_form(db: Database,
                                                           clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        for text, said in [("history", "needs a request number"),
                           ("history abc", "is not a request number"),
                           ("history 1001 now", "history")]:
            answer = await desk.command(world.dana, text)
            assert said in answer and "/desk history REF" in answer, (text, answer)
