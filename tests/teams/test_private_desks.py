"""Issue 17 (6, 7) through the Teams path: private desks, assignment rules, withdrawing.

The real deskbot (the real CloudAdapter) against the fake Bot Framework connector, on
both databases: the admin sets the rule in IT's channel, employees ask in their chat
with the bot, and each step is checked on what the connector received and on the
stored requests.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Person
from tests.teams.harness import TeamsWorld, card_text, teams_world
from tests.teams.test_sla_flow import said_back, text_of

UNLIMITED = {"requests_per_person": 0}


async def command(world: TeamsWorld, person: object, text: str, **kwargs: object) -> str:
    """`person` writes a command to the bot in IT's channel; the bot's answer."""
    said = await world.say(person, world.it_channel, text, **kwargs)  # type: ignore[arg-type]
    await world.settled()
    return said_back(world, said["conversation"]["id"])


async def in_chat(world: TeamsWorld, person: object, text: str) -> str:
    """`person` writes to the bot in their personal chat; the bot's last answer there."""
    await world.dm(person, text)  # type: ignore[arg-type]
    await world.settled()
    return text_of(world.chat_of(person)[-1])  # type: ignore[arg-type]


async def set_up_it(world: TeamsWorld) -> None:
    """IT with Dana, Lee and Omer as agents; Dana and Lee available, Omer not."""
    assert "Created the IT desk" in await command(world, world.ada, "admin create IT Laptops")
    await command(world, world.ada, "admin agents IT add {Dana} {Lee} {Omer}",
                  mentions=(world.dana, world.lee, world.omer))
    for agent in (world.dana, world.lee):
        assert "available" in await in_chat(world, agent, "available on")


async def assignees(world: TeamsWorld) -> list[str | None]:
    """Who holds each request, by ref (names; None: unassigned)."""
    async with world.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Conversation.ref, Person.display_name)
            .outerjoin(Person, Person.id == Conversation.assignee_id)
            .order_by(Conversation.ref))
        return [name for _, name in rows.all()]


async def test_round_robin_spreads_requests_over_the_available_agents(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock, settings_changes=UNLIMITED) as world:
        await set_up_it(world)
        assert "in turn" in await command(world, world.ada,
                                          "admin routing IT autoassign round-robin")
        assert "round-robin: the available agents in turn" in await command(
            world, world.ada, "admin show IT")
        for n in range(10):
            asker = world.eli if n % 2 else world.ada
            assert f"#{1001 + n}" in await in_chat(world, asker, f"ask IT printer {n} jams")

        held = await assignees(world)
        assert Counter(held) == {"Dana": 5, "Lee": 5}  # never Omer: he is not available
        assert held[:4] == ["Dana", "Lee", "Dana", "Lee"]
        # Like a claim: the cards show their agent, and the agent is told.
        cards = world.threads_in(world.it_channel)
        assert len(cards) == 10
        updated = [c.body for c in world.connector.calls_to("update", ok=True)
                   if c.activity_id == cards[0]["id"]]
        assert updated and "Dana" in card_text(updated[-1])
        told = [text_of(a) for a in world.chat_of(world.dana)]
        assert sum("assigned to you by the desk's auto-assign" in t for t in told) == 5


async def test_least_loaded_picks_the_agent_with_the_fewest_open_requests(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock, settings_changes=UNLIMITED) as world:
        await set_up_it(world)
        await in_chat(world, world.eli, "ask IT one")
        await in_chat(world, world.eli, "ask IT two")
        await in_chat(world, world.dana, "claim 1001")
        await in_chat(world, world.dana, "claim 1002")
        assert "fewest open requests" in await command(
            world, world.ada, "admin routing IT autoassign least-loaded")
        for text in ("ask IT three", "ask IT four", "ask IT five"):
            await in_chat(world, world.eli, text)
        assert await assignees(world) == ["Dana", "Dana", "Lee", "Lee", "Dana"]


# ---------------------------------------------------------------- withdraw


async def status_of(world: TeamsWorld, ref: int) -> str:
    async with world.db.unit_of_work() as uow:
        return (await uow.session.execute(
            select(Conversation.status).where(Conversation.ref == ref))).scalar_one()


async def test_the_requester_withdraws_by_the_receipt_button_and_by_command(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_it(world)
        await world.dm(world.eli, "my VPN drops")
        await world.settled()
        [card] = world.threads_in(world.it_channel)
        [receipt] = [a for a in world.chat_of(world.eli) if "#1001" in text_of(a)]
        assert "Withdraw" in card_text(receipt)

        status, answer = await world.click(world.eli, receipt, button_ids.WITHDRAW)
        assert status == 200
        assert "You withdrew #1001" in card_text(answer["value"])  # in place of the receipt
        await world.settled()
        assert await status_of(world, 1001) == "closed"
        updated = [c.body for c in world.connector.calls_to("update", ok=True)
                   if c.activity_id == card["id"]]
        assert "Withdrawn by the requester" in card_text(updated[-1])
        assert any("The requester withdrew" in text_of(a)
                   for a in world.thread(world.it_channel, card["id"]))

        # By command: someone else's is unknown; one's own is closed; a closed one said so.
        await in_chat(world, world.ada, "ask IT the printer jams")
        assert "There is no request #1002" in await in_chat(world, world.eli, "withdraw 1002")
        assert "You withdrew #1002" in await in_chat(world, world.ada, "withdraw 1002")
        assert "closed already" in await in_chat(world, world.ada, "withdraw 1002")
        assert await status_of(world, 1002) == "closed"


# ---------------------------------------------------------------- private desks


async def test_a_private_desk_is_invisible_to_others(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        connector = world.connector
        # Finance is a team of its own: Eli is in it, Omer only in Helpdesk.
        finance_team = connector.add_team(name="Finance")
        finance = connector.add_channel(finance_team, name="finance")
        world.omer.teams = frozenset({world.team})
        assert "Created the IT desk" in await command(world, world.ada, "admin create IT VPN")
        await command(world, world.ada, "admin agents IT add {Dana}", mentions=(world.dana,))
        said = await world.say(world.ada, world.hr_channel, "admin create Payroll Payslips")
        await world.settled()
        assert "Created the Payroll desk" in said_back(world, said["conversation"]["id"])
        await command(world, world.ada, "admin agents Payroll add {Lee}", mentions=(world.lee,))
        await command(world, world.ada, "admin routing Payroll keywords salary")
        said = await world.say(world.ada, finance, "admin audience Payroll here")
        await world.settled()
        assert "only its agents and" in said_back(world, said["conversation"]["id"])

        general = connector.channels[world.team]
        said = await world.say(world.ada, general, "admin create Facilities Chairs")
        await world.settled()
        await world.say(world.ada, general, "admin agents Facilities add {Dana}",
                        mentions=(world.dana,))
        await world.settled()

        # Omer: the picker, keyword routing and `/desk ask Payroll` know IT and Facilities.
        picker = await in_chat(world, world.omer, "my salary is wrong")
        assert "IT" in picker and "Facilities" in picker and "Payroll" not in picker
        answer = await in_chat(world, world.omer, "ask Payroll my payslip")
        offered = answer.split("Desks:")[1].split(".")[0]  # his own words come before
        assert "Which desk" in answer and "Payroll" not in offered
        hr_cards = world.threads_in(world.hr_channel)
        assert hr_cards == []  # Payroll's channel: nothing came

        # Eli, in Finance's roster: the keyword routes to Payroll, and he asks it by name.
        await in_chat(world, world.eli, "my salary is wrong")
        assert "Payroll" in await in_chat(world, world.eli, "ask Payroll my payslip")
        new_cards = [c for c in world.threads_in(world.hr_channel) if c not in hr_cards]
        assert len(new_cards) == 2 and all("Payroll" in card_text(c) for c in new_cards)
        assert world.connector.calls_to("paged_members")  # Teams was asked who is in it
        # Lee, its agent, always sees it.
        assert "Payroll" in await in_chat(world, world.lee, "ask Payroll a test")
