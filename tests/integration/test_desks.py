"""Desk administration and roles: each operation's success, event and refusals."""

from __future__ import annotations

import asyncio
import functools

import pytest

from conversations import commands as c
from desks import service as desks
from desks.errors import DeskbotError
from desks.people import ensure_person, ensure_workspace, find_person
from desks.permissions import Role, desk_role, require_agent, require_desk_admin, resolve_actor
from tests.integration.world import World


async def refused(world: World, kind: str, fragment: str, command, *args) -> None:
    with pytest.raises(DeskbotError) as info:
        await world.run(command, *args)
    assert info.value.kind == kind, info.value.message
    assert fragment in info.value.message, info.value.message


async def test_admins_come_from_platform_or_settings(world: World, db):
    async with db.unit_of_work() as uow:
        owner = await ensure_person(uow, world.workspace, "U_OWNER", "Owner",
                                    is_platform_admin=True)
        await uow.commit()
    assert resolve_actor(owner, world.workspace).is_admin
    assert resolve_actor(world.people["ada"], world.workspace, {"slack:U_ADMIN"}).is_admin
    assert not resolve_actor(world.people["ada"], world.workspace, {"teams:U_ADMIN"}).is_admin
    assert not resolve_actor(world.people["dana"], world.workspace).is_admin


async def test_create_desk_and_refusals(world: World):
    desk = await world.run(desks.create_desk, world.actor("ada"), "  Pay roll ",
                           description="Salaries", agent_channel="C_PAY")
    assert (desk.name, desk.slug, desk.agent_channel) == ("Pay roll", "pay-roll", "C_PAY")
    [event] = [e for e in await world.events("desk.created") if e.desk_id == desk.id]
    assert event.actor_id == world.people["ada"].id and event.data["name"] == "Pay roll"
    await refused(world, "not_permitted", "Only an admin can create desks", desks.create_desk,
                  world.actor("noa"), "Facilities")
    await refused(world, "desk_exists", "already a desk called IT", desks.create_desk,
                  world.actor("ada"), "it")
    await refused(world, "invalid_input", "needs a name", desks.create_desk,
                  world.actor("ada"), "  ")
    await refused(world, "invalid_input", "at most 80 characters", desks.create_desk,
                  world.actor("ada"), "x" * 81)
    hebrew = await world.run(desks.create_desk, world.actor("ada"), "משאבי אנוש")
    assert hebrew.slug == "משאבי-אנוש"


async def test_find_desk_lists_known_names(world: World, db):
    async with db.unit_of_work(readonly=True) as uow:
        assert (await desks.find_desk(uow, world.workspace.id, "#it")).name == "IT"
        with pytest.raises(DeskbotError) as info:
            await desks.find_desk(uow, world.workspace.id, "Legal")
    assert info.value.kind == "unknown_desk"
    assert info.value.message == "There is no desk called “Legal”. Desks: HR, IT."


async def test_rename_describe_archive(world: World):
    noa = world.actor("noa")  # lead of IT and HR
    renamed = await world.run(desks.rename_desk, noa, "IT", "IT Support")
    assert (renamed.name, renamed.slug) == ("IT Support", "it-support")
    await refused(world, "desk_exists", "already a desk called HR", desks.rename_desk, noa,
                  "IT Support", "hr")
    described = await world.run(desks.describe_desk, noa, "it support", "Laptops and VPN")
    assert described.description == "Laptops and VPN"
    await refused(world, "not_permitted", "Only an admin or a lead of the HR desk",
                  desks.describe_desk, world.actor("omer"), "HR", "x")
    await refused(world, "not_permitted", "Only an admin can archive desks",
                  desks.archive_desk, noa, "HR")
    await world.run(desks.archive_desk, world.actor("ada"), "HR")
    await refused(world, "unknown_desk", "no desk called “HR”", desks.rename_desk,
                  world.actor("ada"), "HR", "People")
    kinds = [e.kind for e in await world.events() if e.kind.startswith("desk.")
             and e.kind not in ("desk.created", "desk.agent_added", "desk.lead_added")]
    assert kinds == ["desk.renamed", "desk.described", "desk.archived"]


async def test_channels_and_routing(world: World):
    noa = world.actor("noa")
    desk = await world.run(desks.set_agent_channel, noa, "IT", "C_NEW")
    assert desk.agent_channel == "C_NEW"
    desk = await world.run(desks.set_intake_channel, noa, "IT", "C_ASK_IT")
    assert desk.intake_channel == "C_ASK_IT"
    desk = await world.run(desks.set_routing_keywords, noa, "IT", ["VPN", " wifi", "", "vpn"])
    assert desk.routing_keywords == ["vpn", "wifi"]
    await refused(world, "not_permitted", "Only an admin or a lead", desks.set_intake_channel,
                  world.actor("dana"), "IT", "C_X")


async def test_agents_and_leads(world: World, db):
    ada = world.actor("ada")
    maya = world.people["maya"]
    change = await world.run(desks.add_members, ada, "HR", [maya, maya], Role.AGENT)
    assert [p.external_id for p in change.changed] == ["U_MAYA"]
    change = await world.run(desks.add_members, ada, "HR", [maya], Role.AGENT)
    assert change.changed == [] and [p.external_id for p in change.unchanged] == ["U_MAYA"]
    await world.run(desks.add_members, ada, "HR", [maya], Role.LEAD)
    async with db.unit_of_work(readonly=True) as uow:
        assert await desk_role(uow, maya.id, world.desks["HR"].id) == Role.LEAD
    # a lead added as agent stays lead
    change = await world.run(desks.add_members, ada, "HR", [maya], Role.AGENT)
    assert change.changed == []
    await world.run(desks.remove_members, ada, "HR", [maya], Role.LEAD)
    async with db.unit_of_work(readonly=True) as uow:
        assert await desk_role(uow, maya.id, world.desks["HR"].id) == Role.AGENT
        members = await desks.members(uow, world.desks["HR"])
    assert [(p.display_name, r) for p, r in members] == [("Noa", Role.LEAD),
                                                         ("Maya", Role.AGENT),
                                                         ("Omer", Role.AGENT)]
    await refused(world, "invalid_input", "Name at least one person", desks.add_members, ada,
                  "HR", [], Role.AGENT)
    await refused(world, "not_permitted", "Only an admin or a lead", desks.add_members,
                  world.actor("omer"), "HR", [world.people["eli"]], Role.AGENT)


async def test_removing_an_agent_releases_their_conversations(world: World, db):
    await world.run(c.open_conversation, world.people["eli"], world.desks["IT"], "help")
    await world.run(c.claim, world.actor("dana"), "1001")
    change = await world.run(desks.remove_members, world.actor("noa"), "IT",
                             [world.people["dana"]], Role.AGENT)
    assert change.released_refs == [1001]
    async with db.unit_of_work(readonly=True) as uow:
        conv = await c.load(uow, world.workspace.id, 1001, lock=False)
        assert conv.assignee_id is None and conv.status == "new"
        with pytest.raises(DeskbotError) as info:
            await require_agent(uow, world.actor("dana"), world.desks["IT"])
    assert info.value.kind == "not_an_agent"
    assert "You are not an agent of the IT desk" in info.value.message
    assert len(await world.events("conversation.released")) == 1


async def test_desk_admin_roles(world: World, db):
    async with db.unit_of_work(readonly=True) as uow:
        assert await require_desk_admin(uow, world.actor("ada"), world.desks["IT"]) == Role.ADMIN
        assert await require_desk_admin(uow, world.actor("noa"), world.desks["IT"]) == Role.LEAD
        assert await require_agent(uow, world.actor("noa"), world.desks["IT"]) == Role.LEAD
        with pytest.raises(DeskbotError, match="Only an admin or a lead of the IT desk"):
            await require_desk_admin(uow, world.actor("dana"), world.desks["IT"])


async def test_ensure_person_is_idempotent_and_race_safe(db):
    async with db.unit_of_work() as uow:
        workspace = await ensure_workspace(uow, "slack", "T9", "Nine")
        await uow.commit()

    async def see() -> int:
        async with db.unit_of_work() as uow:
            person = await ensure_person(uow, workspace, "U_X", "X")
            await uow.commit()
            return person.id

    ids = await asyncio.gather(*(see() for _ in range(8)))
    assert len(set(ids)) == 1
    async with db.unit_of_work() as uow:
        person = await ensure_person(uow, workspace, "U_X", None, time_zone="Asia/Jerusalem")
        await uow.commit()
    assert person.display_name == "X" and person.time_zone == "Asia/Jerusalem"
    async with db.unit_of_work(readonly=True) as uow:
        assert (await find_person(uow, workspace.id, "U_X")).id == ids[0]
        assert await find_person(uow, workspace.id, "U_NOPE") is None


# ---------------------------------------------------------------- channels and readiness


async def test_a_channel_is_one_desks_whoever_binds_it(world: World):
    from desks.channels import Binding, ChannelFacts

    # Without platform facts (a config file, a test) the one-desk rule still holds.
    await refused(world, "not_permitted", "already the IT desk's agent channel",
                  desks.set_intake_channel, world.actor("noa"), "HR", "C_IT")
    await refused(world, "not_permitted", "already the HR desk's agent channel",
                  functools.partial(desks.create_desk, agent_channel="C_HR"),
                  world.actor("ada"), "Legal")
    await refused(world, "not_permitted", "Only a workspace admin can use `--force`",
                  desks.set_agent_channel, world.actor("noa"), "HR", "C_IT",
                  Binding(force=True))
    # With facts: the member, the visible channel, the private one (or a confirmed one).
    hidden = ChannelFacts("C_X", name="x", visible=False)
    await refused(world, "invalid_input", "I can't see a channel called #\u2068x\u2069",
                  desks.set_agent_channel, world.actor("ada"), "HR", "C_X", Binding(hidden))
    stranger = ChannelFacts("C_OPS", name="ops", is_private=True, caller_is_member=False)
    await refused(world, "not_permitted", "not a member of", desks.set_agent_channel,
                  world.actor("noa"), "HR", "C_OPS", Binding(stranger))
    public = ChannelFacts("C_ALL", name="all", is_private=False, caller_is_member=True)
    await refused(world, "invalid_input", "employees can read this channel",
                  desks.set_agent_channel, world.actor("noa"), "HR", "C_ALL", Binding(public))
    desk = await world.run(desks.set_agent_channel, world.actor("noa"), "HR", "C_ALL",
                           Binding(public, confirmed=True))
    assert desk.agent_channel == "C_ALL"
    desk = await world.run(desks.set_intake_channel, world.actor("ada"), "HR", "C_OPS",
                           Binding(stranger, force=True))
    assert desk.intake_channel == "C_OPS"


async def test_a_desk_is_ready_with_an_agent_channel_and_agents(world: World, db):
    from conversations import intake

    async with db.unit_of_work(readonly=True) as uow:
        assert await desks.missing_for_ready(uow, world.desks["IT"]) == []
    facilities = await world.run(desks.create_desk, world.actor("ada"), "Facilities")
    async with db.unit_of_work(readonly=True) as uow:
        assert await desks.missing_for_ready(uow, facilities) == [
            "no agent channel: run `/desk admin channel Facilities #channel`",
            "no agents: run `/desk admin agents Facilities add @someone`"]
        assert [d.name for d in await intake.open_desks(uow, world.workspace.id)] == [
            "HR", "IT"]
    await refused(world, "desk_not_ready", "The Facilities desk is not taking requests yet",
                  c.open_conversation, world.people["eli"], facilities, "chair broken")
    await refused(world, "desk_not_ready", "The Facilities desk is not taking requests yet",
                  c.start_with, world.actor("dana"), world.people["eli"], facilities, "hi")


async def test_requests_left_on_a_desk_that_is_no_longer_ready_are_told_once(world: World):
    from desks.channels import Binding
    from desks.notices import ALSO, NoticeKind

    posted = await world.run(c.open_conversation, world.people["eli"], world.desks["HR"],
                             "my payslip is wrong")
    # HR's only member goes: nobody can see #1001 now. Those who set desks up are told.
    change = await world.run(desks.remove_members, world.actor("ada"), "HR",
                             [world.people["omer"], world.people["noa"]], Role.AGENT)
    assert change.stranded_refs == [posted.conversation.ref]
    [notice] = await world.notices(NoticeKind.DESK_NOT_READY)
    assert notice.person_id == world.people["ada"].id and not notice.payload.get(ALSO)
    assert notice.payload["refs"] == [1001]
    assert notice.payload["missing"] == [
        "no agents: run `/desk admin agents HR add @someone`"]
    # Once: a desk already not ready is not told of again.
    await world.run(desks.remove_members, world.actor("ada"), "HR", [world.people["omer"]],
                    Role.AGENT)
    assert len(await world.notices(NoticeKind.DESK_NOT_READY)) == 1
    # IT loses its channel to an admin's --force: its lead hears of its waiting request.
    await world.run(c.open_conversation, world.people["maya"], world.desks["IT"], "vpn")
    await world.run(desks.set_intake_channel, world.actor("ada"), "HR", "C_IT",
                    Binding(force=True))
    [_, notice] = await world.notices(NoticeKind.DESK_NOT_READY)
    assert [notice.person_id, *notice.payload[ALSO]] == [world.people["ada"].id,
                                                         world.people["noa"].id]
    assert notice.payload["refs"] == [1002]
    async with world.db.unit_of_work(readonly=True) as uow:
        from conversations import view_queries as views

        view = await views.desk_not_ready(uow, notice.payload)
    assert view is not None and view.text == (
        "The IT desk is not ready to take requests, and #1002 waits on it where no agent "
        "sees it: no agent channel: run `/desk admin channel IT #channel`.")


async def test_no_escalation_to_a_desk_that_is_not_ready(world: World):
    posted = await world.run(c.open_conversation, world.people["eli"], world.desks["IT"],
                             "the VPN is down")
    tier2 = await world.run(desks.create_desk, world.actor("ada"), "IT Tier 2")
    assert await world.run(c.escalate, posted.conversation.id, tier2) is None
    assert (await world.conversation(posted.conversation.ref)).desk_id == world.desks["IT"].id
    await world.run(desks.set_agent_channel, world.actor("ada"), tier2, "C_T2")
    await world.run(desks.add_members, world.actor("ada"), tier2, [world.people["lee"]],
                    Role.AGENT)
    assert await world.run(c.escalate, posted.conversation.id, tier2) is not None


async def test_the_not_ready_notice_is_said_in_the_readers_language(world: World):
    """The DM about requests left on a desk that is not ready comes from the catalogue:
    in the pseudo-locale no English is left outside it, in Hebrew it reads Hebrew; a
    desk made ready again before the DM goes out leaves nothing to tell."""
    from cards.i18n import PSEUDO_LOCALE, say
    from conversations import view_queries as views
    from desks.notices import NoticeKind
    from tests.unit.test_pseudo_views import stray_words

    await world.run(c.open_conversation, world.people["eli"], world.desks["HR"], "payslip")
    await world.run(c.open_conversation, world.people["maya"], world.desks["HR"], "leave")
    await world.run(desks.remove_members, world.actor("ada"), "HR",
                    [world.people["omer"], world.people["noa"]], Role.AGENT)
    [notice] = await world.notices(NoticeKind.DESK_NOT_READY)
    async with world.db.unit_of_work(readonly=True) as uow:
        view = await views.desk_not_ready(uow, notice.payload)
    assert view is not None and view.words is not None
    assert view.text == (
        "The HR desk is not ready to take requests, and #1001, #1002 wait on it where no "
        "agent sees them: no agents: run `/desk admin agents HR add @someone`.")
    pseudo = say(view.words, PSEUDO_LOCALE)
    assert stray_words(pseudo, {"HR", "desk", "admin", "agents", "add", "someone"}) == []
    hebrew = say(view.words, "he")
    assert hebrew.startswith("הדסק") and "והפניות #1001, #1002 ממתינות" in hebrew, hebrew
    assert "not ready" not in hebrew and "no agents" not in hebrew
    await world.run(desks.add_members, world.actor("ada"), "HR", [world.people["omer"]],
                    Role.AGENT)
    async with world.db.unit_of_work(readonly=True) as uow:
        assert await views.desk_not_ready(uow, notice.payload) is None


async def test_admin_show_says_none_and_unknown_settings_in_words(world: World):
    """`/desk admin show` of a desk without targets and with a setting deskbot does not
    know: "none" comes from the catalogue, the setting's label is its stored key as words
    (in Hebrew after "הגדרה שמורה")."""
    from cards.i18n import PSEUDO_LOCALE, settings_lines
    from conversations import view_queries as views
    from storage.models import Desk

    async with world.db.unit_of_work() as uow:
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        assert desk is not None
        desk.settings = {**(desk.settings or {}), "sla_first_response": {},
                         "legacy_tags": []}
        await uow.commit()
    async with world.db.unit_of_work(readonly=True) as uow:
        desk = await uow.session.get(Desk, world.desks["IT"].id)
        assert desk is not None
        view = await views.desk_config(uow, desk)
    lines = dict(settings_lines(view, "en"))
    assert lines["Legacy tags"] == "none", lines  # the stored key, as words
    hebrew = dict(settings_lines(view, "he"))
    assert hebrew["הגדרה שמורה \u2068Legacy tags\u2069"] == "אין", hebrew
    assert lines["Sla first response"] == "none", lines
    pseudo = settings_lines(view, PSEUDO_LOCALE)
    assert ("Legacy tags", "⟦none⟧") in pseudo, pseudo
    # No target at all is "none" in words too (`/desk admin show`, `admin sla`).
    from desks.policy import targets_text
    from desks.wording import Words

    assert targets_text({}) == Words("common.none")


async def test_a_desk_no_longer_there_is_no_english_word_in_a_view(world: World):
    """A digest (or receipt, alert…) of a desk that is gone shows "?" in every
    language, as a blank name does, not an English "a desk"/"another desk"."""
    from cards import slack
    from cards.i18n import PSEUDO_LOCALE
    from conversations import view_queries as views
    from tests.unit.cards_checks import check_message
    from tests.unit.test_pseudo_views import slack_texts, stray_words

    async with world.db.unit_of_work(readonly=True) as uow:
        desk, digest = await views.digest(uow, {"desk_id": 987654, "day": "2026-12-13"})
        assert desk is None and digest.desk == views.UNKNOWN == "?"
        assert await views._desk_name(uow, 987654) == "?"
    for message in slack.messages(digest, locale=PSEUDO_LOCALE):
        for text in slack_texts(check_message(message)):
            assert stray_words(text, set()) == [], text
