"""Articles: `kb_article`, a desk's knowledge base (KB-N per workspace)

Revision ID: 0022_kb_articles
Revises: 0021_saved_replies
Create Date: 2026-12-07 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0022_kb_articles"
down_revision: str | Sequence[str] | None = "0021_saved_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the kb_article table."""
    op.create_table(
        "kb_article",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("workspace_id", BIG_ID, nullable=False),
        sa.Column("desk_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source_conversation_id", BIG_ID, nullable=True),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE",
                                name=op.f("fk_kb_article_workspace_id_workspace")),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], ondelete="CASCADE",
                                name=op.f("fk_kb_article_desk_id_desk")),
        sa.ForeignKeyConstraint(["source_conversation_id"], ["conversation.id"],
                                ondelete="SET NULL",
                                name=op.f("fk_kb_article_source_conversation_id_conversation")),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL",
                                name=op.f("fk_kb_article_created_by_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_kb_article_workspace_id")),
    )
    op.create_index("ix_kb_article_desk", "kb_article", ["desk_id", "number"])


def downgrade() -> None:
    """Drop the kb_article table."""
    op.drop_index("ix_kb_article_desk", table_name="kb_article")
    op.drop_table("kb_article")
