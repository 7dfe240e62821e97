"""Events and outbox notices keep no foreign key

`event.workspace_id` and `outbox.workspace_id` lose the foreign key 0010 left them: on
PostgreSQL it was a trigger per inserted row that locked the workspace row, ~8 of the
~23 ms a sweep spent copying two thousand notices in, and ~4 ms of its thousand
events. deskbot never deletes a workspace; a workspace removed by hand leaves its
audit trail (which should outlive what it tells of) and its last notices, which the
senders give up on as undeliverable (`conversations/delivery_views.py`). See `storage/models.py`.

Revision ID: 0012_journal_no_foreign_keys
Revises: 0011_inbound_waiting_by_platform
Create Date: 2026-11-25 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_journal_no_foreign_keys"
down_revision: str | Sequence[str] | None = "0011_inbound_waiting_by_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("event", "outbox")


def _name(table: str) -> str:
    return f"fk_{table}_workspace_id_workspace"


def upgrade() -> None:
    """Drop the workspace's foreign key of both tables."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_name(table), type_="foreignkey")


def downgrade() -> None:
    """Put it back (ON DELETE CASCADE, as before)."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(_name(table), "workspace", ["workspace_id"], ["id"],
                                     ondelete="CASCADE")
