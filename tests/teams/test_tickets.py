"""Issue 17 (1, 2) through the Teams path: tickets, categories, impact × urgency.

The real CloudAdapter against the fake connector (both databases), the clock moved by
hand: `ticket 1001 Incident` gives the category's SLA (counted from when the request
was opened) and tells the requester; the card's category choice does the same; with
the matrix on, the urgency picked in the "Send to helpdesk" card and the agent's impact
give the priority, and the due times follow.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cards.teams.verbs import ASK
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from tests.teams.harness import TeamsWorld, card_of, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, due, with_maya


async def set_up(desk: Desk) -> None:
    """IT, always open, the desk's first response 4h (the default); Incident 30m / 1d."""
    world = desk.world
    assert "Created the IT desk" in await desk.command(world.ada, "admin create IT Laptops")
    await desk.command(world.ada, "admin agents IT add {Dana} {Lee}",
                       mentions=(world.dana, world.lee))
    await desk.command(world.ada, "admin hours IT always")
    said = await desk.command(
        world.ada, "admin categories IT add Incident sla first-response 30m resolution 1d")
    assert "Incident" in said and "30m" in said


async def stored(world: TeamsWorld, ref: int) -> Conversation:
    async with world.deps.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.scalars(select(Conversation).where(
            Conversation.ref == ref))).one()


async def test_ticket_command_and_card_choice_give_the_category_sla(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await set_up(desk)
        card, _ = await desk.open_by_chat(world.eli, "the whole floor lost the network")
        assert due(SUNDAY_9, minutes=240) in desk.card_now(card)

        clock.advance(minutes=10)
        refused = await desk.command(world.dana, "ticket 1001")
        assert "Service request" in refused and "ticket 1001 Incident" in refused
        said = await desk.command(world.dana, "ticket 1001 Incident")
        assert "is now a ticket" in said
        now = desk.card_now(card)
        assert due(SUNDAY_9, minutes=30) in now and "Incident" in now
        conversation = await stored(world, 1001)
        assert conversation.kind == "ticket" and conversation.category == "Incident"
        assert conversation.first_response_due_at == conversation.opened_at + timedelta(
            minutes=30)
        assert conversation.resolution_due_at == conversation.opened_at + timedelta(days=1)
        assert any("is now a ticket" in t and "Incident" in t for t in desk.chat(world.eli))

        # The card's choice: Omer's inquiry made a ticket from the card.
        card2, _ = await desk.open_by_chat(world.omer, "VPN down for everyone")
        status, answer = await world.click(world.lee, card2, button_ids.CATEGORY,
                                           choice="Incident", channel=world.it_channel)
        assert status == 200 and answer["statusCode"] == 200
        await world.settled()
        conversation = await stored(world, 1002)
        assert conversation.kind == "ticket" and conversation.category == "Incident"
        assert conversation.first_response_due_at == conversation.opened_at + timedelta(
            minutes=30)
        assert any("is now a ticket" in t for t in desk.chat(world.omer))


async def test_the_matrix_gives_priority_from_urgency_and_impact(db: Database,
                                                                 clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await set_up(desk)
        await desk.command(world.ada, "admin sla IT first-response 1h priority 5")
        await desk.command(world.ada, "admin sla IT first-response 2h priority 4")
        assert "impact × urgency" in await desk.command(world.ada, "admin matrix IT on")

        # The "Send to helpdesk" card, submitted with urgency high.
        invoke = world.teams.card_action(world.eli, ASK, {
            button_ids.ASK_DESK: "it", button_ids.ASK_TEXT: "payroll system is down",
            button_ids.ASK_URGENCY: "high"}, reply_to_id="ask-card-1")
        status, answer = await world.post(invoke)
        assert status == 200 and answer["statusCode"] == 200
        await world.settled()
        conversation = await stored(world, 1001)
        assert conversation.urgency == "high" and conversation.priority == 4
        assert conversation.first_response_due_at == SUNDAY_9 + timedelta(hours=2)
        [card] = world.threads_in(world.it_channel)
        body = str(card_of(card))
        assert button_ids.IMPACT in body and button_ids.PRIORITY not in body

        refused = await desk.command(world.dana, "priority 1001 5")
        assert "/desk impact 1001" in refused and "/desk urgency 1001" in refused

        clock.advance(minutes=20)
        status, _ = await world.click(world.dana, card, button_ids.IMPACT, choice="high",
                                      channel=world.it_channel)
        assert status == 200
        await world.settled()
        conversation = await stored(world, 1001)
        assert conversation.impact == "high" and conversation.priority == 5
        assert conversation.first_response_due_at == SUNDAY_9 + timedelta(hours=1)
        assert "priority 3" in await desk.command(world.dana, "urgency 1001 low")
        conversation = await stored(world, 1001)
        assert conversation.first_response_due_at == SUNDAY_9 + timedelta(hours=4)
