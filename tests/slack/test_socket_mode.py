"""Socket Mode: deskbot connects out to Slack's websocket and acks every envelope there.

deskbot is built the way `deskbot serve` builds it, with SLACK_APP_TOKEN and
SLACK_BOT_TOKEN only (no signing secret, no public URL); the fake Slack answers
`apps.connections.open` with the ws:// URL of its own websocket and pushes envelopes
over it, as Slack does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot import bootstrap
from bot.server import create_app
from bot.settings import Settings
from bot.slack.socket_mode import build_socket_mode_handler
from storage.clock import FrozenClock
from storage.database import Database
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import ADA, NAMES, TEAM, TOKEN, block_text

APP_TOKEN = "xapp-1-A1-test"
WAIT = 5.0  # seconds any one wait may take (loopback: milliseconds in practice)


class Deskbot:
    """deskbot in Socket Mode, served on 127.0.0.1:0 (HTTP only for /healthz and refusals)."""

    def __init__(self, deps: bootstrap.Deps, runner: web.AppRunner, url: str) -> None:
        self.deps = deps
        self.runner = runner
        self.url = url

    @property
    def handler(self):
        return self.deps.slack.socket_mode_handler


@asynccontextmanager
async def socket_mode_deskbot(api: FakeSlackApi, db: Database,
                              clock: FrozenClock) -> AsyncIterator[Deskbot]:
    settings = Settings(slack_app_token=APP_TOKEN, slack_bot_token=TOKEN,
                        slack_api_url=api.base_url)
    assert settings.slack_missing() == []
    deps = await bootstrap.build(settings, clock, db=db)
    # On startup deps.start() connects Socket Mode.
    runner, port = await serve_on_loopback(create_app(settings, deps))
    try:
        yield Deskbot(deps, runner, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@asynccontextmanager
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as api:
        for user, name in NAMES.items():
            api.add_user(user, name, is_admin=(user == ADA))
        yield api


def event_payload(event: dict, event_id: str = "Ev0001") -> dict:
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            "event": event}


def command_payload(user: str, text: str) -> dict:
    return {"token": "legacy", "team_id": TEAM, "team_domain": "acme",
            "channel_id": f"D{user}", "channel_name": "directmessage", "user_id": user,
            "user_name": NAMES[user].lower(), "command": "/desk", "text": text,
            "api_app_id": "A1", "response_url": "https://hooks.invalid/commands/1",
            "trigger_id": "trigger.1"}


async def test_start_opens_a_connection_with_the_app_token(db: Database, clock: FrozenClock):
    async with fake_slack() as api, socket_mode_deskbot(api, db, clock) as deskbot:
        await api.wait_socket(WAIT)

        opened = api.calls_to("apps.connections.open")
        assert [call.token for call in opened] == [APP_TOKEN]
        assert opened[0].ok
        assert await deskbot.handler.client.is_connected()
        # Nothing went out with the app token but the connection request.
        assert {c.method for c in api.calls if c.token == APP_TOKEN} == {"apps.connections.open"}


async def test_app_home_opened_envelope_is_acked_and_the_home_published(
        db: Database, clock: FrozenClock):
    async with fake_slack() as api, socket_mode_deskbot(api, db, clock):
        await api.wait_socket(WAIT)

        envelope_id = await api.push_envelope("events_api", event_payload(
            {"type": "app_home_opened", "user": ADA, "tab": "home", "channel": f"D{ADA}",
             "event_ts": "1800000000.000100"}))
        ack = await api.ack_for(envelope_id, WAIT)

        assert ack["envelope_id"] == envelope_id
        assert not ack.get("payload")  # events carry no answer
        published = await api.wait_for(lambda: api.calls_to("views.publish", ok=True), WAIT)
        assert published[-1].token == TOKEN
        assert published[-1].params["user_id"] == ADA
        assert api.published_home(ADA)["type"] == "home"


async def test_slash_command_envelope_is_acked_with_the_answer(db: Database,
                                                                clock: FrozenClock):
    async with fake_slack() as api, socket_mode_deskbot(api, db, clock):
        await api.wait_socket(WAIT)

        envelope_id = await api.push_envelope("slash_commands", command_payload(ADA, "help"),
                                              accepts_response_payload=True)
        ack = await api.ack_for(envelope_id, WAIT)

        assert ack["envelope_id"] == envelope_id
        answer = ack["payload"]
        assert answer["response_type"] == "ephemeral"
        shown = block_text(answer)
        assert "/desk help" in shown  # the help lists the commands
        assert "went wrong" not in shown


async def test_http_events_endpoint_is_not_served_without_a_signing_secret(
        db: Database, clock: FrozenClock):
    # Socket Mode deliveries are not signed; an HTTP endpoint without a secret to check
    # signatures with would take anyone's word for an event.
    async with fake_slack() as api, socket_mode_deskbot(api, db, clock) as deskbot:
        body = json.dumps(event_payload({"type": "app_home_opened", "user": ADA, "tab": "home",
                                         "channel": f"D{ADA}", "event_ts": "1800000000.1"}))
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{deskbot.url}/slack/events", data=body,
                                    headers={"Content-Type": "application/json"}) as response:
                assert response.status == 404
            async with session.get(f"{deskbot.url}/healthz") as response:
                assert response.status == 200
        assert not api.calls_to("views.publish")


async def test_stop_closes_the_connection(db: Database, clock: FrozenClock):
    async with fake_slack() as api:
        async with socket_mode_deskbot(api, db, clock) as deskbot:
            await api.wait_socket(WAIT)
            client = deskbot.handler.client

        # runner.cleanup() stopped deskbot: the websocket is gone from the fake's side...
        await api.wait_for(lambda: not api.sockets, WAIT)
        # ...and the client is closed with its tasks and HTTP session.
        assert client.closed
        assert not await client.is_connected()
        assert client.aiohttp_client_session.closed
        for task in (client.message_receiver, client.current_session_monitor):
            assert task is None or task.cancelled() or task.done()


async def test_a_refused_app_token_fails_the_start(db: Database, clock: FrozenClock):
    async with fake_slack() as api:
        api.fail_next("apps.connections.open", error="invalid_auth")
        settings = Settings(slack_app_token=APP_TOKEN, slack_bot_token=TOKEN,
                            slack_api_url=api.base_url)
        deps = await bootstrap.build(settings, clock, db=db)
        try:
            with pytest.raises(SlackApiError) as raised:
                async with asyncio.timeout(WAIT):
                    await deps.start()
            assert raised.value.response["error"] == "invalid_auth"
        finally:
            await deps.close()
        assert deps.slack.socket_mode_handler.client.closed
        assert not api.sockets


async def test_handler_web_client_uses_the_configured_api_url(clock: FrozenClock):
    from slack_bolt.async_app import AsyncApp

    settings = Settings(slack_app_token=APP_TOKEN, slack_bot_token=TOKEN,
                        slack_api_url="http://127.0.0.1:9/api/")
    app = AsyncApp(token=TOKEN, signing_secret="unused")
    handler = build_socket_mode_handler(app, settings)
    try:
        assert handler.client.web_client.base_url == "http://127.0.0.1:9/api/"
        assert handler.client.app_token == APP_TOKEN
    finally:
        await handler.close_async()
