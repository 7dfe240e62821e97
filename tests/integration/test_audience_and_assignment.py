"""Issue 17 (6, 7) in the core, on both databases: assignment rules (the command, the
turn kept under the desk's lock, least-loaded), withdrawing a request, and the desks file.
"""

from __future__ import annotations

import asyncio

import pytest
import yaml

from conversations import commands, withdrawal
from desks import audience
from desks.directory import StaticChannel
from desks.service import find_desk
from storage.database import Database
from storage.models import (
    AgentMark,
    Conversation,
    ConversationTimer,
    Desk,
    Event,
    OutboxNotice,
    Person,
)
from tests.integration.test_commands import ADA, DANA, ELI, LEE, MAYA, NOA, OMER, Chat, at
from tests.integration.test_commands import chat as chat  # noqa: F401 - a fixture
from tests.integration.test_desk_config_file import empty_db as empty_db  # noqa: F401
from tests.integration.test_desk_config_file import export_text, import_text


@pytest.fixture
async def it_desk(chat: Chat) -> Chat:  # noqa: F811
    """IT with agents Dana, Lee, Omer (Dana and Lee available) and lead Noa."""
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)} {at(LEE)} {at(OMER)}")
    await chat.ok(ADA, f"admin leads IT add {at(NOA)}")
    for agent in (DANA, LEE):
        await chat.ok(agent, "available on")
    return chat


async def held_by(chat: Chat) -> list[str | None]:
    """Who holds each request, by ref (platform ids)."""
    people = {p.id: p.external_id for p in await chat.all(Person)}
    return [people.get(c.assignee_id) if c.assignee_id else None
            for c in await chat.all(Conversation, order=Conversation.ref)]


# ---------------------------------------------------------------- assignment rules


async def test_the_rule_is_set_shown_and_recorded(it_desk: Chat) -> None:
    assert await it_desk.ok(ADA, "admin routing it autoassign Round-Robin") == (
        "The IT desk now gives each new request to its available agents in turn "
        "(round-robin).")
    assert (await it_desk.desk("IT")).settings["autoassign"] == "round-robin"
    shown = await it_desk.run(NOA, "admin show IT")  # a lead of the desk may look
    assert ("Auto-assign", "round-robin: the available agents in turn") in shown.settings
    await it_desk.ok(NOA, "admin routing IT autoassign off")
    assert "autoassign" not in (await it_desk.desk("IT")).settings
    [on, off] = await it_desk.all(Event, Event.kind == "desk.autoassign_changed")
    assert (on.data, off.data) == ({"old": None, "new": "round-robin"},
                                   {"old": "round-robin", "new": None})


@pytest.mark.parametrize(("text", "fragment"), [
    ("admin routing IT autoassign", "`/desk admin routing` needs round-robin, least-loaded or off"),
    ("admin routing IT autoassign sometimes", "takes round-robin or least-loaded or off"),
    ("admin routing IT autoassign round-robin now", "“now”"),
])
async def test_malformed_rules_are_refused_with_the_form(it_desk: Chat, text: str,
                                                         fragment: str) -> None:
    reply = await it_desk.refused(ADA, text, fragment)
    assert reply.usage is not None and "autoassign round-robin|least-loaded|off" in reply.usage
    await it_desk.refused(ADA, "admin routing Legal autoassign off",
                          "There is no desk called “Legal”")


async def test_only_admins_and_the_desk_leads_set_the_rule(it_desk: Chat) -> None:
    await it_desk.refused(DANA, "admin routing IT autoassign round-robin")
    await it_desk.refused(ELI, "admin routing IT autoassign round-robin")


async def test_nobody_available_leaves_it_unassigned(it_desk: Chat) -> None:
    await it_desk.ok(ADA, "admin routing IT autoassign least-loaded")
    for agent in (DANA, LEE):
        await it_desk.ok(agent, "available off")
    await it_desk.ok(ELI, "ask IT the printer")
    assert await held_by(it_desk) == [None]
    conversation = await it_desk.conversation(1001)
    assert conversation.status == "new"


async def test_a_given_request_is_open_and_its_agent_told(it_desk: Chat) -> None:
    await it_desk.ok(ADA, "admin routing IT autoassign round-robin")
    await it_desk.ok(ELI, "ask IT the printer")
    conversation = await it_desk.conversation(1001)
    dana = await it_desk.person(DANA)
    assert (conversation.status, conversation.assignee_id) == ("open", dana.id)
    [event] = await it_desk.all(Event, Event.kind == "conversation.autoassigned")
    assert event.actor_id is None and event.data["rule"] == "round-robin"
    [told] = await it_desk.all(OutboxNotice, OutboxNotice.kind == "agent.assigned")
    assert told.person_id == dana.id and told.payload == {"auto": "round-robin"}
    assert not await it_desk.all(OutboxNotice, OutboxNotice.kind == "agent.new_request")


async def test_two_requests_opened_at_once_take_two_turns(it_desk: Chat, db: Database) -> None:
    await it_desk.ok(ADA, "admin routing IT autoassign round-robin")
    await it_desk.run(ELI, "my")  # Eli is known from here on
    eli = await it_desk.person(ELI)

    async def open_one(person: Person, text: str) -> None:
        async with db.unit_of_work() as uow:
            desk = await find_desk(uow, person.workspace_id, "IT")
            await commands.open_conversation(uow, person, desk, text)
            await uow.commit()

    await asyncio.gather(*(open_one(eli, text) for text in ("one", "two", "three", "four")))
    held = await held_by(it_desk)
    assert sorted(held) == [DANA, DANA, LEE, LEE], held  # never the same turn twice
    desk: Desk = await it_desk.desk("IT")
    assert desk.settings["autoassign_last"] == (await it_desk.person(LEE)).id


async def test_least_loaded_counts_active_requests_only(it_desk: Chat) -> None:
    for text in ("one", "two", "three"):
        await it_desk.ok(ELI, f"ask IT {text}")
    await it_desk.ok(DANA, "claim 1001")
    await it_desk.ok(DANA, "claim 1002")
    await it_desk.ok(LEE, "claim 1003")
    await it_desk.ok(DANA, "close 1001")
    await it_desk.ok(DANA, "close 1002")  # Dana holds no active one now, Lee one
    await it_desk.ok(ADA, "admin routing IT autoassign least-loaded")
    await it_desk.ok(ELI, "ask IT four")
    assert (await held_by(it_desk))[-1] == DANA


async def test_least_loaded_takes_equal_loads_in_turn(it_desk: Chat) -> None:
    await it_desk.ok(ADA, "admin routing IT autoassign least-loaded")
    for text in ("one", "two", "three", "four"):
        await it_desk.ok(ELI, f"ask IT {text}")
        await it_desk.ok(ELI, f"ask IT {text} again")
    # Each pair leaves the two even; the next goes to the one after the last given.
    assert await held_by(it_desk) == [DANA, LEE] * 4


# ---------------------------------------------------------------- the desks file


async def test_the_rule_exports_and_imports(it_desk: Chat, empty_db: Database) -> None:  # noqa: F811
    await it_desk.ok(ADA, "admin routing IT autoassign round-robin")
    await it_desk.ok(ELI, "ask IT the printer")  # the turn moves: no setting of the file
    first = await export_text(it_desk.db)
    [it] = yaml.safe_load(first)["desks"]
    assert it["settings"]["autoassign"] == "round-robin"
    assert "autoassign_last" not in it["settings"]

    await import_text(empty_db, first)
    assert await export_text(empty_db) == first
    # Applied again where the turn has moved: nothing changes, the turn stays.
    again = await import_text(it_desk.db, first)
    assert again.unchanged == ["IT"]
    assert (await it_desk.desk("IT")).settings["autoassign_last"] == (
        await it_desk.person(DANA)).id

    off = first.replace("autoassign: round-robin", "autoassign: off")
    assert (await import_text(it_desk.db, off)).updated == ["IT"]
    assert ("Auto-assign", "off: agents claim requests") in (
        await it_desk.run(ADA, "admin show IT")).settings


async def test_a_bad_rule_in_the_file_is_reported(it_desk: Chat) -> None:
    text = (await export_text(it_desk.db)).replace("  settings:\n",
                                                   "  settings:\n    autoassign: sometimes\n")
    from conversations.desk_file import DeskFileInvalid
    with pytest.raises(DeskFileInvalid) as caught:
        await import_text(it_desk.db, text)
    assert any("autoassign is round-robin, least-loaded or off, not “sometimes”" in p
               for p in caught.value.problems), caught.value.problems


# ---------------------------------------------------------------- withdraw


async def test_the_requester_withdraws_their_own_request(it_desk: Chat) -> None:
    await it_desk.ok(ELI, "ask IT the printer")
    await it_desk.ok(DANA, "pin 1001")
    # Someone else, the desk's agent or its lead: no such request, and nothing changes.
    for other in (MAYA, DANA, NOA):
        await it_desk.refused(other, "withdraw 1001", "There is no request #1001.")
    assert await it_desk.ok(ELI, "withdraw #1001") == (
        "You withdrew #1001; the desk will not work on it.")
    conversation = await it_desk.conversation(1001)
    assert conversation.status == "closed" and conversation.closed_at is not None
    assert conversation.resolved_at is None  # closed, not resolved
    assert not await it_desk.all(ConversationTimer, order=ConversationTimer.kind)
    marks = await it_desk.all(AgentMark, order=AgentMark.person_id)
    assert marks and not [m for m in marks if m.pinned_at is not None]  # its pin is gone
    [event] = await it_desk.all(Event, Event.kind == "conversation.withdrawn")
    assert event.actor_id == (await it_desk.person(ELI)).id and event.data == {"old": "new"}
    kinds = [n.kind for n in await it_desk.all(OutboxNotice)]
    assert {"card.unpin", "card.update", "requester.withdrew"} <= set(kinds)
    assert "requester.resolve_prompt" not in kinds
    await it_desk.refused(ELI, "withdraw 1001", "#1001 is closed already")


async def test_a_resolved_request_can_be_withdrawn_and_reopened_after(it_desk: Chat) -> None:
    await it_desk.ok(ELI, "ask IT the printer")
    await it_desk.ok(DANA, "status 1001 resolved")
    await it_desk.ok(ELI, "withdraw 1001")
    assert (await it_desk.conversation(1001)).status == "closed"
    await it_desk.ok(DANA, "reopen 1001")
    await it_desk.ok(DANA, "close 1001")
    async with it_desk.db.unit_of_work(readonly=True) as uow:
        conversation = await uow.session.get(Conversation, (await it_desk.conversation(1001)).id)
        assert conversation is not None
        assert not await withdrawal.was_withdrawn(uow, conversation)  # closed by Dana now


@pytest.mark.parametrize(("text", "fragment"), [
    ("withdraw", "`/desk withdraw` needs a request number"),
    ("withdraw 1001 now", "“now”"),
    ("withdraw abc", "“abc” is not a request number"),
])
async def test_malformed_withdrawals_are_refused_with_the_form(it_desk: Chat, text: str,
                                                              fragment: str) -> None:
    await it_desk.ok(ELI, "ask IT the printer")
    reply = await it_desk.refused(ELI, text, fragment)
    if reply.usage is not None:
        assert reply.usage == "/desk withdraw REF"


# ---------------------------------------------------------------- private desks


@pytest.fixture
async def payroll(it_desk: Chat) -> Chat:
    """Besides IT: Payroll (agent Omer; keyword "salary"), private to #finance (Maya is in
    it) and to Noa by name. Eli is in neither."""
    it_desk.directory.add_channel(StaticChannel("C_FIN", "finance", members=frozenset({MAYA})))
    await it_desk.ok(ADA, "admin create Payroll <#C_PAY|payroll-agents> Payslips")
    await it_desk.ok(ADA, f"admin agents Payroll add {at(OMER)}")
    await it_desk.ok(ADA, "admin routing Payroll keywords salary")
    assert await it_desk.ok(ADA, f"admin audience Payroll <#C_FIN|finance> {at(NOA)}") == (
        "The Payroll desk is private: only its agents and #C_FIN and Noa see it.")
    return it_desk


async def test_a_private_desk_is_seen_by_its_audience_only(payroll: Chat) -> None:
    # Eli: `ask Payroll …` is words to him, keyword routing skips Payroll.
    assert (await payroll.ok(ELI, "ask Payroll my payslip")).startswith("Sent to IT")
    assert (await payroll.ok(ELI, "ask my salary")).startswith("Sent to IT")
    # Maya (in #finance), Noa (named) and Omer (its agent) may ask it.
    for who in (MAYA, NOA, OMER):
        assert (await payroll.ok(who, "ask Payroll my payslip")).startswith("Sent to Payroll")
    assert (await payroll.ok(MAYA, "ask my salary")).startswith("Sent to Payroll")
    await payroll.ok(ADA, f"admin leads Payroll add {at(DANA)}")  # its leads see it too
    assert (await payroll.ok(DANA, "ask Payroll a test")).startswith("Sent to Payroll")
    [event] = await payroll.all(Event, Event.kind == "desk.audience_changed")
    assert event.data["new"] == {"channels": ["C_FIN"], "people": [NOA]}


async def test_the_audience_is_shown_changed_and_switched_off(payroll: Chat) -> None:
    shown = await payroll.run(ADA, "admin show Payroll")
    assert ("Audience", "#C_FIN, Noa") in shown.settings or (
        "Audience", "#C_FIN, U_NOA") in shown.settings, shown.settings
    assert await payroll.ok(ADA, f"admin audience Payroll remove {at(NOA)}") == (
        "The Payroll desk is private: only its agents and #C_FIN see it.")
    assert await payroll.ok(ADA, "admin audience Payroll off") == (
        "The Payroll desk is public: everyone sees it.")
    assert "audience" not in (await payroll.desk("Payroll")).settings
    assert (await payroll.ok(ELI, "ask Payroll hi")).startswith("Sent to Payroll")
    # Only admins and the desk's leads change it.
    await payroll.refused(ELI, "admin audience Payroll <#C_FIN|finance>", "Only an admin")


@pytest.mark.parametrize(("text", "fragment"), [
    ("admin audience", "`/desk admin audience` needs the desk's name"),
    ("admin audience Payroll remove", "needs at least one #channel or @person"),
    ("admin audience Payroll everyone", "not “everyone”"),
    ("admin audience Payroll off now", "“now”"),
    ("admin audience Payroll here", "not “here”"),  # in a DM: no channel to name
])
async def test_malformed_audiences_are_refused_with_the_form(payroll: Chat, text: str,
                                                             fragment: str) -> None:
    reply = await payroll.refused(ADA, text, fragment)
    assert reply.usage is not None and reply.usage.startswith("/desk admin audience DESK")


async def test_the_audience_exports_and_imports(payroll: Chat,
                                                empty_db: Database) -> None:  # noqa: F811
    first = await export_text(payroll.db)
    [_, payroll_desk] = yaml.safe_load(first)["desks"]
    assert payroll_desk["settings"]["audience"] == {"channels": ["C_FIN"], "people": [NOA]}
    await import_text(empty_db, first)
    assert await export_text(empty_db) == first
    assert (await import_text(payroll.db, first)).unchanged == ["IT", "Payroll"]
    broken = first.replace("    - C_FIN\n", "    - 7\n")
    from conversations.desk_file import DeskFileInvalid
    with pytest.raises(DeskFileInvalid) as caught:
        await import_text(payroll.db, broken)
    assert any("audience is a mapping of channels and people" in p
               for p in caught.value.problems), caught.value.problems


async def test_a_platform_that_cannot_tell_keeps_the_desk_hidden(payroll: Chat,
                                                                 db: Database) -> None:
    class Failing:
        async def channel_members(self, workspace: str, channel: str) -> frozenset[str]:
            raise RuntimeError("the platform is down")

    audience.forget_members()
    assert await audience.member_channels(db, Failing(), "slack", "T1", MAYA) == frozenset()
    assert await audience.member_channels(db, object(), "slack", "T1", MAYA) == frozenset()
    found = await audience.member_channels(db, payroll.directory, "slack", "T1", MAYA)
    assert found == frozenset({"C_FIN"})
