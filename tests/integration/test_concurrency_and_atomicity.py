"""Races and failures: one winner out of twenty claims, and nothing half-written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from conversations import commands as c
from desks.errors import AlreadyClaimed, DeskbotError
from desks.people import ensure_person
from desks.permissions import Role
from desks.service import add_members
from storage.database import Database
from storage.ledger import Recorder, first_delivery
from storage.models import AgentMark, Conversation, Event, Message, OutboxNotice
from tests.integration.world import World


class InjectedFailure(Exception):
    pass


async def test_twenty_concurrent_claims_have_one_winner(world: World, db: Database):
    await world.run(c.open_conversation, world.people["eli"], world.desks["IT"], "help")
    async with db.unit_of_work() as uow:
        agents = [await ensure_person(uow, world.workspace, f"U_AG{i}", f"Agent {i}")
                  for i in range(20)]
        await add_members(uow, world.actor("ada"), "IT", agents, Role.AGENT)
        await uow.commit()
    actors = [world.actor("ada").__class__(person=a) for a in agents]

    async def attempt(actor):
        try:
            await world.run(c.claim, actor, "1001")
            return actor.id
        except AlreadyClaimed as refusal:
            return refusal

    outcomes = await asyncio.gather(*(attempt(a) for a in actors))
    winners = [o for o in outcomes if isinstance(o, int)]
    refusals = [o for o in outcomes if isinstance(o, AlreadyClaimed)]
    assert len(winners) == 1 and len(refusals) == 19
    winner_name = next(a.name for a in actors if a.id == winners[0])
    assert {r.message for r in refusals} == {f"#1001 is already claimed by {winner_name}."}
    claimed = await world.events("conversation.claimed")
    assert len(claimed) == 1 and claimed[0].actor_id == winners[0]
    async with db.unit_of_work(readonly=True) as uow:
        conv = await c.load(uow, world.workspace.id, 1001, lock=False)
        assert conv.assignee_id == winners[0]
        updates = (await uow.session.execute(
            select(OutboxNotice).where(OutboxNotice.kind == "requester.update"))).scalars().all()
        assert len(updates) == 1


async def test_concurrent_opens_never_share_a_ref(world: World):
    async def open_one(i: int) -> int:
        posted = await world.run(c.open_conversation, world.people["eli"], world.desks["IT"],
                                 f"request {i}")
        return posted.conversation.ref

    refs = await asyncio.gather(*(open_one(i) for i in range(15)))
    assert sorted(refs) == list(range(1001, 1016))


async def _snapshot(db: Database) -> dict:
    async with db.unit_of_work(readonly=True) as uow:
        conv = (await uow.session.execute(select(Conversation))).scalar_one()
        return {
            "conversation": (conv.status, conv.assignee_id, conv.priority, conv.updated_at,
                             conv.first_response_at),
            "events": len((await uow.session.execute(select(Event))).scalars().all()),
            "notices": len((await uow.session.execute(select(OutboxNotice))).scalars().all()),
            "messages": len((await uow.session.execute(select(Message))).scalars().all()),
            "marks": len((await uow.session.execute(select(AgentMark))).scalars().all()),
        }


COMMANDS = [
    ("claim", lambda w: (c.claim, w.actor("dana"), "1001")),
    ("agent_reply", lambda w: (c.agent_reply, w.actor("dana"), "1001", "try this")),
    ("priority", lambda w: (c.set_priority, w.actor("dana"), "1001", 5)),
    ("transfer_desk", lambda w: (c.transfer_to_desk, w.actor("dana"), "1001", w.desks["HR"])),
    ("pin", lambda w: (c.pin, w.actor("dana"), "1001")),
    ("close", lambda w: (c.close, w.actor("dana"), "1001", "done")),
    ("requester_message", lambda w: (c.requester_message, w.people["eli"], "1001", "more")),
]


@pytest.mark.parametrize("name,make", COMMANDS, ids=[n for n, _ in COMMANDS])
async def test_failure_before_commit_leaves_nothing(world: World, db: Database, clock, name, make):
    await world.run(c.open_conversation, world.people["eli"], world.desks["IT"], "help")
    clock.advance(minutes=3)
    before = await _snapshot(db)
    seen = {}

    async def fail(uow):
        # The change has been flushed to the database: prove it, then fail.
        seen["flushed"] = len(uow.session.new) + len(uow.session.dirty) == 0
        raise InjectedFailure("power cut before commit")

    remove = db.on_before_commit(fail)
    try:
        command, *args = make(world)
        with pytest.raises(InjectedFailure):
            await world.run(command, *args)
    finally:
        remove()
    assert seen["flushed"]
    assert await _snapshot(db) == before
    # And the same command succeeds afterwards: the failure left no lock or debris.
    command, *args = make(world)
    await world.run(command, *args)
    assert await _snapshot(db) != before


async def test_failed_command_does_not_mark_its_delivery_processed(world: World, db: Database):
    await world.run(c.open_conversation, world.people["eli"], world.desks["IT"], "help")

    def fail(uow):
        raise InjectedFailure("crash before commit")

    remove = db.on_before_commit(fail)
    try:
        with pytest.raises(InjectedFailure):
            async with db.unit_of_work() as uow:
                assert await first_delivery(uow, "slack", "Ev1")
                await c.claim(uow, world.actor("dana"), "1001")
                await uow.commit()
    finally:
        remove()
    async with db.unit_of_work() as uow:
        assert await first_delivery(uow, "slack", "Ev1")  # the retry is processed
        await c.claim(uow, world.actor("dana"), "1001")
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert not await first_delivery(uow, "slack", "Ev1")  # and only once


async def test_refusal_inside_a_unit_of_work_writes_nothing(world: World, db: Database):
    await world.run(c.open_conversation, world.people["eli"], world.desks["IT"], "help")
    await world.run(c.claim, world.actor("dana"), "1001")
    before = await _snapshot(db)
    with pytest.raises(DeskbotError):
        await world.run(c.claim, world.actor("lee"), "1001")
    assert await _snapshot(db) == before


async def test_ids_recorded_together_share_one_statement_and_each_is_new_once(
        db: Database, monkeypatch):
    recorder = Recorder(db, "slack-replay")
    writes: list[int] = []
    real_write = db.write

    async def counted(statement: Any, rows: Any = None) -> list[Any]:
        writes.append(len(rows or []))
        return await real_write(statement, rows)
    monkeypatch.setattr(db, "write", counted)
    keys = ["k1", "k2", "k1", "k3"]  # k1 twice in one batch: the first is new
    assert await asyncio.gather(*(recorder.first(k) for k in keys)) == [True, True, False, True]
    assert writes == [3]  # one INSERT for the batch, each key once in it
    assert await asyncio.gather(recorder.first("k2"), recorder.first("k4")) == [False, True]
    assert writes == [3, 2]
    async with db.unit_of_work() as uow:  # the same ledger as first_delivery's
        assert not await first_delivery(uow, "slack-replay", "k4")


async def test_a_recorder_whose_write_fails_tells_every_caller(db: Database, monkeypatch):
    recorder = Recorder(db, "slack-replay")

    async def down(statement: Any, rows: Any = None) -> list[Any]:
        raise ConnectionError("database away")
    monkeypatch.setattr(db, "write", down)
    outcomes = await asyncio.gather(recorder.first("a"), recorder.first("b"),
                                    return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    monkeypatch.undo()
    assert await recorder.first("a")  # nothing was recorded: the retry is new
