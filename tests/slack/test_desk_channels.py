"""Binding channels to desks through Slack, and desks that are not ready to take requests.

Through the real bolt app and the fake Web API: a plain-text `#name` is refused (never
the channel the command was typed in), a lead cannot take another desk's channel, a
channel needs its member (`conversations.members`, paged), a public agent channel needs
`--confirm`, an admin's `--force` moves a channel; a desk without agents takes nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    OMER,
    SlackWorld,
    slack_world,
)
from tests.slack.test_story import posts

GENERAL = "CGENERAL"


def said(answer: dict) -> str:
    """The answer's words (without its ✅/⚠️ and the isolates around names)."""
    text = (answer.get("text") or "").replace("\u2068", "").replace("\u2069", "")
    return text.removeprefix("✅ ").removeprefix("⚠️ ")


async def desks(world: SlackWorld) -> dict[str, tuple[str | None, str | None]]:
    """desk name -> (agent channel, intake channel)."""
    async with world.db.unit_of_work(readonly=True) as uow:
        return {d.name: (d.agent_channel, d.intake_channel)
                for d in await uow.session.scalars(select(Desk))}


async def conversations(world: SlackWorld) -> list[Conversation]:
    async with world.db.unit_of_work(readonly=True) as uow:
        return list(await uow.session.scalars(select(Conversation)))


async def two_desks(world: SlackWorld) -> None:
    """IT (Dana) and HR (Omer, its lead) set up with /desk; both channels are private."""
    for text in (f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops",
                 f"admin create HR <#{HR_CHANNEL}|hr-desk> Payroll",
                 f"admin agents IT add <@{DANA}|dana>",
                 f"admin leads HR add <@{OMER}|omer>"):
        answer = await world.command(ADA, text)
        assert "not" not in said(answer).split(".")[0], said(answer)


async def test_a_plain_text_channel_is_refused_not_taken_from_where_it_was_typed(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, api_setup=lambda api: api.add_channel(
            GENERAL, "general", private=False)) as world:
        answer = await world.command(ADA, "admin create Facilities #facilities-desk Rooms "
                                          "and keys", channel=GENERAL)
        assert said(answer) == ("I can't see a channel called #facilities-desk: create it, "
                                "invite me, and try again.")
        assert await desks(world) == {}
        await two_desks(world)
        for text in ("admin channel IT #facilities-desk", "admin intake IT #facilities-desk"):
            answer = await world.command(ADA, text, channel=GENERAL)
            assert said(answer).startswith("I can't see a channel called #facilities-desk")
        assert (await desks(world))["IT"] == (IT_CHANNEL, None)


async def test_a_lead_cannot_take_another_desks_channel(db: Database,
                                                        clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await two_desks(world)
        for text in (f"admin intake HR <#{IT_CHANNEL}|it-desk>",
                     f"admin channel HR <#{IT_CHANNEL}|it-desk>",
                     f"admin intake HR <#{IT_CHANNEL}|it-desk> --force"):
            answer = await world.command(OMER, text)
            assert ("already the IT desk's agent channel" in said(answer)
                    or "Only a workspace admin can use `--force`" in said(answer)), said(answer)
        assert await desks(world) == {"IT": (IT_CHANNEL, None), "HR": (HR_CHANNEL, None)}
        # So the next post in IT's own channel is agents talking, not an HR request.
        await world.say(ELI, IT_CHANNEL, "anyone seen the projector remote?")
        await world.settled()
        assert await conversations(world) == []
        assert posts(world, HR_CHANNEL) == []


async def test_a_workspace_admin_moves_a_channel_with_force(db: Database,
                                                           clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await two_desks(world)
        answer = await world.command(ADA, f"admin intake HR <#{IT_CHANNEL}|it-desk>")
        assert "already the IT desk's agent channel" in said(answer)
        answer = await world.command(ADA, f"admin intake HR <#{IT_CHANNEL}|it-desk> --force")
        assert said(answer).startswith("Top-level posts in #it-desk now open HR requests.")
        assert await desks(world) == {"IT": (None, None), "HR": (HR_CHANNEL, IT_CHANNEL)}


async def test_binding_a_channel_needs_its_member_paged_through(db: Database,
                                                              clock: FrozenClock) -> None:
    crowd = [f"U{n:04d}" for n in range(450)]  # Omer is on the third page of 200

    def setup(api) -> None:
        api.add_channel("COPS", "ops", members=[*crowd, DANA])
        api.add_channel("CPAY", "payroll", members=[*crowd, OMER])

    async with slack_world(db, clock, api_setup=setup) as world:
        await two_desks(world)
        answer = await world.command(OMER, "admin channel HR <#COPS|ops>")
        assert "You are not a member of #ops" in said(answer)
        answer = await world.command(OMER, "admin channel HR <#CPAY|payroll>")
        assert said(answer) == "The HR desk's cards now go to #payroll."
        pages = [c.params.get("cursor") for c in world.api.calls_to("conversations.members")
                 if c.params["channel"] == "CPAY"]
        assert pages == [None, "200", "400"]
        answer = await world.command(ADA, "admin intake IT <#COPS|ops>")
        assert "You are not a member of #ops" in said(answer)
        answer = await world.command(ADA, "admin intake IT <#COPS|ops> --force")
        assert said(answer).startswith("Top-level posts in #ops now open IT requests.")
        assert await desks(world) == {"IT": (IT_CHANNEL, "COPS"), "HR": ("CPAY", None)}


async def test_a_public_agent_channel_asks_for_confirmation(db: Database,
                                                           clock: FrozenClock) -> None:
    async with slack_world(db, clock, api_setup=lambda api: api.add_channel(
            GENERAL, "general", private=False)) as world:
        await two_desks(world)
        answer = await world.command(ADA, "admin create Legal", channel=GENERAL)
        assert "employees can read this channel" in said(answer)
        assert "`--confirm`" in said(answer)
        answer = await world.command(ADA, f"admin channel IT <#{GENERAL}|general>")
        assert "#general is a public channel: employees can read this channel" in said(answer)
        assert (await desks(world))["IT"] == (IT_CHANNEL, None)
        answer = await world.command(ADA, f"admin channel IT <#{GENERAL}|general> --confirm")
        assert said(answer) == "The IT desk's cards now go to #general."
        assert [c.params["channel"] for c in world.api.calls_to("conversations.info")
                ].count(GENERAL) == 3


async def test_a_desk_that_is_not_ready_takes_no_requests(db: Database,
                                                         clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        answer = await world.command(ADA, "admin create Facilities")
        assert said(answer) == (
            "Created the Facilities desk. It is not ready to take requests yet: no agent "
            "channel: run `/desk admin channel Facilities #channel`; no agents: run "
            "`/desk admin agents Facilities add @someone`.")
        answer = await world.command(ELI, "ask Facilities the door is stuck")
        assert said(answer) == ("The Facilities desk is not taking requests yet: it is still "
                                "being set up.")
        # A DM is not taken and promised "within 4 hours": the employee is told.
        await world.dm(ELI, "the door is stuck")
        await world.settled()
        assert await conversations(world) == []
        told = [m["text"] for m in world.api.messages.get(f"D{ELI}", [])
                if m.get("user") == world.api.state.bot.user_id]
        told += [e["text"] for e in world.api.ephemerals(ELI)]
        assert any("No desk is taking requests yet" in t for t in told), told
        await world.command(ADA, "admin channel Facilities <#CFAC|facilities>")
        await world.command(ADA, f"admin agents Facilities add <@{DANA}|dana>")
        answer = await world.command(ELI, "ask Facilities the door is stuck")
        assert said(answer).startswith("Sent to Facilities as #1001.")
        await world.settled()
        assert len(posts(world, "CFAC")) == 1


async def test_a_request_left_on_a_desk_no_longer_ready_is_told_once(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await two_desks(world)
        answer = await world.command(ELI, "ask IT my laptop won't start")
        assert said(answer).startswith("Sent to IT as #1001.")
        answer = await world.command(ADA, f"admin agents IT remove <@{DANA}|dana>")
        assert ("The IT desk is not ready to take requests now, and #1001 waits on it: no "
                "agents: run `/desk admin agents IT add @someone`.") in said(answer)
        await world.command(ADA, f"admin agents IT remove <@{DANA}|dana>")
        await world.settled()
        told = [m["text"] for m in world.api.messages.get(f"D{ADA}", [])
                if "not ready" in m.get("text", "")]
        assert told == ["⚠️ The IT desk is not ready to take requests, and #1001 waits on it "
                        "where no agent sees it: no agents: run `/desk admin agents IT add "
                        "@someone`."]


async def test_a_channel_that_cannot_be_checked_is_not_bound(db: Database,
                                                            clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await two_desks(world)
        # An installation from before the channel scopes: say what to do.
        world.api.fail_next("conversations.info", "missing_scope")
        answer = await world.command(ADA, "admin channel IT <#COPS|ops>")
        assert "channels:read, groups:read, mpim:read" in said(answer)
        # Slack down: try again, nothing bound unchecked.
        world.api.fail_next("conversations.members", status=500, times=5)
        answer = await world.command(ADA, "admin channel IT <#COPS|ops>")
        assert said(answer) == ("I could not check that channel just now; please try again "
                                "in a minute.")
        assert (await desks(world))["IT"] == (IT_CHANNEL, None)
