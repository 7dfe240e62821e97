"""Tiers (`/desk escalate`, `/desk admin tiers`) through the core, on both databases: a
ticket moves to its desk's next tier with a note and an event, both desks and the
requester are told; an inquiry and a desk without a next tier are refused with what to
run instead."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from conversations import button_ids, buttons, commands, tiers, view_queries
from conversations.lifecycle import Status
from desks import service
from desks.directory import StaticDirectory
from desks.errors import UnknownRef, WrongState
from desks.notices import NoticeKind
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message
from tests.integration.sla_world import ask, local, sla_world
from tests.integration.test_commands import ADA, DANA, ELI, NOA, OMER, PROFILES, Chat, asked, at
from tests.integration.world import World

MONDAY_9 = local(2026, 12, 7, 9, 0)


async def make_ticket(world: World, ref: int) -> None:
    """What `/desk ticket` does to the kind (built elsewhere), set directly."""
    async with world.db.unit_of_work() as uow:
        await uow.session.execute(update(Conversation).where(Conversation.ref == ref)
                                  .values(kind="ticket"))
        await uow.commit()


async def tiered(db: Database, clock: FrozenClock) -> World:
    """IT escalates to HR (its next tier); HR to nothing."""
    world = await sla_world(db)
    clock.set(MONDAY_9)
    async with db.unit_of_work() as uow:
        await service.set_escalation(uow, world.actor("ada"), "IT", "HR")
        await uow.commit()
    return world


async def test_a_ticket_moves_up_with_its_note_and_everyone_is_told(
        db: Database, clock: FrozenClock) -> None:
    world = await tiered(db, clock)
    conversation = await ask(world)
    ref = conversation.ref
    await make_ticket(world, ref)
    dana = world.actor("dana")
    await world.run(buttons.ticket_control, world.workspace, dana, button_ids.CLAIM, ref,
                    None, {})
    assert (await world.view(view_queries.ticket_card, ref)).can_escalate is True

    done = await world.run(tiers.escalate_ticket, dana, ref, "  needs a database admin  ")
    assert (done.from_desk.name, done.to_desk.name, done.note) == (
        "IT", "HR", "needs a database admin")
    stored = await world.conversation(ref)
    assert stored.desk_id == world.desks["HR"].id
    assert (stored.assignee_id, stored.status) == (None, Status.NEW)
    [event] = await world.events("conversation.escalated")
    assert event.actor_id == world.people["dana"].id
    assert event.data["from_desk_id"] == world.desks["IT"].id
    assert event.data["to_desk_id"] == world.desks["HR"].id
    assert event.data["note"] == "needs a database admin"
    assert event.data["previous_assignee_id"] == world.people["dana"].id
    async with db.unit_of_work(readonly=True) as uow:
        note = await uow.session.get(Message, event.data["note_message_id"])
        assert note is not None and (note.kind, note.body) == ("note", "needs a database admin")

    kinds = [n.kind for n in await world.notices() if n.conversation_id == conversation.id]
    assert NoticeKind.CARD_MOVED in kinds and kinds.count(NoticeKind.CARD_POST) == 2
    [moved] = await world.notices(NoticeKind.CARD_MOVED)
    old_card = await world.view(view_queries.card_moved, ref, moved.payload)
    assert (old_card.from_desk, old_card.to_desk) == ("IT", "HR")
    assert old_card.by is not None and old_card.by.name == "Dana"
    new_card = await world.view(view_queries.ticket_card, ref)
    assert new_card.desk.name == "HR" and new_card.escalated_from == "IT"
    assert new_card.escalated_by is not None and new_card.escalated_by.name == "Dana"
    assert new_card.escalation_note == "needs a database admin"
    assert new_card.can_escalate is False  # HR has no next tier
    [told] = [n for n in await world.notices(NoticeKind.REQUESTER_UPDATE)
              if n.payload.get("what") == "escalated"]
    update_view = await world.view(view_queries.requester_update, ref, told.payload)
    assert (update_view.what, update_view.to_desk) == ("escalated", "HR")


async def test_an_inquiry_and_a_desk_without_a_next_tier_are_refused_with_what_to_run(
        db: Database, clock: FrozenClock) -> None:
    world = await tiered(db, clock)
    ref = (await ask(world)).ref
    dana = world.actor("dana")
    with pytest.raises(WrongState) as inquiry:
        await world.run(tiers.escalate_ticket, dana, ref)
    assert inquiry.value.words is not None and inquiry.value.words.key == "tier.not_a_ticket"
    assert "`/desk ticket 1001 CATEGORY`" in inquiry.value.message
    assert (await world.view(view_queries.ticket_card, ref)).can_escalate is False

    hr_ref = (await ask(world, desk="HR", text="payslip")).ref
    await make_ticket(world, hr_ref)
    with pytest.raises(WrongState) as nowhere:
        await world.run(tiers.escalate_ticket, world.actor("omer"), hr_ref)
    assert "`/desk admin escalate HR to NEXTDESK`" in nowhere.value.message
    with pytest.raises(UnknownRef):  # IT's agent learns nothing of HR's request
        await world.run(tiers.escalate_ticket, dana, hr_ref)
    await make_ticket(world, ref)
    await world.run(tiers.escalate_ticket, dana, ref)
    with pytest.raises(UnknownRef):  # no longer on Dana's desk
        await world.run(tiers.escalate_ticket, dana, ref)
    assert len(await world.events("conversation.escalated")) == 1


async def test_a_closed_ticket_is_reopened_first(db: Database, clock: FrozenClock) -> None:
    world = await tiered(db, clock)
    ref = (await ask(world)).ref
    await make_ticket(world, ref)
    await world.run(commands.close, world.actor("dana"), ref)
    with pytest.raises(WrongState) as closed:
        await world.run(tiers.escalate_ticket, world.actor("dana"), ref)
    assert "/desk reopen 1001" in closed.value.message


# ---------------------------------------------------------------- typed


@pytest.fixture
async def helpdesk(db: Database) -> Chat:
    """IT → IT Tier 2 → Infra, and HR with no next tier."""
    chat = Chat(db, StaticDirectory(PROFILES))
    for name, channel in (("IT", "C_IT"), ('"IT Tier 2"', "C_IT2"), ("Infra", "C_INF"),
                          ("HR", "C_HR")):
        await chat.ok(ADA, f"admin create {name} <#{channel}|x>")
        await chat.ok(ADA, f"admin agents {name} add {at(DANA)}")
    await chat.ok(ADA, f"admin agents HR add {at(OMER)}")
    await chat.ok(ADA, f"admin leads HR add {at(NOA)}")
    await chat.ok(ADA, 'admin escalate IT to "IT Tier 2"')
    await chat.ok(ADA, 'admin escalate "IT Tier 2" to Infra')
    return chat


async def test_admin_tiers_shows_the_chain(helpdesk: Chat) -> None:
    assert await helpdesk.ok(ADA, "admin tiers IT") == "IT: IT → IT Tier 2 → Infra"
    assert await helpdesk.ok(ADA, 'admin tiers "IT Tier 2"') == "IT Tier 2: IT Tier 2 → Infra"
    assert "no next tier" in await helpdesk.ok(ADA, "admin tiers HR")
    everything = await helpdesk.ok(ADA, "admin tiers")
    assert everything.splitlines() == ["IT: IT → IT Tier 2 → Infra",
                                       "IT Tier 2: IT Tier 2 → Infra"]
    # Noa leads HR only, which escalates nowhere.
    assert "No desk has a next tier yet" in await helpdesk.ok(NOA, "admin tiers")
    await helpdesk.refused(NOA, "admin tiers IT", "Only an admin or a lead of the IT desk")
    await helpdesk.refused(ELI, "admin tiers", "You lead no desk")
    await helpdesk.refused(ADA, "admin tiers Legal", "There is no desk called “Legal”")


async def test_escalate_typed_and_its_malformed_forms(helpdesk: Chat) -> None:
    ref = await asked(helpdesk)
    reply = await helpdesk.refused(DANA, "escalate", "`/desk escalate` needs a request number")
    assert reply.usage == "/desk escalate REF [note]"
    await helpdesk.refused(DANA, "escalate soon", "“soon” is not a request number",
                           "Write it like #1042")
    await helpdesk.refused(DANA, f"escalate {ref} it is urgent",
                           "is an inquiry", f"`/desk ticket {ref} CATEGORY`")
    async with helpdesk.db.unit_of_work() as uow:
        await uow.session.execute(update(Conversation).values(kind="ticket"))
        await uow.commit()
    assert await helpdesk.ok(DANA, f"escalate {ref} needs the network team") == (
        f"⬆️ #{ref} moved up a tier, from IT to IT Tier 2.")
    assert await helpdesk.ok(DANA, f"escalate {ref}") == (
        f"⬆️ #{ref} moved up a tier, from IT Tier 2 to Infra.")
    await helpdesk.refused(DANA, f"escalate {ref}", "The Infra desk has no next tier",
                           "`/desk admin escalate Infra to NEXTDESK`")
