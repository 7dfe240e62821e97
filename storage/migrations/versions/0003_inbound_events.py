"""Inbound events: platform deliveries stored before they are acknowledged

Revision ID: 0003_inbound_events
Revises: 0002_pending_requests
Create Date: 2026-11-25 06:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0003_inbound_events"
down_revision: str | Sequence[str] | None = "0002_pending_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add inbound_event and its index of deliveries still to process."""
    op.create_table(
        "inbound_event",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=False),
        sa.Column("workspace_external_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_event")),
        sa.UniqueConstraint("platform", "delivery_id", name=op.f("uq_inbound_event_platform")),
    )
    op.create_index("ix_inbound_event_waiting", "inbound_event", ["id"],
                    sqlite_where=sa.text("processed_at IS NULL"),
                    postgresql_where=sa.text("processed_at IS NULL"))


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_inbound_event_waiting", table_name="inbound_event",
                  sqlite_where=sa.text("processed_at IS NULL"),
                  postgresql_where=sa.text("processed_at IS NULL"))
    op.drop_table("inbound_event")
