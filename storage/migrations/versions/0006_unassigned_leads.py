"""Unassigned too long, second stage: the leads are told one more period after the ping

Revision ID: 0006_unassigned_leads
Revises: 0005_sla
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_unassigned_leads"
down_revision: str | Sequence[str] | None = "0005_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENTS = ("unassigned_leads_due_at", "unassigned_leads_flagged_at")
# name -> (column, partial-index predicate), as in storage/models.py.
INDEXES = {
    "ix_conversation_unassigned_leads_due": (
        "unassigned_leads_due_at", "unassigned_leads_flagged_at IS NULL"),
}


def upgrade() -> None:
    """Add the conversation's leads-stage columns and the sweep's partial index."""
    for name in MOMENTS:
        op.add_column("conversation",
                      sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    for name, (column, where) in INDEXES.items():
        op.create_index(name, "conversation", [column], unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    """Drop what upgrade added."""
    for name in INDEXES:
        op.drop_index(name, table_name="conversation")
    with op.batch_alter_table("conversation") as batch:
        for name in reversed(MOMENTS):
            batch.drop_column(name)
