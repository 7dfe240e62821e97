"""`/desk language he|en|auto` and `/desk admin language DESK he|en`, on both databases.

Each person chooses the language deskbot writes to them in (the answer already comes in
the new one); a desk's lead or an admin chooses its channel's language, which
`/desk admin show` shows and the desks file carries.
"""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from cards import slack as slack_cards
from cards.i18n import t
from conversations.command_line import Caller, run_command
from conversations.desk_file import DeskFileInvalid, apply_desk_file, export_desks, read_desk_file
from conversations.view_models import DeskConfig, Reply
from storage.database import Database
from storage.models import Desk, Event, Workspace
from tests.integration import test_commands
from tests.integration.test_commands import ADA, DANA, ELI, NOA, Chat

chat, helpdesk = test_commands.chat, test_commands.helpdesk  # the fixtures


async def test_a_person_chooses_their_language_and_is_answered_in_it(helpdesk: Chat):
    await helpdesk.run(ELI, "help")
    assert (await helpdesk.person(ELI)).language is None
    view = await helpdesk.run(ELI, "language he")
    assert isinstance(view, Reply) and view.kind == "ok"
    assert view.text == "I will write to you in Hebrew from now on."
    assert (await helpdesk.person(ELI)).language == "he"
    [event] = await helpdesk.events("person.language")
    assert event.data == {"old": None, "new": "he"}


async def test_the_answer_comes_in_the_new_language(helpdesk: Chat):
    caller = Caller(platform="slack", workspace_external_id="T1", user_id=ELI)
    outcome = await run_command(helpdesk.db, caller, "language he", directory=helpdesk.directory)
    assert outcome.locale == "he"
    shown = slack_cards.message(outcome.view, locale=outcome.locale)["text"]
    assert "עברית" in shown and "Hebrew" not in shown
    # A refusal is in the person's language too, and so is everything after.
    refused = await run_command(helpdesk.db, caller, "claim 1", directory=helpdesk.directory)
    assert refused.locale == "he" and refused.view.kind == "error"
    text = slack_cards.message(refused.view, locale=refused.locale)["text"]
    assert "אין פנייה #1" in text or "נציגים" in text, text
    # Words that are no command are answered in Hebrew as well.
    unknown = await run_command(helpdesk.db, caller, "frobnicate", directory=helpdesk.directory)
    assert unknown.locale == "he"
    back = await run_command(helpdesk.db, caller, "language auto", directory=helpdesk.directory)
    assert back.locale == "en"  # the platform says nothing: English
    assert back.view.text == "I will write to you in your Slack or Teams language " \
                             "(English for now)."
    assert (await helpdesk.person(ELI)).language is None


async def test_a_bad_language_is_refused_with_the_right_form(helpdesk: Chat):
    await helpdesk.run(ELI, "help")
    reply = await helpdesk.refused(ELI, "language fr", "takes he or en or auto here, not “fr”")
    assert reply.usage == "/desk language he|en|auto"
    await helpdesk.refused(ELI, "language", "`/desk language` needs he, en or auto")
    await helpdesk.refused(ELI, "language he please", "I did not understand “please”")
    assert (await helpdesk.person(ELI)).language is None


async def test_a_lead_sets_their_desks_language(helpdesk: Chat):
    said = await helpdesk.ok(NOA, "admin language IT he")
    assert said == "The IT desk now speaks Hebrew: its cards, alerts and digests."
    assert (await helpdesk.desk("IT")).language == "he"
    [event] = await helpdesk.events("desk.language")
    assert event.data == {"old": "en", "new": "he"}
    shown = await helpdesk.run(NOA, "admin show IT")
    assert isinstance(shown, DeskConfig) and shown.language == "he"
    text = str(slack_cards.message(shown))
    assert t("config.language", "en", language="he").split("\n")[0] in text or "he" in text
    assert await helpdesk.ok(ADA, "admin language IT en") == \
        "The IT desk now speaks English: its cards, alerts and digests."


async def test_the_desk_language_is_refused_to_others_and_on_a_bad_value(helpdesk: Chat):
    await helpdesk.refused(DANA, "admin language IT he",
                           "Only an admin or a lead of the IT desk can change its settings.")
    reply = await helpdesk.refused(ADA, "admin language IT fr", "takes he or en here, not “fr”")
    assert reply.usage == "/desk admin language DESK he|en"
    await helpdesk.refused(ADA, "admin language Legal he", "There is no desk called “Legal”")
    assert (await helpdesk.desk("IT")).language == "en"


async def test_help_offers_both_commands(helpdesk: Chat):
    everyone = (await helpdesk.run(ELI, "help")).sections
    assert any(line.usage == "/desk language he|en|auto" for _, lines in everyone
               for line in lines)
    admin = (await helpdesk.run(ADA, "help")).sections
    assert any(line.usage == "/desk admin language DESK he|en" for _, lines in admin
               for line in lines)


async def test_the_desk_language_is_exported_and_imported(helpdesk: Chat, db: Database):
    await helpdesk.ok(NOA, "admin language HR he")
    async with db.unit_of_work(readonly=True) as uow:
        workspace = (await uow.session.execute(select(Workspace))).scalar_one()
        text = await export_desks(uow, workspace)
    document = yaml.safe_load(text)
    by_name = {d["name"]: d for d in document["desks"]}
    assert by_name["HR"]["language"] == "he" and by_name["IT"]["language"] == "en"

    by_name["HR"]["language"] = "en"
    by_name["IT"]["language"] = "he"
    config = read_desk_file(yaml.safe_dump(document, allow_unicode=True), "desks.yaml")
    async with db.unit_of_work() as uow:
        await apply_desk_file(uow, config)
        await uow.commit()
    async with db.unit_of_work(readonly=True) as uow:
        languages = {d.name: d.language for d in await uow.session.scalars(select(Desk))}
    assert languages == {"HR": "en", "IT": "he"}
    assert len(await helpdesk.all(Event, Event.kind == "desk.language")) == 3


def test_a_bad_language_in_the_desks_file_is_reported_with_its_line():
    with pytest.raises(DeskFileInvalid) as info:
        read_desk_file("desks:\n- name: IT\n  language: fr\n", "desks.yaml")
    assert info.value.problems == ["desks.yaml:3: language: one of en, he, not “fr”."]
