"""Conversation pages keep 40 % free for updated rows (PostgreSQL)

`conversation` gets a fillfactor of 60 (0009 set 80). Its rows are updated all their
open life: every message, status change and sweep flag writes a new version. An
update that changes no indexed column is HOT (same page, no index entry) only if the
page has room. Conversations opened together fall due together, so a sweep flags
rows that sit side by side: with 80, about a quarter of a sweep's flags found their
page full and wrote an entry in each of the table's seven indexes (72.7 % HOT in
`bench/sweep.py`); with 60, 94.5 % are HOT and the flags' updates take a quarter less
time. The price is room: a table of closed conversations takes about a third more
pages. The setting applies to pages written from now on; `VACUUM FULL conversation`
(or pg_repack) repacks the existing ones if wanted.

Revision ID: 0013_conversation_fillfactor_60
Revises: 0012_journal_no_foreign_keys
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_conversation_fillfactor_60"
down_revision: str | Sequence[str] | None = "0012_journal_no_foreign_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Set the fillfactor (PostgreSQL only; SQLite has none)."""
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE conversation SET (fillfactor = 60)")


def downgrade() -> None:
    """Back to 0009's 80."""
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE conversation SET (fillfactor = 80)")
