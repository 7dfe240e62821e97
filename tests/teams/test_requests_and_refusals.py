"""Teams at its edges: authentication, bad input, redeliveries, invoke answers.

Each test posts real activities to deskbot's /api/messages over loopback (botbuilder's
CloudAdapter in front) and reads what the fake connector recorded.
"""

from __future__ import annotations

import json

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.settings import Settings
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, InboundEvent, PendingRequest
from tests.data import SCHEMAS
from tests.teams.harness import TeamsWorld, card_text, desk_choice, teams_world
from tests.teams.test_story import set_up_desks

APP_ID = "6f1a2b3c-0000-4d5e-8f90-123456789abc"
SCHEMA = SCHEMAS / "adaptive-card-1.5.json"


def bot_said(world: TeamsWorld, conversation_id: str) -> list[dict]:
    return [a for a in world.connector.activities_in(conversation_id)
            if a.get("from", {}).get("id") == world.connector.bot["id"]]


def said_text(activity: dict) -> str:
    return (card_text(activity) if activity.get("attachments") else "") + (
        activity.get("text") or "")


async def test_with_an_app_id_a_request_without_a_valid_token_gets_401(
        db: Database, clock: FrozenClock) -> None:
    changes = {"microsoft_app_id": APP_ID, "microsoft_app_password": "secret"}
    async with teams_world(db, clock, settings_changes=changes) as world:
        assert world.deps.teams.authenticated
        activity = world.teams.personal_message(world.eli, "my VPN drops")
        for headers in (None, {"Authorization": "Bearer not-a-token"},
                        {"Authorization": "Basic ZGVza2JvdDpzZWNyZXQ="}):
            status, _ = await world.post(activity, headers=headers)
            assert status == 401, headers
        async with db.unit_of_work(readonly=True) as uow:
            assert (await uow.session.execute(
                select(func.count()).select_from(InboundEvent))).scalar_one() == 0
    assert world.connector.calls == []


def test_without_an_app_id_teams_is_served_on_loopback_only() -> None:
    from bot.bootstrap import _build_teams

    off = _build_teams(Settings(host="0.0.0.0"), None, None)  # type: ignore[arg-type]
    assert off is None
    assert _build_teams(Settings(microsoft_app_id=APP_ID, host="0.0.0.0"),
                        None, None) is None  # type: ignore[arg-type]  # no password


async def test_bad_bodies_get_4xx_not_500(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        url = f"{world.url}/api/messages"
        cases = [(b"{not json", "application/json", 400),
                 (b"[1, 2]", "application/json", 400),
                 (b'{"type": 5}', "application/json", 400),
                 (b'{"type": "message"}', "text/plain", 415)]
        for body, content_type, expected in cases:
            async with world.session.post(url, data=body,
                                          headers={"Content-Type": content_type}) as response:
                assert response.status == expected, body


async def test_a_retried_activity_is_processed_once(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        activity = world.teams.personal_message(world.eli, "my VPN drops")
        for _ in range(3):
            status, _ = await world.post(activity)
            assert status in (200, 201)
        await world.settled()
        assert len(world.chat_of(world.eli)) == 1  # one desk picker
        async with db.unit_of_work(readonly=True) as uow:
            assert (await uow.session.execute(
                select(func.count()).select_from(PendingRequest))).scalar_one() == 1
        # A card action Teams sends again is answered, not run twice.
        [picker] = world.chat_of(world.eli)
        invoke = world.teams.card_action(world.eli, button_ids.PICK_DESK, desk_choice(picker, "it"),
                                         reply_to_id=picker["id"])
        answers = [await world.post(invoke) for _ in range(2)]
        assert [status for status, _ in answers] == [200, 200]
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            assert (await uow.session.execute(
                select(func.count()).select_from(Conversation))).scalar_one() == 1
        assert len(world.threads_in(world.it_channel)) == 1


async def test_invoke_answers_are_valid_cards_through_the_real_adapter(
        db: Database, clock: FrozenClock) -> None:
    schema = json.loads(SCHEMA.read_text())
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await world.dm(world.eli, "the printer is on fire")
        await world.settled()
        [picker] = world.chat_of(world.eli)
        status, answer = await world.click(world.eli, picker, button_ids.PICK_DESK,
                                           value=desk_choice(picker, "it")["value"])
        assert status == 200
        assert answer["statusCode"] == 200
        assert answer["type"] == "application/vnd.microsoft.card.adaptive"
        jsonschema.validate(answer["value"], schema)
        await world.settled()
        [card] = world.threads_in(world.it_channel)
        status, answer = await world.click(world.dana, card, button_ids.CLAIM,
                                           channel=world.it_channel)
        assert status == 200 and answer["statusCode"] == 200
        jsonschema.validate(answer["value"], schema)
        assert "Dana" in card_text(answer["value"])
        # The refresh Teams sends when an agent looks at the card: the card as it is now.
        refresh = world.teams.card_action(world.lee, "refresh_card",
                                          answer["value"]["refresh"]["action"]["data"],
                                          reply_to_id=card["id"], channel=world.it_channel)
        status, refreshed = await world.post(refresh)
        assert status == 200 and "Dana" in card_text(refreshed["value"])
        # A forged or stale button is answered with a message, never a 500.
        for verb, data in ((button_ids.CLAIM, {}), (button_ids.CLAIM, {"ref": "99999"}),
                           ("no.such.verb", {}), (button_ids.PICK_DESK, {"value": "x"}),
                           (button_ids.RATE, {"value": "1001:x"})):
            forged = world.teams.card_action(world.lee, verb, data, reply_to_id=card["id"],
                                             channel=world.it_channel)
            status, answer = await world.post(forged)
            assert status == 200, (verb, data)
            assert answer["type"] == "application/vnd.microsoft.activity.message", (verb, data)
            assert answer["value"].strip()


async def test_malformed_text_commands_get_a_helpful_answer(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        cases = {
            "frobnicate": "not a /desk command",
            "claim": "claim",
            "claim 99999": "99999",
            "queue mine Payroll": "Payroll",
            "priority 1001": "priority",
            "admin create": "create",
            "admin show Nowhere": "Nowhere",
        }
        for text, expected in cases.items():
            said = await world.say(world.dana, world.it_channel, text)
            await world.settled()
            [answer] = bot_said(world, said["conversation"]["id"])
            shown = said_text(answer)
            assert expected.lower() in shown.lower(), (text, shown)
            assert "Traceback" not in shown
        # Teams never says who is a tenant admin: the refusal tells Dana her admin id.
        said = await world.say(world.dana, world.it_channel, "admin create Legal")
        await world.settled()
        [answer] = bot_said(world, said["conversation"]["id"])
        assert f"teams:{world.dana.user_id}" in said_text(answer).replace("\\", "")
        # In the personal chat the same shapes are commands; a request stays a request.
        await world.dm(world.dana, "claim 99999")
        await world.dm(world.dana, "available off")
        await world.settled()
        shown = [said_text(a) for a in world.chat_of(world.dana)]
        assert "99999" in shown[0]
        assert "away" in shown[1].lower() or "off" in shown[1].lower(), shown[1]


async def test_fuzzed_text_commands_never_fail(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        words = st.sampled_from(["claim", "queue", "admin", "create", "agents", "add", "#1001",
                                 "1001", "<at>Dana</at>", "IT", "mine", "priority", "9",
                                 "status", "hold", "close", "transfer", "\"", "'", "--", "/desk",
                                 "ask", "available", "off", "&amp;", "<b>", "report",
                                 "month", "all"])
        texts = st.one_of(st.text(max_size=80), st.lists(words, max_size=6).map(" ".join))
        found: list[str] = []

        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(text=texts)
        def collect(text: str) -> None:
            found.append(text)

        collect()
        posted = []
        for text in found:
            activity = world.teams.channel_message(world.lee, text, channel=world.it_channel)
            status, body = await world.post(activity)
            assert status in (200, 201), (text, body)
            posted.append(activity)
        await world.settled(limit=30)
        for activity in posted:
            answers = bot_said(world, activity["conversation"]["id"])
            assert len(answers) == 1, activity["text"]
            assert said_text(answers[0]).strip(), activity["text"]



async def test_bidi_controls_cannot_reorder_deskbots_words(db: Database,
                                                           clock: FrozenClock) -> None:
    """A request titled with a right-to-left override reaches the agents isolated and
    without it, as on Slack (issue 20.9): deskbot's words after the PDI read right, and
    a Hebrew title makes the card right to left (issue 14.8)."""
    from tests.teams.test_story import card_update, eli_asks_it

    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, "\u202eevil")
        [card] = world.threads_in(world.it_channel)
        content = card["attachments"][0]["content"]
        assert content["body"][0]["text"] == "#1001 \u2068evil\u2069"
        assert "\u202e" not in json.dumps(card, ensure_ascii=False)
        said = await world.say(world.dana, world.it_channel, "transfer 1001 HR")
        await world.settled()
        moved = card_update(world, card)["attachments"][0]["content"]
        [line] = [item["text"] for item in moved["body"] if item["type"] == "TextBlock"]
        assert line.startswith("↪️ **#1001** \u2068evil\u2069 moved from **"), said
        assert "\u202e" not in json.dumps(moved, ensure_ascii=False)

        await world.dm(world.eli, "ask IT המחשב הנייד שלי לא נדלק")
        await world.settled()
        hebrew = world.threads_in(world.it_channel)[-1]["attachments"][0]["content"]
        assert hebrew["rtl"] is True and "\u2068המחשב הנייד שלי לא נדלק\u2069" in \
            hebrew["body"][0]["text"]
