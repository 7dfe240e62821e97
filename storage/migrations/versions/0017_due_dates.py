"""Due dates an agent sets on a request (`/desk due`), warned before and flagged once

No timers to backfill: no conversation has a due date before this revision.

Revision ID: 0017_due_dates
Revises: 0016_tickets
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_due_dates"
down_revision: str | Sequence[str] | None = "0016_tickets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENTS = ("due_at", "due_warn_at", "due_warned_at", "due_flagged_at")


def upgrade() -> None:
    """Add the conversation's due-date columns (nullable: no due date)."""
    for name in MOMENTS:
        op.add_column("conversation",
                      sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the due-date columns (and any due-date timers)."""
    op.execute("DELETE FROM conversation_timer WHERE kind IN ('due_warning', 'due_passed')")
    with op.batch_alter_table("conversation") as batch:
        for name in reversed(MOMENTS):
            batch.drop_column(name)
