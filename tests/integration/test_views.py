"""conversations/view_queries.py builds the cards' view models from the database as it
is now, and from the payloads the core's commands write. Runs on SQLite, and PostgreSQL
when configured."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import commands, view_queries
from conversations.lifecycle import Status
from conversations.queues import QueueView, my_requests, queue
from conversations.view_models import PersonRef
from desks import service as desks
from storage.models import Desk
from tests.integration.world import World


async def open_request(world: World, who: str, text: str, desk: str = "IT",
                       **kwargs) -> commands.Posted:
    return await world.run(commands.open_conversation, world.people[who], world.desks[desk],
                           text, **kwargs)


async def payloads(world: World, kind: str) -> list[dict]:
    return [n.payload for n in await world.notices(kind)]


async def test_ticket_card_follows_the_conversation(world: World) -> None:
    first = await open_request(world, "eli", "VPN drops every hour\nsince Monday")
    ref = first.conversation.ref
    card = await world.view(view_queries.ticket_card, ref)
    assert (card.ref, card.desk.slug, card.desk.name) == (ref, "it", "IT")
    assert card.subject == "VPN drops every hour"
    assert card.first_message == "VPN drops every hour\nsince Monday"
    assert card.requester == PersonRef("Eli", "U_ELI")
    assert (card.requester_earlier_requests, card.status, card.priority) == (0, "new", 3)
    assert card.assignee is None and card.pinned is False and card.sla.state == "none"
    assert sorted(a.name for a in card.agents) == ["Dana", "Lee", "Noa"]
    assert [d.slug for d in card.other_desks] == ["hr"]

    await world.run(commands.requester_message, world.people["eli"], ref, "still broken")
    await world.run(commands.claim, world.actor("dana"), ref)
    await world.run(commands.set_priority, world.actor("dana"), ref, 5)
    await world.run(commands.pin, world.actor("lee"), ref)
    later = await open_request(world, "eli", "Printer jam")
    card = await world.view(view_queries.ticket_card, ref)
    # The first message stays the first one; a follow-up does not replace it.
    assert card.first_message.startswith("VPN drops")
    assert card.assignee == PersonRef("Dana", "U_DANA")
    assert (card.status, card.priority, card.pinned) == ("open", 5, True)
    assert sorted(a.name for a in card.agents) == ["Lee", "Noa"]  # not the assignee
    second = await world.view(view_queries.ticket_card, later.conversation.ref)
    assert second.requester_earlier_requests == 1

    await world.run(commands.unpin, world.actor("lee"), ref)
    async with world.db.unit_of_work() as uow:
        await desks.archive_desk(uow, world.actor("ada"), "HR")
        await uow.commit()
    card = await world.view(view_queries.ticket_card, ref)
    assert card.pinned is False and card.other_desks == ()


async def test_moved_card_names_both_desks_and_who_moved_it(world: World) -> None:
    posted = await open_request(world, "eli", "Payslip is wrong")
    ref = posted.conversation.ref
    await world.run(commands.transfer_to_desk, world.actor("dana"), ref, world.desks["HR"])
    [payload] = await payloads(world, "card.moved")
    moved = await world.view(view_queries.card_moved, ref, payload)
    assert (moved.ref, moved.subject) == (ref, "Payslip is wrong")
    assert (moved.from_desk, moved.to_desk) == ("IT", "HR")
    assert moved.by == PersonRef("Dana", "U_DANA")
    [update] = await payloads(world, "requester.update")
    told = await world.view(view_queries.requester_update, ref, update)
    assert (told.what, told.to_desk, told.desk) == ("transferred", "HR", "HR")
    # The new card offers HR's people and IT as the other desk.
    card = await world.view(view_queries.ticket_card, ref)
    assert card.desk.name == "HR" and [d.name for d in card.other_desks] == ["IT"]
    assert sorted(a.name for a in card.agents) == ["Noa", "Omer"]


async def test_relays_carry_the_right_text_and_author(world: World) -> None:
    posted = await open_request(world, "eli", "Laptop won't boot")
    ref = posted.conversation.ref
    follow = await world.run(commands.requester_message, world.people["eli"], ref,
                             "<!channel> it beeps")
    reply = await world.run(commands.agent_reply, world.actor("lee"), ref, "Hold power 10s")
    to_agents = await world.view(view_queries.relay_to_agents, ref, follow.message.id)
    assert (to_agents.ref, to_agents.text) == (ref, "<!channel> it beeps")  # raw; cards escape
    assert to_agents.requester.name == "Eli"
    to_requester = await world.view(view_queries.relay_to_requester, ref, reply.message.id)
    assert (to_requester.text, to_requester.agent.name, to_requester.desk) == (
        "Hold power 10s", "Lee", "IT")
    other = await open_request(world, "maya", "Other")
    with pytest.raises(LookupError):  # a message of another conversation is never relayed
        await world.view(view_queries.relay_to_agents, other.conversation.ref, follow.message.id)


async def test_requester_updates_match_what_each_command_wrote(world: World) -> None:
    posted = await open_request(world, "eli", "Need a monitor")
    ref = posted.conversation.ref
    dana = world.actor("dana")
    await world.run(commands.claim, dana, ref)
    await world.run(commands.transfer_to_agent, dana, ref, world.people["lee"])
    await world.run(commands.set_status, world.actor("lee"), ref, Status.WAITING)
    await world.run(commands.close, world.actor("lee"), ref, "internal: done")
    await world.run(commands.reopen, world.actor("lee"), ref)
    shown = [await world.view(view_queries.requester_update, ref, p)
             for p in await payloads(world, "requester.update")]
    assert [(u.what, u.agent.name if u.agent else None, u.status) for u in shown] == [
        ("picked_up", "Dana", None), ("picked_up", "Lee", None), ("status", None, "waiting"),
        ("reopened", None, None)]  # the close is told by the resolve prompt alone
    assert all(u.desk == "IT" and u.ref == ref for u in shown)
    # The closing note is internal: it never reaches the requester's update.
    assert all(u.note is None for u in shown)

    [assigned] = await world.notices("agent.assigned")
    note = await world.view(view_queries.agent_notification, ref, "assigned",
                       by=assigned.payload["by_id"], link="https://x/y")
    assert (note.what, note.by.name, note.link, note.desk) == ("assigned", "Dana",
                                                               "https://x/y", "IT")
    assert note.requester.name == "Eli" and note.subject == "Need a monitor"


async def test_receipt_and_resolve_prompt(world: World) -> None:
    posted = await open_request(world, "eli", "Reset my password")
    ref = posted.conversation.ref
    [payload] = await payloads(world, "requester.receipt")
    got = await world.view(view_queries.receipt, ref, payload)
    assert (got.ref, got.desk, got.follows_ref) == (ref, "IT", None)
    await world.run(commands.set_status, world.actor("dana"), ref, Status.RESOLVED)
    prompt = await world.view(view_queries.resolve_prompt, ref)
    assert (prompt.ref, prompt.desk, prompt.rating) == (ref, "IT", None)
    await world.run(commands.rate, world.people["eli"], ref, 4)
    assert (await world.view(view_queries.resolve_prompt, ref)).rating == 4
    # After the reopen window, a reply starts a request that follows this one.
    await world.run(commands.close, world.actor("dana"), ref)
    follow = await world.run(commands.requester_message, world.people["eli"], ref, "again")
    receipts = await world.notices("requester.receipt")
    later = await world.view(view_queries.receipt, follow.conversation.ref, receipts[-1].payload)
    assert later.follows_ref == ref


async def test_agent_home_counts_pages_pins_and_filters(world: World) -> None:
    dana = world.actor("dana")
    refs = []
    for n in range(20):
        posted = await open_request(world, "eli" if n % 2 else "maya", f"Request {n}",
                                    desk="IT" if n < 18 else "HR")
        refs.append(posted.conversation.ref)
        world.db.clock.advance(timedelta(minutes=1))
    for ref in refs[:3]:
        await world.run(commands.claim, dana, ref)
    await world.run(commands.pin, dana, refs[10])
    home = await build_home(world, "dana")
    assert home.counts == {"unassigned": 15, "mine": 3, "all": 18}
    assert (home.view, home.page, home.pages, len(home.rows)) == ("unassigned", 1, 1, 15)
    assert home.rows[0].ref == refs[10] and home.rows[0].pinned  # pinned first
    assert [d.slug for d in home.desks] == ["it"] and home.desk is None
    assert home.name == "Dana" and home.available is False

    second = await build_home(world, "dana", view="all", page=2, page_size=10)
    assert (second.page, second.pages, len(second.rows)) == (2, 2, 8)
    clamped = await build_home(world, "dana", view="all", page=9, page_size=10)
    assert clamped.page == 2
    odd = await build_home(world, "dana", view="nonsense")
    assert odd.view == "unassigned"

    noa = await build_home(world, "noa", view="all")  # lead of IT and HR
    assert noa.counts["all"] == 20 and [d.slug for d in noa.desks] == ["hr", "it"]
    only_hr = await build_home(world, "noa", view="all", desk_slug="hr")
    assert only_hr.desk == "hr" and only_hr.counts["all"] == 2
    assert {r.desk for r in only_hr.rows} == {"HR"}
    not_served = await build_home(world, "dana", desk_slug="hr")  # ignored, not refused
    assert not_served.desk is None and not_served.counts["all"] == 18

    # An agent may be a requester too: their own open requests show on their home.
    await open_request(world, "dana", "My own keyboard", desk="HR")
    assert [r.subject for r in (await build_home(world, "dana")).own_requests] == [
        "My own keyboard"]


async def build_home(world: World, who: str, **kwargs):
    async with world.db.unit_of_work(readonly=True) as uow:
        return await view_queries.agent_home(uow, world.actor(who), **kwargs)


async def test_employee_home_queue_list_and_my_requests(world: World) -> None:
    first = await open_request(world, "eli", "Old one")
    world.db.clock.advance(timedelta(hours=1))
    await open_request(world, "eli", "New one", desk="HR")
    await open_request(world, "maya", "Not Eli's")
    await world.run(commands.claim, world.actor("dana"), first.conversation.ref)
    async with world.db.unit_of_work(readonly=True) as uow:
        home = await view_queries.employee_home(uow, world.people["eli"])
        items = await queue(uow, world.actor("dana"), QueueView.ALL)
    assert home.name == "Eli"
    assert [(r.subject, r.desk, r.assignee) for r in home.requests] == [
        ("New one", "HR", None), ("Old one", "IT", "Dana")]
    assert [d.name for d in home.desks] == ["HR", "IT"]
    listed = view_queries.queue_list(items, "all", "it", world.db.clock.now())
    assert (listed.view, listed.desk) == ("all", "it")
    assert [r.subject for r in listed.rows] == ["Old one", "Not Eli's"]
    assert listed.rows[0].assignee == "Dana" and listed.rows[0].sla.state == "none"
    async with world.db.unit_of_work(readonly=True) as uow:
        mine = view_queries.my_requests(await my_requests(uow, world.people["eli"]))
    assert [r.subject for r in mine.rows] == ["New one", "Old one"]


async def test_desk_config_shows_the_whole_configuration(world: World) -> None:
    ada = world.actor("ada")
    async with world.db.unit_of_work() as uow:
        await desks.set_routing_keywords(uow, ada, "IT", ["vpn", "laptop"])
        await desks.set_intake_channel(uow, ada, "IT", "C_ASK_IT")
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        desk.settings = {"reopen_window_days": 3, "service_hours": ["Sun-Thu 9-17"]}
        await uow.commit()
    async with world.db.unit_of_work(readonly=True) as uow:
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        config = await view_queries.desk_config(uow, desk)
    assert (config.name, config.slug, config.description) == ("IT", "it",
                                                               "Laptops, VPN, accounts")
    assert (config.agent_channel, config.intake_channel) == ("C_IT", "C_ASK_IT")
    assert [p.name for p in config.agents] == ["Dana", "Lee"]
    assert [p.name for p in config.leads] == ["Noa"]
    assert config.routing_keywords == ("laptop", "vpn") and config.archived is False
    # The reopen window, then the service policy (defaults here), then anything else.
    assert config.settings[0] == ("Reopen window", "3 days after resolve")
    assert ("Hours", "always") in config.settings
    assert config.settings[-1] == ("Service hours", "Sun-Thu 9-17")
