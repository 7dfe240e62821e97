"""Stall checks' partial indexes hold only armed rows (their due time set, flag not)

The unassigned, unassigned-leads and agent-silence indexes were partial on the flag
alone, so every conversation whose check was never armed (closed ones, answered
ones: nearly all) sat in them with a NULL key: three indexes of the whole table, each
written again by every non-HOT update of a conversation (a sweep's flag is one). With
`<due> IS NOT NULL` in the predicate they hold the few armed rows; the sweeps' range
queries (`<due> <= now`) imply it, so their plans do not change.

Revision ID: 0008_stall_indexes_armed_only
Revises: 0007_chat_addresses
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_stall_indexes_armed_only"
down_revision: str | Sequence[str] | None = "0007_chat_addresses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (column, flag): the index of `column` over rows where it is set and `flag` not.
INDEXES = {
    "ix_conversation_unassigned_due": ("unassigned_due_at", "unassigned_flagged_at"),
    "ix_conversation_unassigned_leads_due": ("unassigned_leads_due_at",
                                             "unassigned_leads_flagged_at"),
    "ix_conversation_agent_silence_due": ("agent_silence_due_at", "agent_nudged_at"),
}


def _recreate(armed_only: bool) -> None:
    for name, (column, flag) in INDEXES.items():
        where = f"{flag} IS NULL"
        if armed_only:
            where = f"{column} IS NOT NULL AND {where}"
        op.drop_index(name, table_name="conversation")
        op.create_index(name, "conversation", [column], unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    """Rebuild the three indexes over armed rows only."""
    _recreate(armed_only=True)


def downgrade() -> None:
    """Rebuild them as 0005/0006 made them."""
    _recreate(armed_only=False)
