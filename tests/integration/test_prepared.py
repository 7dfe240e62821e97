"""Statements compiled once (storage/prepared.py): ids as one parameter, values by key,
constants kept, values written as the ORM writes them (both databases)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select, text, update

from conversations import commands
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from storage.prepared import Prepared, in_ids, keyed
from tests.integration.world import build_world

C = Conversation


async def _conversations(db: Database, n: int) -> list[Conversation]:
    world = await build_world(db)
    eli = await world.person("eli")
    async with db.unit_of_work() as uow:
        made = [(await commands.open_conversation(uow, eli, world.desks["IT"],
                                                  f"Request {i}")).conversation
                for i in range(n)]
        await uow.commit()
    return sorted(made, key=lambda conversation: conversation.id)


def _subjects(postgresql: bool) -> object:
    return select(C.id, C.subject).where(in_ids(C.id, postgresql)).order_by(C.id)


async def test_a_batch_of_ids_is_one_parameter_of_any_length(db: Database) -> None:
    made = await _conversations(db, 3)
    subjects = Prepared(_subjects)
    async with db.unit_of_work() as uow:
        connection = await uow.session.connection()
        assert "?" not in subjects.sql(connection.dialect).split("WHERE")[1].replace(
            "json_each(?)", "")  # no list rendered into the text
        found = {n: [tuple(row) for row in await subjects.rows(
            connection, ids=[c.id for c in made[:n]])] for n in (0, 1, 3)}
    assert found == {0: [], 1: [(made[0].id, "Request 0")],
                     3: [(c.id, c.subject) for c in made]}


async def test_values_by_key_and_constants_are_written_as_the_orm_writes_them(
        db: Database, clock: FrozenClock) -> None:
    made = await _conversations(db, 3)
    later = clock.now() + timedelta(hours=2)

    def build(postgresql: bool) -> object:
        due = keyed("due", C.id, C.auto_close_at.type, postgresql)
        return (update(C).where(in_ids(C.id, postgresql))
                .values(auto_close_at=due, priority=5,
                        updated_at=func.coalesce(due, bindparam("now", None,
                                                               type_=C.updated_at.type)))
                .returning(C.id))

    moving = Prepared(build)
    async with db.unit_of_work() as uow:
        rows = await moving.rows(await uow.session.connection(), now=clock.now(),
                                 ids=[made[0].id, made[1].id], due={made[0].id: later})
        await uow.commit()
    assert sorted(row[0] for row in rows) == [made[0].id, made[1].id]
    async with db.unit_of_work(readonly=True) as uow:
        first, second, third = [await uow.session.get(C, c.id) for c in made]
        # The keyed time reads back as the same instant, and compares as one in SQL.
        assert (first.auto_close_at, first.updated_at, first.priority) == (later, later, 5)
        assert (second.auto_close_at, second.updated_at, second.priority) == (
            None, clock.now(), 5)
        assert third.priority != 5
        assert (await uow.session.execute(
            select(func.count()).select_from(C).where(C.auto_close_at == later))
        ).scalar_one() == 1
        if db.is_sqlite:  # stored in the very text the ORM writes
            stored = (await uow.session.execute(text(
                "SELECT auto_close_at, opened_at FROM conversation WHERE id = :id"),
                {"id": first.id})).one()
            assert len(stored[0]) == len(stored[1])


async def test_a_prepared_statement_runs_before_the_transaction_has_begun(
        db: Database) -> None:
    # On PostgreSQL the first statement of a unit of work goes through SQLAlchemy,
    # which begins the transaction; later ones go to the driver in it.
    made = await _conversations(db, 2)
    subjects = Prepared(_subjects)
    async with db.unit_of_work() as uow:
        connection = await uow.session.connection()
        first = await subjects.rows(connection, ids=[made[0].id])
        second = await subjects.rows(connection, ids=[made[1].id])
    assert [tuple(r) for r in first + second] == [(c.id, c.subject) for c in made]
