"""The playground without a browser: its Web API, its acts, its live updates, the command."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.playground.run import Running
from bot.playground.workspace import ADA, ELI, IT_CHANNEL, as_slack_sends, new_state
from tests.integration.test_cli import Served, get_json


async def act(served: Running, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{served.url}/playground/act", json=body) as response:
            return response.status, await response.json()


async def test_the_web_api_wants_the_generated_token(served: Running) -> None:
    wrong = AsyncWebClient(token="xoxb-guessed", base_url=served.playground.api_url)
    with pytest.raises(SlackApiError) as refused:
        await wrong.chat_postMessage(channel=IT_CHANNEL, text="hi")
    assert refused.value.response["error"] == "invalid_auth"

    client = AsyncWebClient(token=served.playground.token, base_url=served.playground.api_url)
    assert (await client.auth_test())["user_id"] == "UDESKBOT"
    posted = await client.chat_postMessage(channel=IT_CHANNEL, text="a & b",
                                           blocks=[{"type": "divider"}])
    await client.chat_update(channel=IT_CHANNEL, ts=posted["ts"], text="edited")
    await client.pins_add(channel=IT_CHANNEL, timestamp=posted["ts"])
    seen = served.playground.page.seen_by(ELI)
    assert seen["messages"][IT_CHANNEL][-1]["text"] == "edited"
    assert seen["pins"][IT_CHANNEL] == [posted["ts"]]
    # The same state code as the tests' fake: Block Kit is validated the same way.
    with pytest.raises(SlackApiError) as invalid:
        await client.chat_postMessage(channel=IT_CHANNEL, text="x",
                                      blocks=[{"type": "section"}])
    assert invalid.value.response["error"] == "invalid_blocks"


async def test_deskbot_is_pointed_at_the_playground(served: Running) -> None:
    settings = served.settings
    assert settings.slack_api_url == served.playground.api_url
    assert settings.slack_bot_token == served.playground.token
    assert settings.slack_signing_secret == served.playground.signing_secret
    assert served.deps.slack is not None


async def test_an_unsigned_request_is_still_refused(served: Running) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{served.url}/slack/events", json={"type": "event_callback"},
                                ) as response:
            assert response.status == 401


async def test_a_message_reaches_deskbot_and_the_page_hears_of_it(served: Running) -> None:
    status, answer = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                        "text": "admin create IT #it-desk"})
    assert (status, answer["ok"]) == (200, True)
    created = served.playground.state.ephemerals[ADA][-1]
    assert "Created the IT desk" in created["text"] and created["channel"] == IT_CHANNEL
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{served.url}/playground/events") as stream:
            first = await stream.content.readline()
            assert first.startswith(b"data: ")
            status, answer = await act(served, {"user": ELI, "kind": "message",
                                                "channel": f"D{ELI}", "text": "printer jam"})
            assert (status, answer["ok"]) == (200, True)
            # deskbot answers in the thread (one desk: the receipt); each change is told.
            heard = 0
            async with asyncio.timeout(10):
                while not (replies := [
                        m for m in served.playground.state.messages.get(f"D{ELI}", [])
                        if m.get("thread_ts") == answer["ts"]]):
                    if (await stream.content.readline()).startswith(b"data: "):
                        heard += 1
            assert heard >= 1 or replies
    assert replies[0]["user"] == "UDESKBOT"
    assert "with *IT*" in replies[0]["text"]


async def test_the_page_is_served_with_its_scripts(served: Running) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{served.url}/playground/") as response:
            page = await response.text()
            assert response.status == 200
        for asset in ("app.js", "blocks.js", "style.css"):
            assert f"/playground/static/{asset}" in page
            async with session.get(f"{served.url}/playground/static/{asset}") as response:
                assert response.status == 200
        async with session.get(f"{served.url}/playground/state?user=UNOBODY") as response:
            assert response.status == 404


@pytest.mark.parametrize("body", [
    {"user": "UNOBODY", "kind": "message", "channel": "DUELI", "text": "hi"},
    {"user": ELI, "kind": "dance"},
    {"user": ELI, "kind": "message", "channel": "DULEE", "text": "not my DM"},
    {"user": ELI, "kind": "action", "where": "message", "channel": IT_CHANNEL, "ts": "1.2"},
    {"user": ELI, "kind": "submit", "view_id": "V404", "values": {}},
])
async def test_acts_that_cannot_be_done_are_refused(served: Running, body: dict) -> None:
    status, answer = await act(served, body)
    assert status == 400 and answer["ok"] is False and answer["error"]


def test_typed_text_is_sent_as_slack_sends_it() -> None:
    state = new_state("http://127.0.0.1/playground/")
    assert as_slack_sends("@dana see #it-desk & <b>", state) == \
        "<@UDANA> see <#CITDESK|it-desk> &amp; &lt;b&gt;"
    assert as_slack_sends("#1042 for @nobody, mail a@b.c", state) == \
        "#1042 for @nobody, mail a@b.c"
    assert as_slack_sends("שלום @Lee", state) == "שלום <@ULEE>"


def test_browser_tests_fail_in_ci_when_chromium_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.playground.conftest import chromium_path

    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("DESKBOT_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        chromium_path()


def test_serve_with_no_credentials_starts_the_playground(tmp_path: Path) -> None:
    served = Served(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'first.db'}",
                    DESKBOT_LOG_FORMAT="json")
    try:
        base = served.base_url()
        line = served.lines.get(timeout=30)
        assert line.strip() == (f"deskbot playground: open {base}/playground/ in a browser "
                                "(Slack is simulated there: no Slack app needed)")
        assert get_json(f"{base}/healthz") == (200, {"status": "ok", "database": "ok"})
        status, state = get_json(f"{base}/playground/state?user={ELI}")
        assert status == 200 and [p["name"] for p in state["people"]] == [
            "eli", "dana", "lee", "ada"]
    finally:
        code, stderr = served.stop(signal.SIGTERM)
    assert code == 0, stderr
    messages = [json.loads(line)["message"] for line in stderr.splitlines()]
    assert any(m.startswith("Slack is off: missing SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET; "
                            "no Slack or Teams credentials are set, so the playground "
                            "stands in") for m in messages), messages
    assert any(m.startswith("Slack is on: single workspace, Web API at "
                            f"{base}/playground/api/") for m in messages), messages


async def test_the_page_s_workspace_survives_a_restart(tmp_path: Path) -> None:
    from bot.playground.keep import state_file_for
    from bot.playground.run import running
    from bot.settings import Settings

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}",
                        host="127.0.0.1", port=0, sweep_seconds=3600)
    async with running(settings) as served:
        await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                           "text": "admin create IT #it-desk"})
        status, asked = await act(served, {"user": ELI, "kind": "message",
                                           "channel": f"D{ELI}", "text": "printer jam"})
        assert status == 200
        # The card, posted by deskbot's dispatcher.
        await served.playground.wait_for(lambda: served.playground.state.messages.get(IT_CHANNEL))
        [card] = served.playground.state.messages[IT_CHANNEL]
    kept = state_file_for(settings.database_url)
    assert kept is not None and kept.is_file()

    # Started again on the same database: the page shows what it showed, and deskbot
    # can still change the card it posted before the restart.
    async with running(settings) as served:
        state = served.playground.state
        assert [m["ts"] for m in state.messages[IT_CHANNEL]] == [card["ts"]]
        assert any(m.get("text") == "printer jam" for m in state.messages[f"D{ELI}"])
        status, _ = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                       "text": "admin agents IT add <@UDANA>"})
        status, _ = await act(served, {"user": "UDANA", "kind": "command",
                                       "channel": IT_CHANNEL, "text": "claim 1001"})
        assert status == 200
        # The card updated in place, same ts.
        await served.playground.wait_for(
            lambda: "Dana" in json.dumps(state.messages[IT_CHANNEL][0]))
        assert state.messages[IT_CHANNEL][0]["ts"] == card["ts"]
        new_ts = state.next_ts()
        assert float(new_ts) > float(card["ts"])  # ts keep increasing across the restart


async def test_a_command_answered_after_its_ack_shows_on_the_page(served: Running) -> None:
    served.deps.slack.context.answer_wait = 0  # the answer comes after the ack
    status, answer = await act(served, {"user": ELI, "kind": "command", "channel": f"D{ELI}",
                                        "text": "help"})
    assert (status, answer["ok"]) == (200, True)
    # Posted to the command's response_url by deskbot's dispatcher; shown to Eli only.
    await served.playground.wait_for(lambda: served.playground.state.ephemerals.get(ELI))
    [shown] = served.playground.state.ephemerals[ELI]
    assert "/desk ask" in json.dumps(shown) and shown["channel"] == f"D{ELI}"
