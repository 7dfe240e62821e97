"""Binding channels to desks through Teams, and desks that are not ready to take requests.

On Teams a desk's channel is the one the command is written in: a lead writing
`admin intake HR` in IT's channel is refused (a channel is one desk's), a `#name`
written as text is no channel the bot knows, an admin's `--force` moves the channel;
a desk without an agent channel or agents takes no requests and says so.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk
from tests.teams.harness import TeamsWorld, teams_world
from tests.teams.test_requests_and_refusals import bot_said, said_text


def plain(text: str) -> str:
    return text.replace("\u2068", "").replace("\u2069", "")


async def answer_to(world: TeamsWorld, person, channel, text: str, **kwargs) -> str:
    """`person` writes `@deskbot text` in `channel`; what deskbot answered there."""
    said = await world.say(person, channel, text, **kwargs)
    await world.settled()
    answers = bot_said(world, said["conversation"]["id"])
    assert answers, text
    return plain(said_text(answers[-1])).replace("\\`", "`")  # Teams escapes backticks


async def desks(world: TeamsWorld) -> dict[str, tuple[str | None, str | None]]:
    async with world.db.unit_of_work(readonly=True) as uow:
        return {d.name: (d.agent_channel, d.intake_channel)
                for d in await uow.session.scalars(select(Desk))}


async def two_desks(world: TeamsWorld) -> None:
    """IT (Dana) and HR (Omer leads it), each created in its own channel by Ada."""
    await answer_to(world, world.ada, world.it_channel, "admin create IT Laptops")
    await answer_to(world, world.ada, world.it_channel, "admin agents IT add {Dana}",
                    mentions=(world.dana,))
    await answer_to(world, world.ada, world.hr_channel, "admin create HR Payroll")
    assert "Omer added" in await answer_to(world, world.ada, world.hr_channel,
                                           "admin leads HR add {Omer}", mentions=(world.omer,))


async def test_a_lead_cannot_take_another_desks_channel(db: Database,
                                                        clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await two_desks(world)
        it, hr = world.it_channel.channel_id, world.hr_channel.channel_id
        for text in ("admin intake HR", "admin channel HR", "admin intake HR --force"):
            shown = await answer_to(world, world.omer, world.it_channel, text)
            assert ("already the IT desk's agent channel" in shown
                    or "Only a workspace admin can use `--force`" in shown), (text, shown)
        shown = await answer_to(world, world.omer, world.hr_channel,
                                "admin intake HR #it-agents")
        assert "I can't see a channel called #it-agents: create it, invite me, and try " \
               "again." in shown
        assert await desks(world) == {"IT": (it, None), "HR": (hr, None)}
        # IT's channel stays IT's: a post there opens nothing for HR.
        await world.say(world.eli, world.it_channel, "is the projector broken?", mention=False)
        await world.settled()
        async with world.db.unit_of_work(readonly=True) as uow:
            assert list(await uow.session.scalars(select(Conversation))) == []
        # A workspace admin may move it, knowingly.
        shown = await answer_to(world, world.ada, world.it_channel, "admin intake HR")
        assert "already the IT desk's agent channel" in shown
        shown = await answer_to(world, world.ada, world.it_channel, "admin intake HR --force")
        assert "Top-level posts in this channel now open HR requests." in shown
        assert await desks(world) == {"IT": (None, None), "HR": (hr, it)}


async def test_a_desk_that_is_not_ready_takes_no_requests(db: Database,
                                                         clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await world.dm(world.ada, "admin create Facilities")
        await world.settled()
        shown = plain(said_text(world.chat_of(world.ada)[-1]))
        assert "It is not ready to take requests yet: no agent channel: run `/desk admin " \
               "channel Facilities #channel`; no agents" in shown.replace("\\`", "`"), shown
        assert await desks(world) == {"Facilities": (None, None)}  # a chat is no channel
        await world.dm(world.eli, "ask Facilities the door is stuck")
        await world.settled()
        shown = plain(said_text(world.chat_of(world.eli)[-1]))
        assert "The Facilities desk is not taking requests yet" in shown, shown
        await world.dm(world.eli, "the door is stuck")
        await world.settled()
        shown = plain(said_text(world.chat_of(world.eli)[-1]))
        assert "No desk is taking requests yet" in shown, shown
        async with world.db.unit_of_work(readonly=True) as uow:
            assert list(await uow.session.scalars(select(Conversation))) == []


async def test_a_request_left_on_a_desk_no_longer_ready_is_told_once(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await two_desks(world)
        await world.dm(world.eli, "ask IT my laptop won't start")
        await world.settled()
        assert "#1001" in said_text(world.chat_of(world.eli)[-1])
        for _ in range(2):
            await answer_to(world, world.ada, world.it_channel, "admin agents IT remove {Dana}",
                            mentions=(world.dana,))
        told = [plain(said_text(a)) for a in world.chat_of(world.ada)]
        told = [t for t in told if "not ready to take requests, and" in t]
        assert len(told) == 1, told
        assert "#1001 waits on it where no agent sees it: no agents" in told[0]
