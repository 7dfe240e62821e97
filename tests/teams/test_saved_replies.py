"""Saved replies through the Teams path, both databases, as tests/slack/test_saved_replies.py
does through Slack: the real deskbot (the real CloudAdapter, Action.Execute answered as
PLATFORM_NOTES says) against the fake Bot Framework connector."""

from __future__ import annotations

import json

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.teams.harness import card_of, card_text, executes, teams_world
from tests.teams.test_sla_flow import QUIET, SUNDAY_9, Desk, with_maya

INVOKE = "application/vnd.microsoft.card.adaptive"
TEXT = "Hi {name}, please reconnect the VPN and tell me if it works. ({ref})"
FILLED = "Hi Eli, please reconnect the VPN and tell me if it works. (#1002)"


def plain(text: str) -> str:
    """`text` as read: no isolates, no markdown escapes (Teams escapes `, {, _ …)."""
    return text.replace("\u2068", "").replace("\u2069", "").replace("\\", "")


def choice_set(card: dict, input_id: str) -> dict | None:
    """The Input.ChoiceSet `input_id` anywhere in `card`, or None."""
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Input.ChoiceSet" and node.get("id") == input_id:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found[0] if found else None


async def test_a_lead_adds_a_reply_and_an_agent_sends_it_from_the_card(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        bare, _ = await desk.open_by_chat(world.omer, "printer jammed")
        assert button_ids.SAVED_REPLY not in json.dumps(card_of(bare))

        said = await world.dm(world.eli, "replies IT")
        await world.settled()
        assert "not an agent of the IT desk" in plain(desk.chat(world.eli)[-1])
        assert "Only an admin or a lead of the IT desk" in plain(
            await desk.command(world.dana, "replies IT add vpn hello"))
        assert "`{first}` is not a placeholder" in plain(
            await desk.command(desk.maya, "replies IT add vpn Hi {first}"))
        assert "Added the saved reply vpn to the IT desk" in plain(
            await desk.command(desk.maya, f"replies IT add vpn {TEXT}"))
        assert said["conversation"]["id"]  # Eli's chat, where his refusal went

        card, _ = await desk.open_by_chat(world.eli, "the VPN drops every hour")
        chooser = choice_set(card_of(card), button_ids.SAVED_REPLY)
        assert chooser is not None
        assert [c["title"] for c in chooser["choices"]] == ["vpn"]
        [send] = executes(card_of(card), button_ids.SAVED_REPLY)
        assert str(send["data"]["ref"]) == "1002"

        chat_before = len(desk.chat(world.eli))
        status, answer = await world.click(world.dana, card, button_ids.SAVED_REPLY,
                                           choice=chooser["choices"][0]["value"],
                                           channel=world.it_channel)
        assert status == 200 and answer["type"] == INVOKE, answer
        await world.settled()

        # Eli gets it in his chat, as Dana's reply, name and ref filled in.
        new = [plain(text) for text in desk.chat(world.eli)[chat_before:]]
        [reply] = [text for text in new if FILLED in text]
        assert "Dana" in reply and "{name}" not in reply
        sent = [c for c in world.connector.calls_to("send", ok=True)
                if FILLED in plain(json.dumps(c.body, ensure_ascii=False))]
        eli_chat = world.connector.personal_conversation(world.eli).id
        to_eli = [c for c in sent if eli_chat in c.path]
        to_desk = [c for c in sent if world.it_channel.channel_id in c.path]
        # One connector call carried it to him, one into the card's thread; no other.
        assert (len(to_eli), len(to_desk), len(sent)) == (1, 1, 2), [c.path for c in sent]
        # The card's thread shows it as Dana's message; the card: Dana holds it.
        assert any("Dana" in plain(t) and FILLED in plain(t) for t in desk.thread(card))
        assert "Dana" in desk.card_now(card)
        assert "Dana" in card_text({"attachments": [{"contentType": INVOKE,
                                                     "content": answer["value"]}]})


def test_replies_in_a_personal_chat_is_a_command_only_in_its_shapes() -> None:
    from bot.teams.words import as_command

    assert as_command("replies IT") == "replies IT"
    assert as_command("replies IT add vpn Hi {name}") == "replies IT add vpn Hi {name}"
    assert as_command("replies IT remove vpn") == "replies IT remove vpn"
    assert as_command("replies from IT are slow") is None  # a request
    assert as_command("replies") == "replies"  # a lone command word: its usage
