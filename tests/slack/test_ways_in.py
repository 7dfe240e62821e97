"""The other ways in and around: shortcut, intake channel, add-or-new, notes, availability."""

from __future__ import annotations

import json

from cards.i18n import t
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import (
    DANA,
    ELI,
    INTAKE_CHANNEL,
    IT_CHANNEL,
    MAYA,
    block_text,
    slack_world,
)
from tests.slack.test_story import elements, posts


async def test_message_shortcut_opens_a_modal_and_its_submission_opens_a_request(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        status, _ = await world.interact({
            "type": "message_action", "callback_id": "send_to_helpdesk", "trigger_id": "t.9",
            "user": {"id": ELI}, "channel": {"id": "CGENERAL"},
            "message": {"type": "message", "text": "the <!here> printer is out of toner",
                        "ts": "1700000001.000100", "user": MAYA},
            "response_url": f"{world.api.base_url}response/9"})
        assert status == 200
        [opened] = world.api.calls_to("views.open")
        modal = opened.params["view"]
        assert modal["callback_id"] == button_ids.ASK_MODAL
        assert "printer is out of toner" in json.dumps(modal)
        status, body = await world.interact({
            "type": "view_submission", "user": {"id": ELI}, "trigger_id": "t.10",
            "view": {"id": "V9", "type": "modal", "callback_id": button_ids.ASK_MODAL,
                     "private_metadata": modal.get("private_metadata", ""),
                     "state": {"values": {
                         button_ids.ASK_DESK_BLOCK: {button_ids.ASK_DESK: {
                             "type": "static_select", "selected_option": {"value": "it"}}},
                         button_ids.ASK_TEXT_BLOCK: {button_ids.ASK_TEXT: {
                             "type": "plain_text_input",
                             "value": "the <!here> printer is out of toner"}}}}}})
        assert status == 200 and body in ("", "{}"), body
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        assert "printer is out of toner" in block_text(card)
        assert "<!here>" not in json.dumps(card["blocks"])
        [receipt] = posts(world, f"D{ELI}")
        assert "#1001" in block_text(receipt)


async def test_modal_without_a_desk_is_answered_with_a_field_error(db: Database,
                                                                  clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        status, body = await world.interact({
            "type": "view_submission", "user": {"id": ELI}, "trigger_id": "t.11",
            "view": {"id": "V9", "type": "modal", "callback_id": button_ids.ASK_MODAL,
                     "private_metadata": "",
                     "state": {"values": {button_ids.ASK_TEXT_BLOCK: {button_ids.ASK_TEXT: {
                         "type": "plain_text_input", "value": ""}}}}}})
        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors"
        assert set(answer["errors"]) == {button_ids.ASK_DESK_BLOCK, button_ids.ASK_TEXT_BLOCK}



async def test_modal_field_errors_are_in_the_language_the_person_chose(db: Database,
                                                                       clock: FrozenClock):
    """Eli chose Hebrew with `/desk language he` (his Slack profile is English): the
    modal's field errors follow his choice, not the platform's locale."""
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        await world.command(ELI, "language he")
        status, body = await world.interact({
            "type": "view_submission", "user": {"id": ELI}, "trigger_id": "t.12",
            "view": {"id": "V9", "type": "modal", "callback_id": button_ids.ASK_MODAL,
                     "private_metadata": "",
                     "state": {"values": {button_ids.ASK_TEXT_BLOCK: {button_ids.ASK_TEXT: {
                         "type": "plain_text_input", "value": ""}}}}}})
        assert status == 200
        errors = json.loads(body)["errors"]
        assert errors == {button_ids.ASK_DESK_BLOCK: t("ask.pick_desk", "he"),
                          button_ids.ASK_TEXT_BLOCK: t("ask.write_what", "he")}, errors
        assert t("ask.pick_desk", "he") != t("ask.pick_desk", "en")


async def test_a_post_in_the_intake_channel_opens_a_request_in_its_thread(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly(intake=INTAKE_CHANNEL)
        post = await world.say(ELI, INTAKE_CHANNEL, "Wifi on floor 3 is down")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        assert "Wifi on floor 3" in block_text(card)
        [receipt] = posts(world, INTAKE_CHANNEL, thread_ts=post)
        assert "#1001" in block_text(receipt)
        # The requester's reply in that thread reaches the card's thread.
        await world.say(ELI, INTAKE_CHANNEL, "and floor 4 too", thread_ts=post)
        await world.settled()
        assert any("floor 4" in block_text(m)
                   for m in posts(world, IT_CHANNEL, thread_ts=card["ts"]))


async def test_a_new_message_while_a_request_is_open_asks_add_or_new(db: Database,
                                                                    clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        first = await world.dm(ELI, "my vpn drops")
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker) if e.get("value", "").endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        second = await world.dm(ELI, "also since this morning")
        await world.settled()
        [question] = posts(world, f"D{ELI}", thread_ts=second)
        assert "#1001" in block_text(question)
        add = next(e for e in elements(question) if e.get("action_id") == button_ids.ADD_TO)
        await world.click(ELI, question, button_ids.ADD_TO, value=add["value"])
        await world.settled()
        assert any("since this morning" in block_text(m)
                   for m in posts(world, IT_CHANNEL, thread_ts=card["ts"]))
        assert first != second


async def test_notes_stay_internal_and_non_agents_cannot_answer(db: Database,
                                                               clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        asked = await world.dm(ELI, "keyboard broken")
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker) if e.get("value", "").endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        before = len(posts(world, f"D{ELI}", thread_ts=asked))
        await world.say(DANA, IT_CHANNEL, "// warranty expired, check stock",
                        thread_ts=card["ts"])
        await world.say(MAYA, IT_CHANNEL, "I can fix it!", thread_ts=card["ts"])
        await world.settled()
        to_eli = posts(world, f"D{ELI}", thread_ts=asked)
        assert len(to_eli) == before
        assert not any("warranty" in block_text(m) or "fix it" in block_text(m)
                       for m in to_eli)
        [refusal] = world.api.calls_to("chat.postEphemeral")
        assert refusal.params["user"] == MAYA
        assert "Only agents" in block_text(refusal.params)


async def test_available_agents_get_a_dm_for_each_new_request(db: Database,
                                                             clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        home = await world.open_home(DANA)
        home = await world.home_click(DANA, home, button_ids.HOME_AVAILABLE, value="on")
        assert "available" in block_text(home).lower()
        asked = await world.dm(ELI, "monitor flickers")
        await world.settled()
        [picker] = posts(world, f"D{ELI}", thread_ts=asked)
        pick = next(e for e in elements(picker) if e.get("value", "").endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        [heads_up] = posts(world, f"D{DANA}")
        assert "#1001" in block_text(heads_up) and "monitor flickers" in block_text(heads_up)
