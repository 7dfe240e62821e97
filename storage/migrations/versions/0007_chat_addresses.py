"""Chat addresses: the Teams conversation references proactive messages are sent with

Revision ID: 0007_chat_addresses
Revises: 0006_unassigned_leads
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_chat_addresses"
down_revision: str | Sequence[str] | None = "0006_unassigned_leads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create chat_address."""
    op.create_table(
        "chat_address",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace_external_id", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace_external_id", "key",
                                name=op.f("pk_chat_address")),
    )


def downgrade() -> None:
    """Drop chat_address."""
    op.drop_table("chat_address")
