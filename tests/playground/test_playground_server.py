"""The playground without a browser: its Web API, its acts, its live updates, the command."""

from __future__ import annotations

import asyncio
import base64
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
    # A desk takes requests once it has agents too.
    status, answer = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                        "text": "admin agents IT add @dana"})
    assert (status, answer["ok"]) == (200, True)
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
    assert "with *\u2068IT\u2069*" in replies[0]["text"]  # the desk isolated (14.8)


async def test_channels_are_bound_only_when_they_may_be(served: Running) -> None:
    """The playground's Slack says what Slack would: a typed #name that is no channel is
    refused (not #general, where it was typed); #general is public, so it is no agent
    channel without --confirm; a desk without agents takes no requests."""
    state = served.playground.state

    async def command(text: str, channel: str = "CGENERAL") -> str:
        status, answer = await act(served, {"user": ADA, "kind": "command",
                                            "channel": channel, "text": text})
        assert (status, answer["ok"]) == (200, True)
        return state.ephemerals[ADA][-1]["text"].replace("\u2068", "").replace("\u2069", "")

    assert "I can't see a channel called #facilities-desk: create it, invite me, and try " \
           "again." in await command("admin create Facilities #facilities-desk Rooms and keys")
    assert "employees can read this channel" in await command("admin create Facilities")
    assert "employees can read this channel" in await command(
        "admin create Facilities #general Rooms")
    answer = await command("admin create Facilities #general Rooms --confirm")
    assert "Its cards go to #general. It is not ready to take requests yet" in answer
    status, answer = await act(served, {"user": ELI, "kind": "command", "channel": f"D{ELI}",
                                        "text": "ask Facilities the door is stuck"})
    assert status == 200
    assert "The Facilities desk is not taking requests yet" in state.ephemerals[ELI][-1]["text"]


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
            "eli", "dana", "lee", "ada", "noa"]  # Noa: the Hebrew-speaking employee
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
        await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                           "text": "admin agents IT add @dana"})
        status, asked = await act(served, {"user": ELI, "kind": "message",
                                           "channel": f"D{ELI}", "text": "printer jam"})
        assert status == 200
        # The card, posted by deskbot's outbox worker.
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


async def test_after_a_restart_new_messages_and_thread_replies_are_not_dropped(
        tmp_path: Path) -> None:
    """Event ids never repeat across restarts: deskbot took the second run's for retries."""
    from bot.playground.run import running
    from bot.playground.workspace import DANA
    from bot.settings import Settings

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}",
                        host="127.0.0.1", port=0, sweep_seconds=3600)

    def in_thread(state: Any, channel: str, thread_ts: str, words: str) -> bool:
        return any(m.get("thread_ts") == thread_ts and words in (m.get("text") or "")
                   and m.get("user") == "UDESKBOT" for m in state.messages.get(channel, []))

    async with running(settings) as served:
        state = served.playground.state
        for text in ("admin create IT #it-desk", "admin agents IT add <@UDANA>"):
            await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                               "text": text})
        _, asked = await act(served, {"user": ELI, "kind": "message", "channel": f"D{ELI}",
                                      "text": "printer jam"})
        await served.playground.wait_for(lambda: state.messages.get(IT_CHANNEL))
        [card] = state.messages[IT_CHANNEL]
        await act(served, {"user": DANA, "kind": "message", "channel": IT_CHANNEL,
                           "thread_ts": card["ts"], "text": "which printer?"})
        await served.playground.wait_for(
            lambda: in_thread(state, f"D{ELI}", asked["ts"], "which printer?"))

    async with running(settings) as served:
        state = served.playground.state
        # A new DM after the restart reaches deskbot (Eli has #1001 open: it asks which) ...
        status, again = await act(served, {"user": ELI, "kind": "message",
                                           "channel": f"D{ELI}", "text": "the wifi is down"})
        assert status == 200
        await served.playground.wait_for(
            lambda: any(m.get("user") == "UDESKBOT" and float(m["ts"]) > float(again["ts"])
                        for m in state.messages[f"D{ELI}"]))
        # ... the requester's thread reply reaches the card's thread ...
        status, _ = await act(served, {"user": ELI, "kind": "message", "channel": f"D{ELI}",
                                       "thread_ts": asked["ts"], "text": "the one on floor 2"})
        assert status == 200
        await served.playground.wait_for(
            lambda: in_thread(state, IT_CHANNEL, card["ts"], "the one on floor 2"))
        # ... and an agent's thread reply reaches the requester.
        status, _ = await act(served, {"user": DANA, "kind": "message", "channel": IT_CHANNEL,
                                       "thread_ts": card["ts"], "text": "fixed the tray"})
        assert status == 200
        await served.playground.wait_for(
            lambda: in_thread(state, f"D{ELI}", asked["ts"], "fixed the tray"))


async def test_a_file_sent_from_the_page_reaches_the_card_thread(served: Running) -> None:
    """Issue 14, point 6: the playground's Web API takes deskbot's upload methods."""
    for text in ("admin create IT #it-desk", "admin agents IT add <@UDANA>"):
        status, _ = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                       "text": text})
        assert status == 200
    content = bytes(range(256)) * 40
    status, answer = await act(served, {
        "user": ELI, "kind": "message", "channel": f"D{ELI}", "text": "",
        "files": [{"name": "error.png", "mimetype": "image/png",
                   "content": base64.b64encode(content).decode()}]})
    assert (status, answer["ok"]) == (200, True)
    state = served.playground.state

    def uploaded() -> list[dict[str, Any]]:
        return [f for m in state.messages.get(IT_CHANNEL, []) if m.get("bot_id")
                and m.get("thread_ts") for f in m.get("files") or []]

    await served.playground.wait_for(uploaded)
    [shown] = uploaded()
    assert shown["name"] == "error.png" and "Eli" in next(
        m["text"] for m in state.messages[IT_CHANNEL] if m.get("files"))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{served.url}/playground/file/{shown['id']}") as response:
            assert response.status == 200 and await response.read() == content
    # The page sees the file with the message it came with.
    seen = served.playground.page.seen_by(ELI)
    assert any(f["name"] == "error.png" for m in seen["messages"][IT_CHANNEL]
               for f in m.get("files") or [])


def test_view_ids_go_on_after_a_restart() -> None:
    """A kept home's view id is never given to a new view after a restart."""
    from bot.playground.keep import dump, restore

    before = new_state("http://127.0.0.1/playground/")
    home = before.views_publish({"user_id": ELI, "view": {"type": "home", "blocks": []}})
    kept = json.loads(json.dumps(dump(before)))
    after = new_state("http://127.0.0.1/playground/")
    restore(after, kept)
    assert after.homes[ELI]["id"] == home["view"]["id"]
    again = after.views_publish({"user_id": ADA, "view": {"type": "home", "blocks": []}})
    assert again["view"]["id"] != home["view"]["id"]


async def test_seeded_agents_start_available(served: Running) -> None:
    """`deskbot playground --seed`: Dana and Lee can take new requests at once (14.7)."""
    from sqlalchemy import select

    from bot.playground.seed import seed
    from bot.playground.workspace import DANA, LEE
    from storage.models import Person

    summary = await seed(served)
    assert "available" in summary
    async with served.deps.db.unit_of_work(readonly=True) as uow:
        available = dict((await uow.session.execute(
            select(Person.external_id, Person.available)
            .where(Person.external_id.in_([DANA, LEE])))).all())
    assert available == {DANA: True, LEE: True}


async def test_malformed_acts_get_400_without_a_traceback(
        served: Running, caplog: pytest.LogCaptureFixture) -> None:
    bodies = [b"[" * 100_000 + b"]" * 100_000, b'{"user": "\xff"}',
              json.dumps({"user": ELI, "kind": "message", "channel": f"D{ELI}", "text": "hi",
                          "thread_ts": ["x"]}).encode(),
              json.dumps({"user": ELI, "kind": "action", "where": "home",
                          "block": 10 ** 6, "element": 0}).encode(),
              json.dumps({"user": ELI, "kind": "submit", "view_id": ["V1"],
                          "values": []}).encode()]
    async with aiohttp.ClientSession() as session:
        for body in bodies:
            async with session.post(f"{served.url}/playground/act", data=body, headers={
                    "Content-Type": "application/json"}) as response:
                assert response.status == 400, body[:80]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_a_command_answered_after_its_ack_shows_on_the_page(served: Running) -> None:
    served.deps.slack.context.answer_wait = 0  # the answer comes after the ack
    status, answer = await act(served, {"user": ELI, "kind": "command", "channel": f"D{ELI}",
                                        "text": "help"})
    assert (status, answer["ok"]) == (200, True)
    # Posted to the command's response_url by deskbot's outbox worker; shown to Eli only.
    await served.playground.wait_for(lambda: served.playground.state.ephemerals.get(ELI))
    [shown] = served.playground.state.ephemerals[ELI]
    assert "/desk ask" in json.dumps(shown) and shown["channel"] == f"D{ELI}"


async def test_the_seed_has_a_hebrew_desk_and_a_hebrew_speaking_employee(
        served: Running) -> None:
    """`--seed`: the desk אחזקה speaks Hebrew; Noa's Slack is in Hebrew, and she asked it
    (and IT) in Hebrew, so the playground shows Hebrew DMs, cards and home tabs."""
    from sqlalchemy import select

    from bot.playground.seed import HEBREW_DESK, seed
    from bot.playground.workspace import MAINTENANCE_CHANNEL, NOA
    from desks.languages import desk_locale, person_locale
    from desks.service import find_desk
    from storage.models import Conversation, Desk, Person

    client = AsyncWebClient(token=served.playground.token, base_url=served.playground.api_url)
    assert (await client.users_info(user=NOA, include_locale=True))["user"]["locale"] == "he-IL"
    assert (await client.users_info(user=ELI, include_locale=True))["user"]["locale"] == "en-US"

    summary = await seed(served)
    assert "אחזקה speaks Hebrew" in summary
    async with served.deps.db.unit_of_work(readonly=True) as uow:
        noa = (await uow.session.scalars(select(Person).where(
            Person.external_id == NOA))).one()
        desk = await find_desk(uow, noa.workspace_id, HEBREW_DESK)
        asked = (await uow.session.execute(
            select(Conversation.subject, Desk.name).join(Desk, Conversation.desk_id == Desk.id)
            .where(Conversation.requester_id == noa.id).order_by(Conversation.ref))).all()
    assert (desk.language, desk_locale(desk), desk.agent_channel) == ("he", "he",
                                                                      MAINTENANCE_CHANNEL)
    assert (noa.locale, person_locale(noa)) == ("he-IL", "he")
    assert [name for _, name in asked] == [HEBREW_DESK, HEBREW_DESK, "IT", HEBREW_DESK]
    assert all(any("\u05d0" <= c <= "\u05ea" for c in subject) for subject, _ in asked)
    # Her requests reached her DM and the Hebrew desk's channel, as in Slack.
    state = served.playground.state
    await served.playground.wait_for(lambda: len([
        m for m in state.messages.get(MAINTENANCE_CHANNEL, []) if m.get("blocks")]) >= 3)
    assert any("המזגן" in m["text"] for m in state.messages[f"D{NOA}"])


async def test_the_seed_has_a_ticket_of_each_category(served: Running) -> None:
    """`--seed` (issue 17): IT's three ticket categories each have a ticket, and the IMAC
    one carries a due date; the cards in #it-desk say so."""
    from sqlalchemy import select

    from bot.playground.seed import seed
    from storage.models import Conversation

    assert "a ticket of each IT category" in await seed(served)
    async with served.deps.db.unit_of_work(readonly=True) as uow:
        tickets = {c.category: c for c in (await uow.session.scalars(select(Conversation).where(
            Conversation.kind == "ticket"))).all()}
    assert sorted(tickets) == ["IMAC", "Incident", "Service request"]
    assert tickets["IMAC"].due_at is not None and tickets["Service request"].due_at is None
    state = served.playground.state
    await served.playground.wait_for(lambda: all(
        any(name in json.dumps(m) for m in state.messages.get(IT_CHANNEL, []))
        for name in ("IMAC", "Incident", "Service request")))


async def test_the_seed_has_an_open_incident_with_linked_requests(served: Running) -> None:
    """`--seed` (issue 17): the email outage is an open major incident on IT with its three
    requests linked; its card (with the counter) and the update reach #it-desk and each of
    the three requesters once."""
    from sqlalchemy import select

    from bot.playground.seed import OUTAGE, OUTAGE_INCIDENT, OUTAGE_UPDATE, seed
    from storage.models import Conversation, Incident

    assert f"{OUTAGE_INCIDENT!r} is an open major incident with 3" in await seed(served)
    async with served.deps.db.unit_of_work(readonly=True) as uow:
        [incident] = (await uow.session.scalars(select(Incident))).all()
        linked = (await uow.session.scalars(select(Conversation).where(
            Conversation.incident_id == incident.id))).all()
    assert (incident.title, incident.status) == (OUTAGE_INCIDENT, "open")
    assert sorted(c.subject for c in linked) == sorted(s.text for s in OUTAGE)
    state = served.playground.state
    await served.playground.wait_for(lambda: any(
        OUTAGE_INCIDENT in json.dumps(m) for m in state.messages.get(IT_CHANNEL, [])))
    for story in OUTAGE:
        await served.playground.wait_for(lambda story=story: any(
            OUTAGE_UPDATE in json.dumps(m) for m in state.messages.get(f"D{story.requester}", [])))
        told = [m for m in state.messages[f"D{story.requester}"] if OUTAGE_UPDATE in json.dumps(m)]
        assert len(told) == 1, story.requester


async def test_a_report_asked_in_the_page_posts_its_card_and_files(served: Running) -> None:
    """Issue 18, point 3: `/desk report` in the playground posts the card, the chart and
    the CSV through the same Web API methods as Slack's."""
    status, _ = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                   "text": "admin create IT #it-desk"})
    assert status == 200
    status, answer = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                        "text": "report IT month"})
    assert (status, answer["ok"]) == (200, True)
    state = served.playground.state

    def files() -> list[dict[str, Any]]:
        return [f for m in state.messages.get(IT_CHANNEL, []) if m.get("bot_id")
                and not m.get("thread_ts") for f in m.get("files") or []]

    await served.playground.wait_for(lambda: len(files()) == 2)
    chart, table = files()
    assert chart["name"].endswith(".png") and table["name"].endswith(".csv")
    assert any("Report of" in json.dumps(m, ensure_ascii=False)
               for m in state.messages[IT_CHANNEL] if m.get("bot_id"))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{served.url}/playground/file/{chart['id']}") as response:
            assert response.status == 200 and (await response.read())[:4] == b"\x89PNG"
