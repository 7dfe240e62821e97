"""The fake Slack Web API answers slack_sdk's real AsyncWebClient the way Slack does."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlackApi

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*#1001* VPN"}}]


def client(api: FakeSlackApi, token: str = "xoxb-test") -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=api.base_url)


async def test_auth_and_people() -> None:
    async with FakeSlackApi() as api:
        api.add_user("UELI", "eli", real_name="Eli Cohen", tz="Europe/Paris")
        api.add_user("UADA", "ada", is_admin=True, is_owner=True)
        web = client(api)
        auth = await web.auth_test()
        assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T1", "UBOT", "BBOT")
        api.set_auth(team_id="T9")
        assert (await web.auth_test())["team_id"] == "T9"
        eli = (await web.users_info(user="UELI"))["user"]
        assert (eli["real_name"], eli["tz"], eli["is_admin"]) == ("Eli Cohen", "Europe/Paris",
                                                                  False)
        assert (await web.users_info(user="UADA"))["user"]["is_owner"] is True
        with pytest.raises(SlackApiError) as missing:
            await web.users_info(user="UNOBODY")
        assert missing.value.response["error"] == "user_not_found"
        with pytest.raises(SlackApiError) as anonymous:
            await AsyncWebClient(base_url=api.base_url).auth_test()
        assert anonymous.value.response["error"] == "not_authed"
        # The token is recorded (from the Authorization header) and not kept in params.
        assert api.calls[0].token == "xoxb-test" and "token" not in api.calls[0].params
        assert [c.method for c in api.calls].count("auth.test") == 3


async def test_messages_threads_updates_and_state() -> None:
    async with FakeSlackApi() as api:
        web = client(api)
        card = await web.chat_postMessage(channel="CIT", text="card", blocks=BLOCKS)
        first = await web.chat_postMessage(channel="CIT", text="one", thread_ts=card["ts"])
        second = await web.chat_postMessage(channel="CIT", text="two", thread_ts=card["ts"])
        assert card["ok"] and card["channel"] == "CIT"
        assert card["message"]["blocks"] == BLOCKS
        stamps = [card["ts"], first["ts"], second["ts"]]
        assert stamps == sorted(stamps) == sorted(stamps, key=float)
        assert len(set(stamps)) == 3
        assert [m["text"] for m in api.thread("CIT", card["ts"])] == ["one", "two"]
        # The recorded blocks are decoded, whether sent as JSON or as a form field.
        assert api.calls_to("chat.postMessage")[0].params["blocks"] == BLOCKS
        updated = await web.chat_update(channel="CIT", ts=card["ts"], text="card v2",
                                        blocks=BLOCKS)
        assert updated["ts"] == card["ts"]
        assert api.message("CIT", card["ts"])["text"] == "card v2"
        assert [m["text"] for m in api.top_level("CIT")] == ["card v2"]
        with pytest.raises(SlackApiError) as unknown:
            await web.chat_update(channel="CIT", ts="1.000001", text="x")
        assert unknown.value.response["error"] == "message_not_found"
        link = await web.chat_getPermalink(channel="CIT", message_ts=first["ts"])
        assert link["permalink"].endswith(f"thread_ts={card['ts']}&cid=CIT")
        await web.chat_delete(channel="CIT", ts=second["ts"])
        assert [m["text"] for m in api.thread("CIT", card["ts"])] == ["one"]
        with pytest.raises(SlackApiError) as empty:
            await web.chat_postMessage(channel="CIT", text="", blocks=[])
        assert empty.value.response["error"] == "no_text"
        with pytest.raises(SlackApiError) as long_text:
            await web.chat_postMessage(channel="CIT", text="x" * 40_001)
        assert long_text.value.response["error"] == "msg_too_long"


async def test_form_bodies_are_decoded_too() -> None:
    async with FakeSlackApi() as api, aiohttp.ClientSession() as session:
        form = {"channel": "CIT", "text": "hi", "blocks": '[{"type": "divider"}]'}
        async with session.post(api.base_url + "chat.postMessage", data=form,
                                headers={"Authorization": "Bearer xoxb-form"}) as response:
            answer = await response.json()
        assert answer["ok"]
        [call] = api.calls
        assert call.params["blocks"] == [{"type": "divider"}] and call.token == "xoxb-form"


async def test_invalid_blocks_are_refused_like_slack() -> None:
    async with FakeSlackApi() as api:
        web = client(api)
        too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
        for blocks in (too_long, [{"type": "no_such_block"}],
                       [{"type": "divider"}] * 51):
            with pytest.raises(SlackApiError) as refused:
                await web.chat_postMessage(channel="CIT", text="t", blocks=blocks)
            assert refused.value.response["error"] == "invalid_blocks"
        assert api.messages.get("CIT", []) == []


async def test_dms_ephemerals_pins_channels_and_views() -> None:
    async with FakeSlackApi() as api:
        api.add_user("UBOT2", "otherbot", is_bot=True)
        api.add_channel("CPRIVATE", member=False)
        api.add_channel("COLD", archived=True)
        web = client(api)
        opened = await web.conversations_open(users="UELI")
        assert opened["channel"]["id"] == "DUELI"
        assert (await web.conversations_open(users="UELI"))["channel"]["id"] == "DUELI"
        with pytest.raises(SlackApiError) as bot:
            await web.conversations_open(users="UBOT2")
        assert bot.value.response["error"] == "cannot_dm_bot"

        await web.chat_postEphemeral(channel="CIT", user="ULEE", text="only you")
        assert [e["text"] for e in api.ephemerals("ULEE")] == ["only you"]

        card = await web.chat_postMessage(channel="CIT", text="card")
        await web.pins_add(channel="CIT", timestamp=card["ts"])
        with pytest.raises(SlackApiError) as again:
            await web.pins_add(channel="CIT", timestamp=card["ts"])
        assert again.value.response["error"] == "already_pinned"
        assert api.pins("CIT") == [card["ts"]]
        await web.pins_remove(channel="CIT", timestamp=card["ts"])
        with pytest.raises(SlackApiError) as twice:
            await web.pins_remove(channel="CIT", timestamp=card["ts"])
        assert twice.value.response["error"] == "no_pin" and api.pins("CIT") == []

        with pytest.raises(SlackApiError) as outside:
            await web.chat_postMessage(channel="CPRIVATE", text="hi")
        assert outside.value.response["error"] == "not_in_channel"
        joined = await web.conversations_join(channel="CPRIVATE")
        assert joined["channel"]["is_member"] is True
        assert (await web.chat_postMessage(channel="CPRIVATE", text="hi"))["ok"]
        with pytest.raises(SlackApiError) as archived:
            await web.chat_postMessage(channel="COLD", text="hi")
        assert archived.value.response["error"] == "is_archived"
        info = await web.conversations_info(channel="COLD")
        assert info["channel"]["is_archived"] is True

        home = {"type": "home", "blocks": BLOCKS}
        published = await web.views_publish(user_id="UDANA", view=home)
        assert api.published_home("UDANA")["blocks"] == BLOCKS
        assert published["view"]["id"].startswith("V")
        modal = {"type": "modal", "title": {"type": "plain_text", "text": "Ask"},
                 "blocks": BLOCKS}
        view = (await web.views_open(trigger_id="trigger.1", view=modal))["view"]
        updated = await web.views_update(view_id=view["id"], view={**modal, "blocks": []})
        assert updated["view"]["id"] == view["id"]
        with pytest.raises(SlackApiError) as gone:
            await web.views_update(view_id="VNOPE", view=modal)
        assert gone.value.response["error"] == "not_found"


async def test_unknown_method_answers_like_slack() -> None:
    async with FakeSlackApi() as api, aiohttp.ClientSession() as session:
        async with session.post(api.base_url + "no.such", json={},
                                headers={"Authorization": "Bearer t"}) as response:
            assert response.status == 200
            assert await response.json() == {"ok": False, "error": "unknown_method"}


async def test_oauth_access_is_configurable() -> None:
    async with FakeSlackApi() as api:
        web = AsyncWebClient(base_url=api.base_url)
        default = await web.oauth_v2_access(client_id="c", client_secret="s", code="abc")
        assert default["access_token"].startswith("xoxb-") and default["team"]["id"] == "T1"
        api.set_oauth_answer({"access_token": "xoxb-other", "team": {"id": "T2"}})
        answer = await web.oauth_v2_access(client_id="c", client_secret="s", code="abc")
        assert (answer["access_token"], answer["team"]["id"]) == ("xoxb-other", "T2")


async def test_failures_on_cue_and_their_recording() -> None:
    async with FakeSlackApi() as api:
        web = client(api)
        api.fail_next("chat.postMessage", "channel_not_found")
        api.fail_next("chat.postMessage", status=429, retry_after=7)
        api.fail_next("chat.postMessage", status=500, times=2)
        with pytest.raises(SlackApiError) as missing:
            await web.chat_postMessage(channel="CIT", text="1")
        assert missing.value.response.status_code == 200
        assert missing.value.response["error"] == "channel_not_found"
        with pytest.raises(SlackApiError) as limited:
            await web.chat_postMessage(channel="CIT", text="2")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
        assert limited.value.response["error"] == "ratelimited"
        for _ in range(2):
            with pytest.raises(SlackApiError) as broken:
                await web.chat_postMessage(channel="CIT", text="3")
            assert broken.value.response.status_code == 500
        assert (await web.chat_postMessage(channel="CIT", text="4"))["ok"]
        calls = api.calls_to("chat.postMessage")
        assert [(c.ok, c.status, c.error) for c in calls] == [
            (False, 200, "channel_not_found"), (False, 429, "ratelimited"),
            (False, 500, "internal_error"), (False, 500, "internal_error"), (True, 200, None)]
        assert [m["text"] for m in api.messages["CIT"]] == ["4"]
        with pytest.raises(ValueError):
            api.fail_next("chat.postMessage")


async def test_chaos_fails_a_fraction_and_calm_ends_it() -> None:
    async with FakeSlackApi() as api:
        web = client(api)
        api.chaos(0.3, seed=7, retry_after=0)
        outcomes = []
        for n in range(200):
            try:
                await web.chat_postMessage(channel="CIT", text=str(n))
                outcomes.append("ok")
            except SlackApiError as error:
                outcomes.append(error.response.status_code)
                if error.response.status_code == 429:
                    assert error.response.headers["Retry-After"] == "0"
        failed = [o for o in outcomes if o != "ok"]
        assert 30 <= len(failed) <= 90 and {429, 500} == set(failed)
        # Only what succeeded is in the channel, in order.
        kept = [m["text"] for m in api.messages["CIT"]]
        assert kept == [str(n) for n, o in enumerate(outcomes) if o == "ok"]
        assert len(api.succeeded("chat.postMessage")) == len(kept)
        api.calm()
        for n in range(20):
            await web.chat_postMessage(channel="CIT", text=f"calm {n}")
        assert all(c.ok for c in api.calls[-20:])


async def test_wait_for_and_response_urls() -> None:
    async with FakeSlackApi() as api, aiohttp.ClientSession() as session:
        web = client(api)

        async def later() -> None:
            await asyncio.sleep(0)
            await web.chat_postMessage(channel="CIT", text="late")

        task = asyncio.create_task(later())
        found = await api.wait_for(lambda: api.calls_to("chat.postMessage"), timeout=5)
        await task
        assert found[0].params["text"] == "late"
        with pytest.raises(TimeoutError):
            await api.wait_for(lambda: api.calls_to("pins.add"), timeout=0.05)
        async with session.post(api.base_url + "response/42",
                                json={"text": "Done.", "replace_original": True}) as answer:
            assert answer.status == 200 and await answer.text() == "ok"
        [respond] = api.calls_to("response_url")
        assert respond.params == {"text": "Done.", "replace_original": True,
                                  "response_id": "42"}


async def test_two_fakes_run_at_once_without_sharing() -> None:
    async with FakeSlackApi() as one, FakeSlackApi(team_id="T2") as two:
        assert one.base_url != two.base_url
        await client(one).chat_postMessage(channel="C1", text="for one")
        assert (await client(two).auth_test())["team_id"] == "T2"
        assert [c.method for c in one.calls] == ["chat.postMessage"]
        assert [c.method for c in two.calls] == ["auth.test"]
        assert two.messages == {}


async def test_files_download_with_a_token_and_upload_in_three_steps() -> None:
    async with FakeSlackApi() as api:
        shared = api.add_file("a.pdf", b"%PDF-1", user="U1", mimetype="application/pdf")
        async with aiohttp.ClientSession() as session:
            async with session.get(shared["url_private_download"],
                                   headers={"Authorization": "Bearer xoxb-test"}) as got:
                assert (got.status, await got.read()) == (200, b"%PDF-1")
                assert got.content_type == "application/pdf"
            # Without a token Slack answers its sign-in page, not a 401.
            async with session.get(shared["url_private_download"]) as got:
                assert got.status == 200 and got.content_type == "text/html"
        assert [c.ok for c in api.calls_to("files.download")] == [True, False]

        # slack_sdk's own helper, pointed at the fake, does the three steps.
        done = await client(api).files_upload_v2(content=b"bytes!", filename="b.txt",
                                                 channel="C1", thread_ts="1.1",
                                                 initial_comment="here")
        assert done["file"]["title"] == "b.txt"
        [uploaded] = api.uploaded("C1", thread_ts="1.1")
        assert (uploaded["bytes"], uploaded["comment"]) == (b"bytes!", "here")
        assert [c.method for c in api.calls if c.method.startswith("files.")][-3:] == [
            "files.getUploadURLExternal", "files.upload_url", "files.completeUploadExternal"]

        # Completing an upload whose bytes never came is refused.
        asked = await client(api).files_getUploadURLExternal(filename="c.txt", length=3)
        with pytest.raises(SlackApiError) as refused:
            await client(api).files_completeUploadExternal(
                files=[{"id": asked["file_id"]}], channel_id="C1")
        assert refused.value.response["error"] == "file_not_found"


async def test_metadata_is_kept_and_read_back_only_when_asked() -> None:
    async with FakeSlackApi() as api:
        api.add_channel("C1")
        web = client(api)
        marker = {"event_type": "deskbot_notice", "event_payload": {"notice": 7, "part": 0}}
        root = await web.chat_postMessage(channel="C1", text="card", metadata=marker)
        reply = await web.chat_postMessage(channel="C1", text="relay", thread_ts=root["ts"],
                                           metadata={**marker, "event_payload": {
                                               "notice": 8, "part": 1}})
        replies = await web.conversations_replies(channel="C1", ts=root["ts"],
                                                  include_all_metadata=True)
        assert [(m["text"], m["metadata"]["event_payload"]) for m in replies["messages"]] == [
            ("card", {"notice": 7, "part": 0}), ("relay", {"notice": 8, "part": 1})]
        bare = await web.conversations_replies(channel="C1", ts=root["ts"])
        assert all("metadata" not in m for m in bare["messages"])
        later = await web.conversations_replies(channel="C1", ts=root["ts"],
                                                oldest=reply["ts"], include_all_metadata=True)
        assert [m["text"] for m in later["messages"]] == ["relay"]
        await web.chat_postMessage(channel="C1", text="newer")
        history = await web.conversations_history(channel="C1", include_all_metadata=True,
                                                  limit=1)
        assert [m["text"] for m in history["messages"]] == ["newer"] and history["has_more"]
        with pytest.raises(SlackApiError) as bad:
            await web.chat_postMessage(channel="C1", text="x", metadata={"event_payload": {}})
        assert bad.value.response["error"] == "invalid_metadata_format"


@pytest.mark.parametrize("how", ["timeout", "drop", "500"])
async def test_accept_then_fail_does_the_post_and_fails_it(how: str) -> None:
    async with FakeSlackApi() as api:
        api.add_channel("C1")
        web = AsyncWebClient(token="xoxb-test", base_url=api.base_url, timeout=0.3,
                             retry_handlers=[])  # slack_sdk would post again on a drop
        api.accept_then_fail(1.0, how=how)
        with pytest.raises((SlackApiError, aiohttp.ClientError, TimeoutError)):
            await web.chat_postMessage(channel="C1", text="landed anyway")
        assert [m["text"] for m in api.top_level("C1")] == ["landed anyway"]
        assert [c.accepted for c in api.calls_to("chat.postMessage")] == [True]
        api.calm()
        await web.chat_postMessage(channel="C1", text="fine")
        assert [c.ok for c in api.calls_to("chat.postMessage")] == [False, True]
