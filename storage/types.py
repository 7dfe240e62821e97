"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite has no time zone type and hands back naive values; PostgreSQL keeps
    `timestamptz`. Values are normalised to UTC going in and made aware coming out,
    so comparisons in Python never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive values; store UTC (naive on SQLite, which has no zone type)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Hand back an aware UTC datetime whatever the database returned."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def to_driver(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What the column type does to a value before the driver gets it, as a function.

    For rows handed to the driver as they are (bulk writes): the dialect's own
    implementation, so SQLite's DATETIME writes the text format SQLAlchemy reads and
    compares (the generic type would leave it to sqlite3).
    """
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def from_driver(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What the column type does to a value the driver hands back, as a function.

    For rows read past SQLAlchemy's result processing (`storage.prepared`): SQLite's
    DATETIME text becomes the aware datetime the ORM would give.
    """
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else (lambda value: value)
