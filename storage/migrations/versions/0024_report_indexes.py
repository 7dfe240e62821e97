"""Indexes for a report's reads

A report counts how many of a desk's agents were available when each request opened,
from their `agent.availability` events: without an index leading with the kind, that
read scans the whole event table.

Revision ID: 0024_report_indexes
Revises: 0023_report_runs
Create Date: 2026-12-07 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024_report_indexes"
down_revision: str | Sequence[str] | None = "0023_report_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index event by (kind, actor_id, created_at)."""
    op.create_index("ix_event_kind_actor", "event", ["kind", "actor_id", "created_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_event_kind_actor", table_name="event")
