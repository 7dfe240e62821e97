"""Waiting inbound deliveries indexed by platform: each platform's inbox looks at its own

Each platform adapter has its own inbox, which asks for its platform's unprocessed
deliveries. With the index on `id` alone, the Teams inbox's look walked every
unprocessed Slack delivery to find none of its own — milliseconds on the event loop
while Slack deliveries pour in, right where acknowledgements wait.

Revision ID: 0011_inbound_waiting_by_platform
Revises: 0010_journal_foreign_keys
Create Date: 2026-11-25 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_inbound_waiting_by_platform"
down_revision: str | Sequence[str] | None = "0010_journal_foreign_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "processed_at IS NULL"


def upgrade() -> None:
    """Index waiting deliveries on (platform, id) instead of id."""
    op.drop_index("ix_inbound_event_waiting", table_name="inbound_event")
    op.create_index("ix_inbound_event_waiting", "inbound_event", ["platform", "id"],
                    unique=False, sqlite_where=sa.text(WAITING),
                    postgresql_where=sa.text(WAITING))


def downgrade() -> None:
    """Back to the index on id."""
    op.drop_index("ix_inbound_event_waiting", table_name="inbound_event")
    op.create_index("ix_inbound_event_waiting", "inbound_event", ["id"], unique=False,
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
