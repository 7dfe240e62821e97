"""The Slack sender behind the real outbox worker, against the fake Slack Web API.

Core commands write the notices; the real outbox worker delivers them through the real
SlackSender over loopback; every assertion is on what the fake Slack recorded or now
holds, and on the links stored back in the database. Both databases.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.sender import SlackSender
from cards import slack as slack_cards
from conversations import commands, intake, view_queries
from conversations.lifecycle import Status
from conversations.outbox_worker import OutboxWorker
from desks import service as desks
from desks.channels import Binding
from desks.notices import NoticeKind
from storage import outbox
from storage.database import Database
from storage.journal import write_notice
from storage.models import Conversation, Message, OutboxNotice
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.integration.world import World, build_world

TOKEN = "xoxb-sender-test"
PEOPLE = {"U_ADMIN": "Ada", "U_DANA": "Dana", "U_LEE": "Lee", "U_NOA": "Noa",
          "U_OMER": "Omer", "U_ELI": "Eli", "U_MAYA": "Maya"}


class Rig:
    """A seeded helpdesk, the fake Slack, and the outbox worker with the Slack sender."""

    def __init__(self, world: World, api: FakeSlackApi) -> None:
        self.world = world
        self.api = api
        self.db: Database = world.db
        self.clock = world.db.clock
        self.client = AsyncWebClient(token=TOKEN, base_url=api.base_url)
        self.teams: list[str] = []
        self.sender = SlackSender(self.db, self.client_for)
        # Tiny back-off: the frozen clock is moved past it rather than slept through.
        self.outbox_worker = OutboxWorker(self.db, self.sender, base_backoff=0.01, max_backoff=0.05,
                                     max_attempts=30, jitter=random.Random(0))

    async def client_for(self, team_id: str) -> AsyncWebClient:
        self.teams.append(team_id)
        return self.client

    async def pending(self) -> int:
        async with self.db.unit_of_work(readonly=True) as uow:
            return await outbox.pending_count(uow)

    async def settle(self, rounds: int = 300) -> None:
        """Deliver until the outbox is empty, moving the clock past each back-off."""
        for _ in range(rounds):
            await self.outbox_worker.drain()
            if not await self.pending():
                return
            self.clock.advance(timedelta(seconds=1))
        raise AssertionError(f"{await self.pending()} notices still pending")

    async def open(self, who: str = "eli", text: str = "My VPN drops", desk: str = "IT",
                   **kwargs: Any) -> Conversation:
        posted = await self.world.run(commands.open_conversation, self.world.people[who],
                                      self.world.desks[desk], text, **kwargs)
        return posted.conversation

    async def conversation(self, ref: int) -> Conversation:
        return await self.world.conversation(ref)

    async def expected_card(self, ref: int) -> dict[str, Any]:
        """The card as cards.slack renders the conversation's state now."""
        return slack_cards.message(await self.world.view(view_queries.ticket_card, ref))

    async def notices(self, kind: str | None = None) -> list[OutboxNotice]:
        return await self.world.notices(kind)

    def posts(self, channel: str, thread_ts: str | None = None) -> list[Call]:
        return [c for c in self.api.calls_to("chat.postMessage", ok=True)
                if c.params["channel"] == channel
                and (thread_ts is None or c.params.get("thread_ts") == thread_ts)]


@pytest.fixture
async def rig(db: Database) -> Rig:
    world = await build_world(db)
    async with FakeSlackApi() as api:
        for user_id, name in PEOPLE.items():
            api.add_user(user_id, name)
        yield Rig(world, api)


def shown(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: its text and its blocks' texts."""
    parts = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str) and node.get("type") in ("mrkdwn",
                                                                          "plain_text"):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def same_message(call: Call, rendered: dict[str, Any]) -> bool:
    return (call.params.get("text") == rendered.get("text")
            and (call.params.get("blocks") or []) == (rendered.get("blocks") or []))


# ---------------------------------------------------------------- the happy paths


async def test_card_is_posted_then_updated_in_place(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    [card] = rig.posts("C_IT")
    ts = card.response["ts"]
    assert same_message(card, await rig.expected_card(conversation.ref))
    assert card.token == TOKEN and rig.teams and set(rig.teams) == {"T1"}
    stored = await rig.conversation(conversation.ref)
    assert (stored.agent_channel, stored.agent_thread) == ("C_IT", ts)

    dana = rig.world.actor("dana")
    await rig.world.run(commands.claim, dana, conversation.ref)
    await rig.world.run(commands.set_priority, dana, conversation.ref, 4)
    await rig.settle()
    assert len(rig.posts("C_IT")) == 1  # never a second card
    updates = [c for c in rig.api.calls_to("chat.update", ok=True) if c.params["ts"] == ts]
    assert updates and all(c.params["channel"] == "C_IT" for c in updates)
    final = await rig.expected_card(conversation.ref)
    assert same_message(updates[-1], final)
    assert rig.api.message("C_IT", ts)["blocks"] == final["blocks"]
    assert "Dana" in shown(rig.api.message("C_IT", ts))


async def test_receipt_opens_the_dm_and_starts_the_requester_thread(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    [opened] = rig.api.calls_to("conversations.open")
    assert opened.params["users"] == "U_ELI"
    [receipt] = rig.posts("DU_ELI")
    assert "thread_ts" not in receipt.params
    assert f"{conversation.ref}" in shown(receipt.params) and "IT" in shown(receipt.params)
    stored = await rig.conversation(conversation.ref)
    assert (stored.requester_channel, stored.requester_thread) == ("DU_ELI",
                                                                   receipt.response["ts"])
    # Later words to the requester go in that thread, without opening the DM again.
    await rig.world.run(commands.claim, rig.world.actor("dana"), conversation.ref)
    await rig.world.run(commands.set_status, rig.world.actor("dana"), conversation.ref,
                        Status.RESOLVED)
    await rig.settle()
    threaded = rig.posts("DU_ELI", thread_ts=receipt.response["ts"])
    assert len(threaded) == 2 and "Dana" in shown(threaded[0].params)
    assert len(rig.api.calls_to("conversations.open")) == 1


async def test_receipt_goes_under_the_employees_own_message(rig: Rig) -> None:
    conversation = await rig.open(requester_channel="D_ELI", requester_thread="1800.000001",
                                  requester_side_id="1800.000001")
    await rig.settle()
    assert rig.api.calls_to("conversations.open") == []
    [receipt] = rig.posts("D_ELI")
    assert receipt.params["thread_ts"] == "1800.000001"
    stored = await rig.conversation(conversation.ref)
    assert (stored.requester_channel, stored.requester_thread) == ("D_ELI", "1800.000001")


async def test_relays_arrive_in_their_threads_in_order(rig: Rig) -> None:
    conversation = await rig.open(requester_channel="D_ELI", requester_thread="1800.000001")
    ref = conversation.ref
    eli, dana = rig.world.people["eli"], rig.world.actor("dana")
    said = []
    for n in range(3):
        said.append(await rig.world.run(commands.requester_message, eli, ref, f"detail {n}"))
    replies = [await rig.world.run(commands.agent_reply, dana, ref, f"answer {n}")
               for n in range(2)]
    await rig.settle()
    card_ts = (await rig.conversation(ref)).agent_thread
    in_card = [c for c in rig.posts("C_IT", thread_ts=card_ts)]
    assert [m for c in in_card for m in re.findall(r"detail \d", _content(c.params))] == [
        "detail 0", "detail 1", "detail 2"]
    to_eli = [c for c in rig.posts("D_ELI", thread_ts="1800.000001")
              if "answer" in shown(c.params)]
    assert [re.findall(r"answer \d", _content(c.params)) for c in to_eli] == [["answer 0"],
                                                                           ["answer 1"]]
    assert all("Dana" in shown(c.params) for c in to_eli)
    async with rig.db.unit_of_work(readonly=True) as uow:
        for posted, call in zip(said, in_card, strict=True):
            message = await uow.session.get(Message, posted.message.id)
            assert message.agent_side_id == call.response["ts"]
        for posted, call in zip(replies, to_eli, strict=True):
            message = await uow.session.get(Message, posted.message.id)
            assert message.requester_side_id == call.response["ts"]


async def test_agents_hear_of_new_requests_and_assignments_with_a_link(rig: Rig) -> None:
    await rig.world.run(commands.set_availability, rig.world.actor("dana"), True)
    conversation = await rig.open()
    await rig.settle()
    [dm] = rig.posts("DU_DANA")
    card_ts = (await rig.conversation(conversation.ref)).agent_thread
    [link_call] = rig.api.calls_to("chat.getPermalink")
    assert link_call.params["message_ts"] == card_ts
    assert link_call.response["permalink"] in str(dm.params)
    await rig.world.run(commands.transfer_to_agent, rig.world.actor("dana"),
                        conversation.ref, rig.world.people["lee"])
    await rig.settle()
    [told] = rig.posts("DU_LEE")
    assert "Dana" in shown(told.params) and str(conversation.ref) in shown(told.params)


async def test_new_request_dm_is_skipped_once_someone_took_it(rig: Rig) -> None:
    await rig.world.run(commands.set_availability, rig.world.actor("lee"), True)
    conversation = await rig.open()
    await rig.world.run(commands.claim, rig.world.actor("dana"), conversation.ref)
    await rig.settle()
    assert rig.posts("DU_LEE") == []
    [notice] = await rig.notices(NoticeKind.AGENT_NEW_REQUEST)
    assert notice.outcome == "delivered"


async def test_a_move_replaces_the_old_card_and_posts_a_new_one(rig: Rig) -> None:
    conversation = await rig.open(text="Payslip is wrong")
    await rig.settle()
    old_ts = rig.posts("C_IT")[0].response["ts"]
    await rig.world.run(commands.transfer_to_desk, rig.world.actor("dana"), conversation.ref,
                        rig.world.desks["HR"])
    await rig.settle()
    old = rig.api.message("C_IT", old_ts)
    assert "HR" in shown(old) and not any(b.get("type") == "actions"
                                          for b in old.get("blocks") or [])
    [new_card] = rig.posts("C_HR")
    stored = await rig.conversation(conversation.ref)
    assert (stored.agent_channel, stored.agent_thread) == ("C_HR", new_card.response["ts"])


async def test_pins_follow_the_card_and_repeats_count_as_done(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    ts = rig.posts("C_IT")[0].response["ts"]
    await rig.client.pins_add(channel="C_IT", timestamp=ts)  # someone pinned it by hand
    await rig.world.run(commands.pin, rig.world.actor("dana"), conversation.ref)
    await rig.world.run(commands.pin, rig.world.actor("lee"), conversation.ref)
    await rig.settle()
    assert [(c.params["timestamp"], c.error) for c in rig.api.calls_to("pins.add")] == [
        (ts, None), (ts, "already_pinned")]  # one notice for two agents' pins
    [pinned] = await rig.notices(NoticeKind.CARD_PIN)
    assert pinned.outcome == "delivered"  # already_pinned is what we wanted
    assert rig.api.pins("C_IT") == [ts]
    await rig.world.run(commands.pin, rig.world.actor("noa"), conversation.ref)
    await rig.world.run(commands.unpin, rig.world.actor("dana"), conversation.ref)
    await rig.world.run(commands.unpin, rig.world.actor("lee"), conversation.ref)
    await rig.settle()
    assert rig.api.calls_to("pins.remove") == []  # Noa still pins it
    await rig.world.run(commands.unpin, rig.world.actor("noa"), conversation.ref)
    await rig.settle()
    assert [c.params["timestamp"] for c in rig.api.calls_to("pins.remove", ok=True)] == [ts]
    assert rig.api.pins("C_IT") == []


async def test_requester_prompts_are_asked_in_the_employees_thread(rig: Rig) -> None:
    async with rig.db.unit_of_work() as uow:
        pending = await intake.hold(uow, rig.world.people["eli"], "my VPN drops",
                                    channel="D_ELI", thread=None, side_id="1800.000007")
        intake.ask_requester(uow, pending, "desk")
        await uow.commit()
    await rig.settle()
    [picker] = rig.posts("D_ELI")
    assert picker.params["thread_ts"] == "1800.000007"
    assert "IT" in shown(picker.params) and "HR" in shown(picker.params)


async def delete_leaving_rows(db: Database, person_id: int) -> None:
    """Delete a person as a hand in the database might, foreign keys unchecked: the
    rows that name them stay (a sqlite3 shell has foreign keys off by default)."""
    if db.is_sqlite:
        import sqlite3

        with sqlite3.connect(db.engine.url.database) as raw:
            raw.execute("DELETE FROM person WHERE id = ?", (person_id,))
        return
    from sqlalchemy import text

    async with db.unit_of_work() as uow:
        await uow.session.execute(text("SET LOCAL session_replication_role = replica"))
        await uow.session.execute(text("DELETE FROM person WHERE id = :id"), {"id": person_id})
        await uow.commit()


@pytest.mark.parametrize("question", ["desk", "add_or_new"])
async def test_a_prompt_to_a_person_who_is_gone_fails_once_as_undeliverable(
        rig: Rig, question: str) -> None:
    await rig.open()  # Eli has a request open: "add_or_new" lists it
    await rig.settle()
    async with rig.db.unit_of_work() as uow:
        pending = await intake.hold(uow, rig.world.people["eli"], "my VPN drops again")
        intake.ask_requester(uow, pending, question)
        await uow.commit()
    await delete_leaving_rows(rig.db, rig.world.people["eli"].id)
    await rig.settle()
    [prompt] = await rig.notices(NoticeKind.REQUESTER_PROMPT)
    assert (prompt.outcome, prompt.attempts) == ("failed", 1)
    assert prompt.last_error == "Undeliverable: the person to ask no longer exists"


# ---------------------------------------------------------------- failures


async def test_an_outage_is_retried_until_slack_answers_again(rig: Rig) -> None:
    async with FakeSlackApi() as gone:
        dead_url = gone.base_url  # nothing listens there once this block ends
    live = rig.client
    rig.client = AsyncWebClient(token=TOKEN, base_url=dead_url)
    conversation = await rig.open()
    await rig.outbox_worker.drain()
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.done_at is None and card_post.attempts == 1
    assert "network" in card_post.last_error
    rig.client = live
    await rig.settle()
    assert (await rig.conversation(conversation.ref)).agent_thread == rig.posts(
        "C_IT")[0].response["ts"]



async def test_429_waits_for_retry_after_then_succeeds(rig: Rig) -> None:
    rig.api.fail_next("chat.postMessage", status=429, retry_after=30)
    conversation = await rig.open()
    start = rig.clock.now()
    await rig.outbox_worker.drain()
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.done_at is None and card_post.attempts == 1
    assert card_post.available_at - start == timedelta(seconds=30)
    assert "ratelimited" in card_post.last_error
    rig.clock.advance(timedelta(seconds=29))
    await rig.outbox_worker.drain()
    assert len(rig.api.calls_to("chat.postMessage")) == 1  # not before Retry-After
    rig.clock.advance(timedelta(seconds=1))
    await rig.settle()
    calls = [c for c in rig.api.calls_to("chat.postMessage") if c.params["channel"] == "C_IT"]
    assert [c.status for c in calls] == [429, 200]
    assert (await rig.conversation(conversation.ref)).agent_thread == calls[1].response["ts"]


async def test_server_errors_are_retried(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    rig.api.fail_next("chat.update", status=500, times=2)
    rig.api.fail_next("chat.update", status=503)
    await rig.world.run(commands.claim, rig.world.actor("dana"), conversation.ref)
    await rig.settle()
    statuses = [c.status for c in rig.api.calls_to("chat.update")]
    assert statuses == [500, 500, 503, 200]
    [update] = [n for n in await rig.notices(NoticeKind.CARD_UPDATE)]
    assert (update.outcome, update.attempts) == ("delivered", 3)


async def test_channel_not_found_marks_the_notice_failed(rig: Rig) -> None:
    rig.api.fail_next("chat.postMessage", "channel_not_found")
    conversation = await rig.open()
    await rig.settle()
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.outcome == "failed" and "channel_not_found" in card_post.last_error
    # No retries for a permanent failure.
    assert len([c for c in rig.api.calls_to("chat.postMessage")
                if c.params["channel"] == "C_IT"]) == 1
    assert (await rig.conversation(conversation.ref)).agent_thread is None
    # The receipt still reached the employee; card updates have no card to update.
    assert len(rig.posts("DU_ELI")) == 1
    await rig.world.run(commands.claim, rig.world.actor("dana"), conversation.ref)
    await rig.settle()
    assert rig.api.calls_to("chat.update") == []


async def test_a_desk_without_agent_channel_says_so(rig: Rig) -> None:
    # A desk with no agent channel takes no requests; one that loses its channel (an
    # admin's --force gives it to another desk) before a waiting card is posted:
    conversation = await rig.open(text="Broken chair")
    async with rig.db.unit_of_work() as uow:
        await desks.set_intake_channel(uow, rig.world.actor("ada"), "HR", "C_IT",
                                       Binding(force=True))
        await uow.commit()
    await rig.settle()
    assert (await rig.conversation(conversation.ref)).agent_thread is None
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.outcome == "failed"
    assert "IT desk has no agent channel" in card_post.last_error


async def test_the_bot_joins_a_channel_it_is_not_in(rig: Rig) -> None:
    rig.api.add_channel("C_IT", member=False)
    conversation = await rig.open()
    await rig.settle()
    methods = [c.method for c in rig.api.calls if c.params.get("channel") == "C_IT"]
    assert methods == ["chat.postMessage", "conversations.join", "chat.postMessage"]
    assert (await rig.conversation(conversation.ref)).agent_thread == rig.posts(
        "C_IT")[0].response["ts"]
    rig.api.add_channel("C_HR", member=False, archived=True)
    await rig.world.run(commands.transfer_to_desk, rig.world.actor("dana"), conversation.ref,
                        rig.world.desks["HR"])
    await rig.settle()
    failed = [n for n in await rig.notices(NoticeKind.CARD_POST) if n.outcome == "failed"]
    assert len(failed) == 1 and "is_archived" in failed[0].last_error


async def test_invalid_blocks_fall_back_to_plain_text(rig: Rig) -> None:
    rig.api.fail_next("chat.postMessage", "invalid_blocks")
    conversation = await rig.open()
    await rig.settle()
    first, second = [c for c in rig.api.calls_to("chat.postMessage")
                     if c.params["channel"] == "C_IT"]
    assert first.error == "invalid_blocks" and second.ok
    assert "blocks" not in second.params and str(conversation.ref) in second.params["text"]
    stored = await rig.conversation(conversation.ref)
    assert stored.agent_thread == second.response["ts"]
    # A relay's fallback carries the raw text, escaped.
    rig.api.fail_next("chat.postMessage", "msg_blocks_too_long")
    await rig.world.run(commands.requester_message, rig.world.people["eli"],
                        conversation.ref, "<!channel> & <https://x|y>")
    await rig.settle()
    [relay] = rig.posts("C_IT", thread_ts=stored.agent_thread)
    assert "blocks" not in relay.params
    assert "&lt;!channel&gt; &amp; &lt;https://x|y&gt;" in relay.params["text"]
    assert "<!channel>" not in relay.params["text"]


async def test_a_100000_character_relay_arrives_whole(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    words = [f"w{n:05d}" for n in range(100_000 // 7)]
    body = " ".join(words)
    assert len(body) >= 99_990
    # The core caps new messages at 40,000 characters; a longer one (an import, another
    # platform's edit) must still reach agents whole, so it is written here directly.
    async with rig.db.unit_of_work() as uow:
        message = Message(conversation_id=conversation.id,
                          author_id=rig.world.people["eli"].id, kind="requester", body=body,
                          created_at=rig.clock.now())
        uow.session.add(message)
        await uow.session.flush()
        write_notice(uow, workspace_id=conversation.workspace_id,
                     conversation_id=conversation.id, kind=NoticeKind.RELAY_TO_AGENTS,
                     payload={"message_id": message.id})
        await uow.commit()
    await rig.settle()
    card_ts = (await rig.conversation(conversation.ref)).agent_thread
    parts = rig.posts("C_IT", thread_ts=card_ts)
    assert len(parts) >= 3
    seen = [w for part in parts for w in re.findall(r"w\d{5}", _content(part.params))]
    assert seen == words
    async with rig.db.unit_of_work(readonly=True) as uow:
        stored = await uow.session.get(Message, message.id)
    assert stored.agent_side_id == parts[0].response["ts"]


def _content(message: dict[str, Any]) -> str:
    """The words of a message once: its blocks' texts, or its text when it has no blocks."""
    return shown({"blocks": message["blocks"]}) if message.get("blocks") else message["text"]


# ---------------------------------------------------------------- chaos


async def test_under_chaos_everything_arrives_in_order_after_recovery(rig: Rig) -> None:
    people = ["eli", "maya", "eli"]
    conversations = [await rig.open(who, f"Problem {n}") for n, who in enumerate(people)]
    await rig.settle()
    rig.api.chaos(0.3, statuses=(500, 429), seed=3, retry_after=0)
    dana, lee = rig.world.actor("dana"), rig.world.actor("lee")
    rng = random.Random(11)
    said: dict[int, list[str]] = {c.ref: [] for c in conversations}
    answered: dict[int, list[str]] = {c.ref: [] for c in conversations}
    for step in range(40):
        conversation = conversations[step % 3]
        ref = conversation.ref
        requester = rig.world.people[people[step % 3]]
        choice = rng.random()
        if choice < 0.4:
            text = f"c{ref} requester says {step}"
            await rig.world.run(commands.requester_message, requester, ref, text)
            said[ref].append(text)
        elif choice < 0.75:
            text = f"c{ref} agent says {step}"
            await rig.world.run(commands.agent_reply, dana if step % 2 else lee, ref, text)
            answered[ref].append(text)
        else:
            current = (await rig.conversation(ref)).priority
            await rig.world.run(commands.set_priority, dana, ref, current % 5 + 1)
        # Deliver as a live outbox worker would, with the clock moving on a little.
        await rig.outbox_worker.drain()
        rig.clock.advance(timedelta(seconds=0.2))
    for conversation in conversations:
        await rig.world.run(commands.set_status, lee, conversation.ref, Status.ON_HOLD)
    failures_during_chaos = sum(1 for c in rig.api.calls if not c.ok)
    rig.api.calm()
    await rig.settle()

    assert failures_during_chaos >= 10  # the chaos did bite
    assert {n.outcome for n in await rig.notices()} <= {"delivered", "coalesced"}
    for conversation in conversations:
        stored = await rig.conversation(conversation.ref)
        card = [c for c in rig.posts("C_IT") if "thread_ts" not in c.params
                and c.response["ts"] == stored.agent_thread]
        assert len(card) == 1
        thread = rig.posts("C_IT", thread_ts=stored.agent_thread)
        relayed = [t for c in thread
                   for t in re.findall(rf"c{stored.ref} requester says \d+",
                                       _content(c.params))]
        assert relayed == said[stored.ref]
        to_requester = rig.posts(stored.requester_channel, thread_ts=stored.requester_thread)
        replies = [t for c in to_requester
                   for t in re.findall(rf"c{stored.ref} agent says \d+",
                                       _content(c.params))]
        assert replies == answered[stored.ref]
        final = await rig.expected_card(stored.ref)
        [last] = [c for c in rig.api.calls_to("chat.update", ok=True)
                  if c.params["ts"] == stored.agent_thread][-1:]
        assert same_message(last, final)
        assert rig.api.message("C_IT", stored.agent_thread)["blocks"] == final["blocks"]


@pytest.mark.parametrize("how", ["drop", "500", "timeout"])
async def test_a_post_slack_took_before_failing_is_not_posted_again(rig: Rig,
                                                                    how: str) -> None:
    """Issue 21 point 2: the card post lands, the client sees a failure; the retry finds
    the card by its metadata (neither it nor slack_sdk's own retry posts a second)."""
    rig.client = AsyncWebClient(token=TOKEN, base_url=rig.api.base_url, timeout=0.5)
    rig.api.accept_then_fail(1.0, how=how, methods=("chat.postMessage",))
    conversation = await rig.open()
    await rig.outbox_worker.drain()
    [first] = rig.api.calls_to("chat.postMessage")
    assert first.accepted
    rig.api.calm()
    await rig.settle()
    marker = first.params["metadata"]
    again = [c for c in rig.api.calls_to("chat.postMessage") if c.params["metadata"] == marker]
    assert again == [first]
    assert rig.api.calls_to("conversations.history", ok=True)
    [card] = [m for m in rig.api.top_level("C_IT") if m["metadata"] == marker]
    stored = await rig.conversation(conversation.ref)
    assert stored.agent_thread == card["ts"]
