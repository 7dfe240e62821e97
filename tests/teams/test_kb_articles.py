"""Articles through the Teams path, both databases, as tests/slack/test_kb_articles.py
does through Slack: `/desk kb add REF` answers with a card form prefilled from the
request; its Save (Action.Execute) stores KB-1 and replaces the card; list and remove."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Event, KbArticle
from tests.teams.harness import TeamsWorld, card_of, card_text, executes, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, with_maya

INVOKE = "application/vnd.microsoft.card.adaptive"


def plain(text: str) -> str:
    """`text` as read: no isolates, no markdown escapes."""
    return text.replace("\u2068", "").replace("\u2069", "").replace("\\", "")


def inputs(card: dict[str, Any]) -> dict[str, str]:
    """Each Input.Text of `card`: its id and the value it opens with."""
    found: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Input.Text":
                found[str(node["id"])] = str(node.get("value") or "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


async def form(world: TeamsWorld, desk: Desk, ref: int) -> dict[str, Any]:
    """Dana writes `kb add ref` in IT's channel; the bot's card answer (the form)."""
    said = await world.say(world.dana, world.it_channel, f"kb add {ref}")
    await world.settled()
    sent = [a for a in world.connector.activities_in(said["conversation"]["id"])
            if a.get("from", {}).get("id") == world.connector.bot["id"]]
    return sent[-1]


async def test_kb_add_answers_a_card_form_saving_stores_it_list_and_remove(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        card, _ = await desk.open_by_chat(world.eli, "the VPN drops every hour")
        ref = int(card_text(card).split("#", 1)[1].split()[0].strip("*:,"))
        await desk.command(world.dana, f"close {ref} Reinstalled the VPN client 5.2")

        answer = await form(world, desk, ref)
        shown = card_of(answer)
        assert inputs(shown) == {button_ids.KB_TITLE: "the VPN drops every hour",
                                 button_ids.KB_TEXT: "Reinstalled the VPN client 5.2"}
        [save] = executes(shown, button_ids.KB_SAVE)
        assert str(save["data"]["ref"]) == str(ref)
        assert f"#{ref}" in card_text(answer)

        # An empty title is refused privately; the card stays, nothing is stored.
        status, body = await world.click(world.dana, answer, button_ids.KB_SAVE, inputs={
            button_ids.KB_TITLE: " ", button_ids.KB_TEXT: "text"}, channel=world.it_channel)
        assert status == 200 and body["type"] != INVOKE and "needs a title" in body["value"]
        # Eli (no agent) is refused the same way.
        status, body = await world.click(world.eli, answer, button_ids.KB_SAVE, inputs={
            button_ids.KB_TITLE: "VPN", button_ids.KB_TEXT: "text"}, channel=world.it_channel)
        assert status == 200 and "Only a desk's agents" in body["value"]

        status, body = await world.click(world.dana, answer, button_ids.KB_SAVE, inputs={
            button_ids.KB_TITLE: "VPN drops every hour",
            button_ids.KB_TEXT: "Reinstall the VPN client 5.2."}, channel=world.it_channel)
        assert status == 200 and body["type"] == INVOKE, body
        assert "Saved KB-1 on IT: VPN drops every hour" in plain(card_text(body["value"]))
        async with db.unit_of_work(readonly=True) as uow:
            [article] = (await uow.session.scalars(select(KbArticle))).all()
            kinds = [e.kind for e in (await uow.session.scalars(
                select(Event).where(Event.kind.like("kb.%")))).all()]
        assert (article.number, article.body) == (1, "Reinstall the VPN client 5.2.")
        assert kinds == ["kb.article_added"]

        listed = plain(await desk.command(world.lee, "kb list IT"))
        assert "KB-1 VPN drops every hour (IT), by Dana" in listed
        assert "Only a desk's agents" in plain(await desk.command(world.eli, "kb remove KB-1"))
        assert "Removed KB-1" in plain(await desk.command(world.lee, "kb remove KB-1"))
        assert "No articles yet" in plain(await desk.command(world.lee, "kb list IT"))
