"""Saved replies through the core, on both databases: `/desk replies` adds, lists and
removes a desk's replies (leads and admins change them, agents read them), refusals
change nothing; a card's *Saved reply* posts one as the agent, placeholders filled,
the way a thread reply goes (claim, first response, relay, events)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conversations import button_ids, buttons, view_queries
from conversations.view_models import DeskConfig
from desks import saved_replies
from desks.directory import StaticDirectory
from desks.errors import InvalidInput, NotAnAgent, UnknownRef
from desks.notices import NoticeKind
from desks.permissions import resolve_actor
from storage.database import Database
from storage.models import Conversation, Event, Message, Person, SavedReply, Workspace
from tests.integration.test_commands import (
    ADA,
    DANA,
    ELI,
    LEE,
    NOA,
    OMER,
    PROFILES,
    Chat,
    asked,
    at,
    plain,
)

VPN = "Hi {name}, try reconnecting the VPN. Your request is {ref}."


@pytest.fixture
async def helpdesk(db: Database) -> Chat:
    """IT (agents Dana, Lee; lead Noa), HR (agent Omer; lead Noa)."""
    chat = Chat(db, StaticDirectory(PROFILES))
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, VPN, accounts")
    await chat.ok(ADA, "admin create HR <#C_HR|hr-agents> Leave and payroll")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)} {at(LEE)}")
    await chat.ok(ADA, f"admin leads IT add {at(NOA)}")
    await chat.ok(ADA, f"admin agents HR add {at(OMER)}")
    await chat.ok(ADA, f"admin leads HR add {at(NOA)}")
    return chat


async def stored(chat: Chat, desk: str = "IT") -> list[tuple[str, str]]:
    found = await chat.all(SavedReply, SavedReply.desk_id == (await chat.desk(desk)).id,
                           order=SavedReply.name)
    return [(r.name, r.text) for r in found]


async def choose(chat: Chat, user_id: str, ref: int, value: str | None) -> None:
    """`user_id` picks a saved reply (`value`, as the control carries it) on #ref's card."""
    async with chat.db.unit_of_work() as uow:
        workspace = (await uow.session.scalars(select(Workspace))).one()
        person = (await uow.session.scalars(
            select(Person).where(Person.external_id == user_id))).one()
        await buttons.ticket_control(uow, workspace, resolve_actor(person, workspace),
                                     button_ids.SAVED_REPLY, ref, value, {})
        await uow.commit()


async def card(chat: Chat, ref: int):  # type: ignore[no-untyped-def]
    async with chat.db.unit_of_work(readonly=True) as uow:
        conversation = (await uow.session.scalars(
            select(Conversation).where(Conversation.ref == ref))).one()
        return await view_queries.ticket_card(uow, conversation)


async def test_a_lead_adds_agents_list_and_the_lead_removes(helpdesk: Chat):
    said = await helpdesk.ok(NOA, f"replies IT add vpn {VPN}")
    assert "Added the saved reply vpn to the IT desk" in plain(said)
    await helpdesk.ok(ADA, 'replies it add "Password reset" Use the self-service page, {שם}.')
    assert await stored(helpdesk) == [("Password reset", "Use the self-service page, {שם}."),
                                      ("vpn", VPN)]
    listed = plain(await helpdesk.ok(DANA, "replies IT"))
    assert listed == "The IT desk has 2 saved replies: Password reset, vpn."
    assert "no saved replies yet" in plain(await helpdesk.ok(OMER, "replies HR"))

    config = await helpdesk.run(ADA, "admin show IT")
    assert isinstance(config, DeskConfig)
    assert ("Saved replies", "2: Password reset, vpn") in config.settings

    assert "Removed the saved reply vpn" in plain(await helpdesk.ok(NOA, "replies IT remove VPN"))
    assert await stored(helpdesk) == [("Password reset", "Use the self-service page, {שם}.")]
    added = await helpdesk.events("desk.saved_reply_added")
    removed = await helpdesk.events("desk.saved_reply_removed")
    noa = await helpdesk.person(NOA)
    assert [(e.actor_id, e.data["name"]) for e in added][0] == (noa.id, "vpn")
    assert [(e.actor_id, e.data["name"], e.data["text"]) for e in removed] == [
        (noa.id, "vpn", VPN)]


@pytest.mark.parametrize(("who", "text", "fragment"), [
    (DANA, "replies IT add vpn hello", "Only an admin or a lead of the IT desk"),
    (OMER, "replies IT add vpn hello", "Only an admin or a lead of the IT desk"),
    (ELI, "replies IT", "not an agent of the IT desk"),
    (OMER, "replies IT", "not an agent of the IT desk"),
    (DANA, "replies IT remove vpn", "Only an admin or a lead of the IT desk"),
])
async def test_who_may_read_and_change_them(helpdesk: Chat, who: str, text: str,
                                            fragment: str):
    await helpdesk.ok(NOA, f"replies IT add vpn {VPN}")
    await helpdesk.refused(who, text, fragment)


@pytest.mark.parametrize(("text", "fragments"), [
    ("replies IT add VPN again", ("already", "remove it first", "/desk replies it remove vpn")),
    ("replies IT add other Hi {first}", ("`{first}` is not a placeholder",
                                         "`{name}`, `{full_name}`, `{ref}`, `{שם}`")),
    ("replies IT add other Dear {Name}", ("`{Name}` is not a placeholder",)),
    ("replies IT add " + "n" * 41 + " hello", ("at most 40 characters",)),
    ("replies IT add long " + "x" * 2001, ("at most 2000 characters; this one has 2001",)),
    ("replies IT add other", ("needs the reply's text",)),
    ("replies IT remove nothing", ("no saved reply called nothing", "Its saved replies: vpn")),
    ("replies IT remove vpn extra", ("I did not understand",)),
    ("replies IT change vpn", ("add or remove",)),
    ("replies Nowhere", ("no desk called “Nowhere”",)),
    ("replies", ("needs the desk's name",)),
])
async def test_malformed_changes_are_refused_and_change_nothing(
        helpdesk: Chat, text: str, fragments: tuple[str, ...]):
    await helpdesk.ok(NOA, f"replies IT add vpn {VPN}")
    await helpdesk.refused(NOA, text, *fragments)


async def test_a_desk_has_at_most_a_hundred(helpdesk: Chat):
    for n in range(saved_replies.MAX_REPLIES):
        await helpdesk.ok(ADA, f"replies HR add r{n} text {n}")
    await helpdesk.refused(ADA, "replies HR add one-more text", "at most 100 saved replies")


async def test_a_chosen_reply_goes_to_the_requester_as_the_agents_reply(helpdesk: Chat):
    ref = await asked(helpdesk)  # Eli asks IT
    assert (await card(helpdesk, ref)).saved_replies == ()  # none yet: no control
    await helpdesk.ok(NOA, f"replies IT add vpn {VPN}")
    [(reply_id, name)] = (await card(helpdesk, ref)).saved_replies
    assert name == "vpn"

    await choose(helpdesk, DANA, ref, str(reply_id))
    conversation = await helpdesk.conversation(ref)
    dana = await helpdesk.person(DANA)
    assert conversation.assignee_id == dana.id  # an agent's reply claims it
    assert conversation.first_response_at is not None
    [message] = await helpdesk.all(Message, Message.conversation_id == conversation.id,
                                   Message.kind == "agent")
    assert message.author_id == dana.id
    assert message.body == f"Hi Eli, try reconnecting the VPN. Your request is #{ref}."
    kinds = [n.kind for n in await helpdesk.notices(ref)]
    assert NoticeKind.RELAY_TO_REQUESTER in kinds and NoticeKind.RELAY_TO_AGENTS in kinds
    for kind in (NoticeKind.RELAY_TO_REQUESTER, NoticeKind.RELAY_TO_AGENTS):
        [notice] = await helpdesk.notices(ref, kind)
        assert notice.payload["message_id"] == message.id
    [agent_event] = await helpdesk.all(Event, Event.kind == "message.agent",
                                       Event.conversation_id == conversation.id)
    assert agent_event.data["first_response"] is True
    assert (agent_event.actor_id, agent_event.data["saved_reply"]) == (dana.id, "vpn")


async def test_a_reply_of_another_desk_or_a_removed_one_is_refused(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.ok(NOA, "replies HR add leave Hello {name}")
    [hr_reply] = await helpdesk.all(SavedReply)
    before = await helpdesk.snapshot()
    with pytest.raises(InvalidInput) as refused:
        await choose(helpdesk, DANA, ref, str(hr_reply.id))
    assert "no longer on the IT desk" in plain(refused.value.message)
    for value, said in ((None, "Pick a saved reply first"), ("", "Pick a saved reply first"),
                        ("abc", "no longer on the IT desk"),
                        ("99999", "no longer on the IT desk")):
        with pytest.raises(InvalidInput) as refused:
            await choose(helpdesk, DANA, ref, value)
        assert said in plain(refused.value.message)
    with pytest.raises((NotAnAgent, UnknownRef)):  # Omer works HR, not IT: not his to see
        await choose(helpdesk, OMER, ref, str(hr_reply.id))
    assert await helpdesk.snapshot() == before


async def test_a_closed_request_shows_no_saved_replies(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.ok(NOA, "replies IT add vpn hello")
    await helpdesk.ok(DANA, f"close {ref}")
    assert (await card(helpdesk, ref)).saved_replies == ()


def test_placeholders_are_filled_in_english_and_hebrew():
    assert saved_replies.fill("Hi {name} ({full_name}), {ref}", "Eli Cohen", 1042) == (
        "Hi Eli (Eli Cohen), #1042")
    hebrew = saved_replies.fill("שלום {שם}, הפנייה {מספר}", "Eli Cohen", 7)
    assert hebrew == "שלום \u2068Eli\u2069, הפנייה #7"
    assert saved_replies.fill("{name} {unknown}", "", 1) == " {unknown}"
    assert saved_replies.clean_reply_text("  a {ref} b {x y} {} ") == "a {ref} b {x y} {}"
