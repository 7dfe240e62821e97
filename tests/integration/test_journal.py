"""A JournalBatch writes the same rows as record_event / write_notice, in order (both databases)."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from storage.clock import FrozenClock
from storage.database import Database
from storage.journal import JournalBatch, record_event, write_notice
from storage.models import Event, OutboxNotice
from tests.integration.world import build_world


async def test_batch_rows_read_back_like_the_orm_ones(db: Database, clock: FrozenClock) -> None:
    world = await build_world(db)
    eli = await world.person("eli")
    desk = world.desks["IT"]
    async with db.unit_of_work() as uow:
        record_event(uow, workspace_id=eli.workspace_id, desk_id=desk.id, kind="orm",
                     flag=True, ids=[1, 2])
        write_notice(uow, workspace_id=eli.workspace_id, person_id=eli.id, kind="orm",
                     payload={"flag": True, "ids": [1, 2]})
        await uow.session.flush()
        batch = JournalBatch(uow)
        for flag in (True, 1, True):  # equal and alike in hash, not in JSON
            batch.event(workspace_id=eli.workspace_id, desk_id=desk.id, kind="batch",
                        data={"flag": flag, "ids": [1, 2]})
            batch.notice(workspace_id=eli.workspace_id, person_id=eli.id, kind="batch",
                         payload={"flag": flag, "ids": [1, 2]})
        for ids in ([1, 2], [True, 2], [1, 2], [2, 1], [1, None]):  # lists key by content
            batch.event(workspace_id=eli.workspace_id, desk_id=desk.id, kind="lists",
                        data={"ids": ids})
        await batch.write()
        await uow.commit()
    async with db.unit_of_work(readonly=True) as uow:
        events = list((await uow.session.execute(
            select(Event).where(Event.kind.in_(["orm", "batch"])).order_by(Event.id))).scalars())
        notices = list((await uow.session.execute(
            select(OutboxNotice).where(OutboxNotice.kind.in_(["orm", "batch"]))
            .order_by(OutboxNotice.id))).scalars())
        # Timestamps are stored in the same form (SQLite compares them as text).
        stored = set((await uow.session.execute(text(
            "SELECT DISTINCT created_at FROM outbox WHERE kind IN ('orm', 'batch')"))).scalars())
    assert [(e.kind, e.data["flag"]) for e in events] == [
        ("orm", True), ("batch", True), ("batch", 1), ("batch", True)]
    assert {(e.created_at, e.desk_id, tuple(e.data["ids"])) for e in events} == {
        (clock.now(), desk.id, (1, 2))}
    assert [(n.kind, n.payload["flag"]) for n in notices] == [
        ("orm", True), ("batch", True), ("batch", 1), ("batch", True)]
    assert {(n.created_at, n.available_at, n.attempts, n.ordering_key, n.person_id)
            for n in notices} == {(clock.now(), clock.now(), 0, f"person:{eli.id}", eli.id)}
    assert len(stored) == 1
    async with db.unit_of_work(readonly=True) as uow:
        lists = [e.data["ids"] for e in (await uow.session.execute(
            select(Event).where(Event.kind == "lists").order_by(Event.id))).scalars()]
    assert [json.dumps(ids) for ids in lists] == [
        "[1, 2]", "[true, 2]", "[1, 2]", "[2, 1]", "[1, null]"]
