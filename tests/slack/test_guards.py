"""What `/slack/events` turns away before bolt: malformed input, another workspace or
app, and replays (issue 20, points 6, 7 and 8).

Every request goes over loopback to the real server (guard, then bolt); each refusal
is a 4xx with one log line and no traceback in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.playground.signed import FORM, JSON, SignedRequest, SlackRequests
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import (
    Conversation,
    InboundEvent,
    PendingRequest,
    ProcessedInbound,
    Workspace,
)
from tests.slack.harness import (
    DANA,
    ELI,
    IT_CHANNEL,
    SECRET,
    TEAM,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_story import posts


async def count(db: Database, model: Any) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


def signed_bytes(raw: bytes, content_type: str = JSON, *,
                 stamp: str | None = None) -> dict[str, str]:
    """Slack's headers for a body of any bytes (UTF-8 or not)."""
    stamp = stamp or str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + raw,
                      hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}"}


async def post_raw(world: SlackWorld, raw: bytes, headers: dict[str, str]) -> int:
    async with world.session.post(f"{world.url}/slack/events", data=raw,
                                  headers=headers) as response:
        await response.read()
        return response.status


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.slack.app"
            and r.getMessage().startswith("slack: refused a request")]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info]


def event_body(event: Any, *, team: str = TEAM, app: str = "A1") -> bytes:
    return json.dumps({"token": "legacy", "team_id": team, "api_app_id": app,
                       "type": "event_callback", "event_id": f"Ev{time.monotonic_ns()}",
                       "event_time": int(time.time()),
                       "authorizations": [{"team_id": team, "user_id": "UBOT",
                                           "is_bot": True}],
                       "event": event}).encode()


async def one_desk(world: SlackWorld) -> None:
    await world.set_up_desks_directly()


# ---------------------------------------------------------------- 20.6 malformed input


async def test_malformed_requests_get_a_4xx_and_one_log_line(
        db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    nested = b"[" * 100_000 + b"]" * 100_000
    forged = {"Content-Type": JSON, "X-Slack-Request-Timestamp": str(int(time.time())),
              "X-Slack-Signature": "v0=" + "0" * 64}
    cases: list[tuple[str, bytes, dict[str, str], int]] = [
        ("invalid UTF-8, unsigned", b'{"a": "\xff"}', forged, 401),
        ("invalid UTF-8, signed", b'{"a": "\xff"}', signed_bytes(b'{"a": "\xff"}'), 400),
        ("nested JSON, unsigned", nested, forged, 401),
        ("nested JSON, signed", nested, signed_bytes(nested), 400),
        ("timestamp not a number", b"{}", {**forged, "X-Slack-Request-Timestamp": "abc"},
         401),
        ("timestamp in digits of another script", b"{}",
         {**forged, "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠"}, 401),
        ("no signature headers", b"{}", {"Content-Type": JSON}, 401),
        ("signed []", b"[]", signed_bytes(b"[]"), 400),
        ("signed null", b"null", signed_bytes(b"null"), 400),
        ("signed form payload that is a list", b"payload=%5B%5D",
         signed_bytes(b"payload=%5B%5D", FORM), 400),
    ]
    for name, event in [
            ("an event that is not an object", []),
            ("a message without a channel",
             {"type": "message", "user": ELI, "text": "hi", "ts": "1.1"}),
            ("a home opened without a user", {"type": "app_home_opened", "tab": "home"}),
            ("a message whose text is a number",
             {"type": "message", "user": ELI, "channel": f"D{ELI}", "text": 5, "ts": "1.1"}),
            ("a message whose user is an object",
             {"type": "message", "user": {"id": ELI}, "channel": f"D{ELI}", "text": "hi",
              "ts": "1.1"})]:
        raw = event_body(event)
        cases.append((name, raw, signed_bytes(raw), 400))
    async with slack_world(db, clock) as world:
        await one_desk(world)
        for name, raw, headers, expected in cases:
            before = len(refusals(caplog))
            assert await post_raw(world, raw, headers) == expected, name
            assert len(refusals(caplog)) == before + 1, name
        await world.settled()
        assert tracebacks(caplog) == []
        assert await count(db, Conversation) == 0
        assert world.api.calls_to("views.publish") == []
    assert all(len(r.getMessage()) < 300 for r in refusals(caplog))


async def test_odd_block_ids_and_huge_refs_get_the_normal_answers(
        db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.command(ELI, "ask IT the printer is on fire")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        element = {"action_id": button_ids.CLAIM, "type": "button", "value": "x"}
        answers = []
        for block_id in ("ticket:²", "ticket:" + "9" * 20):
            action = world.requests.action(element, block_id, world.new_ts())
            before = len(world.api.calls_to("chat.postEphemeral"))
            status, _ = await world.interact(world.requests.message_actions(
                {"id": DANA}, card, IT_CHANNEL, action, trigger_id=f"t.{block_id}",
                response_url=f"{world.api.base_url}response/x"))
            assert status == 200, block_id
            await world.settled()
            [answer] = world.api.calls_to("chat.postEphemeral")[before:]
            answers.append(block_text(answer.params))
        assert "out of date" in answers[0]
        assert f"There is no request #{'9' * 20}" in answers[1]
        assert tracebacks(caplog) == []


# ---------------------------------------------------------------- 20.7 our own workspace


async def test_another_team_or_app_is_refused(db: Database, clock: FrozenClock,
                                             caplog: pytest.LogCaptureFixture):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        other_team = SlackRequests(SECRET, "T2")
        other_app = SlackRequests(SECRET, TEAM, api_app_id="A2")
        for requests in (other_team, other_app):
            ts = world.new_ts()
            status, _ = await world.send(requests.event(
                requests.message_event(ELI, f"D{ELI}", "my VPN drops", ts)))
            assert status == 403
            status, _ = await world.send(requests.command(
                ELI, "eli", "ask IT my VPN drops", channel=f"D{ELI}",
                channel_name="directmessage",
                response_url=f"{world.api.base_url}response/1",
                trigger_id=f"trigger.{requests.team_id}.{requests.api_app_id}"))
            assert status == 403
            status, _ = await world.send(requests.interaction(
                requests.view_actions({"id": ELI}, {"id": "V1"}, requests.action(
                    {"action_id": button_ids.HOME_VIEW, "type": "button", "value": "mine"}, None,
                    world.new_ts()), trigger_id=f"t.{requests.api_app_id}")))
            assert status == 403
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            teams = (await uow.session.scalars(select(Workspace.external_id))).all()
        assert teams == [TEAM]
        assert await count(db, Conversation) == 0
        assert await count(db, PendingRequest) == 0
        assert [c for c in world.api.calls if c.method.startswith(("chat.", "views."))] == []
        reasons = [r.getMessage() for r in caplog.records
                   if r.getMessage().startswith("slack: refused")]
        assert len(reasons) == 6
        assert sum("workspace 'T2'" in reason for reason in reasons) == 3
        assert sum("app 'A2'" in reason for reason in reasons) == 3
        # Our own workspace and app are still answered.
        answer = await world.command(ELI, "ask IT my VPN drops")
        assert "#1001" in block_text(answer)


async def test_slack_app_id_setting_names_our_app(db: Database, clock: FrozenClock):
    async with slack_world(db, clock, settings_changes={"slack_app_id": "A9"}) as world:
        status, _ = await world.send(world.requests.event(
            world.requests.home_opened_event(ELI, world.new_ts())))
        assert status == 403  # the harness speaks for app A1
        assert world.api.calls_to("bots.info") == []  # not asked: we were told
        ours = SlackRequests(SECRET, TEAM, api_app_id="A9")
        status, _ = await world.send(ours.event(ours.home_opened_event(ELI, world.new_ts())))
        assert status == 200
        await world.settled()
        assert world.api.calls_to("views.publish")


async def test_without_bots_info_the_team_is_still_checked(
        db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture):
    def refuse_bots_info(api: Any) -> None:
        api.fail_next("bots.info", "missing_scope")

    async with slack_world(db, clock, api_setup=refuse_bots_info) as world:
        other_team = SlackRequests(SECRET, "T2")
        status, _ = await world.send(other_team.event(
            other_team.home_opened_event(ELI, world.new_ts())))
        assert status == 403
        other_app = SlackRequests(SECRET, TEAM, api_app_id="A2")
        status, _ = await world.send(other_app.event(
            other_app.home_opened_event(ELI, world.new_ts())))
        assert status == 200  # unknown app id: only the team is checked, and that is said
    assert any("set SLACK_APP_ID" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- 20.8 replays


async def test_a_replayed_command_runs_once(db: Database, clock: FrozenClock,
                                            caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    async with slack_world(db, clock) as world:
        await one_desk(world)
        request = world.requests.command(
            ELI, "eli", "ask IT the printer is on fire", channel=f"D{ELI}",
            channel_name="directmessage", response_url=f"{world.api.base_url}response/1",
            trigger_id="trigger.replayed")
        first = await world.send(request)
        again = await world.send(request)
        assert first[0] == 200 and "#1001" in block_text(json.loads(first[1]))
        assert again == (200, "")
        await world.settled()
        assert await count(db, Conversation) == 1
        assert len(posts(world, IT_CHANNEL)) == 1
        # The signature is kept in the database (every replica sees it).
        async with db.unit_of_work(readonly=True) as uow:
            kept = (await uow.session.scalars(select(ProcessedInbound.delivery_id).where(
                ProcessedInbound.platform == "slack-replay"))).all()
        assert request.headers["X-Slack-Signature"] in " ".join(kept)
    assert any(r.getMessage().startswith("slack: a replay") for r in caplog.records)


async def test_a_replayed_click_runs_once(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.command(ELI, "ask IT the printer is on fire")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        element = {"action_id": button_ids.CLAIM, "type": "button", "value": "1001"}
        action = world.requests.action(element, button_ids.ticket_block(1001), world.new_ts())
        click = world.requests.interaction(world.requests.message_actions(
            {"id": "UMAYA"}, card, IT_CHANNEL, action, trigger_id="trigger.click",
            response_url=f"{world.api.base_url}response/9"))
        assert (await world.send(click))[0] == 200
        assert await world.send(click) == (200, "")
        await world.settled()
        # Maya is no agent: the one run answered her once, the replay not at all.
        assert len(world.api.calls_to("chat.postEphemeral")) == 1


async def test_an_event_retried_within_its_second_runs_when_the_first_try_was_lost(
        db: Database, clock: FrozenClock):
    """A replica that recorded the first try's signature and died before storing the
    event: Slack's retry, the same body signed in the same second, must still go in."""
    async with slack_world(db, clock) as world:
        await one_desk(world)
        event = world.requests.message_event(ELI, f"D{ELI}", "the printer is on fire",
                                             world.new_ts())
        first = world.requests.event(event, event_id="EvLost1")
        retry = world.requests.event(event, event_id="EvLost1", retry_num=1)
        assert first.headers["X-Slack-Signature"] == retry.headers["X-Slack-Signature"]
        guard = world.deps.slack.guard
        passed = await guard.check(first.headers, first.body.encode())
        assert await guard.first_time(passed.replay_key)  # ... and then the replica died
        assert (await world.send(retry))[0] == 200
        assert await world.send(retry) == (200, "")  # the retry replayed: nothing runs
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            stored = (await uow.session.execute(
                select(InboundEvent.delivery_id, InboundEvent.outcome))).all()
        assert [tuple(row) for row in stored] == [("EvLost1", "done")]


async def test_the_same_body_signed_at_another_second_is_no_replay(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        body = json.dumps({"type": "url_verification", "challenge": "abc"})
        now = int(time.time())
        for stamp in (now, now - 1):
            headers = {"Content-Type": JSON, **world.sign(body, timestamp=stamp)}
            status, answer = await world.send(SignedRequest(body, headers))
            assert status == 200 and "abc" in answer


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2, max_value=10 ** 20)
    | st.text(max_size=6) | st.sampled_from(["²", "9" * 20, "ticket:²", "it", ELI]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=2),
    max_leaves=4)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutated(payload: dict[str, Any], path: tuple[Any, ...], value: Any,
             drop: bool) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    node = copy
    for step in path[:-1]:
        node = node[step]
    if drop and isinstance(node, dict):
        node.pop(path[-1])
    else:
        node[path[-1]] = value
    return copy


async def test_fuzzed_payloads_never_get_a_500_or_a_traceback(
        db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.command(ELI, "ask IT the printer is on fire")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        requests = world.requests
        claim = requests.message_actions(
            {"id": DANA, "name": "Dana"}, card, IT_CHANNEL,
            requests.action({"action_id": button_ids.CLAIM, "type": "button", "value": "1001"},
                            button_ids.ticket_block(1001), "1.1"),
            trigger_id="t.claim", response_url=f"{world.api.base_url}response/1")
        home = requests.view_actions(
            {"id": DANA}, {"id": "V1", "private_metadata": '{"view": "mine", "page": 1}'},
            requests.action({"action_id": button_ids.HOME_PAGE, "type": "button"}, None, "1.2",
                            value="mine:2"), trigger_id="t.home")
        modal = requests.view_submission(
            {"id": ELI}, {"id": "V2", "type": "modal", "callback_id": button_ids.ASK_MODAL,
                          "private_metadata": "{}"},
            {button_ids.ASK_DESK_BLOCK: {button_ids.ASK_DESK: {"type": "static_select",
                                                 "selected_option": {"value": "it"}}},
             button_ids.ASK_TEXT_BLOCK: {button_ids.ASK_TEXT: {"type": "plain_text_input",
                                                 "value": "VPN"}}}, trigger_id="t.modal")
        shortcut = {"type": "message_action", "user": {"id": ELI}, "callback_id":
                    "send_to_helpdesk", "trigger_id": "t.shortcut",
                    "response_url": f"{world.api.base_url}response/2",
                    "channel": {"id": IT_CHANNEL, "name": "it-desk"},
                    "message": {"type": "message", "user": DANA, "ts": "1.4",
                                "text": "the VPN is down"}}
        due = requests.message_actions(
            {"id": DANA, "name": "Dana"}, card, IT_CHANNEL,
            requests.action({"action_id": button_ids.DUE, "type": "datetimepicker"},
                            button_ids.ticket_block(1001), "1.5", option="1796032800"),
            trigger_id="t.due", response_url=f"{world.api.base_url}response/3")
        await world.command(DANA, 'incident open "Email is down"', channel=IT_CHANNEL)
        await world.settled()
        [incident_card] = [m for m in posts(world, IT_CHANNEL) if "INC-1" in str(m)]
        update = requests.message_actions(
            {"id": DANA, "name": "Dana"}, incident_card, IT_CHANNEL,
            requests.action({"action_id": button_ids.INCIDENT_UPDATE, "type": "button",
                             "value": "1"}, "incident:1", "1.5"),
            trigger_id="t.incident", response_url=f"{world.api.base_url}response/4")
        incident_modal = requests.view_submission(
            {"id": DANA}, {"id": "V3", "type": "modal",
                           "callback_id": button_ids.INCIDENT_MODAL,
                           "private_metadata": '{"incident": "1", "resolve": false}'},
            {button_ids.INCIDENT_TEXT_BLOCK: {button_ids.INCIDENT_TEXT: {
                "type": "plain_text_input", "value": "Mail is back soon"}}},
            trigger_id="t.incident_modal")
        templates = {"claim": claim, "home": home, "modal": modal, "shortcut": shortcut,
                     "due": due, "incident_update": update, "incident_modal": incident_modal,
                     "event": requests.message_event(ELI, f"D{ELI}", "hi", "1.3")}
        examples: list[tuple[str, dict[str, Any]]] = []

        @settings(max_examples=120, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(data=st.data())
        def collect(data: st.DataObject) -> None:
            name = data.draw(st.sampled_from(sorted(templates)))
            path = data.draw(st.sampled_from(_paths(templates[name])))
            examples.append((name, _mutated(templates[name], path, data.draw(JSON_VALUES),
                                            data.draw(st.booleans()))))

        collect()
        for number, (name, payload) in enumerate(examples):
            if name == "event":
                request = requests.event(payload, event_id=f"EvFuzz{number}")
            else:
                request = requests.interaction(payload)
            status, _ = await world.send(request)
            assert status < 500, (name, payload)
        await world.settled()
    assert tracebacks(caplog) == []


async def test_oauth_refuses_a_team_not_installed_and_another_app(database_factory: Any,
                                                                 clock: FrozenClock):
    from tests.slack.test_oauth import oauth_deskbot

    async with oauth_deskbot(database_factory, clock) as installer:
        world = installer.world
        home = world.requests.home_opened_event(ELI, world.new_ts())
        status, reason = await world.send(world.requests.event(home))
        assert (status, reason) == (403, "deskbot is not installed in workspace 'T1'")
        await installer.install()  # oauth.v2.access answers app A1
        other_app = SlackRequests(SECRET, TEAM, api_app_id="A2")
        status, reason = await world.send(other_app.event(home))
        assert (status, reason) == (403, "the request is for app 'A2', not ours")
        status, _ = await world.send(world.requests.event(home))
        assert status == 200
        await world.settled()
        assert len(world.api.calls_to("views.publish")) == 1


async def test_a_request_that_failed_runs_when_it_comes_again(db: Database, clock: FrozenClock,
                                                              monkeypatch: pytest.MonkeyPatch):
    from slack_bolt.response import BoltResponse

    async with slack_world(db, clock) as world:
        await one_desk(world)
        adapter = world.deps.slack
        real = adapter.app.async_dispatch
        failed: list[int] = []

        async def fail_once(request: Any) -> BoltResponse:
            if not failed:
                failed.append(1)
                return BoltResponse(status=500, body="")
            return await real(request)

        monkeypatch.setattr(adapter.app, "async_dispatch", fail_once)
        request = world.requests.command(
            ELI, "eli", "ask IT the printer is on fire", channel=f"D{ELI}",
            channel_name="directmessage", response_url=f"{world.api.base_url}response/1",
            trigger_id="trigger.failed")
        assert (await world.send(request))[0] == 500
        status, answer = await world.send(request)  # not taken for a replay: it never ran
        assert status == 200 and "#1001" in block_text(json.loads(answer))
        assert await world.send(request) == (200, "")  # now it is one
        await world.settled()
        assert await count(db, Conversation) == 1


async def test_a_replayed_event_is_answered_empty(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        request = world.requests.event(world.requests.home_opened_event(ELI, world.new_ts()))
        assert (await world.send(request))[0] == 200
        assert await world.send(request) == (200, "")
        await world.settled()
        assert len(world.api.calls_to("views.publish")) == 1


async def test_slacks_ssl_check_is_answered_and_runs_nothing(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        for body in ("ssl_check=1&token=legacy", "token=legacy&ssl_check=1"):
            assert await world.post(body, FORM, sign=False) == (200, "")
        assert await world.post("ssl_check=1&command=/desk&text=my", FORM,
                                sign=False) == (200, "")
        assert world.api.calls == []
