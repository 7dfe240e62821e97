"""Major incidents through `/desk incident …`, on both databases: open, link, update
(one notice per linked requester), resolve (each request through the status path),
list; the burst rule and the known incident at request-open time."""

from __future__ import annotations

import pytest

from conversations import incident_watch, incidents
from conversations.lifecycle import Status
from desks.directory import StaticDirectory
from desks.errors import WrongState
from desks.notices import NoticeKind
from desks.permissions import Actor
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Event, Incident, OutboxNotice
from tests.integration.test_commands import (
    ADA,
    DANA,
    ELI,
    LEE,
    MAYA,
    NOA,
    OMER,
    PROFILES,
    Chat,
    asked,
    at,
)


@pytest.fixture
async def helpdesk(db: Database) -> Chat:
    """IT (#it-agents: agents Dana, Lee; lead Noa) and HR (#hr-agents: agent Omer; lead Noa)."""
    chat = Chat(db, StaticDirectory(PROFILES))
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, VPN, accounts")
    await chat.ok(ADA, "admin create HR <#C_HR|hr-agents> Leave and payroll")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)} {at(LEE)}")
    await chat.ok(ADA, f"admin leads IT add {at(NOA)}")
    await chat.ok(ADA, f"admin agents HR add {at(OMER)}")
    await chat.ok(ADA, f"admin leads HR add {at(NOA)}")
    return chat



async def test_open_link_update_resolve(helpdesk: Chat, clock: FrozenClock):
    refs = [await asked(helpdesk, "IT email is down", who=who) for who in (ELI, MAYA)]
    other = await asked(helpdesk, "IT printer jammed", who=ELI)
    answer = await helpdesk.ok(DANA, 'incident open "Email is down"')
    assert "INC-1 Email is down is open on IT" in answer
    [incident] = await helpdesk.all(Incident)
    assert (incident.number, incident.status, incident.title) == (1, "open", "Email is down")
    assert len(await helpdesk.all(OutboxNotice,
                                  OutboxNotice.kind == NoticeKind.INCIDENT_CARD_POST)) == 1

    answer = await helpdesk.ok(LEE, f"incident link inc-1 {refs[0]} #{refs[1]}")
    assert f"Linked 2 requests to INC-1: #{refs[0]}, #{refs[1]}" in answer
    assert "already" in await helpdesk.ok(LEE, f"incident link 1 {refs[0]}")

    answer = await helpdesk.ok(DANA, "incident update INC-1 We are on it")
    assert "goes to 2 requesters" in answer
    news = await helpdesk.all(OutboxNotice, OutboxNotice.kind == NoticeKind.INCIDENT_NEWS)
    linked = {(await helpdesk.conversation(r)).id for r in refs}
    assert sorted(n.conversation_id for n in news) == sorted(linked)
    assert all(n.payload["text"] == "We are on it" for n in news)
    assert len(await helpdesk.all(OutboxNotice,
                                  OutboxNotice.kind == NoticeKind.INCIDENT_THREAD)) == 1

    listed = await helpdesk.ok(NOA, "incident list")
    assert "INC-1 Email is down (IT): 2 linked" in listed

    answer = await helpdesk.ok(DANA, "incident resolve INC-1 Mail is back")
    assert "INC-1 is resolved, with 2 linked requests" in answer
    for ref in refs:
        conversation = await helpdesk.conversation(ref)
        assert conversation.status == Status.RESOLVED
        assert conversation.resolved_at is not None and conversation.sla_paused_at is not None
        assert len(await helpdesk.notices(ref, NoticeKind.RESOLVE_PROMPT)) == 1
    assert (await helpdesk.conversation(other)).status == Status.NEW
    [incident] = await helpdesk.all(Incident)
    assert (incident.status, incident.resolution_note) == ("resolved", "Mail is back")
    assert "No incident is open" in await helpdesk.ok(DANA, "incident list")
    await helpdesk.refused(DANA, "incident update 1 more", "INC-1 is resolved already")


async def test_a_requester_with_two_linked_requests_is_told_once(helpdesk: Chat):
    refs = [await asked(helpdesk, text) for text in ("IT email is down", "IT still no email")]
    await helpdesk.ok(DANA, 'incident open "Email is down"')
    await helpdesk.ok(DANA, f"incident link 1 {refs[0]} {refs[1]}")
    assert "goes to 1 requester." in await helpdesk.ok(DANA, "incident update 1 On it")
    news = await helpdesk.all(OutboxNotice, OutboxNotice.kind == NoticeKind.INCIDENT_NEWS)
    assert len(news) == 1


@pytest.mark.parametrize(("who", "text", "fragment"), [
    (DANA, "incident", "needs what to do"),
    (DANA, "incident frob", "“frob” is not an incident command"),
    (DANA, "incident open", "An incident needs a title"),
    (NOA, 'incident open "Email is down"', "You work several desks"),
    (ELI, 'incident open "Email is down"', "Only a desk's agents"),
    (DANA, 'incident open "Email" HR', "You do not work the HR desk"),
    (DANA, "incident link", "needs an incident number"),
    (DANA, "incident link INC-1", "Name the requests to link"),
    (DANA, "incident link INC-x 1001", "is not an incident number"),
    (DANA, "incident link INC-9 1001", "There is no incident INC-9"),
    (DANA, "incident update INC-1", "Write the update"),
    (DANA, "incident resolve 1", "Write the resolution note"),
    (OMER, "incident update 1 hi", "INC-1 is on the IT desk"),
])
async def test_malformed_incident_commands_are_answered(helpdesk: Chat, who: str, text: str,
                                                        fragment: str):
    await asked(helpdesk)
    await helpdesk.ok(DANA, 'incident open "Laptops"')
    reply = await helpdesk.refused(who, text, fragment)
    if "incident link" in text and "INC-9" not in text:
        assert reply.usage == "/desk incident link INC REF [REF…]"


async def test_burst_rule_fires_once_for_similar_requests_only(helpdesk: Chat,
                                                               clock: FrozenClock):
    for text in ("IT printer jammed", "IT vpn broken at home", "IT need a new mouse"):
        await asked(helpdesk, text)
    assert await helpdesk.events(incident_watch.PROPOSED) == []
    similar = []
    for who in (ELI, MAYA, OMER):
        similar.append(await asked(helpdesk, "IT outlook email is down", who=who))
        clock.advance(minutes=2)
    [proposed] = await helpdesk.events(incident_watch.PROPOSED)
    assert proposed.data["refs"] == similar
    [notice] = await helpdesk.all(OutboxNotice,
                                  OutboxNotice.kind == NoticeKind.INCIDENT_PROPOSAL)
    assert notice.payload["refs"] == similar
    await asked(helpdesk, "IT email down again in outlook", who=ADA)  # the 4th: no new post
    assert len(await helpdesk.events(incident_watch.PROPOSED)) == 1


async def test_burst_needs_them_within_the_window(helpdesk: Chat, clock: FrozenClock):
    for who in (ELI, MAYA, OMER):
        await asked(helpdesk, "IT email is down", who=who)
        clock.advance(minutes=6)
    assert await helpdesk.events(incident_watch.PROPOSED) == []


async def test_known_incident_links_at_open_without_a_card(helpdesk: Chat):
    await helpdesk.ok(DANA, 'incident open "Email is down"')
    [incident] = await helpdesk.all(Incident)
    desk = await helpdesk.desk("IT")
    async with helpdesk.db.unit_of_work() as uow:
        found = await incident_watch.known_incident(uow, desk, "my email is down since 9")
        assert found is not None and found.id == incident.id
        assert await incident_watch.known_incident(uow, desk, "printer jammed") is None
    ref = await asked(helpdesk, "IT printer jammed")
    assert len(await helpdesk.notices(ref, NoticeKind.CARD_POST)) == 1
    assert await helpdesk.count(Conversation, Conversation.incident_id.is_not(None)) == 0
    assert await helpdesk.count(Event, Event.kind == incident_watch.PROPOSED) == 0


async def test_declaring_from_requests_links_them_once(helpdesk: Chat):
    refs = [await asked(helpdesk, "IT email is down", who=who) for who in (ELI, MAYA)]
    dana = await helpdesk.person(DANA)
    async with helpdesk.db.unit_of_work() as uow:
        done = await incidents.declare_from(uow, Actor(dana), refs)
        await uow.commit()
    assert (done.incident.title, done.linked) == ("email is down", refs)
    async with helpdesk.db.unit_of_work() as uow:
        with pytest.raises(WrongState, match="part of INC-1 already"):
            await incidents.declare_from(uow, Actor(dana), refs)
    assert await helpdesk.count(Incident) == 1
