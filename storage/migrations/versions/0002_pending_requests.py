"""Pending requests (desk picker, add-or-new) and thread lookup indexes

Revision ID: 0002_pending_requests
Revises: 0001_initial
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0002_pending_requests"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add pending_request and the indexes that find a conversation by its threads."""
    op.create_table(
        "pending_request",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("workspace_id", BIG_ID, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("thread", sa.String(length=255), nullable=True),
        sa.Column("side_id", sa.String(length=255), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE",
                                name=op.f("fk_pending_request_person_id_person")),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE",
                                name=op.f("fk_pending_request_workspace_id_workspace")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_request")),
    )
    op.create_index("ix_pending_request_person", "pending_request", ["person_id", "created_at"])
    op.create_index("ix_conversation_agent_thread", "conversation",
                    ["agent_channel", "agent_thread"])
    op.create_index("ix_conversation_requester_thread", "conversation",
                    ["requester_channel", "requester_thread"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_conversation_requester_thread", table_name="conversation")
    op.drop_index("ix_conversation_agent_thread", table_name="conversation")
    op.drop_index("ix_pending_request_person", table_name="pending_request")
    op.drop_table("pending_request")
