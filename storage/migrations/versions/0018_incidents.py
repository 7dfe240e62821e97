"""Major incidents: `incident`, and `conversation.incident_id` linking requests to one

An incident is numbered per workspace (`INC-3`), belongs to a desk, is open or
resolved, and remembers where its card lives in the desk's agent channel.

Revision ID: 0018_incidents
Revises: 0017_due_dates
Create Date: 2026-12-07 17:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0018_incidents"
down_revision: str | Sequence[str] | None = "0017_due_dates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the incident table and conversation.incident_id (indexed)."""
    op.create_table(
        "incident",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("workspace_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("desk_id", BIG_ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by_id", BIG_ID, nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("latest_update", sa.Text(), nullable=True),
        sa.Column("agent_channel", sa.String(length=255), nullable=True),
        sa.Column("agent_thread", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE",
                                name=op.f("fk_incident_workspace_id_workspace")),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"],
                                name=op.f("fk_incident_desk_id_desk")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["person.id"],
                                name=op.f("fk_incident_opened_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_incident_workspace_id")),
    )
    op.create_index("ix_incident_desk_status", "incident", ["desk_id", "status"])
    op.add_column("conversation", sa.Column("incident_id", BIG_ID, nullable=True))
    op.create_index(op.f("ix_conversation_incident_id"), "conversation", ["incident_id"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index(op.f("ix_conversation_incident_id"), table_name="conversation")
    op.drop_column("conversation", "incident_id")
    op.drop_index("ix_incident_desk_status", table_name="incident")
    op.drop_table("incident")
