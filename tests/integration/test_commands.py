"""`/desk` through the platform-neutral command layer, on both databases.

Each test types what a person would type and checks both the answer (a view) and
what the database holds afterwards. Every refusal must leave the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conversations.command_line import Caller, Outcome, run_command
from conversations.view_models import (
    ArticleForm,
    DeskConfig,
    Help,
    History,
    MyRequests,
    QueueList,
    Reply,
    View,
)
from desks.directory import Profile, StaticChannel, StaticDirectory
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import (
    AgentMark,
    Conversation,
    Desk,
    DeskMember,
    Event,
    Incident,
    Message,
    OutboxNotice,
    PendingRequest,
    Person,
    SavedReply,
    Workspace,
)

ADA, DANA, LEE, NOA, OMER, ELI, MAYA = ("U_ADA", "U_DANA", "U_LEE", "U_NOA", "U_OMER",
                                       "U_ELI", "U_MAYA")
PROFILES = [
    Profile(ADA, "Ada", is_admin=True),
    Profile(DANA, "Dana"),
    Profile(LEE, "Lee"),
    Profile(NOA, "Noa"),
    Profile(OMER, "Omer"),
    Profile(ELI, "Eli"),
    Profile(MAYA, "Maya"),
]
TABLES = (Workspace, Person, Desk, DeskMember, Conversation, Message, Event, OutboxNotice,
          AgentMark, PendingRequest, Incident, SavedReply)


def at(user_id: str) -> str:
    """How Slack writes an @mention of a person of PROFILES."""
    name = next(p.display_name for p in PROFILES if p.external_id == user_id)
    return f"<@{user_id}|{name.lower()}>"


@dataclass
class Chat:
    """People typing `/desk …` in workspace T1, and a look into the database."""

    db: Database
    directory: StaticDirectory

    async def run(self, user_id: str, text: str, *, channel: str = "D_SELF",
                  dm: bool = True) -> View:
        caller = Caller(platform="slack", workspace_external_id="T1", user_id=user_id,
                        channel=channel, channel_is_dm=dm)
        outcome = await run_command(self.db, caller, text, directory=self.directory)
        assert isinstance(outcome, Outcome)
        assert not outcome.public
        return outcome.view

    async def ok(self, user_id: str, text: str, **where: Any) -> str:
        """Run a command that must succeed with a short reply; its text."""
        view = await self.run(user_id, text, **where)
        assert isinstance(view, Reply), view
        assert view.kind == "ok", view.text
        return view.text

    async def refused(self, user_id: str, text: str, *fragments: str, **where: Any) -> Reply:
        """Run a command that must be refused, saying `fragments`, changing nothing."""
        before = await self.snapshot()
        view = await self.run(user_id, text, **where)
        assert isinstance(view, Reply) and view.kind == "error", (text, view)
        for fragment in fragments:
            assert fragment in view.text or fragment in plain(view.text), (fragment, view.text)
        assert "Traceback" not in view.text
        assert await self.snapshot() == before, text
        return view

    async def snapshot(self) -> dict[str, int]:
        async with self.db.unit_of_work(readonly=True) as uow:
            return {model.__tablename__: (await uow.session.execute(
                select(func.count()).select_from(model))).scalar_one() for model in TABLES}

    async def all(self, model: type, *where: Any, order: Any = None) -> list[Any]:
        async with self.db.unit_of_work(readonly=True) as uow:
            query = select(model).where(*where)
            query = query.order_by(order if order is not None else model.id)
            return list((await uow.session.execute(query)).scalars())

    async def count(self, model: type, *where: Any) -> int:
        async with self.db.unit_of_work(readonly=True) as uow:
            return (await uow.session.execute(
                select(func.count()).select_from(model).where(*where))).scalar_one()

    async def person(self, user_id: str) -> Person:
        [person] = await self.all(Person, Person.external_id == user_id)
        return person

    async def desk(self, name: str) -> Desk:
        [desk] = await self.all(Desk, Desk.name == name)
        return desk

    async def conversation(self, ref: int) -> Conversation:
        [conversation] = await self.all(Conversation, Conversation.ref == ref)
        return conversation

    async def roles(self, desk_name: str) -> dict[str, str]:
        """external id -> role on the desk."""
        desk = await self.desk(desk_name)
        async with self.db.unit_of_work(readonly=True) as uow:
            rows = await uow.session.execute(
                select(Person.external_id, DeskMember.role)
                .join(DeskMember, DeskMember.person_id == Person.id)
                .where(DeskMember.desk_id == desk.id))
            return dict(rows.all())

    async def events(self, kind: str) -> list[Event]:
        return await self.all(Event, Event.kind == kind)

    async def notices(self, ref: int, kind: str | None = None) -> list[OutboxNotice]:
        conversation = await self.conversation(ref)
        where = [OutboxNotice.conversation_id == conversation.id]
        if kind:
            where.append(OutboxNotice.kind == kind)
        return await self.all(OutboxNotice, *where)


@pytest.fixture
def chat(db: Database) -> Chat:
    return Chat(db, StaticDirectory(PROFILES))


@pytest.fixture
async def helpdesk(chat: Chat) -> Chat:
    """IT (#it-agents: agents Dana, Lee; lead Noa) and HR (#hr-agents: agent Omer; lead Noa)."""
    await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, VPN, accounts")
    await chat.ok(ADA, "admin create HR <#C_HR|hr-agents> Leave and payroll")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)} {at(LEE)}")
    await chat.ok(ADA, f"admin leads IT add {at(NOA)}")
    await chat.ok(ADA, f"admin agents HR add {at(OMER)}")
    await chat.ok(ADA, f"admin leads HR add {at(NOA)}")
    return chat


async def asked(chat: Chat, text: str = "IT my laptop won't start", who: str = ELI) -> int:
    """An employee's `/desk ask`; the new ref."""
    answer = await chat.ok(who, f"ask {text}")
    return int(answer.split("#", 1)[1].split(".", 1)[0])


def lines(view: View) -> dict[str, list[str]]:
    assert isinstance(view, Help), view
    return {title: [line.usage for line in section] for title, section in view.sections}


# ---------------------------------------------------------------- help


async def test_help_shows_each_person_what_they_may_use(helpdesk: Chat):
    employee = lines(await helpdesk.run(ELI, "help"))
    assert list(employee) == ["For everyone"]
    assert employee["For everyone"] == ["/desk help", "/desk ask [desk] text", "/desk my",
                                         "/desk withdraw REF", "/desk language he|en|auto",
                                         "/desk search WORDS [DESK]",
                                         "/desk kb list [DESK]"]

    agent = lines(await helpdesk.run(DANA, "help"))
    assert list(agent) == ["For everyone", "For agents"]
    assert "/desk claim REF" in agent["For agents"]
    assert "/desk new @employee desk text" in agent["For agents"]
    assert agent["For agents"][-1] == "// text"  # internal notes, in a card's thread
    assert "/desk kb add REF" in agent["For agents"]  # articles (issue 19)
    assert "/desk kb remove KB-3" in agent["For agents"]
    assert not any(u.startswith("/desk kb ") and "list" not in u
                   for u in employee["For everyone"])
    [notes] = [line for _, section in (await helpdesk.run(DANA, "help")).sections
               for line in section if line.usage == "// text"]
    assert "internal note" in notes.description and "thread" in notes.description
    assert not any(u.startswith("//") for u in employee["For everyone"])

    lead = lines(await helpdesk.run(NOA, "HELP"))
    assert list(lead) == ["For everyone", "For agents", "For admins (leads: their own desk)"]

    admin = lines(await helpdesk.run(ADA, "help"))
    assert list(admin) == ["For everyone", "For admins (leads: their own desk)"]
    usages = admin["For admins (leads: their own desk)"]
    assert "/desk admin create NAME [#agent-channel] [description…]" in usages
    assert "/desk admin agents DESK add|remove @a @b …" in usages
    # Agents' commands are not offered to an admin who is no agent, but for those an
    # admin may run on any desk (reports, saved replies); `admin` is no line of its own.
    everything = [u for section in admin.values() for u in section]
    assert not any("ticket" in u or u.startswith("/desk claim") for u in everything)
    assert sum(u.startswith("/desk report") for u in usages) == 1
    assert sum(u.startswith("/desk replies") for u in usages) == 1
    lead_usages = [u for section in lead.values() for u in section]
    assert sum(u.startswith("/desk report") for u in lead_usages) == 1  # not twice
    assert "/desk admin report DESK weekly|monthly|quarterly|off [#channel]" in usages
    assert "/desk admin suggest DESK answers|articles|off" in usages
    assert any(u.startswith("/desk admin hours DESK") for u in usages)  # issue 4 brought it
    assert "/desk admin …" not in everything


@pytest.mark.parametrize("text", ["", "   ", "\n"])
async def test_empty_text_is_help(chat: Chat, text: str):
    assert lines(await chat.run(ELI, text)) == lines(await chat.run(ELI, "help"))


# ---------------------------------------------------------------- admin: success


async def test_admin_create_with_channel_and_description(chat: Chat):
    answer = await chat.ok(ADA, "admin create IT <#C_IT|it-agents> Laptops, *VPN*, accounts")
    assert answer.startswith("Created the IT desk. Its cards go to #it-agents.")
    assert "/desk admin agents IT add @someone" in answer
    desk = await chat.desk("IT")
    assert (desk.slug, desk.agent_channel, desk.description) == (
        "it", "C_IT", "Laptops, *VPN*, accounts")
    [event] = await chat.events("desk.created")
    assert event.actor_id == (await chat.person(ADA)).id and event.data["name"] == "IT"


async def test_admin_create_binds_the_channel_it_is_typed_in(chat: Chat):
    answer = await chat.ok(ADA, 'admin create "Payroll team"', channel="C_PAY", dm=False)
    assert "Its cards go to this channel." in answer
    desk = await chat.desk("Payroll team")
    assert (desk.slug, desk.agent_channel, desk.description) == ("payroll-team", "C_PAY", None)


async def test_admin_create_in_a_dm_leaves_the_channel_for_later(chat: Chat):
    answer = await chat.ok(ADA, "admin create Facilities")
    assert "It is not ready to take requests yet" in answer
    assert "no agent channel: run `/desk admin channel Facilities #channel`" in answer
    assert "no agents: run `/desk admin agents Facilities add @someone`" in answer
    assert (await chat.desk("Facilities")).agent_channel is None


async def test_admin_show_is_the_whole_configuration(helpdesk: Chat):
    await helpdesk.ok(ADA, "admin routing IT keywords vpn, wifi")
    await helpdesk.ok(ADA, "admin intake IT <#C_ASK|ask-it>")
    view = await helpdesk.run(ADA, "admin show it")
    assert isinstance(view, DeskConfig)
    assert (view.name, view.slug, view.description) == ("IT", "it", "Laptops, VPN, accounts")
    assert (view.agent_channel, view.intake_channel) == ("C_IT", "C_ASK")
    assert [p.name for p in view.agents] == ["Dana", "Lee"]
    assert [(p.name, p.external_id) for p in view.leads] == [("Noa", NOA)]
    assert view.routing_keywords == ("vpn", "wifi")
    assert not view.archived
    # A lead may look at their own desk.
    assert isinstance(await helpdesk.run(NOA, 'admin show "IT"'), DeskConfig)


async def test_admin_agents_add_and_remove(helpdesk: Chat):
    answer = await helpdesk.ok(ADA, f"admin agents HR add {at(ELI)}, {at(MAYA)} and {at(OMER)}")
    assert answer == ("Eli and Maya added to the HR desk's agents. Omer was already one of "
                      "its agents.")
    assert await helpdesk.roles("HR") == {OMER: "agent", NOA: "lead", ELI: "agent",
                                          MAYA: "agent"}
    assert len(await helpdesk.events("desk.agent_added")) == 3 + 2  # helpdesk's 3, now 2

    ref = await asked(helpdesk)
    await helpdesk.ok(LEE, f"claim {ref}")
    answer = await helpdesk.ok(ADA, f"admin agents IT remove {at(LEE)} {at(ELI)}")
    assert answer == (f"Lee removed from the IT desk's agents. Eli was not one of its agents. "
                      f"#{ref} went back to unassigned.")
    assert LEE not in await helpdesk.roles("IT")
    conversation = await helpdesk.conversation(ref)
    assert (conversation.assignee_id, conversation.status) == (None, "new")
    assert len(await helpdesk.events("desk.agent_removed")) == 1
    assert [e.data["reason"] for e in await helpdesk.events("conversation.released")] == [
        "removed_from_desk"]


async def test_admin_leads_add_and_remove(helpdesk: Chat):
    assert await helpdesk.ok(ADA, f"admin leads IT add {at(DANA)}") == (
        "Dana added to the IT desk's leads.")
    assert (await helpdesk.roles("IT"))[DANA] == "lead"
    assert await helpdesk.ok(ADA, f"admin leads IT remove {at(DANA)}") == (
        "Dana removed from the IT desk's leads.")
    assert (await helpdesk.roles("IT"))[DANA] == "agent"  # a removed lead stays an agent
    assert len(await helpdesk.events("desk.lead_removed")) == 1


async def test_admin_channel_named_or_here(helpdesk: Chat):
    assert await helpdesk.ok(ADA, "admin channel IT <#C_NEW|it-new>") == (
        "The IT desk's cards now go to #it-new.")
    assert (await helpdesk.desk("IT")).agent_channel == "C_NEW"
    assert await helpdesk.ok(NOA, "admin channel IT", channel="C_HERE", dm=False) == (
        "The IT desk's cards now go to this channel.")
    assert (await helpdesk.desk("IT")).agent_channel == "C_HERE"
    [*_, event] = await helpdesk.events("desk.agent_channel")
    assert (event.data["old"], event.data["new"]) == ("C_NEW", "C_HERE")
    await helpdesk.refused(ADA, "admin channel IT", "Name the channel", "run the command in it")


async def test_admin_intake_channel_and_off(helpdesk: Chat):
    answer = await helpdesk.ok(ADA, "admin intake IT <#C_ASK|ask-it>")
    assert answer.startswith("Top-level posts in #ask-it now open IT requests.")
    assert (await helpdesk.desk("IT")).intake_channel == "C_ASK"
    assert await helpdesk.ok(ADA, "admin intake IT OFF") == (
        "The IT desk has no intake channel now.")
    assert (await helpdesk.desk("IT")).intake_channel is None
    assert len(await helpdesk.events("desk.intake_channel")) == 2
    await helpdesk.refused(ADA, "admin intake IT", "needs a #channel (or `off`)")
    await helpdesk.refused(ADA, "admin intake IT maybe", "needs a #channel (or `off`)")
    await helpdesk.refused(ADA, "admin intake IT <#C_ASK> now", "“now”")


def plain(text: str) -> str:
    """Text as read, without the isolates (FSI…PDI) around the names in it."""
    return text.replace("\u2068", "").replace("\u2069", "")


# ---------------------------------------------------------------- admin: binding channels


@pytest.mark.parametrize("text", [
    "admin create Facilities #facilities-desk Rooms and keys",
    "admin channel IT #facilities-desk",
    "admin intake IT #facilities-desk",
])
async def test_a_channel_written_as_plain_text_is_refused(helpdesk: Chat, text: str):
    # Slack links every channel it knows (<#C123|name>): plain text is no channel the bot
    # sees. Typed in #general, it must not bind #general (nor describe the desk with it).
    reply = await helpdesk.refused(ADA, text, channel="C_GENERAL", dm=False)
    assert plain(reply.text) == ("I can't see a channel called #facilities-desk: create it, "
                                 "invite me, and try again.")
    it = await helpdesk.desk("IT")
    assert (it.agent_channel, it.intake_channel) == ("C_IT", None)


async def test_a_linked_channel_the_bot_cannot_see_is_refused(helpdesk: Chat):
    helpdesk.directory.add_channel(StaticChannel("C_SECRET", "secret", visible=False))
    for text in ("admin create Legal <#C_SECRET|secret>", "admin channel IT <#C_SECRET|secret>",
                 "admin intake IT <#C_SECRET|secret>"):
        reply = await helpdesk.refused(ADA, text)
        assert plain(reply.text).startswith("I can't see a channel called #secret")
    assert (await helpdesk.desk("IT")).agent_channel == "C_IT"


async def test_a_lead_cannot_bind_another_desks_channel(helpdesk: Chat):
    await helpdesk.ok(ADA, f"admin leads HR add {at(OMER)}")  # Omer leads HR only
    for text in ("admin intake HR <#C_IT|it-agents>", "admin channel HR <#C_IT|it-agents>"):
        reply = await helpdesk.refused(OMER, text, "already the IT desk's agent channel",
                                       "`--force`")
        assert "#it-agents" in plain(reply.text)
    # Typed in IT's own channel, without naming it: the same channel, the same refusal.
    await helpdesk.refused(OMER, "admin channel HR", "already the IT desk's agent channel",
                           channel="C_IT", dm=False)
    await helpdesk.refused(OMER, "admin intake HR <#C_IT|it-agents> --force",
                           "Only a workspace admin can use `--force`")
    hr, it = await helpdesk.desk("HR"), await helpdesk.desk("IT")
    assert (hr.agent_channel, hr.intake_channel, it.agent_channel) == ("C_HR", None, "C_IT")


async def test_a_channel_is_one_desks_agent_or_intake_channel(helpdesk: Chat):
    await helpdesk.ok(ADA, "admin intake IT <#C_ASK|ask-it>")
    await helpdesk.refused(ADA, "admin channel HR <#C_ASK|ask-it>",
                           "already the IT desk's intake channel")
    await helpdesk.refused(ADA, "admin channel IT <#C_ASK|ask-it>",
                           "already this desk's intake channel")
    await helpdesk.refused(ADA, "admin intake IT <#C_IT|it-agents>",
                           "already this desk's agent channel")
    await helpdesk.refused(ADA, "admin create Legal <#C_HR|hr-agents>",
                           "already the HR desk's agent channel")
    # The same binding again is no clash.
    await helpdesk.ok(ADA, "admin intake IT <#C_ASK|ask-it>")
    await helpdesk.ok(ADA, "admin channel IT <#C_IT|it-agents>")


async def test_an_admin_moves_a_channel_with_force(helpdesk: Chat):
    answer = await helpdesk.ok(ADA, "admin intake HR <#C_IT|it-agents> --force")
    assert answer.startswith("Top-level posts in #it-agents now open HR requests.")
    hr, it = await helpdesk.desk("HR"), await helpdesk.desk("IT")
    assert (hr.intake_channel, it.agent_channel) == ("C_IT", None)  # never two desks'
    moved = [e for e in await helpdesk.events("desk.agent_channel")
             if e.data.get("reason") == "moved_by_force"]
    assert [(e.desk_id, e.data["old"], e.data["new"]) for e in moved] == [(it.id, "C_IT", None)]
    # IT has nowhere to post now: it is not ready, and says so.
    await helpdesk.refused(ELI, "ask IT my screen", "The IT desk is not taking requests yet")
    await helpdesk.ok(ADA, "admin channel IT <#C_HR|hr-agents> --force")
    assert (await helpdesk.desk("HR")).agent_channel is None


async def test_binding_a_channel_needs_its_member(helpdesk: Chat):
    helpdesk.directory.add_channel(StaticChannel("C_OPS", "ops", members=frozenset({DANA})))
    await helpdesk.ok(ADA, f"admin leads HR add {at(OMER)}")
    for who in (OMER, NOA):  # HR's lead; a lead of both desks
        await helpdesk.refused(who, "admin channel HR <#C_OPS|ops>", "not a member of",
                               "Join it first")
        await helpdesk.refused(who, "admin intake HR <#C_OPS|ops>", "not a member of")
    await helpdesk.refused(ADA, "admin intake HR <#C_OPS|ops>", "not a member of")
    assert (await helpdesk.ok(ADA, "admin intake HR <#C_OPS|ops> --force")).startswith(
        "Top-level posts in #ops")
    assert (await helpdesk.desk("HR")).intake_channel == "C_OPS"
    # Where the command is typed, its author is a member, whatever the list says.
    helpdesk.directory.add_channel(StaticChannel("C_HERE", "here", members=frozenset()))
    await helpdesk.refused(NOA, "admin channel IT <#C_HERE|here>", "not a member of")
    await helpdesk.ok(NOA, "admin channel IT", channel="C_HERE", dm=False)
    assert (await helpdesk.desk("IT")).agent_channel == "C_HERE"


async def test_a_public_agent_channel_asks_for_confirmation(helpdesk: Chat):
    helpdesk.directory.add_channel(StaticChannel("C_PUB", "general", is_private=False))
    reply = await helpdesk.refused(ADA, "admin channel IT <#C_PUB|general>",
                                   "employees can read this channel", "`--confirm`")
    assert "#general is a public channel" in plain(reply.text)
    await helpdesk.refused(ADA, "admin create Legal <#C_PUB|general> Contracts",
                           "employees can read this channel")
    await helpdesk.refused(ADA, "admin create Legal", "employees can read this channel",
                           channel="C_PUB", dm=False)
    assert (await helpdesk.desk("IT")).agent_channel == "C_IT"
    assert await helpdesk.ok(ADA, "admin channel IT <#C_PUB|general> --confirm") == (
        "The IT desk's cards now go to #general.")
    assert (await helpdesk.desk("IT")).agent_channel == "C_PUB"
    # An intake channel is public on purpose.
    await helpdesk.ok(ADA, "admin intake HR <#C_ASK|ask-hr>")
    answer = await helpdesk.ok(ADA, "admin create Legal <#C_LEGAL|legal> Contracts --confirm")
    assert (await helpdesk.desk("Legal")).description == "Contracts"
    assert "Its cards go to #legal." in answer


async def test_on_teams_another_channel_than_here_is_for_admins(helpdesk: Chat):
    from bot.teams.accounts import TeamsDirectory

    # Teams tells who is in the channel a command is written in (its author), no other.
    helpdesk.directory = TeamsDirectory()  # type: ignore[assignment]
    await helpdesk.refused(NOA, "admin channel IT <#19:ops@thread.tacv2|ops>",
                           "I can't tell whether you are a member of #ops",
                           "write the command in that channel itself")
    await helpdesk.ok(NOA, "admin channel IT", channel="19:ops@thread.tacv2", dm=False)
    await helpdesk.ok(ADA, "admin intake HR <#19:ask@thread.tacv2|ask>")
    assert (await helpdesk.desk("IT")).agent_channel == "19:ops@thread.tacv2"
    assert (await helpdesk.desk("HR")).intake_channel == "19:ask@thread.tacv2"


# ---------------------------------------------------------------- admin: desks not ready


async def test_a_desk_that_is_not_ready_takes_no_requests(helpdesk: Chat):
    answer = await helpdesk.ok(ADA, "admin create Facilities Rooms and keys")
    assert answer == ("Created the Facilities desk. It is not ready to take requests yet: "
                      "no agent channel: run `/desk admin channel Facilities #channel`; "
                      "no agents: run `/desk admin agents Facilities add @someone`.")
    await helpdesk.refused(ELI, "ask Facilities the door is stuck",
                           "The Facilities desk is not taking requests yet")
    # Left out of routing: the choice offered names only the desks that answer.
    await helpdesk.refused(ELI, "ask the door is stuck", "Desks: HR, IT.")
    view = await helpdesk.run(ADA, "admin show Facilities")
    assert isinstance(view, DeskConfig)
    assert [v for k, v in view.settings if k == "Not ready"] == [
        "no agent channel: run `/desk admin channel Facilities #channel`",
        "no agents: run `/desk admin agents Facilities add @someone`"]
    assert (await helpdesk.ok(ADA, "admin channel Facilities <#C_FAC|facilities>")).endswith(
        "It is not ready to take requests yet: no agents: run "
        "`/desk admin agents Facilities add @someone`.")
    await helpdesk.refused(ELI, "ask Facilities the door is stuck", "not taking requests yet")
    await helpdesk.ok(ADA, f"admin agents Facilities add {at(LEE)}")
    view = await helpdesk.run(ADA, "admin show Facilities")
    assert isinstance(view, DeskConfig)
    assert not [k for k, _ in view.settings if k == "Not ready"]
    assert (await helpdesk.ok(ELI, "ask Facilities the door is stuck")).startswith(
        "Sent to Facilities as #1001.")


async def test_no_desk_ready_is_said(chat: Chat):
    await chat.ok(ADA, "admin create IT <#C_IT|it>")
    await chat.refused(ELI, "ask printer is jammed", "No desk is taking requests yet")


async def test_admin_routing_keywords(helpdesk: Chat):
    assert await helpdesk.ok(ADA, "admin routing IT keywords VPN, wifi;laptop") == (
        "The IT desk's routing keywords: laptop, vpn, wifi.")
    assert (await helpdesk.desk("IT")).routing_keywords == ["laptop", "vpn", "wifi"]
    assert await helpdesk.ok(ADA, "admin routing HR keywords leave payroll") == (
        "The HR desk's routing keywords: leave, payroll.")
    assert await helpdesk.ok(ADA, "admin routing HR keywords none") == (
        "The HR desk's routing keywords: none.")
    assert (await helpdesk.desk("HR")).routing_keywords == []
    assert len(await helpdesk.events("desk.routing_keywords")) == 3
    await helpdesk.refused(ADA, "admin routing IT keywords", "needs the words", "`none`")
    await helpdesk.refused(ADA, "admin routing IT autoassign sometimes",
                           "takes round-robin or least-loaded or off here, not “sometimes”")
    await helpdesk.refused(ADA, "admin routing IT words a,b",
                           "takes keywords or autoassign here, not “words”")


async def test_admin_rename_describe_archive(helpdesk: Chat):
    assert await helpdesk.ok(ADA, 'admin rename IT "Tech Support"') == (
        "The IT desk is now called Tech Support.")
    desk = await helpdesk.desk("Tech Support")
    assert desk.slug == "tech-support"
    assert await helpdesk.ok(NOA, "admin rename tech-support IT help") == (
        "The Tech Support desk is now called IT help.")
    assert await helpdesk.ok(ADA, "admin describe \"IT help\" Laptops, VPN\nand *accounts*") == (
        "The IT help desk's description is updated.")
    assert (await helpdesk.desk("IT help")).description == "Laptops, VPN\nand *accounts*"
    assert await helpdesk.ok(ADA, 'admin describe HR "Leave"') == (
        "The HR desk's description is updated.")
    assert (await helpdesk.desk("HR")).description == "Leave"
    answer = await helpdesk.ok(ADA, "admin archive it-help")
    assert answer.startswith("Archived the IT help desk")
    assert (await helpdesk.desk("IT help")).archived_at is not None
    # Archived: no new requests there, but show still finds it.
    view = await helpdesk.run(ADA, "admin show IT help")
    assert isinstance(view, DeskConfig) and view.archived
    await helpdesk.refused(ELI, "ask it-help my laptop",
                           "The IT help desk is archived and takes no new requests.")
    for kind in ("desk.renamed", "desk.described", "desk.archived"):
        assert await helpdesk.events(kind), kind


# ---------------------------------------------------------------- admin: refusals


async def test_only_admins_create_and_archive(helpdesk: Chat):
    await helpdesk.refused(NOA, "admin create Legal", "Only an admin can create desks")
    await helpdesk.refused(ELI, "admin create Legal", "Only an admin can create desks")
    await helpdesk.refused(NOA, "admin archive IT", "Only an admin can archive desks")
    await helpdesk.refused(ADA, "admin create it", "already a desk called IT")


async def test_a_lead_changes_their_own_desk_only(helpdesk: Chat):
    await helpdesk.ok(ADA, f"admin leads HR remove {at(NOA)}")
    await helpdesk.ok(NOA, "admin describe IT Computers")
    await helpdesk.ok(NOA, f"admin agents IT add {at(MAYA)}")
    await helpdesk.refused(NOA, "admin describe HR Computers",
                           "Only an admin or a lead of the HR desk")
    await helpdesk.refused(NOA, f"admin agents HR add {at(MAYA)}",
                           "Only an admin or a lead of the HR desk")
    await helpdesk.refused(DANA, "admin show IT", "Only an admin or a lead of the IT desk")
    await helpdesk.refused(ELI, "admin rename IT Nope", "Only an admin or a lead")


@pytest.mark.parametrize("text", [
    "admin show Legal", "admin agents Legal add <@U_ELI|eli>", "admin leads Legal remove <@U_X>",
    "admin channel Legal <#C1|x>", "admin intake Legal off", "admin routing Legal keywords x",
    "admin rename Legal Law", "admin describe Legal Contracts", "admin archive Legal",
])
async def test_an_unknown_desk_is_named_with_the_known_ones(helpdesk: Chat, text: str):
    await helpdesk.refused(ADA, text, "There is no desk called “Legal”. Desks: HR, IT.")


@pytest.mark.parametrize(("text", "fragment", "usage"), [
    ("admin create", "`/desk admin create` needs a name", "/desk admin create NAME"),
    ("admin create <#C1|x>", "needs a name for the desk", "/desk admin create NAME"),
    ("admin show", "`/desk admin show` needs the desk's name", "/desk admin show DESK"),
    ("admin agents", "`/desk admin agents` needs the desk's name", "/desk admin agents"),
    ("admin agents IT", "`/desk admin agents` needs add or remove", "/desk admin agents"),
    ("admin agents IT hire <@U_ELI>", "takes add or remove here, not “hire”",
     "/desk admin agents"),
    ("admin agents IT add", "`/desk admin agents` needs at least one @person",
     "/desk admin agents"),
    ("admin leads IT add noa", "“noa” is not a person", "/desk admin leads"),
    ("admin channel", "`/desk admin channel` needs the desk's name", "/desk admin channel"),
    ("admin intake", "`/desk admin intake` needs the desk's name", "/desk admin intake"),
    ("admin routing IT", "`/desk admin routing` needs keywords or autoassign",
     "/desk admin routing"),
    ("admin rename IT", "`/desk admin rename` needs the new name", "/desk admin rename"),
    ("admin describe IT", "`/desk admin describe` needs the description",
     "/desk admin describe"),
    ("admin archive", "`/desk admin archive` needs the desk's name", "/desk admin archive"),
    ("admin", "`/desk admin` needs what to change", "/desk admin create|show"),
])
async def test_missing_admin_arguments_name_the_subcommand(helpdesk: Chat, text: str,
                                                           fragment: str, usage: str):
    reply = await helpdesk.refused(ADA, text, fragment)
    assert reply.usage is not None and reply.usage.startswith(usage), reply.usage


async def test_a_multi_word_name_before_the_channel_is_refused(chat: Chat):
    reply = await chat.refused(ADA, "admin create Payroll team <#C_PAY|pay>",
                               "Put the #channel right after the name",
                               '`/desk admin create "Payroll team" #payroll-agents`')
    assert reply.usage == "/desk admin create NAME [#agent-channel] [description…]"


async def test_unknown_and_later_admin_commands(helpdesk: Chat):
    reply = await helpdesk.refused(ADA, "admin frob IT", "“frob” is not an admin command",
                                   "/desk help")
    assert reply.usage and "create|show|agents" in reply.usage
    await helpdesk.refused(ADA, "admin <#C1|general> IT", "“#general” is not an admin command")
    for sub in ("hours", "sla", "holidays", "stall", "oncall", "autoclose"):
        # Available since issue 4 (tests/integration/test_commands_policy.py): "x" is malformed.
        reply = await helpdesk.refused(ADA, f"admin {sub} IT x")
        assert reply.usage and reply.usage.startswith(f"/desk admin {sub} DESK"), reply.usage


# `ticket` and `escalate` are available since issue 17 (test_tickets.py, test_tiers.py);
# `report` since issue 18 (tests/slack/test_report_command.py): no command is "later" now.
@pytest.mark.parametrize("text", ["report", "report IT week"])
async def test_report_is_for_agents_not_employees(helpdesk: Chat, text: str):
    answer = await helpdesk.ok(DANA, text)
    assert "The report of IT for" in answer and "is on its way" in answer
    await helpdesk.refused(ELI, text, "Reports are for a desk's agents, its leads and admins.")


# ---------------------------------------------------------------- ask and my


async def test_ask_by_desk_name(helpdesk: Chat):
    answer = await helpdesk.ok(ELI, "ask hr   how many *vacation* days\ndo I have?",
                               channel="C_RANDOM", dm=False)
    assert answer == ("Sent to HR as #1001. I'll tell you about it in our direct messages.")
    conversation = await helpdesk.conversation(1001)
    assert conversation.desk_id == (await helpdesk.desk("HR")).id
    assert conversation.requester_id == (await helpdesk.person(ELI)).id
    assert (conversation.status, conversation.assignee_id) == ("new", None)
    assert conversation.requester_channel is None  # updates go to the DM
    [message] = await helpdesk.all(Message, Message.conversation_id == conversation.id)
    assert (message.kind, message.body) == ("requester", "how many *vacation* days\ndo I have?")
    [event] = await helpdesk.events("conversation.opened")
    assert event.data["via"] == "command"
    kinds = [n.kind for n in await helpdesk.notices(1001)]
    assert kinds == ["card.post", "requester.receipt"]


async def test_ask_with_a_quoted_desk_name(helpdesk: Chat):
    await helpdesk.ok(ADA, 'admin create "Payroll team" <#C_PAY|pay>')
    await helpdesk.ok(ADA, f'admin agents "Payroll team" add {at(OMER)}')
    assert (await helpdesk.ok(ELI, "ask “payroll team” my payslip")).startswith(
        "Sent to Payroll team as #1001.")


async def test_ask_by_routing_keyword(helpdesk: Chat):
    await helpdesk.ok(ADA, "admin routing IT keywords vpn,wifi")
    assert (await helpdesk.ok(ELI, "ask the VPN drops every hour")).startswith(
        "Sent to IT as #1001.")
    assert (await helpdesk.conversation(1001)).subject == "the VPN drops every hour"


async def test_ask_with_one_desk_needs_no_name(chat: Chat):
    await chat.ok(ADA, "admin create IT <#C_IT|it>")
    await chat.ok(ADA, f"admin agents IT add {at(DANA)}")
    assert (await chat.ok(ELI, "ask printer is jammed")).startswith("Sent to IT as #1001.")


async def test_available_agents_hear_of_new_requests(helpdesk: Chat):
    await helpdesk.ok(DANA, "available on")
    ref = await asked(helpdesk)
    [notice] = await helpdesk.notices(ref, "agent.new_request")
    assert notice.person_id == (await helpdesk.person(DANA)).id


async def test_ask_refusals(helpdesk: Chat):
    reply = await helpdesk.refused(ELI, "ask my `screen` is\nblank", "Which desk should take it?",
                                   "`/desk ask HR my 'screen' is blank`", "Desks: HR, IT.")
    assert reply.usage == "/desk ask [desk] text"
    await helpdesk.refused(ELI, "ask", "`/desk ask` needs what you need")
    await helpdesk.refused(ELI, "ask IT", "`/desk ask IT` needs what you need after the "
                                          "desk's name")


async def test_ask_without_desks(chat: Chat):
    await chat.refused(ELI, "ask help me", "No desk is set up yet",
                       "/desk admin create IT #it-helpdesk")


async def test_my_lists_only_my_requests(helpdesk: Chat):
    await asked(helpdesk, "IT laptop", who=ELI)
    await asked(helpdesk, "HR payslip", who=MAYA)
    await asked(helpdesk, "HR leave", who=ELI)
    await helpdesk.ok(DANA, "claim 1001")
    view = await helpdesk.run(ELI, "my")
    assert isinstance(view, MyRequests)
    assert [(r.ref, r.desk, r.subject, r.status, r.assignee) for r in view.rows] == [
        (1003, "HR", "leave", "new", None), (1001, "IT", "laptop", "open", "Dana")]
    assert [r.ref for r in (await helpdesk.run(MAYA, "my")).rows] == [1002]
    assert (await helpdesk.run(ADA, "my")).rows == ()
    await helpdesk.refused(ELI, "my 1001", "I did not understand “1001” after `/desk my`")


# ---------------------------------------------------------------- agents: queue


async def test_queue_views_and_desk_filter(helpdesk: Chat):
    for text in ("IT laptop", "IT vpn", "HR payslip"):
        await asked(helpdesk, text)
    await helpdesk.ok(DANA, "claim 1002")
    await helpdesk.ok(NOA, "pin 1002")

    view = await helpdesk.run(DANA, "queue")
    assert isinstance(view, QueueList)
    assert (view.view, view.desk, [r.ref for r in view.rows]) == ("unassigned", None, [1001])
    mine = await helpdesk.run(DANA, "queue MINE")
    assert [(r.ref, r.assignee) for r in mine.rows] == [(1002, "Dana")]
    everything = await helpdesk.run(NOA, "queue all")
    assert [(r.ref, r.pinned) for r in everything.rows] == [(1002, True), (1001, False),
                                                            (1003, False)]
    only_hr = await helpdesk.run(NOA, "queue all hr")
    assert (only_hr.desk, [r.ref for r in only_hr.rows]) == ("HR", [1003])
    only_it = await helpdesk.run(NOA, "queue IT")
    assert (only_it.view, [r.ref for r in only_it.rows]) == ("unassigned", [1001])


async def test_queue_refusals(helpdesk: Chat):
    await helpdesk.refused(DANA, "queue mine Legal", "There is no desk called “Legal”")
    await helpdesk.refused(DANA, "queue all HR", "You are not an agent of the HR desk")
    await helpdesk.refused(ELI, "queue", "Queues are for agents")
    reply = await helpdesk.refused(DANA, "queue assigned",
                                   "There is no desk called “assigned”. Desks: HR, IT. The "
                                   "queues are unassigned, mine and all.")
    assert reply.usage == "/desk queue [unassigned|mine|all] [desk]"


# ---------------------------------------------------------------- agents: one request


async def test_claim(helpdesk: Chat):
    ref = await asked(helpdesk)
    assert await helpdesk.ok(DANA, f"claim #{ref}") == f"#{ref} is yours now."
    conversation = await helpdesk.conversation(ref)
    dana = await helpdesk.person(DANA)
    assert (conversation.assignee_id, conversation.status) == (dana.id, "open")
    [event] = await helpdesk.events("conversation.claimed")
    assert event.actor_id == dana.id
    assert "requester.update" in [n.kind for n in await helpdesk.notices(ref)]
    await helpdesk.refused(LEE, f"claim {ref}", f"#{ref} is already claimed by Dana.")
    await helpdesk.refused(DANA, f"claim {ref}", "already yours")


async def test_claim_refusals(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.refused(DANA, "claim 4242", "There is no request #4242.")
    await helpdesk.refused(OMER, f"claim {ref}", f"There is no request #{ref}.")
    await helpdesk.refused(ELI, f"claim {ref}", "not an agent of the IT desk")
    await helpdesk.refused(DANA, "claim next", "“next” is not a request number")
    await helpdesk.refused(DANA, "claim", "`/desk claim` needs a request number")


async def test_an_outsider_cannot_tell_a_ref_that_exists_from_one_that_does_not(
        helpdesk: Chat):
    """Issue 20.9: Maya (an employee) and Omer (HR's agent) learn nothing of IT's refs."""
    coming = 1001
    before = {who: {command: await helpdesk.refused(who, command.format(ref=coming))
                    for command in OUTSIDER_COMMANDS} for who in (MAYA, OMER)}
    assert await asked(helpdesk) == coming
    for who in (MAYA, OMER):
        for command in OUTSIDER_COMMANDS:
            now = await helpdesk.refused(who, command.format(ref=coming))
            assert now == before[who][command], (who, command)
            assert now.text == f"There is no request #{coming}."
    # The requester and the desk's agents are still told why.
    await helpdesk.refused(ELI, f"claim {coming}", "not an agent of the IT desk")
    await helpdesk.ok(DANA, f"claim {coming}")


OUTSIDER_COMMANDS = ("claim {ref}", "close {ref}", "pin {ref}", "priority {ref} 4",
                     "status {ref} waiting", "transfer {ref} HR", "reopen {ref}",
                     "unread {ref}")


async def test_unassign(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.ok(DANA, f"claim {ref}")
    assert await helpdesk.ok(LEE, f"unassign {ref}") == (
        f"#{ref} is back in the unassigned queue.")
    conversation = await helpdesk.conversation(ref)
    assert (conversation.assignee_id, conversation.status) == (None, "new")
    assert len(await helpdesk.events("conversation.unassigned")) == 1
    await helpdesk.refused(LEE, f"unassign {ref}", "not assigned to anyone")


async def test_transfer_to_an_agent(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.ok(DANA, f"claim {ref}")
    assert await helpdesk.ok(DANA, f"transfer {ref} {at(LEE)}") == f"#{ref} is now with Lee."
    lee = await helpdesk.person(LEE)
    assert (await helpdesk.conversation(ref)).assignee_id == lee.id
    [told] = await helpdesk.notices(ref, "agent.assigned")
    assert told.person_id == lee.id
    [event] = await helpdesk.events("conversation.transferred")
    assert event.data["assignee_id"] == lee.id


async def test_transfer_to_a_non_agent_is_refused(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.refused(DANA, f"transfer {ref} {at(OMER)}",
                           "Omer is not an agent of the IT desk",
                           f"`/desk transfer {ref} HR`")
    # Someone the directory does not know is shown by their label.
    await helpdesk.refused(DANA, f"transfer {ref} <@U_NEW|newbie>",
                           "newbie is not an agent of the IT desk")


async def test_transfer_to_a_desk(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.ok(DANA, f"claim {ref}")
    assert await helpdesk.ok(DANA, f"transfer {ref} hr") == f"#{ref} moved to the HR desk."
    conversation = await helpdesk.conversation(ref)
    assert conversation.desk_id == (await helpdesk.desk("HR")).id
    assert (conversation.assignee_id, conversation.status) == (None, "new")
    kinds = [n.kind for n in await helpdesk.notices(ref)]
    assert "card.moved" in kinds and kinds.count("card.post") == 2
    assert len(await helpdesk.events("conversation.moved")) == 1
    # Dana does not serve HR: the request is out of her hands now.
    await helpdesk.refused(DANA, f"transfer {ref} IT", f"There is no request #{ref}.")


async def test_transfer_refusals(helpdesk: Chat):
    ref = await asked(helpdesk)
    await helpdesk.refused(DANA, f"transfer {ref}", "needs who or where to")
    await helpdesk.refused(DANA, f"transfer {ref} Legal", "There is no desk called “Legal”")
    await helpdesk.refused(DANA, f"transfer {ref} IT", "already on the IT desk")
    await helpdesk.refused(DANA, f"transfer {ref} {at(LEE)} now", "I did not understand “now”")
    await helpdesk.refused(DANA, f"transfer {at(LEE)} {ref}",
                           "`/desk transfer` needs a request number, e.g. 1042, not @lee.")


async def test_pin_unpin_unread(helpdesk: Chat):
    ref = await asked(helpdesk)
    assert await helpdesk.ok(DANA, f"pin {ref}") == f"Pinned #{ref} to the top of your queue."
    assert await helpdesk.ok(LEE, f"pin {ref}") == f"Pinned #{ref} to the top of your queue."
    assert len(await helpdesk.notices(ref, "card.pin")) == 1  # the card is pinned once
    await helpdesk.refused(DANA, f"pin {ref}", "already pinned")
    assert await helpdesk.ok(DANA, f"unpin {ref}") == f"Unpinned #{ref}."
    assert await helpdesk.notices(ref, "card.unpin") == []  # Lee still pins it
    await helpdesk.ok(LEE, f"unpin {ref}")
    assert len(await helpdesk.notices(ref, "card.unpin")) == 1
    await helpdesk.refused(LEE, f"unpin {ref}", "have not pinned")

    await helpdesk.ok(DANA, f"claim {ref}")  # claiming reads it
    assert not (await helpdesk.run(DANA, "queue mine")).rows[0].unread
    assert await helpdesk.ok(DANA, f"unread {ref}") == f"Marked #{ref} unread for you."
    assert (await helpdesk.run(DANA, "queue mine")).rows[0].unread
    conversation = await helpdesk.conversation(ref)
    [mark] = await helpdesk.all(AgentMark, AgentMark.conversation_id == conversation.id,
                                AgentMark.person_id == (await helpdesk.person(DANA)).id,
                                order=AgentMark.person_id)
    assert mark.marked_unread and mark.pinned_at is None
    assert len(await helpdesk.events("conversation.marked_unread")) == 1


async def test_priority(helpdesk: Chat):
    ref = await asked(helpdesk)
    assert await helpdesk.ok(DANA, f"priority {ref} 5") == f"#{ref} now has priority 5."
    assert (await helpdesk.conversation(ref)).priority == 5
    [event] = await helpdesk.events("priority.changed")
    assert (event.data["old"], event.data["new"]) == (3, 5)
    for bad in ("9", "0", "high", "٣"):
        await helpdesk.refused(DANA, f"priority {ref} {bad}",
                               "Priority is a number from 1 (informational) to 5 (critical)")
    await helpdesk.refused(DANA, f"priority {ref}", "`/desk priority` needs a priority")
    await helpdesk.refused(DANA, f"priority {ref} 5", "already has priority 5")


async def test_status(helpdesk: Chat):
    ref = await asked(helpdesk)
    assert await helpdesk.ok(DANA, f"status {ref} waiting") == (
        f"#{ref} is now waiting on requester.")
    assert await helpdesk.ok(DANA, f"status {ref} HOLD") == f"#{ref} is now on hold."
    assert (await helpdesk.conversation(ref)).status == "on_hold"
    assert await helpdesk.ok(DANA, f"status {ref} open") == f"#{ref} is now unassigned."
    assert await helpdesk.ok(DANA, f"status {ref} resolved") == f"#{ref} is now resolved."
    conversation = await helpdesk.conversation(ref)
    assert conversation.status == "resolved" and conversation.resolved_at is not None
    assert len(await helpdesk.notices(ref, "requester.resolve_prompt")) == 1
    assert len(await helpdesk.events("status.changed")) == 4
    await helpdesk.refused(DANA, f"status {ref} done", "“done” is not a status",
                           "waiting, hold, open, resolved")
    await helpdesk.refused(DANA, f"status {ref}", "`/desk status` needs a status")


async def test_close_with_a_note_and_reopen(helpdesk: Chat):
    ref = await asked(helpdesk)
    answer = await helpdesk.ok(DANA, f"close {ref} replaced the *battery*\nall good")
    assert answer == f"Closed #{ref} with your note."
    conversation = await helpdesk.conversation(ref)
    assert conversation.status == "closed" and conversation.closed_at is not None
    note = (await helpdesk.all(Message, Message.conversation_id == conversation.id))[-1]
    assert (note.kind, note.body) == ("note", "replaced the *battery*\nall good")
    assert note.author_id == (await helpdesk.person(DANA)).id
    [event] = await helpdesk.events("conversation.closed")
    assert event.data["note_message_id"] == note.id
    # The employee is told it closed, never what the note says.
    notices = await helpdesk.notices(ref)
    assert all("battery" not in str(n.payload) for n in notices)
    await helpdesk.refused(DANA, f"close {ref}", "already closed")
    await helpdesk.refused(DANA, f"claim {ref}", f"reopen it before claiming: "
                                                 f"`/desk reopen {ref}`")

    assert await helpdesk.ok(LEE, f"reopen #{ref}") == f"Reopened #{ref}."
    assert (await helpdesk.conversation(ref)).status == "new"
    assert len(await helpdesk.events("conversation.reopened")) == 1
    await helpdesk.refused(LEE, f"reopen {ref}", "not resolved or closed")
    assert await helpdesk.ok(LEE, f"close {ref}") == f"Closed #{ref}."
    [*_, last] = await helpdesk.all(Message, Message.conversation_id == conversation.id)
    assert last.id == note.id  # no empty note


async def test_close_note_may_start_with_the_note_prefix(helpdesk: Chat):
    ref = await asked(helpdesk)
    assert await helpdesk.ok(DANA, f"close {ref} // swapped the disk") == (
        f"Closed #{ref} with your note.")
    conversation = await helpdesk.conversation(ref)
    [*_, note] = await helpdesk.all(Message, Message.conversation_id == conversation.id)
    assert (note.kind, note.body) == ("note", "swapped the disk")
    ref = await asked(helpdesk)
    assert await helpdesk.ok(DANA, f"close {ref} //") == f"Closed #{ref}."


async def test_new_starts_a_request_with_an_employee(helpdesk: Chat):
    answer = await helpdesk.ok(DANA, f"new {at(MAYA)} it your new *laptop* is ready\nat desk 4")
    assert answer == "Started #1001 with Maya on the IT desk; it is assigned to you."
    conversation = await helpdesk.conversation(1001)
    dana, maya = await helpdesk.person(DANA), await helpdesk.person(MAYA)
    assert (conversation.requester_id, conversation.assignee_id, conversation.status) == (
        maya.id, dana.id, "open")
    assert conversation.first_response_at is not None
    [message] = await helpdesk.all(Message, Message.conversation_id == conversation.id)
    assert (message.kind, message.author_id, message.body) == (
        "agent", dana.id, "your new *laptop* is ready\nat desk 4")
    [event] = await helpdesk.events("conversation.opened")
    assert (event.actor_id, event.data["via"]) == (dana.id, "agent")
    kinds = [n.kind for n in await helpdesk.notices(1001)]
    assert kinds == ["card.post", "requester.receipt", "relay.to_requester"]
    [relay] = await helpdesk.notices(1001, "relay.to_requester")
    assert relay.payload["message_id"] == message.id
    assert [r.ref for r in (await helpdesk.run(MAYA, "my")).rows] == [1001]


async def test_new_refusals(helpdesk: Chat):
    await helpdesk.refused(OMER, f"new {at(MAYA)} IT hello",
                           "not an agent of the IT desk, so you cannot start")
    await helpdesk.refused(DANA, f"new {at(MAYA)} Legal hello", "no desk called “Legal”")
    await helpdesk.refused(DANA, f"new {at(MAYA)} IT", "`/desk new` needs what to tell them")
    await helpdesk.refused(DANA, "new maya IT hello",
                           "`/desk new` needs the employee to write to (an @mention), not maya.")
    await helpdesk.refused(DANA, f"new {at(MAYA)}", "`/desk new` needs the desk's name")
    await helpdesk.ok(ADA, "admin archive HR")
    await helpdesk.refused(NOA, f"new {at(MAYA)} HR hello", "no desk called “HR”")


async def test_available_on_and_off(helpdesk: Chat):
    first, second, third = (await asked(helpdesk, "IT a"), await asked(helpdesk, "IT b"),
                            await asked(helpdesk, "HR c"))
    await helpdesk.ok(NOA, f"claim {first}")
    await helpdesk.ok(NOA, f"claim {third}")
    await helpdesk.ok(NOA, f"status {third} resolved")
    await helpdesk.ok(NOA, f"claim {second}")
    await helpdesk.ok(NOA, f"status {second} hold")
    assert (await helpdesk.ok(NOA, "available ON")).startswith("You are available")
    assert (await helpdesk.person(NOA)).available
    answer = await helpdesk.ok(NOA, "available off")
    assert answer == f"You are away: no new-request messages. #{first}, #{second} went back " \
                     "to unassigned."
    assert not (await helpdesk.person(NOA)).available
    assert [(await helpdesk.conversation(r)).assignee_id for r in (first, second)] == [None,
                                                                                       None]
    assert (await helpdesk.conversation(first)).status == "new"
    assert (await helpdesk.conversation(second)).status == "on_hold"
    assert (await helpdesk.conversation(third)).assignee_id is not None  # resolved stays
    assert [e.data["available"] for e in await helpdesk.events("agent.availability")] == [
        True, False]
    released = await helpdesk.events("conversation.released")
    assert [e.data["reason"] for e in released] == ["agent_unavailable"] * 2
    assert await helpdesk.ok(NOA, "available off") == "You are away: no new-request messages."


async def test_availability_refusals(helpdesk: Chat):
    await helpdesk.refused(ELI, "available on", "you are not an agent of any desk")
    await helpdesk.refused(DANA, "available maybe", "takes on or off here, not “maybe”")
    await helpdesk.refused(DANA, "available", "`/desk available` needs on or off")
    await helpdesk.refused(DANA, "available on now", "I did not understand “now”")


# ---------------------------------------------------------------- malformed input


async def test_unknown_subcommands_point_to_help(helpdesk: Chat):
    reply = await helpdesk.refused(DANA, "frobnicate 12", "“frobnicate” is not a /desk command",
                                   "`/desk help`")
    assert reply.usage == "/desk help"
    await helpdesk.refused(DANA, f"{at(LEE)} claim 1001", "“@lee” is not a /desk command")
    await helpdesk.refused(DANA, "<#C1|general>", "“#general” is not a /desk command")
    await helpdesk.refused(DANA, '""', "is not a /desk command")


async def test_leftover_and_misplaced_words(helpdesk: Chat):
    ref = await asked(helpdesk)
    reply = await helpdesk.refused(DANA, f"claim {ref} please",
                                   "I did not understand “please” after `/desk claim`")
    assert reply.usage == "/desk claim REF"
    await helpdesk.refused(DANA, f"claim {at(LEE)}", "`/desk claim` needs a request number, "
                                                     "e.g. 1042, not @lee.")
    await helpdesk.refused(DANA, "pin <#C1|x>", "needs a request number, e.g. 1042, not #x")
    await helpdesk.refused(DANA, f"reopen {ref} {at(LEE)} <#C1|x> now",
                           "I did not understand “@lee #x now” after `/desk reopen`")


async def test_unicode_and_rtl_text_goes_through(helpdesk: Chat):
    # A right-to-left mark before the subcommand is invisible to the person who typed it.
    assert isinstance(await helpdesk.run(ELI, "\u200fmy"), MyRequests)
    await helpdesk.ok(ADA, 'admin create "משאבי אנוש" <#C_HE|משאבים>')
    await helpdesk.ok(ADA, f'admin agents "משאבי אנוש" add {at(OMER)}')
    answer = await helpdesk.ok(ELI, "ask משאבי-אנוש כמה ימי חופשה נשארו לי? 🙂")
    assert answer.startswith("Sent to משאבי אנוש as #1001.")
    assert (await helpdesk.conversation(1001)).subject == "כמה ימי חופשה נשארו לי? 🙂"


# ---------------------------------------------------------------- fuzzing

VOCABULARY = ["help", "ask", "my", "queue", "claim", "unassign", "transfer", "pin", "unpin",
              "unread", "priority", "status", "close", "reopen", "new", "available", "admin",
              "create", "show", "agents", "leads", "channel", "intake", "routing", "rename",
              "describe", "archive", "hours", "report", "keywords", "add", "remove", "on",
              "off", "mine", "all", "unassigned", "IT", "hr", "Legal", "1001", "#1002", "9",
              "hold", "waiting", "resolved", "<@U_DANA|dana>", "<@U_ELI>", "<@U_NEW|new one>",
              "<#C_X|x>", "<#C_IT>", '"', '"Payroll team"', "“", "”", "//", ",", "and", "<@",
              "שלום", "🙂", "\n", "\x00",
              # Tickets (issue 17): their commands, categories, levels, category SLA words.
              "ticket", "category", "impact", "urgency", "categories", "matrix", "Incident",
              '"Service request"', "imac", "sla", "first-response", "resolution", "30m", "1d",
              "high", "medium", "low",
              # Due dates and tiers (issue 17).
              "due", "+2d", "+3h", "tomorrow", "2026-12-10",
              "14:00", "9999-12-31", "25:61", "escalate", "tiers", "admin tiers",
              # History (issue 18).
              "history", "#1001", "abc",
              # Assignment rules, withdraw, private desks (issue 17).
              "autoassign", "round-robin", "least-loaded", "withdraw", "audience", "here",
              # Major incidents (issue 17).
              "incident", "link", "update", "resolve", "list", "INC-1", "inc-7", '"Email is down"',
              # Reports in chat and on a schedule (issue 18).
              "week", "month", "quarter", "2026-Q4", "2026-11", "2026-11-01..2026-11-30",
              "2026-13", "2026-12-01..2026-11-01", "weekly", "monthly", "quarterly",
              "<#C_REPORTS|reports>",
              # Saved replies (issue 19).
              "replies", "vpn", '"vpn reset"', "{name}", "{ref}", "{שם}", "{oops}", "Hi {name}",
              # Articles (issue 19).
              "kb", "add", "KB-1", "kb-9", "#1001",
              # Search (issue 19).
              "search", "wifi", "וויפי", "בווי-פי"]


async def test_fuzzed_text_always_gets_an_answer_and_refusals_change_nothing(
        helpdesk: Chat, clock: FrozenClock):
    await asked(helpdesk)
    await asked(helpdesk, "HR leave")
    words = st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=8))
    starts = st.sampled_from([*(s for s in VOCABULARY[:16]), "admin create", "admin show",
                              "admin agents IT add", "admin leads HR remove", "admin rename",
                              "admin intake IT", "admin routing IT keywords", "ask IT",
                              "claim 1001", "transfer 1002", "status 1001", "close 1002",
                              "ticket 1001", "category 1002", "impact 1001", "urgency 1002",
                              "admin categories IT", "admin categories IT add",
                              "admin categories HR remove", "admin matrix IT",
                              "due 1001", "due 1002 tomorrow", "escalate 1001",
                              "admin tiers", "admin escalate IT to",
                              "history", "history 1001", "history #1002",
                              "admin routing IT autoassign", "withdraw 1001", "withdraw",
                              "admin audience IT", "admin audience HR remove",
                              "incident", "incident open", "incident link INC-1",
                              "incident update 1", "incident resolve inc-1", "incident list",
                              "report", "report IT", "report all", "report HR month",
                              "admin report IT", "admin report HR monthly",
                              "admin suggest IT", "admin suggest HR articles",
                              "replies", "replies IT", "replies IT add vpn",
                              "replies HR remove", "replies IT remove vpn",
                              "kb", "kb add", "kb add 1001", "kb list", "kb list IT",
                              "kb remove", "kb remove KB-1",
                              "search", "search laptop", "search vpn IT", "search מחשב hr"])
    texts = st.one_of(st.text(max_size=60), st.lists(words, max_size=7).map(" ".join),
                      st.tuples(starts, st.lists(words, max_size=4)).map(
                          lambda parts: " ".join([parts[0], *parts[1]])))
    people = st.sampled_from([ADA, DANA, NOA, ELI])
    examples: list[tuple[str, str]] = []

    @settings(max_examples=100, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(who=people, text=texts)
    def collect(who: str, text: str) -> None:
        examples.append((who, text))

    collect()
    answered: dict[str, int] = {}
    for who, text in examples:
        before = await helpdesk.snapshot()
        view = await helpdesk.run(who, text)
        assert isinstance(view, Reply | Help | MyRequests | QueueList | DeskConfig | History
                          | ArticleForm), (text, view)
        kind = type(view).__name__
        if isinstance(view, Reply):
            assert view.text.strip(), text
            assert view.kind in ("ok", "error"), text
            kind += f".{view.kind}"
            if view.kind == "error":
                assert await helpdesk.snapshot() == before, text
        answered[kind] = answered.get(kind, 0) + 1
    assert answered.get("Reply.error") and len(answered) > 1, answered


@pytest.mark.parametrize(("text", "kind", "fragment"), [
    # PostgreSQL text cannot hold NUL: it is dropped, not a crash.
    ("ask IT hello\x00world", "ok", "Sent to IT as #1002"),
    ("admin create Nul\x00desk", "ok", "Created the Nuldesk desk"),
    ("admin describe IT a\x00b", "ok", "description is updated"),
    ("admin agents IT add <@U_NUL|a\x00b>", "ok", "ab added to the IT desk's agents"),
    # NFKC makes this 20-character name's slug 360 characters long.
    ("admin create " + "\ufdfa" * 20, "error", "at most 80 characters"),
    ("admin rename IT " + "\ufdfa" * 20, "error", "at most 80 characters"),
    ("admin create x <#C" + "1" * 254 + ">", "ok", "Created the x desk"),
    # An id longer than the column is no channel: the words become the description.
    ("admin create y <#C" + "1" * 255 + ">", "ok", "no agent channel: run"),
    ("transfer 1001 <@U" + "1" * 127 + "|long>", "error", "long is not an agent"),
    ("transfer 1001 <@U" + "1" * 128 + "|long>", "error", "There is no desk called"),
    ("priority 1001 " + "9" * 30, "error", "Priority is a number from 1"),
    ("claim " + "9" * 30, "error", "is not a request number"),
    ("claim " + "٣" * 4, "error", "is not a request number"),
])
async def test_hostile_text_is_answered(helpdesk: Chat, text: str, kind: str, fragment: str):
    await asked(helpdesk)
    who = ADA if text.startswith("admin") else DANA
    if kind == "error":
        await helpdesk.refused(who, text, fragment)
    else:
        assert fragment in await helpdesk.ok(who, text)


async def test_admins_listed_in_settings_are_admins(chat: Chat):
    caller = Caller(platform="slack", workspace_external_id="T1", user_id=ELI)
    outcome = await run_command(chat.db, caller, "admin create IT", directory=chat.directory,
                                extra_admins={"slack:U_ELI"})
    assert isinstance(outcome.view, Reply) and outcome.view.kind == "ok", outcome.view
    await chat.refused(MAYA, "admin create HR", "Only an admin can create desks")
    outcome = await run_command(chat.db, caller, "admin create HR", directory=chat.directory,
                                extra_admins={"teams:U_ELI"})
    assert isinstance(outcome.view, Reply) and outcome.view.kind == "error"
