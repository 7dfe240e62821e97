"""Articles through the Slack path (both databases): `/desk kb add REF` opens a modal
prefilled from the request (its close note), saving it stores KB-1, `/desk kb list`
shows it, `/desk kb remove` removes it; refusals are said in the modal or privately."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Event, KbArticle
from tests.slack.harness import DANA, ELI, IT_CHANNEL, OMER, SlackWorld, block_text, slack_world
from tests.slack.test_incidents import ask

QUIET = {"sweep_seconds": 3600}


async def open_form(world: SlackWorld, user: str, text: str) -> dict[str, Any]:
    """`/desk text` typed in the desk channel; the modal it opened (the ack is empty)."""
    before = len(world.api.calls_to("views.open"))
    trigger = f"trigger.kb.{before}.{user}"
    status, body = await world.send(world.requests.command(
        user, user.lower(), text, channel=IT_CHANNEL, channel_name="it-desk",
        response_url=f"{world.api.base_url}response/kb{before}", trigger_id=trigger))
    assert status == 200 and not body.strip(), body
    await world.settled()
    opened = world.api.calls_to("views.open")[before:]
    assert len(opened) == 1, "no modal opened"
    assert opened[0].params["trigger_id"] == trigger
    modal: dict[str, Any] = opened[0].params["view"]
    assert modal["callback_id"] == button_ids.KB_MODAL
    return modal


def initial(modal: dict[str, Any], block_id: str) -> str:
    [block] = [b for b in modal["blocks"] if b.get("block_id") == block_id]
    return str(block["element"].get("initial_value") or "")


def save(world: SlackWorld, user: str, modal: dict[str, Any], title: str, text: str,
         view_id: str) -> Any:
    return world.send(world.requests.interaction(world.requests.view_submission(
        {"id": user}, {**modal, "id": view_id},
        {button_ids.KB_TITLE_BLOCK: {button_ids.KB_TITLE: {
            "type": "plain_text_input", "value": title}},
         button_ids.KB_TEXT_BLOCK: {button_ids.KB_TEXT: {
             "type": "plain_text_input", "value": text}}},
        trigger_id=f"t.{view_id}")))


def field_errors(body: str) -> dict[str, str]:
    answer = json.loads(body)
    assert answer["response_action"] == "errors", answer
    return dict(answer["errors"])


async def test_kb_add_opens_a_prefilled_modal_saving_stores_it_list_and_remove(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await world.set_up_desks_directly()
        ref = await ask(world, ELI, "the VPN drops every hour")
        await world.settled()
        answer = await world.command(DANA, f"close {ref} Reinstalled the VPN client 5.2",
                                     channel=IT_CHANNEL)
        assert "Closed" in block_text(answer) or str(ref) in block_text(answer)

        modal = await open_form(world, DANA, f"kb add {ref}")
        assert json.loads(modal["private_metadata"])["ref"] == ref
        assert initial(modal, button_ids.KB_TITLE_BLOCK) == "the VPN drops every hour"
        assert initial(modal, button_ids.KB_TEXT_BLOCK) == "Reinstalled the VPN client 5.2"
        assert f"#{ref}" in block_text(modal)

        # An empty title is the title field's error; an empty text the text field's.
        status, body = await save(world, DANA, modal, "  ", "some text", "V1")
        assert status == 200
        assert "needs a title" in field_errors(body)[button_ids.KB_TITLE_BLOCK]
        status, body = await save(world, DANA, modal, "VPN drops", "", "V2")
        assert "needs a text" in field_errors(body)[button_ids.KB_TEXT_BLOCK]
        # Someone who does not work the desk is refused in the modal too.
        status, body = await save(world, OMER, modal, "VPN drops", "Reinstall", "V3")
        assert button_ids.KB_TITLE_BLOCK in field_errors(body)

        status, body = await save(world, DANA, modal, "VPN drops every hour",
                                  "Reinstall the VPN client 5.2.", "V4")
        assert (status, body) == (200, "")
        status, _ = await save(world, DANA, modal, "VPN drops every hour",
                               "Reinstall the VPN client 5.2.", "V4")  # delivered again
        assert status == 200
        await world.settled()
        said = [c.params for c in world.api.calls_to("chat.postEphemeral")
                if "Saved KB-1" in block_text(c.params).replace("\u2068", "").replace(
                    "\u2069", "")]
        assert len(said) == 1 and said[0]["user"] == DANA
        assert said[0]["channel"] == IT_CHANNEL
        async with db.unit_of_work(readonly=True) as uow:
            [article] = (await uow.session.scalars(select(KbArticle))).all()
            assert (article.number, article.title) == (1, "VPN drops every hour")
            assert article.source_conversation_id is not None
            kinds = [e.kind for e in (await uow.session.scalars(
                select(Event).where(Event.kind.like("kb.%")))).all()]
        assert kinds == ["kb.article_added"]

        listed = block_text(await world.command(ELI, "kb list IT")).replace(
            "\u2068", "").replace("\u2069", "")
        assert "KB-1 VPN drops every hour (IT), by Dana" in listed

        refused = block_text(await world.command(ELI, "kb remove KB-1"))
        assert "Only a desk's agents" in refused
        refused = block_text(await world.command(ELI, f"kb add {ref}"))
        assert "Only a desk's agents" in refused
        removed = block_text(await world.command(DANA, "kb remove kb-1", channel=IT_CHANNEL))
        assert "Removed KB-1" in removed
        assert "No articles yet" in block_text(await world.command(ELI, "kb list IT"))
        unknown = block_text(await world.command(DANA, "kb remove KB-9", channel=IT_CHANNEL))
        assert "There is no article KB-9" in unknown
