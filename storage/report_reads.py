"""A report's reads by conversation ids, in chunks (`conversations.reports.reading`).

The events and agent messages of a report's conversations were read with
`conversation_id IN (SELECT ...)`: PostgreSQL, not knowing how few ids come back,
hashed the whole event and message tables (a parallel sequential scan). With the ids
spelled out, a few thousand at a time, both databases look each one up in
`ix_event_conversation` / `ix_message_conversation`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select

from storage.database import UnitOfWork

# Ids in one IN list: well under SQLite's and asyncpg's limits on bound values.
CHUNK = 5_000


async def by_conversation_chunks(uow: UnitOfWork, conversation_ids: Sequence[int],
                                 query: Callable[[list[int]], Select[Any]]) -> list[Any]:
    """The rows of `query(ids)` for each chunk of `conversation_ids`, one list."""
    ids = sorted(set(conversation_ids))
    rows: list[Any] = []
    for first in range(0, len(ids), CHUNK):
        rows.extend((await uow.session.execute(query(ids[first:first + CHUNK]))).all())
    return rows
