"""Statements compiled once and sent to the driver as they are, for the sweeps' hot path.

A `Prepared` statement is written once in Core with bind parameters (a batch of ids is
one parameter: `in_ids`; values per desk another: `keyed`), compiled once per dialect,
and executed with `exec_driver_sql`: per execution only its parameters are converted.
Why: `storage.sweep_applier` ("Speed"); figures: bench/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import TypeEngine

from storage.types import to_driver


class IdList(TypeDecorator[Sequence[int]]):
    """A list of integer ids as one bound value: an array on PostgreSQL, JSON on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """An array of BIGINT on PostgreSQL, text elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Sequence[int] | None, dialect: Dialect) -> Any:
        """The list (PostgreSQL) or its JSON text."""
        if value is None or dialect.name == "postgresql":
            return None if value is None else list(value)
        return json.dumps(list(value))


def in_ids(column: Any, postgresql: bool, name: str = "ids") -> ColumnElement[bool]:
    """`column` is one of the ids bound as `name` (an `IdList`): the same text for any
    number of them (PostgreSQL `= ANY(:ids)`, SQLite `IN (SELECT value FROM json_each(:ids))`).
    """
    ids = bindparam(name, None, type_=IdList())
    if postgresql:
        return column == any_(ids)  # type: ignore[no-any-return]
    return column.in_(  # type: ignore[no-any-return]
        select(literal_column("value")).select_from(func.json_each(ids)))


class KeyedValues(TypeDecorator[Mapping[int, Any]]):
    """Values of `value_type` by integer key (a desk's id) as one bound value: JSON text,
    each value written as the column type writes it (SQLite) or in ISO form (PostgreSQL)."""

    impl = Text
    cache_ok = True

    def __init__(self, value_type: TypeEngine[Any]) -> None:
        super().__init__()
        self.value_type = value_type

    def process_bind_param(self, value: Mapping[int, Any] | None, dialect: Dialect) -> Any:
        """The mapping as JSON text, keys as strings."""
        if value is None:
            return None
        if dialect.name == "postgresql":
            return json.dumps({str(key): item.isoformat() for key, item in value.items()})
        convert = to_driver(self.value_type, dialect)
        return json.dumps({str(key): convert(item) for key, item in value.items()})


def keyed(name: str, key: Any, value_type: TypeEngine[Any], postgresql: bool) -> Any:
    """The value bound in `name` (a `KeyedValues` mapping) for this row's `key` column;
    NULL where the mapping has none."""
    values = bindparam(name, None, type_=KeyedValues(value_type))
    if postgresql:
        return cast(cast(values, JSONB).op("->>")(cast(key, Text)), value_type)
    return func.json_extract(values, literal('$."') + cast(key, Text) + literal('"'),
                             type_=value_type)


class Prepared:
    """A Core statement, built by `build(postgresql)`, compiled once per dialect.

    Its bind parameters are given by name to `execute`; those not given keep the value
    they were built with (constants such as a status).
    """

    def __init__(self, build: Callable[[bool], ClauseElement]) -> None:
        self.build = build
        self._compiled: dict[str, tuple[str, tuple[tuple[str, Any, Callable[[Any], Any]],
                                                   ...]]] = {}

    def sql(self, dialect: Dialect) -> str:
        """The statement's text for `dialect` (compiling it the first time)."""
        return self._for(dialect)[0]

    def _for(self, dialect: Dialect) -> tuple[str, tuple[tuple[str, Any, Callable[[Any], Any]],
                                                         ...]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.build(dialect.name == "postgresql").compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True})
            assert isinstance(compiled, SQLCompiler)  # a statement, not DDL
            defaults = compiled.construct_params()
            identity: Callable[[Any], Any] = lambda value: value  # noqa: E731
            slots = tuple(
                (name, defaults.get(name),
                 to_driver(compiled.binds[name].type, dialect) if name in compiled.binds
                 else identity)
                for name in compiled.positiontup or ())
            found = self._compiled[dialect.name] = (compiled.string, slots)
        return found

    def bound(self, dialect: Dialect, **params: Any) -> tuple[str, tuple[Any, ...]]:
        """The statement's text for `dialect` and the driver's values of its parameters
        (`params` by bind name)."""
        sql, slots = self._for(dialect)
        return sql, tuple(convert(params[name] if name in params else default)
                          for name, default, convert in slots)

    async def rows(self, connection: AsyncConnection, **params: Any) -> Sequence[Any]:
        """Run it on `connection` with `params` (by bind name); the rows it returns, as
        tuples (not converted by any column type).

        On PostgreSQL, once the unit of work's transaction has begun on the server, it
        goes to asyncpg itself (its own prepared statement cache): SQLAlchemy's
        adaptation of asyncpg costs more than the statement's round trip. (Before that,
        SQLAlchemy runs it, and begins the transaction.)
        """
        sql, values = self.bound(connection.dialect, **params)
        if connection.dialect.name == "postgresql":
            driver: Any = (await connection.get_raw_connection()).driver_connection
            if driver.is_in_transaction():
                return await driver.fetch(sql, *values)  # type: ignore[no-any-return]
        return (await connection.exec_driver_sql(sql, values)).all()
