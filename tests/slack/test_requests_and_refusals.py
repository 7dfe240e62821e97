"""What arrives at /slack/events that should not be trusted or cannot be done.

Signatures and timestamps, retried deliveries, hostile text, people without the role,
and malformed `/desk` input: each gets the right answer and never a 500.
"""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    IT_CHANNEL,
    MAYA,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_story import posts, set_up_desks


async def count(db: Database, model) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def one_desk(world: SlackWorld) -> None:
    await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    await world.command(ADA, f"admin agents IT add <@{DANA}|dana>")


async def test_bad_signature_and_stale_timestamp_get_401(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
                           "event": {"type": "app_home_opened", "user": ELI, "tab": "home"}})
        forged = {"X-Slack-Request-Timestamp": str(int(time.time())),
                  "X-Slack-Signature": "v0=" + "0" * 64}
        status, _ = await world.post(body, "application/json", headers=forged, sign=False)
        assert status == 401
        stale = world.sign(body, timestamp=int(time.time()) - 6 * 60)
        status, _ = await world.post(body, "application/json", headers=stale, sign=False)
        assert status == 401
        status, _ = await world.post(body, "application/json", sign=False)
        assert status == 401
        assert world.api.calls_to("views.publish") == []


async def test_a_retried_event_is_processed_once(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        ts = world.new_ts()
        event = {"type": "message", "channel_type": "im", "channel": f"D{ELI}", "user": ELI,
                 "text": "printer on fire", "ts": ts, "event_ts": ts}
        first, _ = await world.event(event, event_id="EvSAME")
        again, _ = await world.event(event, event_id="EvSAME", retry_num=1)
        third, _ = await world.event(event, event_id="EvSAME", retry_num=2)
        assert (first, again, third) == (200, 200, 200)
        await world.settled()
        assert await count(db, Conversation) == 1
        assert await count(db, Message) == 1
        assert len(posts(world, IT_CHANNEL)) == 1


async def test_hostile_text_reaches_the_agent_channel_escaped(db: Database,
                                                             clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.dm(ELI, "<!channel> see <https://x|y> & <@UADA>")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        raw = json.dumps(card["blocks"]) + card["text"]
        assert "<!channel>" not in raw and "<https://x|y>" not in raw
        assert "&lt;!channel&gt;" in raw and "&lt;https://x|y&gt;" in raw
        assert "<@UADA>" not in raw


async def test_bidi_controls_cannot_reorder_deskbots_words(db: Database, clock: FrozenClock):
    """A request titled with a right-to-left override reaches the agents isolated and
    without it (issue 20.9): the card's and the moved line's words after it read right."""
    async with slack_world(db, clock) as world:
        await set_up_desks(world)
        await world.command(ELI, "ask IT \u202eevil")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        assert card["blocks"][0]["text"]["text"] == "#1001 \u2068evil\u2069"
        assert "\u202e" not in json.dumps(card, ensure_ascii=False)
        await world.command(DANA, "transfer 1001 HR")
        await world.settled()
        moved = world.api.calls_to("chat.update")[-1].params
        assert moved["text"].startswith("↪️ *#1001* \u2068evil\u2069 moved from *")
        assert "\u202e" not in json.dumps(moved, ensure_ascii=False)


async def test_what_slack_escaped_arrives_once_escaped(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        # Slack sends a typed "A & B <3" escaped; the agent must see "A & B <3" again.
        await world.dm(ELI, "printer A &amp; B &lt;3")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        raw = json.dumps(card["blocks"])
        assert "printer A &amp; B &lt;3" in raw and "&amp;amp;" not in raw
        answer = await world.command(ELI, "ask IT toner &amp; paper")
        assert "#1002" in block_text(answer)
        async with db.unit_of_work(readonly=True) as uow:
            subjects = sorted((await uow.session.scalars(select(Conversation.subject))).all())
        assert subjects == ["printer A & B <3", "toner & paper"]


async def test_non_agents_are_refused_clearly(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        await world.dm(ELI, "laptop broken")
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        status, _ = await world.click(MAYA, card, button_ids.CLAIM)
        assert status == 200
        [refusal] = world.api.calls_to("chat.postEphemeral")
        # Maya works no desk: told what a ref that does not exist gets (issue 20.9), as
        # a forged click cannot tell her which refs exist either.
        assert refusal.params["user"] == MAYA
        assert "There is no request #1001." in block_text(refusal.params)
        answer = await world.command(MAYA, "claim 1001")
        assert answer["response_type"] == "ephemeral"
        assert "There is no request #1001." in block_text(answer)
        async with db.unit_of_work(readonly=True) as uow:
            conversation = (await uow.session.scalars(select(Conversation))).one()
            assert conversation.assignee_id is None


async def test_malformed_desk_commands_get_private_helpful_answers(db: Database,
                                                                  clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await set_up_desks(world)
        cases = {
            "frobnicate 12": "/desk help",
            "claim 9999": "9999",
            "claim": "claim",
            "queue mine Payroll": "Payroll",
            "priority 1001": "priority",
            "transfer 1001": "transfer",
            "admin create": "create",
            "admin show Nowhere": "Nowhere",
        }
        for text, expected in cases.items():
            answer = await world.command(DANA, text)
            assert answer["response_type"] == "ephemeral", text
            shown = block_text(answer)
            assert expected.lower() in shown.lower(), (text, shown)
            assert "Traceback" not in shown


async def test_fuzzed_desk_text_never_fails(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await one_desk(world)
        words = st.sampled_from(["claim", "queue", "admin", "create", "agents", "add", "#1001",
                                 "1001", "<@UDANA|dana>", "<#CX|x>", "IT", "mine", "priority",
                                 "9", "status", "hold", "close", "transfer", "\"", "'", "--",
                                 "ask", "available", "off", "report", "month", "all"])
        texts = st.one_of(st.text(max_size=80),
                          st.lists(words, max_size=6).map(" ".join))

        @settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(text=texts)
        def check(text: str) -> None:
            answers.append(text)

        answers: list[str] = []
        check()
        for text in answers:
            answer = await world.command(DANA, text)
            assert answer.get("response_type") in ("ephemeral", "in_channel"), text
            assert block_text(answer).strip(), text
