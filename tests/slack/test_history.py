"""`/desk history REF` through the Slack path, both databases.

The real deskbot against the fake Slack Web API: after a claim, a wait, a reply, an
internal note and a resolve, the desk's agent sees those steps in order; the requester
sees their own request's steps without the note; anyone else is told there is no such
request; malformed forms are answered privately with the right form.
"""

from __future__ import annotations

from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import DANA, ELI, IT_CHANNEL, OMER, block_text, slack_world
from tests.slack.test_sla_flow import QUIET, SUNDAY_9, open_by_dm, set_up_it, token

STEPS = ["Request opened", "Claimed", "Status: Waiting on requester",
         "Reply to the requester", "Internal note", "Status: Resolved"]


def plain(answer: dict) -> str:
    """The answer's text without the isolates around names and times."""
    return block_text(answer).replace("\u2068", "").replace("\u2069", "")


def positions(text: str, steps: list[str]) -> list[int]:
    """Where each step shows in `text` (-1: missing)."""
    return [text.find(step) for step in steps]


async def test_history_shows_the_steps_in_order_to_the_desk_and_the_requester(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        _, card, _ = await open_by_dm(world, ELI, "my laptop will not start")
        clock.advance(minutes=1)
        await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
        clock.advance(minutes=1)
        await world.command(DANA, "status 1001 waiting", channel=IT_CHANNEL)
        clock.advance(minutes=1)
        await world.say(DANA, IT_CHANNEL, "Try holding the power button", thread_ts=card["ts"])
        await world.settled()
        clock.advance(minutes=1)
        await world.say(DANA, IT_CHANNEL, "// battery might be dead", thread_ts=card["ts"])
        await world.settled()
        clock.advance(minutes=1)
        await world.command(DANA, "status 1001 resolved", channel=IT_CHANNEL)
        await world.settled()

        answer = await world.command(DANA, "history 1001", channel=IT_CHANNEL)
        assert answer["response_type"] == "ephemeral"
        text = plain(answer)
        assert "History of #1001" in text and "my laptop will not start" in text
        found = positions(text, STEPS)
        assert -1 not in found and found == sorted(found), (found, text)
        assert "Claimed · Dana" in text and "Request opened · Eli" in text
        assert token(SUNDAY_9) in text  # each step says when, in the reader's own zone
        # Nothing said twice: the SLA pause of the wait shows once, by deskbot.
        assert text.count("SLA paused") == 1 and "· deskbot ·" in text
        assert "battery" not in text  # a timeline says what happened, not what was said

        # Eli sees his own request's history, without what only the desk sees.
        own = plain(await world.command(ELI, "history #1001"))
        mine = [step for step in STEPS if step != "Internal note"]
        found = positions(own, mine)
        assert -1 not in found and found == sorted(found), own
        assert "Internal note" not in own
        # In Hebrew, when Eli reads Hebrew: the same steps in the catalogue's words.
        await world.command(ELI, "language he")
        hebrew = plain(await world.command(ELI, "history 1001"))
        steps = ["הפנייה נפתחה", "שיוך הפנייה", "שינוי סטטוס: ממתינה לפונה", "מענה לפונה"]
        found = positions(hebrew, steps)
        assert -1 not in found and found == sorted(found), hebrew
        assert "Request opened" not in hebrew and "הערה פנימית" not in hebrew

        # Omer (no agent, not the requester) is told there is no such request.
        other = await world.command(OMER, "history 1001")
        assert other["response_type"] == "ephemeral"
        assert "There is no request #1001" in block_text(other)
        assert "Claimed" not in block_text(other)
        assert "There is no request #4242" in block_text(
            await world.command(DANA, "history 4242"))


async def test_malformed_history_is_answered_privately_with_the_form(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        for text, said in [("history", "needs a request number"),
                           ("history abc", "is not a request number"),
                           ("history 1001 now", "history")]:
            answer = await world.command(DANA, text, channel=IT_CHANNEL)
            assert answer["response_type"] == "ephemeral", text
            shown = block_text(answer)
            assert said in shown and "/desk history REF" in shown, (text, shown)
