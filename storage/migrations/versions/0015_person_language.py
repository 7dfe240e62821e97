"""A person's own language choice (`/desk language he|en|auto`)

`person.language` is what the person chose; NULL means "auto": the language their
platform reports (`person.locale`), else English.

Revision ID: 0015_person_language
Revises: 0014_message_files
Create Date: 2026-12-07 14:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_person_language"
down_revision: str | Sequence[str] | None = "0014_message_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add person.language (nullable: auto)."""
    op.add_column("person", sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Drop person.language."""
    op.drop_column("person", "language")
