"""Issue 17 (6, 7) through the Slack path: private desks, assignment rules, withdrawing.

The real deskbot against the fake Slack Web API, on both databases: the admin sets the
rule with `/desk admin routing IT autoassign …`, employees ask with `/desk ask IT …`,
and each step is checked on what Slack received and on the stored requests.
"""

from __future__ import annotations

import itertools
from collections import Counter

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, ConversationTimer, Event, Person
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    LEE,
    MAYA,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_story import posts, updates

# One employee asks many times here: no opening limit in the way.
UNLIMITED = {"requests_per_person": 0}


async def set_up_it(world: SlackWorld) -> None:
    """IT with Dana, Lee and Omer as agents; Dana and Lee available, Omer not."""
    await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    await world.command(ADA, f"admin agents IT add <@{DANA}|dana> <@{LEE}|lee> <@{OMER}|omer>")
    for agent in (DANA, LEE):
        assert "available" in block_text(await world.command(agent, "available on"))


async def assignees(world: SlackWorld) -> list[str | None]:
    """Who holds each request, by ref (platform user ids; None: unassigned)."""
    async with world.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Conversation.ref, Person.external_id)
            .outerjoin(Person, Person.id == Conversation.assignee_id)
            .order_by(Conversation.ref))
        return [user for _, user in rows.all()]


async def test_round_robin_spreads_requests_over_the_available_agents(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=UNLIMITED) as world:
        await set_up_it(world)
        answer = await world.command(ADA, "admin routing IT autoassign round-robin")
        assert "in turn" in block_text(answer) and answer["response_type"] == "ephemeral"
        assert "round-robin: the available agents in turn" in block_text(
            await world.command(ADA, "admin show IT"))

        for n in range(10):
            answer = await world.command(ELI if n % 2 else MAYA, f"ask IT printer {n} jams")
            assert f"#{1001 + n}" in block_text(answer)
        await world.settled()

        held = await assignees(world)
        assert Counter(held) == {DANA: 5, LEE: 5}  # never Omer: he is not available
        assert held[:4] == [DANA, LEE, DANA, LEE]  # in turn
        # Like a claim: each card shows its agent; the agent is told; the requester too.
        cards = posts(world, IT_CHANNEL)
        assert len(cards) == 10
        assert "Dana" in block_text(updates(world, IT_CHANNEL, cards[0]["ts"])[-1])
        told = [block_text(m) for m in posts(world, f"D{DANA}")]
        assert sum("assigned to you by the desk's auto-assign" in t for t in told) == 5
        assert not any("New request" in t for t in told)  # given, not offered to all
        assert any("Dana" in block_text(m) and "picked up" in block_text(m)
                   for m in posts(world, f"D{MAYA}"))

        # Off again: new requests wait to be claimed.
        assert "agents claim them" in block_text(
            await world.command(ADA, "admin routing IT autoassign off"))
        await world.command(ELI, "ask IT one more")
        await world.settled()
        assert (await assignees(world))[-1] is None


async def test_round_robin_keeps_its_turn_across_a_restart(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=UNLIMITED) as world:
        await set_up_it(world)
        await world.command(ADA, "admin routing IT autoassign round-robin")
        await world.command(ELI, "ask IT first")
        await world.settled()
    async with slack_world(db, clock, settings_changes=UNLIMITED) as world:  # a new process
        world._ids = itertools.count(100)  # Slack's trigger ids never repeat
        await world.command(ELI, "ask IT second")
        await world.settled()
        assert await assignees(world) == [DANA, LEE]


async def test_least_loaded_picks_the_agent_with_the_fewest_open_requests(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=UNLIMITED) as world:
        await set_up_it(world)
        for text in ("ask IT one", "ask IT two"):
            await world.command(ELI, text)
        await world.command(DANA, "claim 1001")
        await world.command(DANA, "claim 1002")
        answer = await world.command(ADA, "admin routing IT autoassign least-loaded")
        assert "fewest open requests" in block_text(answer)
        await world.command(MAYA, "ask IT three")  # Lee holds none, Dana two
        await world.command(MAYA, "ask IT four")  # Lee one, Dana two
        await world.command(MAYA, "ask IT five")  # Lee two, Dana two: Dana waited longer
        await world.settled()
        assert await assignees(world) == [DANA, DANA, LEE, LEE, DANA]


# ---------------------------------------------------------------- withdraw


async def test_the_requester_withdraws_by_the_receipt_button_and_by_command(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await set_up_it(world)
        asked = await world.dm(ELI, "my VPN drops")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        [receipt] = posts(world, f"D{ELI}", thread_ts=asked)
        assert "Withdraw" in block_text(receipt)

        # Someone else's button press (a forwarded receipt) finds no such request.
        status, _ = await world.click(MAYA, receipt, button_ids.WITHDRAW, value="1001")
        assert status == 200
        await world.settled()
        assert await stored(world, 1001) != "closed"

        assert await timers(world)  # its SLA and stall alarms are armed
        status, _ = await world.click(ELI, receipt, button_ids.WITHDRAW, value="1001")
        assert status == 200
        await world.settled()
        assert await stored(world, 1001) == "closed"
        assert not await timers(world)  # and disarmed now
        # The receipt says so in place of its button; the card and its thread too.
        [answered] = [c.params for c in world.api.calls_to("chat.update")
                      if c.params.get("ts") == receipt["ts"]]
        assert "You withdrew #1001" in block_text(answered)
        assert "Withdrawn by the requester" in block_text(
            updates(world, IT_CHANNEL, card["ts"])[-1])
        assert any("The requester withdrew *#1001*" in block_text(m)
                   for m in posts(world, IT_CHANNEL, thread_ts=card["ts"]))
        # Nobody asks "did this solve it?" of a withdrawn request.
        assert not any("Did this solve it" in block_text(m) for m in posts(world, f"D{ELI}"))

        # By command: someone else's is unknown, one's own is closed, a closed one said so.
        await world.command(MAYA, "ask IT the printer jams")
        await world.settled()
        answer = await world.command(ELI, "withdraw 1002")
        assert "There is no request #1002" in block_text(answer)
        assert answer["response_type"] == "ephemeral"
        answer = await world.command(MAYA, "withdraw 1002")
        assert "You withdrew #1002" in block_text(answer)
        assert "closed already" in block_text(await world.command(MAYA, "withdraw 1002"))
        assert "/desk withdraw REF" in block_text(await world.command(MAYA, "withdraw"))
        await world.settled()
        assert await stored(world, 1002) == "closed"
        async with world.db.unit_of_work() as uow:
            kinds = (await uow.session.execute(select(Event.kind).where(
                Event.kind == "conversation.withdrawn"))).scalars().all()
        assert len(kinds) == 2


async def stored(world: SlackWorld, ref: int) -> str:
    """The status of request #ref as stored now."""
    async with world.db.unit_of_work() as uow:
        return (await uow.session.execute(
            select(Conversation.status).where(Conversation.ref == ref))).scalar_one()


async def timers(world: SlackWorld) -> list[str]:
    """The armed timers' kinds of every request."""
    async with world.db.unit_of_work() as uow:
        return list((await uow.session.execute(select(ConversationTimer.kind))).scalars())


# ---------------------------------------------------------------- private desks

FINANCE = "CFINANCE"


async def set_up_payroll(world: SlackWorld) -> None:
    """IT and HR (Dana) are public; Payroll (Lee, keyword "salary") is for #finance (Eli
    is in it) and for Maya; Omer is in neither."""
    await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    await world.command(ADA, f"admin agents IT add <@{DANA}|dana>")
    await world.command(ADA, f"admin create HR <#{HR_CHANNEL}|hr-desk> Leave")
    await world.command(ADA, f"admin agents HR add <@{DANA}|dana>")
    await world.command(ADA, "admin create Payroll <#CPAYDESK|payroll-desk> Payslips")
    await world.command(ADA, f"admin agents Payroll add <@{LEE}|lee>")
    await world.command(ADA, "admin routing Payroll keywords salary")
    answer = await world.command(
        ADA, f"admin audience Payroll <#{FINANCE}|finance> <@{MAYA}|maya>")
    assert "only its agents and" in block_text(answer), block_text(answer)
    assert "Maya" in block_text(answer) and answer["response_type"] == "ephemeral"


def finance_channel(api: object) -> None:
    api.add_channel(FINANCE, "finance", members=[ELI])  # type: ignore[attr-defined]


def desk_card_posts(world: SlackWorld, channel: str) -> int:
    return len(posts(world, channel))


async def test_a_private_desk_is_invisible_to_others(db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, api_setup=finance_channel) as world:
        await set_up_payroll(world)

        # Omer: the picker, keyword routing, `/desk ask Payroll` and his home know only
        # IT and HR.
        asked = await world.dm(OMER, "my salary is wrong")  # Payroll's keyword: not for him
        await world.settled()
        assert desk_card_posts(world, "CPAYDESK") == 0
        [picker] = posts(world, f"D{OMER}", thread_ts=asked)
        shown = block_text(picker)
        assert "IT" in shown and "HR" in shown and "Payroll" not in shown
        home = block_text(await world.open_home(OMER))
        assert "HR" in home and "Payroll" not in home
        answer = await world.command(OMER, "ask Payroll my payslip")  # words, to him
        offered = block_text(answer).split("Desks:")[1].split(".")[0]  # his words before
        assert "Which desk" in block_text(answer) and "Payroll" not in offered
        assert desk_card_posts(world, "CPAYDESK") == 0
        assert desk_card_posts(world, "CPAYDESK") == 0

        # Eli, in #finance: the picker offers both; Maya, listed by name: the keyword
        # routes her message to Payroll.
        asked = await world.dm(ELI, "a question")
        await world.settled()
        [picker] = [m for m in posts(world, f"D{ELI}", thread_ts=asked)]
        assert "Payroll" in block_text(picker) and "IT" in block_text(picker)
        assert "Payroll" in block_text(await world.open_home(ELI))
        await world.dm(MAYA, "my salary is wrong")
        await world.settled()
        assert desk_card_posts(world, "CPAYDESK") == 1

        # Maya asks it by name; Lee, its agent, sees it too.
        answer = await world.command(MAYA, "ask Payroll my payslip")
        assert "Sent to Payroll" in block_text(answer)
        assert "Sent to Payroll" in block_text(await world.command(LEE, "ask Payroll test"))

        # The audience is shown, can lose someone, and goes off: public again.
        shown = block_text(await world.command(ADA, "admin audience Payroll"))
        assert f"#{FINANCE}" in shown and "Maya" in shown
        assert f"#{FINANCE}" in block_text(await world.command(ADA, "admin show Payroll"))
        answer = await world.command(ADA, f"admin audience Payroll remove <@{MAYA}|maya>")
        assert "Maya" not in block_text(answer)
        assert "is public" in block_text(await world.command(ADA, "admin audience Payroll off"))
        assert "Sent to Payroll" in block_text(await world.command(OMER, "ask Payroll hi"))


async def test_malformed_audience_commands_answer_with_the_form(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, api_setup=finance_channel) as world:
        await set_up_payroll(world)
        for text, said in [("admin audience Payroll remove", "needs at least one #channel"),
                           ("admin audience Payroll everyone", "not “everyone”"),
                           ("admin audience Payroll off now", "“now”"),
                           ("admin audience", "needs the desk's name")]:
            answer = await world.command(ADA, text)
            assert said in block_text(answer), (text, block_text(answer))
            assert answer["response_type"] == "ephemeral"
        assert "Only an admin" in block_text(await world.command(OMER, "admin audience IT off"))
