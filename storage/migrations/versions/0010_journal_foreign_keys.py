"""Events and outbox notices keep only their workspace's foreign key

Each foreign key of `event` (workspace, conversation, desk, actor) and `outbox`
(workspace, conversation, person) was checked for every inserted row: on PostgreSQL a
trigger locking the parent row, ~34 of the ~53 ms a sweep spent writing a thousand
events and two thousand notices. Only `workspace_id` keeps its key (ON DELETE
CASCADE: deleting a workspace still removes both); see `storage/models.py`.

Revision ID: 0010_journal_foreign_keys
Revises: 0009_conversation_timers
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_journal_foreign_keys"
down_revision: str | Sequence[str] | None = "0009_conversation_timers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> [(column, parent table, ON DELETE)], as 0001 made them.
DROPPED: dict[str, list[tuple[str, str, str | None]]] = {
    "event": [("conversation_id", "conversation", "CASCADE"), ("desk_id", "desk", "CASCADE"),
              ("actor_id", "person", None)],
    "outbox": [("conversation_id", "conversation", "CASCADE"),
               ("person_id", "person", "CASCADE")],
}


def _name(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_{column}_{parent}"


def upgrade() -> None:
    """Drop the foreign keys other than workspace_id's."""
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table) as batch:
            for column, parent, _ in keys:
                batch.drop_constraint(_name(table, column, parent), type_="foreignkey")


def downgrade() -> None:
    """Put them back."""
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table) as batch:
            for column, parent, ondelete in keys:
                batch.create_foreign_key(_name(table, column, parent), parent, [column], ["id"],
                                         ondelete=ondelete)
