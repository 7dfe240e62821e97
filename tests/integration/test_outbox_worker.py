"""The outbox worker: order per key, wake-ups, retries, failures, coalescing, links,
restarts, a kill mid-batch and two replicas on one database. Runs on SQLite, and on
PostgreSQL when DESKBOT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import storage.outbox as outbox
from conversations.outbox_worker import (
    Delivery,
    Notice,
    OutboxWorker,
    RecordingSender,
    RetryLater,
    Undeliverable,
    default_owner,
)
from desks.notices import ALSO, CARD_FIRST, TOLD, NoticeKind
from storage.clock import FrozenClock
from storage.database import Database
from storage.journal import write_notice
from storage.models import Conversation, Desk, Message, OutboxNotice, Person, Workspace

RELAY = NoticeKind.RELAY_TO_AGENTS.value
UPDATE = NoticeKind.CARD_UPDATE.value
LEASE = timedelta(seconds=60)
ROOT = Path(__file__).resolve().parents[2]


class FixedJitter(random.Random):
    """Jitter that always picks the same point of the back-off range."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


# ---------------------------------------------------------------- seeding


class Seed:
    """A workspace with one desk and one requester, and conversations on demand."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.workspace_id = 0
        self.person_id = 0
        self.desk_id = 0
        self.refs = 1000

    async def setup(self) -> Seed:
        now = self.db.clock.now()
        async with self.db.unit_of_work() as uow:
            workspace = Workspace(platform="slack", external_id="T1", created_at=now)
            uow.session.add(workspace)
            await uow.session.flush()
            person = Person(workspace_id=workspace.id, external_id="U1", display_name="Eli",
                            created_at=now, updated_at=now)
            desk = Desk(workspace_id=workspace.id, name="IT", slug="it", created_at=now)
            uow.session.add_all([person, desk])
            await uow.commit()
        self.workspace_id, self.person_id, self.desk_id = workspace.id, person.id, desk.id
        return self

    async def conversations(self, n: int) -> list[int]:
        now = self.db.clock.now()
        async with self.db.unit_of_work() as uow:
            made = []
            for _ in range(n):
                self.refs += 1
                made.append(Conversation(
                    workspace_id=self.workspace_id, ref=self.refs, desk_id=self.desk_id,
                    requester_id=self.person_id, subject=f"Request {self.refs}",
                    opened_at=now, updated_at=now, last_requester_message_at=now))
            uow.session.add_all(made)
            await uow.commit()
        return [c.id for c in made]

    async def message(self, conversation_id: int) -> int:
        async with self.db.unit_of_work() as uow:
            message = Message(conversation_id=conversation_id, author_id=self.person_id,
                              kind="requester", body="hello", created_at=self.db.clock.now())
            uow.session.add(message)
            await uow.commit()
        return message.id

    async def notices(self, specs: Iterable[tuple[int | None, str]], *,
                      delay: timedelta | None = None, ordering_key: str | None = None,
                      payload: dict[str, Any] | None = None) -> list[int]:
        """Write one notice per (conversation id, kind), in order, in one transaction."""
        async with self.db.unit_of_work() as uow:
            rows = [write_notice(uow, workspace_id=self.workspace_id, kind=kind,
                                 conversation_id=conversation_id,
                                 person_id=None if conversation_id else self.person_id,
                                 payload=payload, delay=delay, ordering_key=ordering_key)
                    for conversation_id, kind in specs]
            await uow.commit()
        return [row.id for row in rows]


@pytest.fixture
async def seed(db: Database) -> Seed:
    return await Seed(db).setup()


async def rows(db: Database) -> dict[int, OutboxNotice]:
    async with db.unit_of_work(readonly=True) as uow:
        found = (await uow.session.execute(select(OutboxNotice))).scalars().all()
    return {row.id: row for row in found}


def outbox_worker(db: Database, sender: RecordingSender, **kwargs: Any) -> OutboxWorker:
    kwargs.setdefault("jitter", FixedJitter(1.0))
    kwargs.setdefault("poll_interval", 3600.0)  # nothing in these tests waits for a poll
    return OutboxWorker(db, sender, **kwargs)


def assert_ordered_per_key(delivered: list[Notice]) -> None:
    seen: dict[str, list[int]] = defaultdict(list)
    for notice in delivered:
        seen[notice.ordering_key].append(notice.id)
    for key, ids in seen.items():
        assert ids == sorted(ids), f"{key} delivered out of order: {ids}"


async def until(sender: RecordingSender, predicate: Any, seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        await sender.until(predicate)


# ---------------------------------------------------------------- order and wake-ups


async def test_delivers_everything_in_order_per_conversation(db: Database, seed: Seed):
    a, b, c = await seed.conversations(3)
    ids = await seed.notices([(a, RELAY), (b, RELAY), (a, RELAY), (c, RELAY), (b, RELAY),
                              (a, RELAY), (None, NoticeKind.AGENT_ASSIGNED.value)])
    sender = RecordingSender()
    # Small batches, so the rows take several rounds.
    finished = await outbox_worker(db, sender, batch_keys=2, per_key=2).drain()

    assert finished == 7
    assert sorted(sender.delivered_ids) == ids
    assert_ordered_per_key(sender.delivered)
    assert {n.ordering_key for n in sender.delivered} == {
        f"conversation:{a}", f"conversation:{b}", f"conversation:{c}",
        f"person:{seed.person_id}"}
    stored = await rows(db)
    assert all(r.outcome == "delivered" and r.done_at == db.clock.now()
               and r.lease_owner is None and r.lease_until is None
               for r in stored.values())
    assert await outbox_worker(db, sender).drain() == 0  # nothing is delivered twice
    assert len(sender.delivered) == 7


async def test_a_commit_wakes_the_started_outbox_worker(db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    sender = RecordingSender()
    d = outbox_worker(db, sender)  # polls only once an hour
    db.on_after_commit(d.wake)
    await d.start()
    try:
        async with asyncio.timeout(10):
            await d.idle.wait()  # nothing to do: only a wake-up can start the next round
        ids = await seed.notices([(a, RELAY), (a, UPDATE)])
        await until(sender, lambda: len(sender.delivered) == 2, seconds=10)
        async with asyncio.timeout(10):
            await d.idle.wait()
        more = await seed.notices([(a, RELAY)])
        await until(sender, lambda: len(sender.delivered) == 3, seconds=10)
    finally:
        await d.stop()
    assert sender.delivered_ids == ids + more
    assert not d.idle.is_set()


async def test_the_timer_finds_rows_nobody_woke_it_for(db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    sender = RecordingSender()
    d = outbox_worker(db, sender, poll_interval=0.05)  # no on_after_commit hook this time
    await d.start()
    try:
        async with asyncio.timeout(10):
            await d.idle.wait()
        ids = await seed.notices([(a, RELAY)])
        await until(sender, lambda: len(sender.delivered) == 1, seconds=10)
    finally:
        await d.stop()
    assert sender.delivered_ids == ids


async def test_the_loop_survives_a_failed_round(db: Database, seed: Seed, caplog):
    [a] = await seed.conversations(1)
    ids = await seed.notices([(a, RELAY)])
    failed = asyncio.Event()

    def fail_once(_uow: Any) -> None:
        if not failed.is_set():
            failed.set()
            raise ConnectionError("database went away")

    remove = db.on_before_commit(fail_once)
    sender = RecordingSender()
    d = outbox_worker(db, sender)
    await d.start()
    try:
        async with asyncio.timeout(10):
            await failed.wait()
        remove()
        d.wake()
        await until(sender, lambda: len(sender.delivered) == 1, seconds=10)
    finally:
        await d.stop()
    assert sender.delivered_ids == ids
    assert "outbox round failed" in caplog.text


# ---------------------------------------------------------------- failures


async def test_transient_failure_is_retried_after_the_back_off(db: Database, seed: Seed,
                                                                clock: FrozenClock):
    [a] = await seed.conversations(1)
    first, second = await seed.notices([(a, RELAY), (a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(first, RetryLater("HTTP 503"), ConnectionResetError("connection reset"))
    d = outbox_worker(db, sender, base_backoff=2.0, jitter=FixedJitter(0.5))

    assert await d.drain() == 0
    row = (await rows(db))[first]
    # attempt 1: between half and all of 2 s; this jitter picks the middle
    assert row.attempts == 1 and row.available_at == clock.now() + timedelta(seconds=1.5)
    assert row.outcome is None and row.lease_owner is None and "HTTP 503" in row.last_error
    assert (await rows(db))[second].lease_owner is None  # released, not stuck leased

    clock.advance(seconds=1.4)
    assert await d.drain() == 0 and len(sender.calls) == 1  # not due yet: not even tried
    clock.advance(seconds=0.1)
    assert await d.drain() == 0  # tried, failed again (a connection error is transient)
    row = (await rows(db))[first]
    assert row.attempts == 2 and row.available_at == clock.now() + timedelta(seconds=3)
    assert "ConnectionResetError: connection reset" in row.last_error

    clock.advance(seconds=3)
    assert await d.drain() == 2
    assert sender.delivered_ids == [first, second]
    assert [n.attempts for n in sender.calls] == [0, 1, 2, 0]
    assert (await rows(db))[first].outcome == "delivered"


@pytest.mark.parametrize("error", [AttributeError("'NoneType' object has no attribute 'x'"),
                                   KeyError("ref"), TypeError("bad call"), ValueError("bad"),
                                   RuntimeError("our own")])
async def test_a_bug_fails_the_notice_at_once_with_its_traceback(
        db: Database, seed: Seed, error: Exception, caplog):
    [a] = await seed.conversations(1)
    first, second = await seed.notices([(a, RELAY), (a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(first, error)

    assert await outbox_worker(db, sender).drain() == 2
    assert len(sender.calls) == 2 and sender.delivered_ids == [second]  # the key goes on
    row = (await rows(db))[first]
    assert (row.outcome, row.attempts) == ("failed", 1) and row.done_at is not None
    assert row.last_error.startswith(type(error).__name__)
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"
                and f"notice {first} " in r.getMessage()]
    assert "not retried" in logged.getMessage()
    assert logged.exc_info is not None and logged.exc_info[1] is error  # the traceback


@pytest.mark.parametrize("error", [ConnectionResetError("reset by peer"),
                                   OSError(101, "Network is unreachable"),
                                   TimeoutError(), RetryLater("HTTP 502")])
async def test_a_platform_or_network_failure_is_retried(
        db: Database, seed: Seed, clock: FrozenClock, error: Exception):
    [a] = await seed.conversations(1)
    [only] = await seed.notices([(a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(only, error)
    d = outbox_worker(db, sender, base_backoff=2.0)

    assert await d.drain() == 0
    row = (await rows(db))[only]
    assert (row.outcome, row.attempts) == (None, 1)
    clock.advance(seconds=2)
    assert await d.drain() == 1
    assert sender.delivered_ids == [only]


async def test_retry_after_is_honoured(db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    [only] = await seed.notices([(a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(only, RetryLater("HTTP 429", retry_after=30))
    d = outbox_worker(db, sender, base_backoff=2.0)

    assert await d.drain() == 0
    assert (await rows(db))[only].available_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=29.9)
    assert await d.drain() == 0
    clock.advance(seconds=0.1)
    assert await d.drain() == 1
    assert sender.delivered_ids == [only]


async def test_permanent_failure_fails_the_row_and_the_key_goes_on(db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    first, second, third = await seed.notices([(a, RELAY), (a, RELAY), (a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(second, Undeliverable("channel_not_found"))

    assert await outbox_worker(db, sender).drain() == 3
    assert sender.delivered_ids == [first, third]
    row = (await rows(db))[second]
    assert row.outcome == "failed" and row.done_at is not None and row.attempts == 1
    assert row.last_error == "Undeliverable: channel_not_found" and row.lease_owner is None


async def test_max_attempts_fails_the_row(db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    first, second = await seed.notices([(a, RELAY), (a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(first, *[RetryLater("HTTP 500")] * 3)
    d = outbox_worker(db, sender, max_attempts=3, base_backoff=1.0, max_backoff=5.0)

    for _ in range(2):
        assert await d.drain() == 0
        clock.advance(seconds=5)
    assert await d.drain() == 2  # the third failure gives up; the next row follows
    assert sender.delivered_ids == [second]
    assert len(sender.calls) == 4
    row = (await rows(db))[first]
    assert row.outcome == "failed" and row.attempts == 3 and "HTTP 500" in row.last_error


async def test_a_failing_head_holds_its_key_but_not_the_others(db: Database, seed: Seed,
                                                               clock: FrozenClock):
    a, b = await seed.conversations(2)
    a1, b1, a2, b2, a3 = await seed.notices([(a, RELAY), (b, RELAY), (a, RELAY), (b, RELAY),
                                             (a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(a1, RetryLater("HTTP 502"))
    d = outbox_worker(db, sender)

    assert await d.drain() == 2
    assert sender.delivered_ids == [b1, b2]
    stored = await rows(db)
    assert all(stored[i].outcome is None and stored[i].lease_owner is None for i in (a2, a3))

    clock.advance(seconds=2)
    assert await d.drain() == 3
    assert sender.delivered_ids == [b1, b2, a1, a2, a3]


async def test_a_row_not_due_yet_holds_the_rows_behind_it(db: Database, seed: Seed,
                                                          clock: FrozenClock):
    [a] = await seed.conversations(1)
    [first] = await seed.notices([(a, RELAY)])
    [later] = await seed.notices([(a, RELAY)], delay=timedelta(minutes=5))
    [after] = await seed.notices([(a, RELAY)])
    sender = RecordingSender()
    d = outbox_worker(db, sender)

    assert await d.drain() == 1
    assert sender.delivered_ids == [first]
    clock.advance(minutes=5)
    assert await d.drain() == 2
    assert sender.delivered_ids == [first, later, after]


def test_back_off_grows_is_capped_and_jittered(db: Database):
    low = OutboxWorker(db, RecordingSender(), base_backoff=2.0, max_backoff=60.0,
                     jitter=FixedJitter(0.0))
    high = OutboxWorker(db, RecordingSender(), base_backoff=2.0, max_backoff=60.0,
                      jitter=FixedJitter(1.0))
    assert [high.backoff(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert [low.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert high.backoff(10_000) == 60  # no overflow however many attempts
    spread = OutboxWorker(db, RecordingSender(), jitter=random.Random(7))
    assert len({spread.backoff(3) for _ in range(20)}) > 1


# ---------------------------------------------------------------- coalescing and links


async def test_card_updates_of_one_conversation_are_coalesced(db: Database, seed: Seed):
    a, b = await seed.conversations(2)
    ids = await seed.notices([(a, UPDATE)] * 5 + [(a, RELAY)] + [(a, UPDATE)] * 5
                             + [(b, UPDATE), (b, RELAY), (b, RELAY)])
    sender = RecordingSender()

    assert await outbox_worker(db, sender).drain() == len(ids)
    relay_a, last_a, update_b, relay_b1, relay_b2 = ids[5], ids[10], ids[11], ids[12], ids[13]
    by_key = defaultdict(list)
    for notice in sender.delivered:
        by_key[notice.conversation_id].append(notice.id)
    assert by_key == {a: [relay_a, last_a], b: [update_b, relay_b1, relay_b2]}
    outcomes = {i: r.outcome for i, r in (await rows(db)).items()}
    assert [outcomes[i] for i in ids[:11]] == ["coalesced"] * 5 + ["delivered"] + \
        ["coalesced"] * 4 + ["delivered"]
    assert all(outcomes[i] == "delivered" for i in ids[11:])


async def test_coalescing_keeps_each_conversations_last_update_in_a_shared_key(
        db: Database, seed: Seed):
    a, b = await seed.conversations(2)
    ids = await seed.notices([(a, UPDATE), (b, UPDATE), (a, UPDATE), (b, UPDATE), (a, RELAY)],
                             ordering_key="desk:it")
    sender = RecordingSender()
    assert await outbox_worker(db, sender).drain() == 5
    assert sender.delivered_ids == [ids[2], ids[3], ids[4]]


async def test_coalescing_only_within_one_leased_run(db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    ids = await seed.notices([(a, UPDATE)] * 4)
    sender = RecordingSender()
    assert await outbox_worker(db, sender, per_key=2).drain() == 4
    assert sender.delivered_ids == [ids[1], ids[3]]


# ---------------------------------------------------------------- card first

ALERT = NoticeKind.SLA_WARNING.value


async def test_a_notice_marked_card_first_updates_the_card_then_is_delivered(
        db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    [alert] = await seed.notices([(a, ALERT)], payload={"target": "resolution", CARD_FIRST: True})
    [plain] = await seed.notices([(a, ALERT)], payload={"target": "resolution"})
    sender = RecordingSender()
    assert await outbox_worker(db, sender).drain() == 2
    assert [(n.id, n.kind, dict(n.payload)) for n in sender.delivered] == [
        (alert, UPDATE, {}),
        (alert, ALERT, {"target": "resolution", CARD_FIRST: True}),
        (plain, ALERT, {"target": "resolution"})]
    assert {r.outcome for r in (await rows(db)).values()} == {"delivered"}


async def test_a_card_that_cannot_be_updated_does_not_stop_the_notice(
        db: Database, seed: Seed, caplog):
    [a] = await seed.conversations(1)
    [alert] = await seed.notices([(a, ALERT)], payload={CARD_FIRST: True})
    sender = RecordingSender()
    sender.fail_call(1, Undeliverable("the card's channel is archived"))
    assert await outbox_worker(db, sender).drain() == 1
    assert [(n.id, n.kind) for n in sender.delivered] == [(alert, ALERT)]
    assert (await rows(db))[alert].outcome == "delivered"
    assert "its card was not updated: the card's channel is archived" in caplog.text


async def test_card_first_retried_updates_the_card_again_and_sends_the_notice_once(
        db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    [alert] = await seed.notices([(a, ALERT)], payload={CARD_FIRST: True})
    sender = RecordingSender()
    sender.fail_call(1, RetryLater("HTTP 503"))  # the card update: both wait
    sender.fail_call(3, RetryLater("HTTP 503"))  # the alert, after the card's second try
    d = outbox_worker(db, sender, base_backoff=1.0)
    assert await d.drain() == 0
    clock.advance(seconds=1)
    assert await d.drain() == 0
    clock.advance(seconds=2)
    assert await d.drain() == 1
    assert [(n.id, n.kind) for n in sender.calls] == [
        (alert, UPDATE), (alert, UPDATE), (alert, ALERT), (alert, UPDATE), (alert, ALERT)]
    assert [n.kind for n in sender.delivered] == [UPDATE, UPDATE, ALERT]  # the alert once
    row = (await rows(db))[alert]
    assert row.outcome == "delivered" and row.attempts == 2


# ---------------------------------------------------------------- several recipients


async def _people(db: Database, seed: Seed, n: int) -> list[int]:
    async with db.unit_of_work() as uow:
        made = [Person(workspace_id=seed.workspace_id, external_id=f"U_LEAD{i}",
                       display_name=f"Lead {i}", created_at=db.clock.now(),
                       updated_at=db.clock.now()) for i in range(n)]
        uow.session.add_all(made)
        await uow.commit()
    return [person.id for person in made]


async def _alert_to(db: Database, seed: Seed, conversation_id: int, person_id: int,
                    also: list[int]) -> int:
    async with db.unit_of_work() as uow:
        notice = write_notice(uow, workspace_id=seed.workspace_id, kind=ALERT,
                              conversation_id=conversation_id, person_id=person_id,
                              payload={"target": "resolution", CARD_FIRST: True, ALSO: also})
        await uow.commit()
    return notice.id


async def test_a_notice_with_also_tells_each_person_in_turn_once(db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    dana, noa, lee = await _people(db, seed, 3)
    alert = await _alert_to(db, seed, a, dana, [noa, lee])
    sender = RecordingSender()
    assert await outbox_worker(db, sender).drain() == 1
    assert [(n.id, n.kind, n.person_id) for n in sender.delivered] == [
        (alert, UPDATE, dana), (alert, ALERT, dana), (alert, ALERT, noa), (alert, ALERT, lee)]
    row = (await rows(db))[alert]
    assert row.outcome == "delivered" and row.payload[TOLD] == 2
    assert await outbox_worker(db, sender).drain() == 0 and len(sender.delivered) == 4


async def test_a_retried_notice_resumes_after_those_already_told(
        db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    dana, noa, lee = await _people(db, seed, 3)
    alert = await _alert_to(db, seed, a, dana, [noa, lee])
    sender = RecordingSender()
    sender.fail_call(3, RetryLater("HTTP 503"))  # card, Dana, then Noa's send fails
    d = outbox_worker(db, sender, base_backoff=1.0)
    assert await d.drain() == 0
    row = (await rows(db))[alert]
    assert row.payload[TOLD] == 1 and row.attempts == 1 and row.outcome is None
    clock.advance(seconds=1)
    assert await d.drain() == 1
    # Noa again (her send failed), then Lee; no second card, Dana told once.
    assert [(n.kind, n.person_id) for n in sender.calls] == [
        (UPDATE, dana), (ALERT, dana), (ALERT, noa), (ALERT, noa), (ALERT, lee)]
    assert [n.person_id for n in sender.delivered if n.kind == ALERT] == [dana, noa, lee]
    assert (await rows(db))[alert].outcome == "delivered"


async def test_a_person_who_cannot_be_told_does_not_stop_the_others(
        db: Database, seed: Seed, caplog):
    [a] = await seed.conversations(1)
    dana, noa, lee = await _people(db, seed, 3)
    alert = await _alert_to(db, seed, a, dana, [noa, lee])
    sender = RecordingSender()
    sender.fail_call(3, Undeliverable("user_disabled"))
    assert await outbox_worker(db, sender).drain() == 1
    assert [n.person_id for n in sender.delivered if n.kind == ALERT] == [dana, lee]
    assert (await rows(db))[alert].outcome == "delivered"
    assert f"person {noa} not told: user_disabled" in caplog.text


async def test_links_from_the_delivery_are_stored(db: Database, seed: Seed):
    a, b = await seed.conversations(2)
    mine = await seed.message(a)
    other = await seed.message(b)
    post, relay = await seed.notices([(a, NoticeKind.CARD_POST.value), (a, RELAY)])

    def reply(notice: Notice) -> Delivery | None:
        if notice.id == post:
            return Delivery(conversation_links={"agent_channel": "C_IT",
                                                "agent_thread": "1700000000.000100"})
        # A sender cannot reach a message of another conversation.
        return Delivery(message_links={mine: {"agent_side_id": "1700000000.000200"},
                                       other: {"agent_side_id": "stolen"}})

    sender = RecordingSender(reply=reply)
    assert await outbox_worker(db, sender).drain() == 2
    async with db.unit_of_work(readonly=True) as uow:
        conversation = await uow.session.get(Conversation, a)
        message = await uow.session.get(Message, mine)
        untouched = await uow.session.get(Message, other)
    assert (conversation.agent_channel, conversation.agent_thread) == (
        "C_IT", "1700000000.000100")
    assert conversation.requester_channel is None
    assert message.agent_side_id == "1700000000.000200" and message.requester_side_id is None
    assert untouched.agent_side_id is None


def test_a_delivery_may_only_name_link_columns():
    with pytest.raises(ValueError, match="status"):
        Delivery(conversation_links={"status": "closed"})
    with pytest.raises(ValueError, match="body"):
        Delivery(message_links={1: {"body": "x"}})


async def test_bad_links_do_not_make_a_delivered_notice_undelivered(db: Database, seed: Seed,
                                                                    caplog):
    [person_notice] = await seed.notices([(None, NoticeKind.AGENT_ASSIGNED.value)])
    sender = RecordingSender(reply=lambda n: Delivery(conversation_links={"agent_thread": "1"}))
    assert await outbox_worker(db, sender).drain() == 1
    assert (await rows(db))[person_notice].outcome == "delivered"
    assert "links not stored" in caplog.text
    assert await outbox_worker(db, sender).drain() == 0 and len(sender.calls) == 1


async def test_payload_bodies_never_reach_the_log(db: Database, seed: Seed, caplog):
    [a] = await seed.conversations(1)
    await seed.notices([(a, RELAY)] * 3, payload={"text": "my salary is 9000"})
    caplog.set_level(logging.DEBUG)
    sender = RecordingSender()
    sender.fail_call(1, RetryLater("HTTP 429", retry_after=0))
    sender.fail_call(3, Undeliverable("gone"))
    d = outbox_worker(db, sender)
    await d.drain()
    await d.drain()
    assert len(sender.calls) == 4
    assert "delivered notice" in caplog.text
    assert "salary" not in caplog.text


# ---------------------------------------------------------------- leases, restarts, kills


async def test_rows_leased_by_a_dead_outbox_worker_are_delivered_after_the_lease(
        db: Database, seed: Seed, clock: FrozenClock):
    a, b = await seed.conversations(2)
    ids = await seed.notices([(a, RELAY), (b, RELAY), (a, RELAY)])
    async with db.unit_of_work() as uow:  # a outbox worker leases, then its process dies
        runs = await outbox.lease_batch(uow, "dead-host:1:00", lease=LEASE, max_keys=50,
                                        per_key=100)
    assert sorted(r.id for run in runs for r in run) == ids

    sender = RecordingSender()
    d = outbox_worker(db, sender, lease=LEASE)
    assert await d.drain() == 0  # the lease still holds
    clock.advance(LEASE)
    assert await d.drain() == 0  # up to the last instant
    clock.advance(seconds=1)
    assert await d.drain() == 3
    assert sorted(sender.delivered_ids) == ids
    assert_ordered_per_key(sender.delivered)
    # Taken over from a dead owner: maybe sent, so an attempt (the Slack sender looks first).
    assert [notice.attempts for notice in sender.delivered] == [1, 1, 1]


async def test_a_live_outbox_worker_renews_its_leases_and_a_dead_ones_run_out(
        db: Database, seed: Seed, clock: FrozenClock):
    a, b = await seed.conversations(2)
    [a1, b1] = await seed.notices([(a, RELAY), (b, RELAY)])
    async with db.unit_of_work() as uow:
        await outbox.lease_batch(uow, "live", lease=LEASE, max_keys=1, per_key=100)
    async with db.unit_of_work() as uow:
        await outbox.lease_batch(uow, "dead", lease=LEASE, max_keys=1, per_key=100)
    clock.advance(LEASE - timedelta(seconds=1))
    async with db.unit_of_work() as uow:
        assert await outbox.renew(uow, "live", lease=LEASE) == 1
        await uow.commit()
    clock.advance(seconds=2)  # the dead one's lease ran out; the live one's was renewed
    sender = RecordingSender()
    assert await outbox_worker(db, sender, lease=LEASE).drain() == 1
    assert sender.delivered_ids == [b1]
    assert (await rows(db))[a1].lease_owner == "live"


async def test_the_background_worker_renews_while_a_send_hangs(
        db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    [a1] = await seed.notices([(a, RELAY)])
    sender = RecordingSender()
    gate = asyncio.Event()
    sender.block_call(1, gate)
    worker = outbox_worker(db, sender, lease=LEASE, renew_every=0.01, send_timeout=3600)
    await worker.start()
    try:
        async with asyncio.timeout(10):
            await sender.until(lambda: sender.waiting == 1)
            before = (await rows(db))[a1].lease_until
            clock.advance(seconds=30)
            for _ in range(1000):  # the renewal runs on its own timer (renew_every)
                if (await rows(db))[a1].lease_until > before:
                    break
                await asyncio.sleep(0.01)
        assert (await rows(db))[a1].lease_until == clock.now() + LEASE
    finally:
        gate.set()
        await worker.stop()
    assert sender.delivered_ids == [a1]


async def test_a_lease_running_low_ends_the_run_and_releases_the_rest(
        db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    ids = await seed.notices([(a, RELAY)] * 4)

    def slow(notice: Notice) -> None:
        clock.advance(seconds=31)  # more than half of the lease is gone after each send
        return None

    sender = RecordingSender(reply=slow)
    d = outbox_worker(db, sender, lease=LEASE)
    assert await d.run_once() == 1
    stored = await rows(db)
    assert all(stored[i].lease_owner is None and stored[i].outcome is None for i in ids[1:])
    assert await d.drain() == 3
    assert sender.delivered_ids == ids


class TakenOverSender(RecordingSender):
    """Takes so long that its lease runs out and another outbox worker leases the row."""

    def __init__(self, db: Database, clock: FrozenClock) -> None:
        super().__init__()
        self.db, self.clock = db, clock

    async def deliver(self, notice: Notice) -> Delivery | None:
        self.clock.advance(LEASE + timedelta(seconds=1))
        async with self.db.unit_of_work() as uow:
            await outbox.lease_batch(uow, "other", lease=LEASE, max_keys=50, per_key=100)
        return await super().deliver(notice)


async def test_an_outbox_worker_that_lost_its_lease_does_not_finish_the_row(
        db: Database, seed: Seed, clock: FrozenClock, caplog):
    [a] = await seed.conversations(1)
    first, second = await seed.notices([(a, RELAY), (a, RELAY)])
    sender = TakenOverSender(db, clock)
    assert await outbox_worker(db, sender, lease=LEASE).run_once() == 0
    stored = await rows(db)
    assert [stored[first].lease_owner, stored[second].lease_owner] == ["other", "other"]
    assert stored[first].outcome is None  # the new owner decides; it will deliver again
    assert len(sender.calls) == 1  # and the old owner did not go on with the key
    assert "after its lease ran out" in caplog.text


async def test_an_error_recording_a_delivery_leaves_the_row_to_its_lease(
        db: Database, seed: Seed, clock: FrozenClock, monkeypatch):
    a, b = await seed.conversations(2)
    a1, b1, a2 = await seed.notices([(a, RELAY), (b, RELAY), (a, RELAY)])
    real = outbox.mark_delivered
    broken = {a1}

    async def flaky(uow: Any, owner: str, notice_id: int, **kwargs: Any) -> bool:
        if notice_id in broken:  # in a batch with b1's mark, and alone after
            raise ConnectionError("database went away")
        return await real(uow, owner, notice_id, **kwargs)

    monkeypatch.setattr(outbox, "mark_delivered", flaky)
    sender = RecordingSender()
    d = outbox_worker(db, sender, lease=LEASE)
    assert await d.drain() == 1  # key b goes on; key a stops
    stored = await rows(db)
    assert stored[a1].lease_owner == d.owner and stored[a1].outcome is None
    assert stored[a2].lease_owner is None
    broken.clear()  # the database is back
    clock.advance(LEASE + timedelta(seconds=1))
    assert await d.drain() == 2
    # The worker remembered that the platform had a1: marked now, not sent again.
    assert sender.delivered_ids == [a1, b1, a2]
    assert (await rows(db))[a1].outcome == "delivered"


async def test_stop_lets_the_send_in_flight_finish_and_releases_the_rest(
        db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    ids = await seed.notices([(a, RELAY)] * 3)
    gate = asyncio.Event()
    sender = RecordingSender()
    sender.block_call(2, gate)
    d = outbox_worker(db, sender)
    await d.start()
    await until(sender, lambda: sender.waiting == 1)
    stopping = asyncio.create_task(d.stop(grace=30))
    await until(sender, lambda: len(sender.calls) == 2)
    gate.set()
    async with asyncio.timeout(10):
        await stopping
    assert sender.delivered_ids == ids[:2] and len(sender.calls) == 2
    stored = await rows(db)
    assert stored[ids[1]].outcome == "delivered"
    assert stored[ids[2]].outcome is None and stored[ids[2]].lease_owner is None


async def test_stop_cancels_a_hung_send_and_releases_its_lease(db: Database, seed: Seed):
    [a] = await seed.conversations(1)
    ids = await seed.notices([(a, RELAY)] * 3)
    sender = RecordingSender()
    sender.block_call(2, asyncio.Event())  # never set
    d = outbox_worker(db, sender)
    await d.start()
    await until(sender, lambda: sender.waiting == 1)
    await d.stop(grace=0)
    assert sender.waiting == 0 and sender.delivered_ids == ids[:1]
    assert all(r.lease_owner is None for r in (await rows(db)).values())

    again = RecordingSender()  # no clock moved: the released rows are free at once
    assert await outbox_worker(db, again).drain() == 2
    assert again.delivered_ids == ids[1:]
    await OutboxWorker(db, again).stop()  # stopping one never started is harmless


async def test_killed_mid_batch_and_restarted_delivers_the_rest_once(
        database_factory: Any, db: Database, seed: Seed, clock: FrozenClock):
    keys = await seed.conversations(20)
    ids = await seed.notices([(keys[i % 20], RELAY) for i in range(1000)])
    first_db = database_factory()  # the doomed process's own engine
    gate = asyncio.Event()
    first = RecordingSender()
    first.block_call(400, gate)  # never set: the send at call 400 never returns
    doomed = outbox_worker(first_db, first, lease=LEASE)
    task = asyncio.create_task(doomed.run())
    await until(first, lambda: first.waiting == 1, seconds=60)
    task.cancel()  # killed: no stop(), no release of leases
    await asyncio.wait({task})
    await first_db.dispose()
    blocked = first.calls[399].id
    assert blocked not in first.delivered_ids
    assert 399 <= len(first.delivered) < 1000

    second = RecordingSender()
    survivor = outbox_worker(db, second, lease=LEASE)
    assert await survivor.drain() == 0  # the dead outbox worker's leases still hold
    clock.advance(LEASE + timedelta(seconds=1))
    await survivor.drain()

    everything = first.delivered + second.delivered
    counts = Counter(n.id for n in everything)
    assert sorted(counts) == ids and max(counts.values()) == 1
    assert blocked in second.delivered_ids
    assert_ordered_per_key(everything)
    assert all(r.outcome == "delivered" for r in (await rows(db)).values())


async def test_two_replicas_deliver_each_notice_exactly_once(
        database_factory: Any, db: Database, seed: Seed):
    keys = await seed.conversations(50)
    rng = random.Random(1042)
    ids = await seed.notices([(rng.choice(keys), RELAY) for _ in range(1000)])
    both: list[Notice] = []
    senders = [RecordingSender(log=both), RecordingSender(log=both)]
    replicas = [outbox_worker(database_factory(), sender, batch_keys=5, per_key=10)
                for sender in senders]

    await asyncio.wait_for(asyncio.gather(*(r.drain() for r in replicas)), timeout=120)

    one, two = (set(s.delivered_ids) for s in senders)
    assert one | two == set(ids)
    assert not one & two
    assert len(both) == 1000
    assert len(one) > 0 and len(two) > 0  # both replicas really worked
    for sender in senders:
        assert_ordered_per_key(sender.delivered)
    assert_ordered_per_key(both)
    assert all(r.outcome == "delivered" for r in (await rows(db)).values())
    async with db.unit_of_work(readonly=True) as uow:
        assert await outbox.pending_count(uow) == 0


# A outbox worker in its own process, killed for real (SIGKILL). Its sender "sends" by printing
# a line, and from the n-th call on it hangs, so once every delivery slot hangs no
# transaction is open and nothing was sent without being recorded.
CHILD = r"""
import asyncio, sys
from datetime import datetime
from conversations.outbox_worker import OutboxWorker
from storage.clock import FrozenClock
from storage.database import Database

url, schema, start, hang_from = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

class PrintingSender:
    calls = 0
    async def deliver(self, notice):
        self.calls += 1
        if self.calls >= hang_from:
            print("hangs", notice.id, flush=True)
            await asyncio.Event().wait()
        print("sent", notice.id, flush=True)

async def main():
    kwargs = {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}
    db = Database(url, clock=FrozenClock(datetime.fromisoformat(start)), **kwargs)
    await OutboxWorker(db, PrintingSender(), concurrency=10, poll_interval=3600).run()

asyncio.run(main())
"""


async def test_a_process_killed_mid_batch_loses_nothing_and_repeats_nothing(
        database_factory: Any, db: Database, seed: Seed, clock: FrozenClock):
    keys = await seed.conversations(20)
    ids = await seed.notices([(keys[i % 20], RELAY) for i in range(1000)])
    schema = database_factory.engine_kwargs.get("connect_args", {}).get(
        "server_settings", {}).get("search_path", "")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, database_factory.url, schema, clock.now().isoformat(),
        "400", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=ROOT)
    sent: list[int] = []
    hanging: list[int] = []
    try:
        async with asyncio.timeout(60):
            while len(hanging) < 10:  # every one of the child's 10 delivery slots
                line = await child.stdout.readline()
                assert line, (await child.stderr.read()).decode()
                word, notice_id = line.split()
                (sent if word == b"sent" else hanging).append(int(notice_id))
    finally:
        child.kill()
        await child.wait()
    assert len(sent) == 399

    stored = await rows(db)
    owners = {r.lease_owner for r in stored.values() if r.done_at is None}
    assert len(owners) == 1
    assert owners.pop().startswith(f"{socket.gethostname()[:36]}:{child.pid}:")
    assert {i for i, r in stored.items() if r.outcome == "delivered"} == set(sent)

    sender = RecordingSender()
    survivor = outbox_worker(db, sender, lease=LEASE)
    assert await survivor.drain() == 0  # the dead process's leases still hold
    clock.advance(LEASE + timedelta(seconds=1))
    assert await survivor.drain() == 1000 - len(sent)
    assert sorted(sent + sender.delivered_ids) == ids
    assert set(hanging) <= set(sender.delivered_ids)
    assert_ordered_per_key(sender.delivered)


async def test_finished_rows_can_be_forgotten_and_pending_ones_are_kept(
        db: Database, seed: Seed, clock: FrozenClock):
    [a] = await seed.conversations(1)
    delivered, failed = await seed.notices([(a, RELAY), (a, RELAY)])
    sender = RecordingSender()
    sender.fail_notice(failed, Undeliverable("gone"))
    await outbox_worker(db, sender).drain()
    clock.advance(days=1)
    [pending] = await seed.notices([(a, RELAY)], delay=timedelta(hours=1))
    async with db.unit_of_work() as uow:
        assert await outbox.pending_count(uow) == 1
        assert await outbox.forget_finished_before(uow, clock.now() - timedelta(hours=12)) == 2
        await uow.commit()
    assert list(await rows(db)) == [pending]


def test_default_owner_names_host_and_process():
    owner = default_owner()
    host, pid, nonce = owner.split(":")
    assert host and int(pid) > 0 and len(nonce) == 12 and len(owner) <= 64
    assert default_owner() != owner


async def test_marks_of_several_keys_share_a_transaction_and_a_bad_one_fails_alone(
        db: Database, seed: Seed, clock: FrozenClock, monkeypatch):
    a, b, c = await seed.conversations(3)
    ids = await seed.notices([(a, RELAY), (b, RELAY), (c, RELAY)])
    async with db.unit_of_work() as uow:
        runs = await outbox.lease_batch(uow, "me", lease=LEASE, max_keys=10, per_key=10)
    assert [run[0].id for run in runs] == ids
    units = 0
    real = db.unit_of_work

    def counted(**kwargs: Any) -> Any:
        nonlocal units
        units += 1
        return real(**kwargs)
    monkeypatch.setattr(db, "unit_of_work", counted)
    marks = outbox.DeliveredMarks(db)
    outcomes = await asyncio.gather(
        marks.mark("me", ids[0], conversation_id=a),
        marks.mark("me", ids[1], conversation_id=b,
                   conversation_links={"subject": "not a link"}),
        marks.mark("someone else", ids[2], conversation_id=c),
        return_exceptions=True)
    assert outcomes[0] is True and outcomes[2] is False  # not its lease: not marked
    assert isinstance(outcomes[1], ValueError)
    assert units == 4  # together (failed on the bad links), then each on its own
    stored = await rows(db)
    assert stored[ids[0]].outcome == "delivered"
    assert stored[ids[1]].outcome is None and stored[ids[1]].lease_owner == "me"
    assert stored[ids[2]].outcome is None
    units = 0
    assert await asyncio.gather(marks.mark("me", ids[1], conversation_id=b),
                                marks.mark("me", ids[2], conversation_id=c)) == [True, True]
    assert units == 1  # both in one transaction
