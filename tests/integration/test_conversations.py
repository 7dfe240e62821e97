"""Every request command: its success (state, event, notices) and each refusal (kind, message)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import commands as c
from conversations.lifecycle import Status
from conversations.queues import QueueView, my_requests, parse_view, queue
from desks.errors import DeskbotError
from storage.clock import FrozenClock
from storage.models import Conversation, Message
from tests.integration.world import World


async def open_request(world: World, who: str = "eli", desk: str = "IT",
                       text: str = "My laptop won't start") -> Conversation:
    posted = await world.run(c.open_conversation, world.people[who], world.desks[desk], text,
                             requester_channel="D_ELI", requester_thread="111.1")
    return posted.conversation


async def refused(world: World, kind: str, fragment: str, command, *args, **kwargs) -> DeskbotError:
    with pytest.raises(DeskbotError) as info:
        await world.run(command, *args, **kwargs)
    assert info.value.kind == kind, info.value.message
    assert fragment in info.value.message, info.value.message
    return info.value


async def current(world: World, ref: int) -> Conversation:
    async with world.db.unit_of_work(readonly=True) as uow:
        return await c.load(uow, world.workspace.id, ref, lock=False)


# ------------------------------------------------------------------ open


async def test_open_allocates_refs_posts_card_receipt_and_pings_available_agents(world: World):
    async with world.db.unit_of_work() as uow:
        await c.set_availability(uow, world.actor("dana"), True)
        await uow.commit()
    first = await open_request(world)
    second = await open_request(world, who="maya", text="VPN drops\nevery hour")
    assert (first.ref, second.ref) == (1001, 1002)
    assert second.subject == "VPN drops"
    assert first.status == Status.NEW and first.assignee_id is None and first.priority == 3
    assert first.requester_channel == "D_ELI"
    kinds = [(n.kind, n.person_id) for n in await world.notices()
             if n.conversation_id == first.id]
    assert kinds == [("card.post", None), ("requester.receipt", None),
                     ("agent.new_request", world.people["dana"].id)]
    opened = await world.events("conversation.opened")
    assert [e.conversation_id for e in opened] == [first.id, second.id]


async def test_refs_are_unique_per_workspace(world: World, db):
    from desks.people import ensure_person, ensure_workspace
    from desks.permissions import Role, resolve_actor
    from desks.service import add_members, create_desk

    async with db.unit_of_work() as uow:
        other = await ensure_workspace(uow, "slack", "T2")
        boss = await ensure_person(uow, other, "U_B", "Boss", is_platform_admin=True)
        desk = await create_desk(uow, resolve_actor(boss, other), "IT", agent_channel="C_T2")
        await add_members(uow, resolve_actor(boss, other), desk, [boss], Role.AGENT)
        await uow.commit()
    await open_request(world)
    posted = await world.run(c.open_conversation, boss, desk, "hello")
    assert posted.conversation.ref == 1001  # the other workspace counts on its own


async def test_open_refusals(world: World):
    await refused(world, "invalid_input", "There is no text", c.open_conversation,
                  world.people["eli"], world.desks["IT"], "   ")
    await refused(world, "invalid_input", "limit is 40,000", c.open_conversation,
                  world.people["eli"], world.desks["IT"], "x" * 40_001)
    from desks.service import archive_desk

    await world.run(archive_desk, world.actor("ada"), "HR")
    await refused(world, "desk_archived", "HR desk is archived", c.open_conversation,
                  world.people["eli"], world.desks["HR"], "help")
    assert await world.count(Conversation) == 0


# ------------------------------------------------------------------ claim / unassign


async def test_claim_assigns_and_tells_requester(world: World):
    conv = await open_request(world)
    claimed = await world.run(c.claim, world.actor("dana"), "#1001")
    assert claimed.assignee_id == world.people["dana"].id and claimed.status == Status.OPEN
    events = await world.events("conversation.claimed")
    assert len(events) == 1 and events[0].actor_id == world.people["dana"].id
    updates = await world.notices("requester.update")
    assert updates[-1].payload == {"what": "assigned", "agent_id": world.people["dana"].id}
    assert (await world.notices("card.update"))[-1].conversation_id == conv.id


async def test_claim_refusals(world: World):
    await open_request(world)
    await world.run(c.claim, world.actor("dana"), "1001")
    err = await refused(world, "already_claimed", "#1001 is already claimed by Dana",
                        c.claim, world.actor("lee"), "1001")
    assert err.details["claimed_by_id"] == world.people["dana"].id
    assert err.details["claimed_by_external_id"] == "U_DANA"
    await refused(world, "wrong_state", "already yours", c.claim, world.actor("dana"), 1001)
    # Omer works HR only: he is told what a ref that does not exist gets (issue 20.9).
    await refused(world, "unknown_ref", "There is no request #1001.",
                  c.claim, world.actor("omer"), "1001")
    await refused(world, "not_an_agent", "not an agent of the IT desk", c.claim,
                  world.actor("eli"), "1001")
    await refused(world, "unknown_ref", "There is no request #999", c.claim,
                  world.actor("dana"), "#999")
    await refused(world, "invalid_input", "“abc” is not a request number. Write it like #1042",
                  c.claim, world.actor("dana"), "abc")
    await world.run(c.close, world.actor("dana"), "1001")
    await refused(world, "wrong_state", "reopen it before claiming", c.claim,
                  world.actor("lee"), "1001")
    assert len(await world.events("conversation.claimed")) == 1


async def test_unassign_returns_to_unassigned(world: World):
    await open_request(world)
    await refused(world, "wrong_state", "not assigned to anyone", c.unassign,
                  world.actor("dana"), "1001")
    await world.run(c.claim, world.actor("dana"), "1001")
    conv = await world.run(c.unassign, world.actor("lee"), "1001")
    assert conv.assignee_id is None and conv.status == Status.NEW
    [event] = await world.events("conversation.unassigned")
    assert event.data == {"previous_assignee_id": world.people["dana"].id}


# ------------------------------------------------------------------ messages


async def test_agent_reply_claims_relays_and_counts_first_response(world: World, clock):
    await open_request(world)
    clock.advance(minutes=5)
    posted = await world.run(c.agent_reply, world.actor("lee"), "1001", "Try holding power",
                             agent_side_id="222.2")
    conv = posted.conversation
    assert conv.assignee_id == world.people["lee"].id and conv.status == Status.OPEN
    assert conv.first_response_at == clock.now()
    assert posted.message.kind == "agent" and posted.message.agent_side_id == "222.2"
    relays = await world.notices("relay.to_requester")
    assert [n.payload["message_id"] for n in relays] == [posted.message.id]
    clock.advance(minutes=5)
    again = await world.run(c.agent_reply, world.actor("dana"), "1001", "Or the battery")
    assert again.conversation.assignee_id == world.people["lee"].id  # no silent re-assign
    assert again.conversation.first_response_at == conv.first_response_at
    [claimed] = await world.events("conversation.claimed")
    assert claimed.actor_id == world.people["lee"].id


async def test_note_is_never_relayed(world: World):
    await open_request(world)
    posted = await world.run(c.add_note, world.actor("dana"), "1001", "checked AD, fine")
    assert posted.message.kind == "note"
    assert await world.notices("relay.to_requester") == []
    conv = await current(world, 1001)
    assert conv.assignee_id is None and conv.first_response_at is None
    await refused(world, "invalid_input", "no text", c.add_note, world.actor("dana"), "1001", "")
    await refused(world, "not_an_agent", "not an agent of", c.add_note, world.actor("eli"),
                  "1001", "sneaky")


async def test_requester_message_relays_and_resumes_from_waiting(world: World):
    await open_request(world)
    await world.run(c.claim, world.actor("dana"), "1001")
    await world.run(c.set_status, world.actor("dana"), "1001", Status.WAITING)
    posted = await world.run(c.requester_message, world.people["eli"], "1001", "Still broken")
    assert posted.conversation.status == Status.OPEN and not posted.opened_new
    relays = await world.notices("relay.to_agents")
    assert relays[-1].payload == {"message_id": posted.message.id}
    await refused(world, "unknown_ref", "There is no request #1001.",
                  c.requester_message, world.people["maya"], "1001", "me too")


async def test_requester_reply_after_resolve_reopens_within_window(world: World, clock):
    await open_request(world)
    await world.run(c.agent_reply, world.actor("dana"), "1001", "Fixed")
    await world.run(c.set_status, world.actor("dana"), "1001", Status.RESOLVED)
    clock.advance(days=2)
    posted = await world.run(c.requester_message, world.people["eli"], "1001", "Broken again")
    assert posted.conversation.ref == 1001 and posted.conversation.status == Status.OPEN
    assert posted.conversation.resolved_at is None
    assert (await world.events("conversation.reopened"))[-1].data == {"by": "requester"}


async def test_requester_reply_after_window_starts_a_follow_up(world: World, clock: FrozenClock):
    await open_request(world)
    await world.run(c.set_status, world.actor("dana"), "1001", Status.RESOLVED)
    clock.advance(timedelta(days=8))
    posted = await world.run(c.requester_message, world.people["eli"], "1001", "New issue")
    assert posted.opened_new and posted.conversation.ref == 1002
    assert posted.conversation.follows_id == (await current(world, 1001)).id
    assert (await current(world, 1001)).status == Status.RESOLVED


# ------------------------------------------------------------------ transfer


async def test_transfer_to_agent(world: World):
    await open_request(world)
    conv = await world.run(c.transfer_to_agent, world.actor("dana"), "1001", world.people["lee"])
    assert conv.assignee_id == world.people["lee"].id and conv.status == Status.OPEN
    [told] = await world.notices("agent.assigned")
    assert told.person_id == world.people["lee"].id
    assert told.payload == {"by_id": world.people["dana"].id}
    [event] = await world.events("conversation.transferred")
    assert event.data["assignee_id"] == world.people["lee"].id
    items = await world.run(queue, world.actor("lee"), QueueView.MINE)
    assert [(i.ref, i.unread) for i in items] == [(1001, True)]


async def test_transfer_to_agent_refusals(world: World):
    await open_request(world)
    await refused(world, "not_an_agent", "Omer is not an agent of the IT desk",
                  c.transfer_to_agent, world.actor("dana"), "1001", world.people["omer"])
    await world.run(c.claim, world.actor("dana"), "1001")
    await refused(world, "wrong_state", "already assigned to Dana", c.transfer_to_agent,
                  world.actor("lee"), "1001", world.people["dana"])


async def test_transfer_to_desk_moves_and_reposts(world: World):
    await open_request(world)
    await world.run(c.claim, world.actor("dana"), "1001")
    async with world.db.unit_of_work() as uow:
        conv = await c.load(uow, world.workspace.id, 1001)
        conv.agent_channel, conv.agent_thread = "C_IT", "333.3"
        await uow.commit()
    moved = await world.run(c.transfer_to_desk, world.actor("dana"), "1001", world.desks["HR"])
    assert moved.desk_id == world.desks["HR"].id
    assert moved.assignee_id is None and moved.status == Status.NEW
    assert moved.agent_thread is None
    [card_moved] = await world.notices("card.moved")
    assert card_moved.payload["old_channel"] == "C_IT"
    assert card_moved.payload["old_thread"] == "333.3"
    kinds = [n.kind for n in await world.notices() if n.id > card_moved.id]
    assert kinds == ["card.post", "requester.update"]
    await refused(world, "unknown_ref", "There is no request #1001.", c.claim,
                  world.actor("dana"), "1001")
    await world.run(c.claim, world.actor("omer"), "1001")


async def test_transfer_to_desk_refusals(world: World):
    await open_request(world)
    await refused(world, "wrong_state", "already on the IT desk", c.transfer_to_desk,
                  world.actor("dana"), "1001", world.desks["IT"])
    from desks.service import archive_desk

    await world.run(archive_desk, world.actor("ada"), "HR")
    await refused(world, "desk_archived", "archived", c.transfer_to_desk,
                  world.actor("dana"), "1001", world.desks["HR"])
    await world.run(c.close, world.actor("dana"), "1001")
    await refused(world, "wrong_state", "is closed. Reopen it first", c.transfer_to_desk,
                  world.actor("dana"), "1001", world.desks["IT"])


# ------------------------------------------------------------------ pin / read


async def test_pin_is_per_agent_and_pins_card_once(world: World):
    await open_request(world)
    await open_request(world, text="second")
    await world.run(c.pin, world.actor("dana"), "1002")
    await world.run(c.pin, world.actor("lee"), "1002")
    assert len(await world.notices("card.pin")) == 1
    await refused(world, "wrong_state", "already pinned", c.pin, world.actor("dana"), "1002")
    dana = await world.run(queue, world.actor("dana"), QueueView.ALL)
    assert [(i.ref, i.pinned) for i in dana] == [(1002, True), (1001, False)]
    await world.run(c.unpin, world.actor("dana"), "1002")
    assert await world.notices("card.unpin") == []  # Lee still pins it
    await world.run(c.unpin, world.actor("lee"), "1002")
    assert len(await world.notices("card.unpin")) == 1
    await refused(world, "wrong_state", "have not pinned", c.unpin, world.actor("lee"), "1002")
    assert len(await world.events("conversation.pinned")) == 2


async def test_unread_follows_requester_messages_and_marks(world: World, clock):
    await open_request(world)
    [item] = await world.run(queue, world.actor("dana"), QueueView.ALL)
    assert item.unread
    await world.run(c.mark_read, world.actor("dana"), "1001")
    [item] = await world.run(queue, world.actor("dana"), QueueView.ALL)
    assert not item.unread
    clock.advance(minutes=1)
    await world.run(c.requester_message, world.people["eli"], "1001", "any news?")
    [item] = await world.run(queue, world.actor("dana"), QueueView.ALL)
    assert item.unread
    await world.run(c.mark_read, world.actor("dana"), "1001")
    await world.run(c.mark_unread, world.actor("dana"), "1001")
    [item] = await world.run(queue, world.actor("dana"), QueueView.ALL)
    assert item.unread
    [other] = await world.run(queue, world.actor("lee"), QueueView.ALL)
    assert other.unread  # Lee never read it


# ------------------------------------------------------------------ priority / status / close


async def test_priority(world: World):
    await open_request(world)
    conv = await world.run(c.set_priority, world.actor("dana"), "1001", "5")
    assert conv.priority == 5
    [event] = await world.events("priority.changed")
    assert event.data == {"old": 3, "new": 5}
    for bad in ("0", "6", "high", "", "²"):
        await refused(world, "invalid_input", "Priority is a number from 1", c.set_priority,
                      world.actor("dana"), "1001", bad)
    await refused(world, "wrong_state", "already has priority 5", c.set_priority,
                  world.actor("dana"), "1001", 5)


async def test_status_transitions(world: World):
    await open_request(world)
    dana = world.actor("dana")
    await world.run(c.claim, dana, "1001")
    conv = await world.run(c.set_status, dana, "1001", Status.WAITING)
    assert conv.status == Status.WAITING
    await refused(world, "wrong_state", "already waiting on requester", c.set_status, dana,
                  "1001", Status.WAITING)
    conv = await world.run(c.set_status, dana, "1001", Status.ON_HOLD)
    assert conv.status == Status.ON_HOLD
    conv = await world.run(c.set_status, dana, "1001", Status.OPEN)
    assert conv.status == Status.OPEN
    await refused(world, "wrong_state", "already open", c.set_status, dana, "1001", Status.OPEN)
    conv = await world.run(c.set_status, dana, "1001", Status.RESOLVED)
    assert conv.status == Status.RESOLVED and conv.resolved_at is not None
    assert len(await world.notices("requester.resolve_prompt")) == 1
    await refused(world, "wrong_state", "is resolved. Reopen it first", c.set_status, dana,
                  "1001", Status.WAITING)
    conv = await world.run(c.set_status, dana, "1001", Status.OPEN)  # open again = reopen
    assert conv.status == Status.OPEN and conv.resolved_at is None
    await refused(world, "invalid_input", "Use one of waiting", c.set_status, dana, "1001",
                  Status.CLOSED)
    changes = [(e.data["old"], e.data["new"]) for e in await world.events("status.changed")]
    assert changes == [("open", "waiting"), ("waiting", "on_hold"), ("on_hold", "open"),
                       ("open", "resolved")]


def test_parse_status_words():
    from conversations.lifecycle import parse_status

    assert parse_status("hold") == Status.ON_HOLD
    assert parse_status("Waiting") == Status.WAITING
    with pytest.raises(DeskbotError, match="not a status. Use one of waiting, hold, open"):
        parse_status("done")


async def test_close_and_reopen(world: World):
    await open_request(world)
    dana = world.actor("dana")
    conv = await world.run(c.close, dana, "1001", "duplicate of #1000")
    assert conv.status == Status.CLOSED and conv.closed_at is not None
    async with world.db.unit_of_work(readonly=True) as uow:
        note = await uow.session.get(Message, (await world.events("conversation.closed"))[0]
                                     .data["note_message_id"])
        assert note is not None and note.kind == "note" and note.body == "duplicate of #1000"
    await refused(world, "wrong_state", "already closed", c.close, dana, "1001")
    await refused(world, "wrong_state", "is closed. Reopen it first", c.agent_reply, dana,
                  "1001", "hi")
    conv = await world.run(c.reopen, dana, "1001")
    assert conv.status == Status.NEW and conv.closed_at is None
    await refused(world, "wrong_state", "not resolved or closed", c.reopen, dana, "1001")
    # Closing an open request tells the requester once, in the final state: the
    # "closed. Did this solve it?" prompt, not an update and a "resolved" question too.
    assert [n.payload["what"] for n in await world.notices("requester.update")] == [
        "reopened"]
    assert len(await world.notices("requester.resolve_prompt")) == 1


async def test_rating_and_resolution_answer(world: World):
    await open_request(world)
    await open_request(world, text="two")
    dana = world.actor("dana")
    eli = world.people["eli"]
    await refused(world, "wrong_state", "not resolved yet", c.rate, eli, "1001", 5)
    await world.run(c.set_status, dana, "1001", Status.RESOLVED)
    await refused(world, "invalid_input", "1 to 5 stars", c.rate, eli, "1001", 9)
    await refused(world, "unknown_ref", "There is no request #1001.", c.rate,
                  world.people["maya"], "1001", 5)
    assert (await world.run(c.rate, eli, "1001", 4)).rating == 4
    closed = await world.run(c.answer_resolved, eli, "1001", True)
    assert closed.status == Status.CLOSED
    await world.run(c.agent_reply, dana, "1002", "done?")
    await world.run(c.set_status, dana, "1002", Status.RESOLVED)
    reopened = await world.run(c.answer_resolved, eli, "1002", False)
    assert reopened.status == Status.OPEN
    await refused(world, "wrong_state", "not resolved", c.answer_resolved, eli, "1002", True)


async def test_agent_close_asks_the_requester_once_and_no_reopens(world: World):
    await open_request(world)
    dana = world.actor("dana")
    eli = world.people["eli"]
    await world.run(c.close, dana, "1001")
    assert len(await world.notices("requester.resolve_prompt")) == 1
    confirmed = await world.run(c.answer_resolved, eli, "1001", True)
    assert confirmed.status == Status.CLOSED
    assert len(await world.events("conversation.confirmed")) == 1
    assert (await world.run(c.rate, eli, "1001", 5)).rating == 5
    reopened = await world.run(c.answer_resolved, eli, "1001", False)
    assert reopened.status == Status.NEW
    # Resolved first, closed later: the prompt went out at resolve, not again at close.
    await world.run(c.set_status, dana, "1001", Status.RESOLVED)
    await world.run(c.close, dana, "1001")
    assert len(await world.notices("requester.resolve_prompt")) == 2


# ------------------------------------------------------------------ availability and queues


async def test_availability_off_releases_assigned_conversations(world: World):
    for _ in range(3):
        await open_request(world)
    dana = world.actor("dana")
    await world.run(c.set_availability, dana, True)
    assert (await world.person("dana")).available
    await world.run(c.claim, dana, "1001")
    await world.run(c.claim, dana, "1002")
    await world.run(c.set_status, dana, "1002", Status.WAITING)
    await world.run(c.claim, world.actor("lee"), "1003")
    before = len(await world.notices("card.update"))
    change = await world.run(c.set_availability, world.actor("dana"), False)
    assert change.released_refs == [1001, 1002]
    assert (await current(world, 1001)).assignee_id is None
    assert (await current(world, 1001)).status == Status.NEW
    assert (await current(world, 1002)).status == Status.WAITING
    assert (await current(world, 1003)).assignee_id == world.people["lee"].id
    assert len(await world.notices("card.update")) == before + 2
    assert len(await world.events("conversation.released")) == 2
    await refused(world, "not_an_agent", "not an agent of any desk", c.set_availability,
                  world.actor("eli"), True)


async def test_queues_views_order_and_scope(world: World, clock):
    for text in ("one", "two", "three"):
        await open_request(world, text=text)
        clock.advance(minutes=1)
    await open_request(world, desk="HR", text="leave")
    dana, noa = world.actor("dana"), world.actor("noa")
    await world.run(c.claim, dana, "1001")
    await world.run(c.set_priority, dana, "1003", 5)
    await world.run(c.pin, dana, "1002")
    await world.run(c.close, dana, "1001")
    all_items = await world.run(queue, dana, QueueView.ALL)
    assert [i.ref for i in all_items] == [1002, 1003]  # pinned, then priority; closed gone
    assert all_items[0].desk == "IT" and all_items[0].requester == "Eli"
    reopened = await world.run(c.reopen, dana, "1001")
    assert reopened.status == Status.OPEN  # reopen keeps the assignee
    assert [i.ref for i in await world.run(queue, dana, QueueView.MINE)] == [1001]
    assert [i.ref for i in await world.run(queue, dana, QueueView.UNASSIGNED)] == [1002, 1003]
    assert [i.ref for i in await world.run(queue, noa, QueueView.UNASSIGNED)] == [1003, 1002,
                                                                                  1004]
    assert [i.ref for i in await world.run(queue, noa, QueueView.ALL, world.desks["HR"])] == [
        1004]
    await refused(world, "not_an_agent", "not an agent of the HR desk", queue, dana,
                  QueueView.ALL, world.desks["HR"])
    await refused(world, "not_an_agent", "not an agent of any desk", queue, world.actor("eli"))
    with pytest.raises(DeskbotError, match="is not a queue. Use unassigned, mine or all"):
        parse_view("everything")


async def test_my_requests_only_mine(world: World):
    await open_request(world)
    await open_request(world, who="maya")
    await open_request(world, desk="HR", text="leave")
    await world.run(c.claim, world.actor("dana"), "1001")
    mine = await world.run(my_requests, world.people["eli"])
    assert [(r.ref, r.desk, r.assignee) for r in mine] == [(1003, "HR", None),
                                                           (1001, "IT", "Dana")]
