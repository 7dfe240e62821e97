"""SLA clocks and stall checks: due times, flags, pauses; the sweeps' partial indexes

Revision ID: 0005_sla
Revises: 0004_slack_installations
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_sla"
down_revision: str | Sequence[str] | None = "0004_slack_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENTS = (
    "first_response_warn_at", "resolution_warn_at", "first_response_warned_at",
    "first_response_breached_at", "resolution_warned_at", "resolution_breached_at",
    "sla_paused_at", "unassigned_due_at", "unassigned_flagged_at", "agent_silence_due_at",
    "agent_nudged_at", "requester_silence_due_at", "requester_reminded_at", "auto_close_at",
)
# name -> (column, partial-index predicate), as in storage/models.py.
INDEXES = {
    "ix_conversation_first_response_warn": (
        "first_response_warn_at",
        "first_response_warned_at IS NULL AND first_response_at IS NULL"
        " AND sla_paused_at IS NULL"),
    "ix_conversation_first_response_due": (
        "first_response_due_at",
        "first_response_breached_at IS NULL AND first_response_at IS NULL"
        " AND sla_paused_at IS NULL"),
    "ix_conversation_resolution_warn": (
        "resolution_warn_at", "resolution_warned_at IS NULL AND sla_paused_at IS NULL"),
    "ix_conversation_resolution_due": (
        "resolution_due_at", "resolution_breached_at IS NULL AND sla_paused_at IS NULL"),
    "ix_conversation_unassigned_due": ("unassigned_due_at", "unassigned_flagged_at IS NULL"),
    "ix_conversation_agent_silence_due": ("agent_silence_due_at", "agent_nudged_at IS NULL"),
    "ix_conversation_requester_silence_due": (
        "requester_silence_due_at", "requester_silence_due_at IS NOT NULL"),
    "ix_conversation_auto_close": ("auto_close_at", "auto_close_at IS NOT NULL"),
}


def upgrade() -> None:
    """Add the conversation's SLA and stall columns, their indexes, and desk.last_digest_at."""
    for name in MOMENTS:
        op.add_column("conversation",
                      sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column("conversation", sa.Column("sla_paused_seconds", sa.Integer(),
                                            server_default=sa.text("0"), nullable=False))
    op.add_column("desk", sa.Column("last_digest_at", sa.DateTime(timezone=True),
                                    nullable=True))
    for name, (column, where) in INDEXES.items():
        op.create_index(name, "conversation", [column], unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    """Drop what upgrade added."""
    for name in INDEXES:
        op.drop_index(name, table_name="conversation")
    with op.batch_alter_table("desk") as batch:
        batch.drop_column("last_digest_at")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("sla_paused_seconds")
        for name in reversed(MOMENTS):
            batch.drop_column(name)
