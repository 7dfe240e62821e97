"""app_manifest.yaml and the listeners agree: everything declared is handled, and the reverse."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack import listeners, slash
from bot.slack.actions import SHORTCUT
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import ELI, slack_world

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "app_manifest.yaml").read_text())

# One minimal event per manifest event name (Slack's name -> the event it delivers).
SAMPLE_EVENTS = {
    "app_home_opened": {"type": "app_home_opened", "user": ELI, "tab": "messages"},
    "message.channels": {"type": "message", "channel_type": "channel", "channel": "CNONE",
                         "user": ELI, "text": "hello", "ts": "1.1"},
    "message.groups": {"type": "message", "channel_type": "group", "channel": "GNONE",
                       "user": ELI, "text": "hello", "ts": "1.2"},
    "message.im": {"type": "message", "channel_type": "im", "channel": f"D{ELI}",
                   "user": ELI, "text": "hello", "ts": "1.3", "subtype": "message_changed"},
}


def test_manifest_declares_exactly_what_the_app_listens_to() -> None:
    assert sorted(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == sorted(
        listeners.EVENTS)
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == [slash.COMMAND]
    assert [s["callback_id"] for s in MANIFEST["features"]["shortcuts"]] == [SHORTCUT]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert set(SAMPLE_EVENTS) == set(listeners.EVENTS)


async def test_every_declared_entry_has_a_listener(db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        for name, event in SAMPLE_EVENTS.items():
            status, body = await world.event(event)
            assert status == 200, (name, body)
        answer = await world.command(ELI, "help")
        assert answer["response_type"] == "ephemeral"
        status, body = await world.interact({
            "type": "message_action", "callback_id": SHORTCUT, "trigger_id": "t.1",
            "user": {"id": ELI}, "channel": {"id": "CNONE"},
            "message": {"type": "message", "text": "help me", "ts": "1.4", "user": ELI},
            "response_url": f"{world.api.base_url}response/1"})
        assert status == 200, body


async def test_what_is_not_declared_is_not_handled(db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        status, _ = await world.event({"type": "reaction_added", "user": ELI,
                                       "reaction": "tada", "item": {}})
        assert status == 404  # bolt: no listener matched
        status, _ = await world.interact({
            "type": "message_action", "callback_id": "not_ours", "trigger_id": "t.2",
            "user": {"id": ELI}, "channel": {"id": "CNONE"},
            "message": {"text": "x", "ts": "1.5"}})
        assert status == 404
