"""Files shared with messages (relayed to the other side of a conversation)

`message_file` keeps what the platform told of each file a person shared (name, type,
size, its id and download URL), with the message it came with, or with the pending
request it waits in while the employee picks a desk. No bytes are stored.

Revision ID: 0014_message_files
Revises: 0013_conversation_fillfactor_60
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0014_message_files"
down_revision: str | Sequence[str] | None = "0013_conversation_fillfactor_60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add message_file and its two lookup indexes."""
    op.create_table(
        "message_file",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("message_id", BIG_ID, nullable=True),
        sa.Column("pending_id", BIG_ID, nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mimetype", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], ondelete="CASCADE",
                                name=op.f("fk_message_file_message_id_message")),
        sa.ForeignKeyConstraint(["pending_id"], ["pending_request.id"], ondelete="CASCADE",
                                name=op.f("fk_message_file_pending_id_pending_request")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_file")),
    )
    op.create_index("ix_message_file_message", "message_file", ["message_id"])
    op.create_index("ix_message_file_pending", "message_file", ["pending_id"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_message_file_pending", table_name="message_file")
    op.drop_index("ix_message_file_message", table_name="message_file")
    op.drop_table("message_file")
