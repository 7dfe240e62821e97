"""A report's reads (`conversations.reports.reading`): statements compiled once, their
rows handed back as plain values.

A report reads thousands of conversations with a dozen instants each. Through
SQLAlchemy's result processing every value went through its column type (on SQLite a
DATETIME text parsed, then `datetime.replace(tzinfo=UTC)`, ~2.5 µs alone) and every
row became a `Row` whose attributes are looked up by name: about 0.6 s of a quarter's
report. A `PlainRead` is a `storage.prepared.Prepared` statement whose rows come back
as lists; its `UTCDateTime` columns are read straight from the driver's value (SQLite's
text by `datetime.fromisoformat`; asyncpg hands back `timestamptz` as an aware UTC
instant already), any other column with a result processor through that processor.

The events and agent messages of a report's conversations were read with
`conversation_id IN (SELECT ...)`: PostgreSQL, not knowing how few ids come back,
hashed the whole event and message tables (a parallel sequential scan). With the ids
given as one bound list (`in_ids`), both databases look each one up in
`ix_event_conversation` / `ix_message_conversation`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect

from storage.database import UnitOfWork
from storage.prepared import Prepared
from storage.types import UTCDateTime

# Ids bound at once (`by_ids`): a bound list of any length is one value, but a
# bounded one keeps each statement's work (and PostgreSQL's plan) of one size.
CHUNK = 5_000

Converter = Callable[[Any], Any]


def _sqlite_utc(value: Any) -> datetime | None:
    """SQLite's DATETIME text (naive UTC, as `UTCDateTime` stores it) as an aware instant."""
    return None if value is None else datetime.fromisoformat(value + "+00:00")


class PlainRead:
    """A SELECT built by `build(postgresql)` (bind parameters by name, as `Prepared`),
    compiled once per dialect; `rows` gives each row as a list of plain values."""

    def __init__(self, build: Callable[[bool], Select[Any]]) -> None:
        self.build = build
        self.prepared = Prepared(build)
        self._converters: dict[str, tuple[tuple[int, Converter], ...]] = {}

    def converters(self, dialect: Dialect) -> tuple[tuple[int, Converter], ...]:
        """(column index, converter) of each column whose driver value needs one."""
        found = self._converters.get(dialect.name)
        if found is None:
            postgresql = dialect.name == "postgresql"
            pairs: list[tuple[int, Converter]] = []
            for index, column in enumerate(self.build(postgresql).selected_columns):
                if isinstance(column.type, UTCDateTime):
                    if not postgresql:  # asyncpg's are UTC already
                        pairs.append((index, _sqlite_utc))
                    continue
                process = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if process is not None:
                    pairs.append((index, process))
            found = self._converters[dialect.name] = tuple(pairs)
        return found

    async def rows(self, uow: UnitOfWork, **params: Any) -> Sequence[Sequence[Any]]:
        """The rows for `params` (by bind name), each a sequence of the columns' values."""
        connection = await uow.session.connection()
        converters = self.converters(connection.dialect)
        rows: Sequence[Sequence[Any]]
        if connection.dialect.name == "postgresql":
            rows = await self.prepared.rows(connection, **params)
        else:
            # To the driver itself: `exec_driver_sql` makes a `Row` of each row (0.17 s
            # of a profiled report). Taking the connection issued the unit of work's
            # BEGIN (`storage.database`).
            sql, values = self.prepared.bound(connection.dialect, **params)
            driver: Any = (await connection.get_raw_connection()).driver_connection
            cursor = await driver.execute(sql, values)
            try:
                rows = await cursor.fetchall()
            finally:
                await cursor.close()
        if not converters:
            return rows
        found = []
        for row in rows:
            columns = list(row)
            for index, convert in converters:
                columns[index] = convert(columns[index])
            found.append(columns)
        return found


async def by_ids(uow: UnitOfWork, read: PlainRead, ids: Sequence[int],
                 name: str = "ids") -> list[Sequence[Any]]:
    """The rows of `read` for each chunk of `ids` (bound as `name`, an `in_ids` list), one
    list."""
    ordered = sorted(set(ids))
    rows: list[Sequence[Any]] = []
    for first in range(0, len(ordered), CHUNK):
        rows.extend(await read.rows(uow, **{name: ordered[first:first + CHUNK]}))
    return rows
