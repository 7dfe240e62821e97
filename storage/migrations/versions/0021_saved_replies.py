"""Saved replies: `saved_reply`, a desk's named texts an agent posts from the card

Revision ID: 0021_saved_replies
Revises: 0020_search_index
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0021_saved_replies"
down_revision: str | Sequence[str] | None = "0020_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the saved_reply table."""
    op.create_table(
        "saved_reply",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("desk_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], ondelete="CASCADE",
                                name=op.f("fk_saved_reply_desk_id_desk")),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL",
                                name=op.f("fk_saved_reply_created_by_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reply")),
        sa.UniqueConstraint("desk_id", "name", name=op.f("uq_saved_reply_desk_id")),
    )


def downgrade() -> None:
    """Drop the saved_reply table."""
    op.drop_table("saved_reply")
