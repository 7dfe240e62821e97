"""The fake Bot Framework connector, driven by botbuilder's own clients and adapter (and by
raw aiohttp where failures are injected). Everything stays on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.teams import TeamsConnectorClient
from msrest.exceptions import HttpOperationError

from tests.data import FIXTURES as DATA_FIXTURES
from tests.fakes.bot_connector import (
    THREAD,
    Channel,
    FakeBotConnector,
    Person,
    StubCredentialsFactory,
)
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.teams_activities import TeamsActivities

FIXTURES = DATA_FIXTURES / "teams"
APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake


def client_for(connector: FakeBotConnector) -> ConnectorClient:
    """botbuilder's connector client with auth off: no app id, no token."""
    return ConnectorClient(MicrosoftAppCredentials(None, None), base_url=connector.base_url)


def message(text: str, **extra: Any) -> Activity:
    return Activity(type="message", text=text, **extra)


# ---------------------------------------------------------------- the REST API via ConnectorClient


async def test_a_post_in_a_channel_starts_a_thread_and_replies_go_into_it(connector):
    channel = connector.add_channel(connector.add_team(), name="IT agents")
    client = client_for(connector)

    root = await client.conversations.send_to_conversation(channel.channel_id,
                                                           message("ticket #1042"))
    thread_id = f"{channel.channel_id}{THREAD}{root.id}"
    reply = await client.conversations.send_to_conversation(thread_id, message("on it"))
    other = await client.conversations.reply_to_activity(channel.channel_id, root.id,
                                                         message("me too"))

    assert root.id.isdigit() and channel.channel_id.startswith("19:")
    assert channel.channel_id.endswith("@thread.tacv2")
    assert [a["text"] for a in connector.top_level(channel.channel_id)] == ["ticket #1042"]
    assert [a["id"] for a in connector.thread(channel.channel_id, root.id)] == [reply.id,
                                                                                other.id]
    assert [a["text"] for a in connector.activities_in(thread_id)] == [
        "ticket #1042", "on it", "me too"]
    sends = connector.calls_to("send")
    assert [c.conversation_id for c in sends] == [channel.channel_id, thread_id]
    assert sends[0].path == f"/v3/conversations/{channel.channel_id}/activities"
    assert sends[0].body == {"type": "message", "text": "ticket #1042"}
    assert sends[0].token is None and "Authorization" not in sends[0].headers
    assert connector.calls_to("reply")[0].activity_id == root.id


async def test_a_reply_in_a_personal_chat_gets_a_teams_id_and_keeps_reply_to(connector):
    eli = connector.add_person("aad-eli", "Eli Cohen")
    chat = connector.personal_conversation(eli)
    client = client_for(connector)

    answer = await client.conversations.reply_to_activity(
        chat.id, "1767765488332", message("Which desk?", reply_to_id="1767765488332"))

    assert chat.id.startswith("a:") and answer.id.startswith("1:")
    assert connector.activities_in(chat.id) == [{
        "type": "message", "text": "Which desk?", "replyToId": "1767765488332",
        "id": answer.id, "conversation": {"id": chat.id}}]
    assert connector.personal_conversation(eli) is chat


async def test_updates_apply_in_place_and_deletes_remove(connector):
    channel = connector.add_channel("19:team@thread.tacv2", "19:agents@thread.tacv2")
    client = client_for(connector)
    sent = await client.conversations.send_to_conversation(channel.channel_id,
                                                           message("Status: open"))

    await client.conversations.update_activity(
        channel.channel_id, sent.id, message("Status: claimed", id=sent.id))

    now = connector.activity(channel.channel_id, sent.id)
    assert now is not None and now["text"] == "Status: claimed"
    assert [e["text"] for e in connector.conversation(channel.channel_id).edits[sent.id]] == [
        "Status: open"]
    update = connector.calls_to("update")[0]
    assert (update.method, update.activity_id) == ("PUT", sent.id)

    await client.conversations.delete_activity(channel.channel_id, sent.id)
    assert connector.activity(channel.channel_id, sent.id) is None
    assert connector.calls_to("delete", ok=True)[0].method == "DELETE"

    with pytest.raises(HttpOperationError) as missing:
        await client.conversations.update_activity(channel.channel_id, "404404",
                                                   message("x", id="404404"))
    assert missing.value.response.status_code == 404
    assert connector.calls_to("update", ok=False)[-1].response["error"]["code"] == (
        "ActivityNotFoundInConversation")


async def test_create_conversation_makes_channel_threads_and_one_personal_chat(connector):
    channel = connector.add_channel(connector.add_team(), name="Agents")
    dana = connector.add_person("aad-dana", "Dana Levi")
    client = client_for(connector)

    thread = await client.conversations.create_conversation(ConversationParameters(
        is_group=True, channel_data={"channel": {"id": channel.channel_id}},
        activity=message("New ticket #7")))
    chat = await client.conversations.create_conversation(ConversationParameters(
        is_group=False, bot=ChannelAccount(id=connector.bot["id"]),
        members=[ChannelAccount(id=dana.user_id)], tenant_id=connector.tenant_id,
        channel_data={"tenant": {"id": connector.tenant_id}}))

    assert thread.id == f"{channel.channel_id}{THREAD}{thread.activity_id}"
    assert connector.top_level(channel.channel_id)[0]["text"] == "New ticket #7"
    assert chat.id == connector.personal_conversation(dana).id
    assert chat.activity_id is None
    created = connector.calls_to("create_conversation")
    assert created[0].body["channelData"] == {"channel": {"id": channel.channel_id}}
    assert created[1].body["members"] == [{"id": dana.user_id}]

    with pytest.raises(HttpOperationError):  # Teams wants a tenant for a 1:1 chat
        await client.conversations.create_conversation(ConversationParameters(
            members=[ChannelAccount(id=dana.user_id)]))
    assert connector.calls_to("create_conversation")[-1].status == 400


async def test_rosters_come_from_the_people_added(connector):
    team = connector.add_team(name="Helpdesk")
    channel = connector.add_channel(team, name="Agents")
    eli = connector.add_person("aad-eli", "Eli Cohen", teams=[team])
    dana = connector.add_person("aad-dana", "Dana Levi", teams=["19:elsewhere@thread.tacv2"])
    client = client_for(connector)

    members = await client.conversations.get_conversation_members(
        f"{channel.channel_id}{THREAD}1759881511856")
    by_aad = await client.conversations.get_conversation_member(channel.channel_id, "aad-eli")
    mine = await client.conversations.get_conversation_members(
        connector.personal_conversation(dana).id)
    paged = await client.conversations.get_teams_conversation_paged_members(team, page_size=1)

    assert [m.id for m in members] == [eli.user_id]
    assert by_aad.name == "Eli Cohen"
    assert by_aad.aad_object_id == "aad-eli"
    assert by_aad.additional_properties["email"] == "eli.cohen@contoso.example"
    assert [m.id for m in mine] == [dana.user_id]
    assert [m.id for m in paged.members] == [eli.user_id] and not paged.continuation_token
    with pytest.raises(HttpOperationError):
        await client.conversations.get_conversation_member(channel.channel_id, dana.user_id)
    assert connector.calls_to("member")[-1].status == 404


async def test_teams_endpoints_answer_the_sync_teams_client(connector):
    team = connector.add_team(name="Helpdesk")
    connector.add_channel(team, "19:agents@thread.tacv2", "Agents")
    connector.add_person("aad-eli", "Eli Cohen")
    teams = TeamsConnectorClient(MicrosoftAppCredentials(None, None), connector.base_url)

    # TeamsConnectorClient is synchronous (requests): off the event loop, or it blocks the
    # loop the fake serves on. TeamsInfo.get_team_details / get_team_channels use it too.
    details = await asyncio.to_thread(teams.teams.get_team_details, team)
    channels = await asyncio.to_thread(teams.teams.get_teams_channels, team)

    assert (details.id, details.name, details.member_count) == (team, "Helpdesk", 1)
    assert {(c.id, c.name) for c in channels.conversations} == {
        (team, None), ("19:agents@thread.tacv2", "Agents")}
    assert [c.kind for c in connector.calls] == ["team_details", "team_channels"]


# ---------------------------------------------------------------- failures, raw aiohttp


async def test_fail_next_answers_429_with_retry_after_then_recovers(connector):
    chat = connector.personal_conversation(connector.add_person("aad-eli", "Eli"))
    url = f"{connector.base_url}v3/conversations/{quote(chat.id, safe='')}/activities"
    connector.fail_next("POST /v3/conversations/*/activities", 429, retry_after=2, times=2)

    async with aiohttp.ClientSession() as http:
        answers = []
        for _ in range(3):
            async with http.post(url, json={"type": "message", "text": "hi"}) as response:
                answers.append((response.status, response.headers.get("Retry-After"),
                                await response.json()))

    assert [(status, retry) for status, retry, _ in answers] == [
        (429, "2"), (429, "2"), (200, None)]
    assert answers[0][2] == {"error": {"code": "Throttled", "message": "injected Throttled"}}
    assert [c.status for c in connector.calls_to("send")] == [429, 429, 200]
    assert len(connector.activities_in(chat.id)) == 1


async def test_msrest_retries_a_throttled_update_itself_but_not_a_send(connector):
    # Worth knowing for the outbox: the connector client's own retry policy (urllib3)
    # repeats PUT/GET/DELETE on 429 + Retry-After and on 5xx; POSTs surface at once.
    channel = connector.add_channel(connector.add_team())
    client = client_for(connector)
    sent = await client.conversations.send_to_conversation(channel.channel_id, message("a"))
    connector.fail_next("update", 429, retry_after=0)
    connector.fail_next("send", 429, retry_after=0)

    await client.conversations.update_activity(channel.channel_id, sent.id,
                                               message("b", id=sent.id))
    with pytest.raises(HttpOperationError) as throttled:
        await client.conversations.send_to_conversation(channel.channel_id, message("c"))

    assert [c.status for c in connector.calls_to("update")] == [429, 200]
    assert throttled.value.response.status_code == 429
    assert [c.status for c in connector.calls_to("send")] == [200, 429]


async def test_chaos_fails_a_seeded_share_and_calm_ends_it(connector):
    chat = connector.personal_conversation(connector.add_person("aad-eli", "Eli"))
    url = f"{connector.base_url}v3/conversations/{quote(chat.id, safe='')}/activities"

    async def burst(n: int) -> list[tuple[int, str | None]]:
        seen = []
        async with aiohttp.ClientSession() as http:
            for _ in range(n):
                async with http.post(url, json={"type": "message", "text": "x"}) as response:
                    seen.append((response.status, response.headers.get("Retry-After")))
        return seen

    connector.chaos(0.5, seed=7, retry_after=1)
    first = await burst(40)
    connector.chaos(0.5, seed=7, retry_after=1)
    again = await burst(40)
    connector.calm()
    after = await burst(5)

    failed = [(s, r) for s, r in first if s != 200]
    assert 5 < len(failed) < 35
    assert {s for s, _ in failed} <= {429, 412, 502, 504}
    assert all(r == ("1" if s == 429 else None) for s, r in failed)
    assert [s for s, _ in again] == [s for s, _ in first]  # same seed, same storm
    assert after == [(200, None)] * 5
    assert len(connector.activities_in(chat.id)) == 80 - 2 * len(failed) + 5


async def test_unknown_resources_and_strict_mode_answer_404(connector):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{connector.base_url}v3/nothing") as response:
            assert response.status == 404
        root = connector.base_url.split("/amer/")[0]
        async with http.post(f"{root}/v3/conversations/a%3Ax/activities", json={}) as response:
            assert response.status == 404  # outside the service URL's path
    assert [c.kind for c in connector.calls] == ["unknown", "unknown"]

    async with FakeBotConnector(strict=True) as strict:
        with pytest.raises(HttpOperationError):
            await client_for(strict).conversations.send_to_conversation(
                "19:unknown@thread.tacv2", message("x"))
        assert strict.calls[0].response["error"]["code"] == "ConversationNotFound"


async def test_wait_for_wakes_on_a_call_and_gives_up_in_time(connector):
    chat = connector.personal_conversation(connector.add_person("aad-eli", "Eli"))
    waiting = asyncio.create_task(connector.wait_for(lambda: connector.calls_to("send")))
    await client_for(connector).conversations.send_to_conversation(chat.id, message("hi"))
    assert len(await waiting) == 1
    with pytest.raises(TimeoutError):
        await connector.wait_for(lambda: connector.calls_to("delete"), timeout=0.05)


# ---------------------------------------------------------------- botbuilder's adapter end to end


class AuthOff:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"


class AuthOn:
    APP_ID = APP_ID
    APP_PASSWORD = "not-used-with-the-stub"
    APP_TYPE = "MultiTenant"


class RecordingBot(TeamsActivityHandler):
    """Echoes, opens a thread in another channel when asked, records what ran."""

    def __init__(self, agents_channel: str, bot_app_id: str) -> None:
        self.agents_channel = agents_channel
        self.bot_app_id = bot_app_id
        self.seen: list[str] = []
        self.opened: list[tuple[str, str]] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        self.seen.append("on_message_activity")
        TurnContext.remove_recipient_mention(turn_context.activity)
        text = (turn_context.activity.text or "").strip()
        if text.startswith("open "):
            reference, activity_id = await TeamsInfo.send_message_to_teams_channel(
                turn_context, message(text[len("open "):]), self.agents_channel,
                bot_app_id=self.bot_app_id)
            self.opened.append((reference.conversation.id, activity_id))
        await turn_context.send_activity(f"echo: {text}")

    async def on_teams_members_added(self, teams_members_added, team_info, turn_context):
        self.seen.append(f"members_added:{team_info.id if team_info else 'personal'}")


async def serve_bot(adapter: CloudAdapter, bot: RecordingBot) -> tuple[web.AppRunner, str]:
    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner, port = await serve_on_loopback(app)
    return runner, f"http://127.0.0.1:{port}/api/messages"


async def test_cloud_adapter_answers_land_in_the_fake(connector):
    team = connector.add_team(name="Helpdesk")
    general = connector.channels[team]
    agents = connector.add_channel(team, name="IT agents")
    eli = connector.add_person("aad-eli", "Eli Cohen")
    teams = TeamsActivities.for_connector(connector)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(AuthOff()))
    # With auth off any non-empty bot_app_id will do; an empty one takes botbuilder's
    # legacy path, which CloudAdapter cannot run.
    bot = RecordingBot(agents.channel_id, bot_app_id=connector.bot_app_id)
    runner, url = await serve_bot(adapter, bot)
    try:
        async with aiohttp.ClientSession() as http:
            dm = teams.personal_message(eli, "hello")
            mention = teams.channel_message(eli, "open Printer on fire", channel=general)
            for body in (teams.bot_installed_team(eli, team_id=team),
                         teams.bot_installed_personal(eli), dm, mention):
                async with http.post(url, json=body) as response:
                    assert response.status in (200, 201), await response.text()
    finally:
        await runner.cleanup()

    assert bot.seen == [f"members_added:{team}", "members_added:personal",
                        "on_message_activity", "on_message_activity"]
    chat = connector.personal_conversation(eli)
    assert connector.activities_in(chat.id)[0]["text"] == "echo: hello"
    replies = connector.calls_to("reply")
    assert [(c.conversation_id, c.activity_id) for c in replies] == [
        (chat.id, dm["id"]), (mention["conversation"]["id"], mention["id"])]
    assert replies[1].body["text"] == "echo: open Printer on fire"  # mention stripped
    assert connector.thread(general.channel_id, mention["id"])[0]["text"] == (
        "echo: open Printer on fire")
    (thread_id, activity_id), = bot.opened
    assert thread_id == f"{agents.channel_id}{THREAD}{activity_id}"
    assert connector.top_level(agents.channel_id)[0]["text"] == "Printer on fire"
    assert all(c.token is None for c in connector.calls)


async def test_with_an_app_id_the_stub_credentials_sign_outbound_calls():
    async with FakeBotConnector(require_token="fake-bot-token") as connector:
        eli = connector.add_person("aad-eli", "Eli Cohen")
        teams = TeamsActivities.for_connector(connector)
        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(
            AuthOn(), credentials_factory=StubCredentialsFactory(APP_ID, "fake-bot-token")))
        bot = RecordingBot("19:unused@thread.tacv2", APP_ID)
        runner, url = await serve_bot(adapter, bot)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=teams.personal_message(eli, "hi")) as response:
                    assert response.status == 401  # no token, no entry
        finally:
            await runner.cleanup()

        reference = TurnContext.get_conversation_reference(
            Activity().deserialize(teams.personal_message(eli, "earlier")))

        async def notify(turn_context: TurnContext) -> None:
            await turn_context.send_activity("Your ticket was claimed")

        await adapter.continue_conversation(reference, notify, bot_app_id=APP_ID)

    assert bot.seen == []
    (sent,) = connector.calls
    assert (sent.kind, sent.status, sent.token) == ("reply", 200, "fake-bot-token")
    assert sent.body["text"] == "Your ticket was claimed"


# ---------------------------------------------------------------- the activity builders


def test_builders_match_the_shapes_teams_sends():
    builder = TeamsActivities("http://127.0.0.1:1/amer/t/")
    eli = Person("aad-eli", "Eli", "29:eli", "eli@x.example", builder.tenant_id)
    channel = Channel("19:team@thread.tacv2", "19:agents@thread.tacv2", "Agents")
    real_reply = json.loads((FIXTURES / "message_channel_thread_reply_with_mention.json")
                            .read_text())
    real_invoke = json.loads((FIXTURES / "invoke_adaptiveCard_action_personal.json")
                             .read_text())

    reply = builder.channel_message(eli, "claim 1042", channel=channel,
                                    thread_root="1759881511856")
    invoke = builder.card_action(eli, "claim", {"ticket": 1042}, reply_to_id="1767765488332",
                                 conversation_id="a:chat")

    assert set(real_reply) <= set(reply) | {"replyToId"}
    assert set(real_reply["channelData"]) <= set(reply["channelData"])
    assert set(real_invoke) <= set(invoke)
    assert reply["conversation"]["id"] == "19:agents@thread.tacv2;messageid=1759881511856"
    assert reply["text"] == "<at>deskbot</at> claim 1042"
    assert reply["entities"][0]["mentioned"] == {"id": builder.bot_id, "name": "deskbot"}
    parsed = Activity().deserialize(invoke)
    assert (parsed.type, parsed.name, parsed.reply_to_id) == (
        "invoke", "adaptiveCard/action", "1767765488332")
    assert parsed.value["action"] == {"type": "Action.Execute", "title": "claim",
                                      "verb": "claim", "data": {"ticket": 1042}}
    stripped = Activity().deserialize(reply)
    TurnContext.remove_recipient_mention(stripped)
    assert stripped.text.strip() == "claim 1042"
    new_post = builder.channel_message(eli, "hi", channel=channel, mention=False)
    assert new_post["conversation"]["id"].endswith(f"{THREAD}{new_post['id']}")
    assert "replyToId" not in new_post and new_post["text"] == "hi"


async def test_inbound_activities_can_be_recorded_into_threads(connector):
    agents = connector.add_channel(connector.add_team(), name="Agents")
    eli = connector.add_person("aad-eli", "Eli")
    teams = TeamsActivities.for_connector(connector)
    root = teams.channel_message(eli, "printer broken", channel=agents, mention=False)
    connector.record_inbound(root)
    await client_for(connector).conversations.send_to_conversation(
        root["conversation"]["id"], message("on it"))
    connector.record_inbound(teams.channel_message(eli, "thanks", channel=agents,
                                                   thread_root=root["id"], mention=False))

    assert [a["text"] for a in connector.top_level(agents.channel_id)] == ["printer broken"]
    assert [a["text"] for a in connector.thread(agents.channel_id, root["id"])] == [
        "on it", "thanks"]
