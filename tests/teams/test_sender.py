"""The Teams sender behind the real outbox worker, against the fake Bot Framework connector.

Core commands write the notices; the real outbox worker delivers them through the real
TeamsSender and botbuilder's ConnectorClient over loopback; assertions are on what the
fake connector recorded or now holds, and on the links stored back. Both databases.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from bot.teams.addresses import Addresses
from bot.teams.send_pace import SendLimiter
from bot.teams.sender import TeamsSender
from cards import teams as teams_cards
from conversations import commands, intake, view_queries
from conversations.outbox_worker import OutboxWorker, RetryLater
from desks import service as desks
from desks.notices import NoticeKind
from desks.people import ensure_person, ensure_workspace
from desks.permissions import Actor, Role, resolve_actor
from storage.database import Database
from storage.journal import write_notice
from storage.models import Conversation, Desk, Message, OutboxNotice, Person, Workspace
from tests.fakes.bot_connector import THREAD, Call, FakeBotConnector
from tests.fakes.teams_activities import TeamsActivities
from tests.integration.world import World


class Rig:
    """A Teams helpdesk (tenant, people, IT and HR desks on two channels), the fake
    connector, and the outbox worker with the Teams sender."""

    def __init__(self, db: Database, connector: FakeBotConnector) -> None:
        self.db = db
        self.clock = db.clock
        self.connector = connector
        self.teams = TeamsActivities.for_connector(connector)
        self.addresses = Addresses(db)
        self.service_urls: list[str] = []
        self.service_url = connector.base_url
        # Send limits on the database's frozen clock; never sleep, always hand back.
        self.limiter = SendLimiter(clock=lambda: self.clock.now().timestamp(), max_wait=0)
        self.sender = TeamsSender(db, self.connector_for, self.addresses,
                                  bot_id_fallback=connector.bot["id"], limiter=self.limiter)
        self.outbox_worker = OutboxWorker(db, self.sender, base_backoff=0.01, max_backoff=0.05,
                                     max_attempts=30, jitter=random.Random(0))
        self.people: dict[str, Person] = {}
        self.fake: dict[str, Any] = {}

    async def connector_for(self, service_url: str) -> ConnectorClient:
        self.service_urls.append(service_url)
        return ConnectorClient(MicrosoftAppCredentials(None, None), base_url=self.service_url)

    async def seed(self) -> None:
        connector = self.connector
        team = connector.add_team(name="Helpdesk")
        self.it = connector.add_channel(team, name="IT agents")
        self.hr = connector.add_channel(team, name="HR agents")
        for key, name in [("ada", "Ada Admin"), ("dana", "Dana Levi"), ("lee", "Lee Paz"),
                          ("omer", "Omer Tal"), ("eli", "Eli Cohen"), ("maya", "Maya Bar")]:
            self.fake[key] = connector.add_person(f"aad-{key}", name)
        async with self.db.unit_of_work() as uow:
            self.workspace = await ensure_workspace(uow, "teams", connector.tenant_id, "Contoso")
            for key, person in self.fake.items():
                self.people[key] = await ensure_person(uow, self.workspace, person.user_id,
                                                       person.name)
            await uow.commit()
        admin = self.actor("ada")
        async with self.db.unit_of_work() as uow:
            self.desks = {
                "IT": await desks.create_desk(uow, admin, "IT", agent_channel=self.it.channel_id),
                "HR": await desks.create_desk(uow, admin, "HR", agent_channel=self.hr.channel_id)}
            await desks.add_members(uow, admin, "IT", [self.people["dana"], self.people["lee"]],
                                    Role.AGENT)
            await desks.add_members(uow, admin, "HR", [self.people["omer"]], Role.AGENT)
            await uow.commit()
        self.world = World(self.db, self.workspace, self.people, self.desks)
        # What the inbound side would have noted: the app installed in the team, a post
        # in each agents' channel, and the employees' personal chats.
        await self.addresses.note(self.teams.bot_installed_team(self.fake["ada"], team_id=team))
        for channel in (self.it, self.hr):
            await self.addresses.note(self.teams.channel_message(self.fake["dana"], "hi",
                                                                 channel=channel))
        for key in ("eli", "maya"):
            await self.addresses.note(self.teams.personal_message(self.fake[key], "hello"))

    def actor(self, key: str) -> Actor:
        return resolve_actor(self.people[key], self.workspace,
                             extra_admins={f"teams:{self.fake['ada'].user_id}"})

    def chat(self, key: str) -> str:
        return self.connector.personal_conversation(self.fake[key]).id

    async def run(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.world.run(command, *args, **kwargs)

    async def open(self, who: str = "eli", text: str = "My VPN drops", desk: str = "IT",
                   **kwargs: Any) -> Conversation:
        kwargs.setdefault("requester_channel", self.chat(who))
        posted = await self.run(commands.open_conversation, self.people[who], self.desks[desk],
                                text, **kwargs)
        return posted.conversation

    async def conversation(self, ref: int) -> Conversation:
        return await self.world.conversation(ref)

    async def expected_card(self, ref: int) -> dict[str, Any]:
        return teams_cards.card(await self.world.view(view_queries.ticket_card, ref))

    async def notices(self, kind: str | None = None) -> list[OutboxNotice]:
        return await self.world.notices(kind)

    async def pending(self) -> int:
        return len([n for n in await self.notices() if n.done_at is None])

    async def settle(self, rounds: int = 100) -> None:
        """Deliver until the outbox is empty, moving the clock past each back-off."""
        for _ in range(rounds):
            await self.outbox_worker.drain()
            if not await self.pending():
                return
            self.clock.advance(timedelta(seconds=1))
        raise AssertionError(f"{await self.pending()} notices still pending")

    def sends_to(self, conversation_id: str) -> list[Call]:
        return [c for c in self.connector.calls_to("send", ok=True)
                if c.conversation_id == conversation_id]


@pytest.fixture
async def rig(db: Database) -> Rig:
    async with FakeBotConnector() as connector:
        rig = Rig(db, connector)
        await rig.seed()
        yield rig


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == teams_cards.CONTENT_TYPE
    return attachment["content"]


def texts(node: Any) -> str:
    """Every `text` of a card, joined: what a person reads."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return "\n".join(own + [texts(v) for v in node.values()])
    if isinstance(node, list):
        return "\n".join(texts(item) for item in node)
    return ""


# ---------------------------------------------------------------- the happy paths


async def test_card_post_starts_a_thread_and_updates_edit_it_in_place(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    [created] = rig.connector.calls_to("create_conversation", ok=True)
    assert created.body["channelData"] == {"channel": {"id": rig.it.channel_id}}
    assert created.body["isGroup"] is True
    assert created.body["tenantID"] == rig.connector.tenant_id
    root = created.response["activityId"]
    stored = await rig.conversation(conversation.ref)
    assert (stored.agent_channel, stored.agent_thread) == (rig.it.channel_id, root)
    [top] = rig.connector.top_level(rig.it.channel_id)
    assert top["id"] == root
    assert card_of(top) == await rig.expected_card(conversation.ref)
    assert set(rig.service_urls) == {rig.connector.base_url}

    await rig.run(commands.claim, rig.actor("dana"), conversation.ref)
    await rig.run(commands.set_priority, rig.actor("dana"), conversation.ref, 4)
    await rig.settle()
    assert len(rig.connector.calls_to("create_conversation")) == 1  # never a second card
    updates = rig.connector.calls_to("update", ok=True)
    assert updates and {(c.conversation_id, c.activity_id) for c in updates} == {
        (f"{rig.it.channel_id}{THREAD}{root}", root)}
    final = await rig.expected_card(conversation.ref)
    assert card_of(rig.connector.activity(rig.it.channel_id, root)) == final
    assert "Dana" in json.dumps(final)


async def test_a_card_post_delivered_again_updates_instead_of_reposting(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    async with rig.db.unit_of_work() as uow:  # as if the first delivery was not recorded
        write_notice(uow, workspace_id=conversation.workspace_id,
                     conversation_id=conversation.id, kind=NoticeKind.CARD_POST, payload={})
        await uow.commit()
    await rig.settle()
    assert len(rig.connector.calls_to("create_conversation")) == 1
    assert len(rig.connector.calls_to("update", ok=True)) == 1


async def test_relays_land_in_the_card_thread_and_the_personal_chat(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    ref, root = conversation.ref, (await rig.conversation(conversation.ref)).agent_thread
    said = [await rig.run(commands.requester_message, rig.people["eli"], ref, f"detail {n}")
            for n in range(2)]
    answer = await rig.run(commands.agent_reply, rig.actor("dana"), ref, "try reconnecting")
    await rig.settle()

    thread = rig.connector.thread(rig.it.channel_id, root)
    assert [("detail 0" in texts(a), "detail 1" in texts(a)) for a in thread] == [
        (True, False), (False, True)]
    to_eli = [a for a in rig.connector.activities_in(rig.chat("eli"))
              if "try reconnecting" in texts(a)]
    assert len(to_eli) == 1 and "Dana" in texts(to_eli[0])
    async with rig.db.unit_of_work(readonly=True) as uow:
        for posted, activity in zip(said, thread, strict=True):
            message = await uow.session.get(Message, posted.message.id)
            assert message.agent_side_id == activity["id"]
        message = await uow.session.get(Message, answer.message.id)
        assert message.requester_side_id == to_eli[0]["id"]


async def test_receipt_and_updates_go_to_the_requesters_chat(rig: Rig) -> None:
    conversation = await rig.open(requester_side_id="1767765488332")
    await rig.settle()
    chat = rig.chat("eli")
    [receipt] = rig.sends_to(chat)
    assert str(conversation.ref) in texts(receipt.body) and "IT" in texts(receipt.body)
    stored = await rig.conversation(conversation.ref)
    assert stored.requester_channel == chat
    await rig.run(commands.claim, rig.actor("dana"), conversation.ref)
    await rig.settle()
    assert len(rig.sends_to(chat)) == 2 and "Dana" in texts(rig.sends_to(chat)[1].body)
    assert rig.connector.calls_to("create_conversation", ok=True)[1:] == []  # chat known


async def test_a_requester_without_a_known_chat_gets_one_and_it_is_stored(rig: Rig) -> None:
    conversation = await rig.open(who="maya", requester_channel=None)
    await rig.settle()
    stored = await rig.conversation(conversation.ref)
    assert stored.requester_channel == rig.chat("maya")  # her chat, from the addresses
    assert len(rig.sends_to(rig.chat("maya"))) == 1


async def test_an_agent_without_a_chat_gets_one_created_once(rig: Rig) -> None:
    await rig.run(commands.set_availability, rig.actor("lee"), True)
    first = await rig.open()
    await rig.settle()
    chats = [c for c in rig.connector.calls_to("create_conversation", ok=True)
             if "members" in c.body]
    [created] = chats
    assert created.body["members"] == [{"id": rig.fake["lee"].user_id}]
    assert created.body["tenantID"] == rig.connector.tenant_id
    assert created.body["channelData"] == {"tenant": {"id": rig.connector.tenant_id}}
    assert created.body["bot"]["id"] == rig.connector.bot["id"]
    [dm] = rig.sends_to(rig.chat("lee"))
    assert str(first.ref) in texts(dm.body)
    root = (await rig.conversation(first.ref)).agent_thread
    assert "/l/message/" in json.dumps(dm.body) and root in json.dumps(dm.body)
    await rig.open(text="Printer jam")
    await rig.settle()
    assert len(rig.sends_to(rig.chat("lee"))) == 2
    assert len([c for c in rig.connector.calls_to("create_conversation")
                if "members" in c.body]) == 1  # remembered in the addresses


async def test_requester_prompt_asks_in_the_employees_chat(rig: Rig) -> None:
    async with rig.db.unit_of_work() as uow:
        pending = await intake.hold(uow, rig.people["eli"], "my VPN drops",
                                    channel=rig.chat("eli"), side_id="1767765488332")
        intake.ask_requester(uow, pending, "desk")
        await uow.commit()
    await rig.settle()
    [picker] = rig.sends_to(rig.chat("eli"))
    assert "IT" in json.dumps(picker.body) and "HR" in json.dumps(picker.body)


@pytest.mark.parametrize("question", ["desk", "add_or_new"])
async def test_a_prompt_to_a_person_who_is_gone_fails_once_as_undeliverable(
        rig: Rig, question: str) -> None:
    from tests.slack.test_sender import delete_leaving_rows

    await rig.open()  # Eli has a request open: "add_or_new" lists it
    await rig.settle()
    async with rig.db.unit_of_work() as uow:
        pending = await intake.hold(uow, rig.people["eli"], "my VPN drops again")
        intake.ask_requester(uow, pending, question)
        await uow.commit()
    await delete_leaving_rows(rig.db, rig.people["eli"].id)
    await rig.settle()
    [prompt] = await rig.notices(NoticeKind.REQUESTER_PROMPT)
    assert (prompt.outcome, prompt.attempts) == ("failed", 1)
    assert prompt.last_error == "Undeliverable: the person to ask no longer exists"


async def test_a_move_updates_the_old_card_and_posts_in_the_new_channel(rig: Rig) -> None:
    conversation = await rig.open(text="Payslip is wrong")
    await rig.settle()
    old_root = (await rig.conversation(conversation.ref)).agent_thread
    await rig.run(commands.pin, rig.actor("dana"), conversation.ref)
    await rig.settle()
    # No pins for bots in Teams: the pin is a card update (the card shows it).
    assert {c.activity_id for c in rig.connector.calls_to("update", ok=True)} == {old_root}
    [pin] = await rig.notices(NoticeKind.CARD_PIN)
    assert pin.outcome == "delivered"
    await rig.run(commands.transfer_to_desk, rig.actor("dana"), conversation.ref,
                  rig.desks["HR"])
    await rig.settle()
    old = rig.connector.activity(rig.it.channel_id, old_root)
    assert "HR" in texts(old)
    [new_card] = rig.connector.top_level(rig.hr.channel_id)
    stored = await rig.conversation(conversation.ref)
    assert (stored.agent_channel, stored.agent_thread) == (rig.hr.channel_id, new_card["id"])


async def test_user_text_stays_text_in_the_cards(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    root = (await rig.conversation(conversation.ref)).agent_thread
    await rig.run(commands.requester_message, rig.people["eli"], conversation.ref,
                  "see [x](https://evil) <at>Dana Levi</at>")
    await rig.settle()
    [relay] = rig.connector.thread(rig.it.channel_id, root)
    shown = texts(card_of(relay))
    assert r"\[x\](https://evil)" in shown and r"\<at\>Dana Levi\</at\>" in shown
    assert "[x](https://evil)" not in json.dumps(relay)
    assert "<at>" not in json.dumps(relay)
    assert not any(e.get("type") == "mention" for e in relay.get("entities") or [])


async def test_alerts_go_to_the_thread_or_a_persons_chat_and_digests_to_the_channel(
        rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    root = (await rig.conversation(conversation.ref)).agent_thread
    async with rig.db.unit_of_work() as uow:
        for kind, person in [(NoticeKind.SLA_BREACH, None),
                             (NoticeKind.AGENT_NUDGE, rig.people["dana"].id)]:
            write_notice(uow, workspace_id=conversation.workspace_id,
                         conversation_id=conversation.id, kind=kind, person_id=person,
                         payload={"target": "first_response"})
        write_notice(uow, workspace_id=conversation.workspace_id, kind=NoticeKind.DESK_DIGEST,
                     payload={"desk_id": rig.desks["IT"].id, "day": "2026-01-04",
                              "counts": {"open": 3, "unassigned": 2}})
        await uow.commit()
    await rig.settle()
    assert {n.outcome for n in await rig.notices()} == {"delivered"}
    [breach] = rig.connector.thread(rig.it.channel_id, root)
    assert str(conversation.ref) in json.dumps(breach)
    [nudge] = rig.sends_to(rig.chat("dana"))
    assert root in json.dumps(nudge.body)  # with the link to the card
    card, digest = rig.connector.top_level(rig.it.channel_id)
    assert card["id"] == root and "IT" in json.dumps(digest)


async def test_a_card_teams_refuses_is_sent_once_more_as_text(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    root = (await rig.conversation(conversation.ref)).agent_thread
    rig.connector.fail_next("send", 413, code="MessageSizeTooBig")
    await rig.run(commands.requester_message, rig.people["eli"], conversation.ref,
                  "a [link](https://evil) too far")
    await rig.settle()
    [relay] = rig.connector.thread(rig.it.channel_id, root)
    assert relay["attachments"] == [] and r"\[link\](https://evil)" in relay["text"]
    assert "Eli" in relay["text"] and "shown as text" in relay["text"]


# ---------------------------------------------------------------- failures


async def test_429_waits_for_retry_after_then_succeeds(rig: Rig) -> None:
    rig.connector.fail_next("create_conversation", 429, retry_after=30)
    conversation = await rig.open()
    start = rig.clock.now()
    await rig.outbox_worker.drain()
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.done_at is None and card_post.attempts == 1
    assert card_post.available_at - start == timedelta(seconds=30)
    assert "429" in card_post.last_error
    rig.clock.advance(timedelta(seconds=29))
    await rig.outbox_worker.drain()
    assert len(rig.connector.calls_to("create_conversation")) == 1  # not before Retry-After
    rig.clock.advance(timedelta(seconds=1))
    await rig.settle()
    calls = rig.connector.calls_to("create_conversation")
    assert [c.status for c in calls] == [429, 200]
    assert (await rig.conversation(conversation.ref)).agent_thread == calls[1].activity_id


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_statuses_are_retried(rig: Rig, status: int) -> None:
    conversation = await rig.open()
    await rig.settle()
    rig.connector.fail_next("update", status, times=2)
    await rig.run(commands.claim, rig.actor("dana"), conversation.ref)
    await rig.settle()
    assert [c.status for c in rig.connector.calls_to("update")] == [status, status, 200]
    [update] = await rig.notices(NoticeKind.CARD_UPDATE)
    assert (update.outcome, update.attempts) == ("delivered", 2)


async def test_msrest_does_not_retry_a_throttled_update_itself(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    rig.connector.fail_next("update", 429, retry_after=0)
    await rig.run(commands.claim, rig.actor("dana"), conversation.ref)
    await rig.outbox_worker.drain()
    assert [c.status for c in rig.connector.calls_to("update")] == [429]
    [update] = await rig.notices(NoticeKind.CARD_UPDATE)
    assert update.done_at is None and update.attempts == 1  # the outbox retries it


@pytest.mark.parametrize("status", [403, 404])
async def test_a_gone_bot_or_conversation_fails_the_notice(rig: Rig, status: int) -> None:
    rig.connector.fail_next("create_conversation", status)
    conversation = await rig.open()
    await rig.settle()
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.outcome == "failed" and f"HTTP {status}" in card_post.last_error
    assert len(rig.connector.calls_to("create_conversation")) == 1  # no retries
    assert (await rig.conversation(conversation.ref)).agent_thread is None
    assert len(rig.sends_to(rig.chat("eli"))) == 1  # the receipt still went


async def test_an_outage_is_retried_until_the_connector_answers(rig: Rig) -> None:
    async with FakeBotConnector() as gone:
        dead = gone.base_url  # nothing listens there once this block ends
    rig.service_url = dead
    conversation = await rig.open()
    await rig.outbox_worker.drain()
    [card_post] = await rig.notices(NoticeKind.CARD_POST)
    assert card_post.done_at is None and "network" in card_post.last_error
    rig.service_url = rig.connector.base_url
    await rig.settle()
    assert (await rig.conversation(conversation.ref)).agent_thread is not None


async def test_a_tenant_deskbot_never_heard_from_is_undeliverable(rig: Rig) -> None:
    async with rig.db.unit_of_work() as uow:
        other = await ensure_workspace(uow, "teams", "tenant-unknown", "Elsewhere")
        person = await ensure_person(uow, other, "29:someone", "Someone")
        pending = await intake.hold(uow, person, "help", channel="a:nowhere")
        intake.ask_requester(uow, pending, "desk")
        await uow.commit()
    await rig.settle()
    [prompt] = await rig.notices(NoticeKind.REQUESTER_PROMPT)
    assert prompt.outcome == "failed" and "no address in Teams tenant" in prompt.last_error
    assert rig.connector.calls == []


async def test_a_split_relay_resumes_after_the_parts_already_sent(rig: Rig) -> None:
    conversation = await rig.open()
    await rig.settle()
    root = (await rig.conversation(conversation.ref)).agent_thread
    words = [f"w{n:05d}" for n in range(60_000 // 7)]
    async with rig.db.unit_of_work() as uow:
        message = Message(conversation_id=conversation.id, author_id=rig.people["eli"].id,
                          kind="requester", body=" ".join(words), created_at=rig.clock.now())
        uow.session.add(message)
        await uow.session.flush()
        write_notice(uow, workspace_id=conversation.workspace_id,
                     conversation_id=conversation.id, kind=NoticeKind.RELAY_TO_AGENTS,
                     payload={"message_id": message.id})
        await uow.commit()
    thread_id = f"{rig.it.channel_id}{THREAD}{root}"
    rig.connector.fail_next(f"POST /v3/conversations/{thread_id}/activities", 502)
    calls_before = len(rig.connector.calls_to("send"))
    await rig.settle()
    parts = rig.connector.thread(rig.it.channel_id, root)
    assert len(parts) >= 3
    assert [c.status for c in rig.connector.calls_to("send")[calls_before:]].count(502) == 1
    seen = [w for part in parts for w in texts(card_of(part)).split() if w.startswith("w")]
    assert [w for w in seen if len(w) == 6 and w[1:].isdigit()] == words
    async with rig.db.unit_of_work(readonly=True) as uow:
        assert (await uow.session.get(Message, message.id)).agent_side_id == parts[0]["id"]


# ---------------------------------------------------------------- send limits


async def test_the_eighth_send_in_a_second_waits_but_other_threads_do_not(rig: Rig) -> None:
    first, second = await rig.open(), await rig.open(who="maya", text="Printer")
    await rig.settle()
    roots = [(await rig.conversation(c.ref)).agent_thread for c in (first, second)]
    for n in range(8):
        await rig.run(commands.requester_message, rig.people["eli"], first.ref, f"a{n}")
    await rig.run(commands.requester_message, rig.people["maya"], second.ref, "b0")
    start = rig.clock.now()
    await rig.outbox_worker.drain()
    assert len(rig.connector.thread(rig.it.channel_id, roots[0])) == 7
    assert len(rig.connector.thread(rig.it.channel_id, roots[1])) == 1
    waiting = [n for n in await rig.notices(NoticeKind.RELAY_TO_AGENTS) if n.done_at is None]
    [eighth] = waiting
    assert "send limit" in eighth.last_error
    assert eighth.available_at - start == timedelta(seconds=1)  # when the window frees
    rig.clock.advance(timedelta(seconds=1))
    await rig.outbox_worker.drain()
    assert len(rig.connector.thread(rig.it.channel_id, roots[0])) == 8


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_limiter_windows_per_conversation() -> None:
    clock = FakeMonotonic()
    limiter = SendLimiter(clock=clock, sleep=clock.sleep, max_wait=0)
    for _ in range(7):
        await limiter.acquire("a")
    clock.now += 0.25
    with pytest.raises(RetryLater) as refused:
        await limiter.acquire("a")
    assert refused.value.retry_after == pytest.approx(0.75)
    await limiter.acquire("b")  # another conversation has its own windows
    clock.now += 0.75
    await limiter.acquire("a")  # the 8th, in a fresh second but within 2 s
    with pytest.raises(RetryLater) as two_seconds:
        await limiter.acquire("a")
    assert two_seconds.value.retry_after == pytest.approx(1.0)  # 8 per 2 s


async def test_limiter_caps_thirty_seconds_and_waits_briefly_when_allowed() -> None:
    clock = FakeMonotonic()
    limiter = SendLimiter(clock=clock, sleep=clock.sleep, max_wait=1.0)
    for _ in range(60):
        await limiter.acquire("a")  # short waits keep it inside 7/1 s and 8/2 s
    assert clock.slept and all(s <= 1.0 for s in clock.slept)
    elapsed = clock.now - 1000.0
    with pytest.raises(RetryLater) as refused:
        await limiter.acquire("a")
    assert refused.value.retry_after == pytest.approx(30.0 - elapsed)


async def test_limiter_forgets_quiet_conversations() -> None:
    clock = FakeMonotonic()
    limiter = SendLimiter(clock=clock, max_wait=0)
    await limiter.acquire("quiet")
    clock.now += 3600.5
    for n in range(1000):
        limiter.reserve(f"busy{n}")
    assert "quiet" not in limiter._sent


async def test_workspaces_of_other_platforms_are_refused(rig: Rig) -> None:
    async with rig.db.unit_of_work() as uow:
        slack = await ensure_workspace(uow, "slack", "T1", "Acme")
        await uow.commit()
    from conversations.outbox_worker import Notice, Undeliverable

    with pytest.raises(Undeliverable, match="slack"):
        await rig.sender.deliver(Notice(1, slack.id, NoticeKind.CARD_POST, None, None, {}, 0))
    async with rig.db.unit_of_work(readonly=True) as uow:
        assert await uow.session.get(Workspace, slack.id) is not None


async def test_every_activity_sent_for_a_notice_is_marked_with_it(rig: Rig) -> None:
    """Issue 21 point 2: a send names its notice and part in channelData, so a repeat can
    be recognised (the connector gives a bot no history to check before a retry)."""
    conversation = await rig.open()
    await rig.settle()
    ref, root = conversation.ref, (await rig.conversation(conversation.ref)).agent_thread
    for n in range(2):
        await rig.run(commands.requester_message, rig.people["eli"], ref, f"detail {n}")
    await rig.settle()

    # The card as it was posted (a card update replaces the activity, marker and all).
    card = rig.connector.calls_to("create_conversation", ok=True)[0].body["activity"]
    thread = rig.connector.thread(rig.it.channel_id, root)
    markers = [(a.get("channelData") or {}) for a in [card, *thread]]
    assert all(isinstance(m.get("deskbotNotice"), int) and m.get("part") == 0
               for m in markers), markers
    assert len({m["deskbotNotice"] for m in markers}) == 3
    async with rig.db.unit_of_work(readonly=True) as uow:
        kinds = {m["deskbotNotice"]: (await uow.session.get(OutboxNotice,
                                                             m["deskbotNotice"])).kind
                 for m in markers}
    assert sorted(kinds.values()) == sorted([NoticeKind.CARD_POST,
                                             NoticeKind.RELAY_TO_AGENTS,
                                             NoticeKind.RELAY_TO_AGENTS])


async def test_the_text_fallback_says_its_note_in_the_desk_s_language(rig: Rig) -> None:
    async with rig.db.unit_of_work() as uow:
        desk = await uow.session.get(Desk, rig.desks["IT"].id)
        assert desk is not None
        desk.language = "he"
        await uow.commit()
    conversation = await rig.open()
    await rig.settle()
    root = (await rig.conversation(conversation.ref)).agent_thread
    rig.connector.fail_next("send", 413, code="MessageSizeTooBig")
    await rig.run(commands.requester_message, rig.people["eli"], conversation.ref, "hello")
    await rig.settle()
    [relay] = rig.connector.thread(rig.it.channel_id, root)
    assert relay["text"].endswith("(מוצג כטקסט: לא הצלחנו לשלוח את הכרטיס)")
    assert "shown as text" not in relay["text"]
