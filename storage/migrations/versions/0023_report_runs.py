"""Scheduled reports claimed per desk and period

`/desk admin report DESK monthly` posts the month just ended once: the sweep that
claims (desk, period) here, in the transaction that queues its notice, posts it.

Revision ID: 0023_report_runs
Revises: 0022_kb_articles
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0023_report_runs"
down_revision: str | Sequence[str] | None = "0022_kb_articles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create report_run."""
    op.create_table(
        "report_run",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("desk_id", BIG_ID, nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_report_run_desk_id_desk"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
        sa.UniqueConstraint("desk_id", "period", name=op.f("uq_report_run_desk_id")),
    )


def downgrade() -> None:
    """Drop report_run."""
    op.drop_table("report_run")
