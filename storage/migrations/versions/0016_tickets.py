"""Tickets: a conversation's impact and urgency (the desk's impact × urgency matrix)

`conversation.kind` and `conversation.category` exist since 0001; categories and the
matrix live in the desk's settings JSON. Both new columns are nullable: NULL is
"not said" (the matrix counts it as medium).

Revision ID: 0016_tickets
Revises: 0015_person_language
Create Date: 2026-12-07 17:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_tickets"
down_revision: str | Sequence[str] | None = "0015_person_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add conversation.impact and conversation.urgency (nullable)."""
    op.add_column("conversation", sa.Column("impact", sa.String(length=8), nullable=True))
    op.add_column("conversation", sa.Column("urgency", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Drop conversation.impact and conversation.urgency."""
    op.drop_column("conversation", "urgency")
    op.drop_column("conversation", "impact")
