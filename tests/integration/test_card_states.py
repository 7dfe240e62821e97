"""The core tells each state once, and the views show it so (issue 14 point 7): take
over, close (one message to the requester, pins gone), unread marks on the card, and
the resolve prompt once answered. Runs on SQLite, and PostgreSQL when configured."""

from __future__ import annotations

from conversations import button_ids, buttons, commands, view_queries
from conversations.lifecycle import Status
from storage.models import AgentMark
from tests.integration.world import World


async def open_request(world: World, who: str = "eli", text: str = "VPN drops") -> int:
    posted = await world.run(commands.open_conversation, world.people[who],
                             world.desks["IT"], text)
    return posted.conversation.ref


async def test_take_over_moves_a_claimed_request_to_the_clicking_agent(world: World) -> None:
    ref = await open_request(world)
    await world.run(commands.claim, world.actor("dana"), ref)
    await world.run(buttons.ticket_control, world.workspace, world.actor("lee"),
                    button_ids.TAKE_OVER, ref, str(ref), {})
    card = await world.view(view_queries.ticket_card, ref)
    assert card.assignee is not None and card.assignee.name == "Lee"
    [event] = await world.events("conversation.taken_over")
    assert event.data["previous_assignee_id"] == world.people["dana"].id
    await world.run(buttons.ticket_control, world.workspace, world.actor("lee"),
                    button_ids.UNASSIGN, ref, str(ref), {})
    assert (await world.view(view_queries.ticket_card, ref)).assignee is None


async def test_closing_an_open_request_says_closed_once_and_unpins(world: World) -> None:
    ref = await open_request(world)
    dana = world.actor("dana")
    await world.run(commands.claim, dana, ref)
    await world.run(commands.pin, dana, ref)
    await world.run(commands.close, dana, ref)
    # One word to the requester, in the final state.
    assert [n.payload["what"] for n in await world.notices("requester.update")] == [
        "assigned"]  # the claim's; none for the close
    [_] = await world.notices("requester.resolve_prompt")
    prompt = await world.view(view_queries.resolve_prompt, ref)
    assert prompt.closed and prompt.answered is None
    # The card is unpinned in its channel and shows no pin.
    assert len(await world.notices("card.unpin")) == 1
    card = await world.view(view_queries.ticket_card, ref)
    assert card.status == "closed" and not card.pinned and card.sla.state == "none"
    conversation_id = (await world.conversation(ref)).id
    async with world.db.unit_of_work(readonly=True) as uow:
        mark = await uow.session.get(AgentMark, (conversation_id, world.people["dana"].id))
    assert mark is not None and mark.pinned_at is None


async def test_closing_a_resolved_request_only_says_it_is_closed(world: World) -> None:
    ref = await open_request(world)
    await world.run(commands.set_status, world.actor("dana"), ref, Status.RESOLVED)
    await world.run(commands.close, world.actor("dana"), ref)
    assert [n.payload["what"] for n in await world.notices("requester.update")] == ["closed"]
    assert len(await world.notices("requester.resolve_prompt")) == 1  # asked at resolve
    assert await world.notices("card.unpin") == []  # nothing was pinned


async def test_mark_unread_shows_on_the_card_until_read(world: World) -> None:
    ref = await open_request(world)
    dana = world.actor("dana")
    await world.run(commands.claim, dana, ref)
    updates = len(await world.notices("card.update"))
    await world.run(commands.mark_unread, dana, ref)
    assert len(await world.notices("card.update")) == updates + 1
    card = await world.view(view_queries.ticket_card, ref)
    assert [p.name for p in card.unread_for] == ["Dana"]
    await world.run(commands.mark_read, dana, ref)
    assert len(await world.notices("card.update")) == updates + 2
    assert (await world.view(view_queries.ticket_card, ref)).unread_for == ()


async def test_the_resolve_prompt_reads_back_its_answer(world: World) -> None:
    ref = await open_request(world)
    eli = world.people["eli"]
    await world.run(commands.set_status, world.actor("dana"), ref, Status.RESOLVED)
    assert (await world.view(view_queries.resolve_prompt, ref)).answered is None
    said_no = await world.run(buttons.resolve_answer, eli, button_ids.SOLVED_NO, ref)
    assert said_no.answered is False and not said_no.closed
    assert (await world.view(view_queries.resolve_prompt, ref)).answered is False
    # Asked again after the next resolve: unanswered again, then yes and a rating.
    await world.run(commands.set_status, world.actor("dana"), ref, Status.RESOLVED)
    assert (await world.view(view_queries.resolve_prompt, ref)).answered is None
    said_yes = await world.run(buttons.resolve_answer, eli, button_ids.SOLVED_YES, ref)
    assert said_yes.answered is True and said_yes.closed
    rated = await world.run(buttons.resolve_answer, eli, button_ids.RATE, ref, 5)
    assert (rated.answered, rated.rating) == (True, 5)


async def test_the_card_carries_its_desks_language(world: World) -> None:
    from storage.models import Desk

    ref = await open_request(world)
    assert (await world.view(view_queries.ticket_card, ref)).language == "en"
    async with world.db.unit_of_work() as uow:
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        desk.language = "he"
        await uow.commit()
    assert (await world.view(view_queries.ticket_card, ref)).language == "he"  # Teams: rtl
