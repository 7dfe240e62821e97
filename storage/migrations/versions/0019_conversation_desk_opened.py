"""An index on a desk's requests by when they opened

The burst rule (`conversations.incident_watch`) reads a desk's requests of the last
minutes on every open, and a report its requests of a period: with only
(desk_id, status) that read walks every request the desk ever had.

Revision ID: 0019_conversation_desk_opened
Revises: 0018_incidents
Create Date: 2026-12-07 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019_conversation_desk_opened"
down_revision: str | Sequence[str] | None = "0018_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index conversation by (desk_id, opened_at)."""
    op.create_index("ix_conversation_desk_opened", "conversation", ["desk_id", "opened_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_conversation_desk_opened", table_name="conversation")
