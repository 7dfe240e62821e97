"""A desk's search documents newest first

PostgreSQL's full-text index hands over its matches in no order, so the newest of
many matches cost every match fetched; an index on (desk_id, id) lets a search read
a desk's newest documents first (storage/search.py).

Revision ID: 0025_search_speed
Revises: 0024_report_indexes
Create Date: 2026-12-08 00:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0025_search_speed"
down_revision: str | Sequence[str] | None = "0024_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index search_document by (desk_id, id)."""
    op.create_index("ix_search_document_desk_newest", "search_document", ["desk_id", "id"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_search_document_desk_newest", table_name="search_document")
