"""The sweeps read due checks from conversation_timer; conversation loses its due indexes

Nine partial indexes on `conversation` served the sweeps' range queries. Their
predicates name the flags a sweep sets (`first_response_warned_at IS NULL`, ...), and
PostgreSQL makes an update HOT (a new row version on the same page, no index entry)
only if no column any index names changes: so every flag wrote a new entry in each of
the table's ~16 indexes. Now one row per armed check lives in `conversation_timer`
(see `conversations.timers`), backfilled here from the conversation's columns, with one
index on (kind, due_at); the conversation's flags and due times are in no index. On
PostgreSQL `conversation` also gets a fillfactor of 80, so pages keep room for the new
versions of their rows (existing pages gain it as they are rewritten or vacuumed),
and `conversation_timer` no parallel workers (a generic plan chose one for a batch).

Revision ID: 0009_conversation_timers
Revises: 0008_stall_indexes_armed_only
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_conversation_timers"
down_revision: str | Sequence[str] | None = "0008_stall_indexes_armed_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# kind -> (due column, conditions that arm it), as conversations.timers.KINDS says today.
RUNNING = "status IN ('new', 'open')"
KINDS = {
    "first_response_warning": ("first_response_warn_at",
                               "first_response_warned_at IS NULL AND first_response_at IS NULL"
                               f" AND sla_paused_at IS NULL AND {RUNNING}"),
    "first_response_breach": ("first_response_due_at",
                              "first_response_breached_at IS NULL AND first_response_at IS NULL"
                              f" AND sla_paused_at IS NULL AND {RUNNING}"),
    "resolution_warning": ("resolution_warn_at",
                           f"resolution_warned_at IS NULL AND sla_paused_at IS NULL AND {RUNNING}"),
    "resolution_breach": ("resolution_due_at",
                          f"resolution_breached_at IS NULL AND sla_paused_at IS NULL AND {RUNNING}"),
    "unassigned": ("unassigned_due_at",
                   "unassigned_flagged_at IS NULL AND assignee_id IS NULL AND status = 'new'"),
    "unassigned_leads": ("unassigned_leads_due_at",
                         "unassigned_leads_flagged_at IS NULL AND assignee_id IS NULL"
                         " AND unassigned_flagged_at IS NOT NULL AND status = 'new'"),
    "agent_silence": ("agent_silence_due_at",
                      "agent_nudged_at IS NULL AND assignee_id IS NOT NULL AND status = 'open'"),
    "requester_reminder": ("requester_silence_due_at",
                           "requester_reminded_at IS NULL AND status = 'waiting'"),
    "requester_resolve": ("requester_silence_due_at",
                          "requester_reminded_at IS NOT NULL AND status = 'waiting'"),
    "auto_close": ("auto_close_at", "status = 'resolved'"),
}

# The indexes dropped, name -> (column, predicate), as 0005, 0006 and 0008 left them.
INDEXES = {
    "ix_conversation_first_response_warn": (
        "first_response_warn_at",
        "first_response_warned_at IS NULL AND first_response_at IS NULL"
        " AND sla_paused_at IS NULL"),
    "ix_conversation_first_response_due": (
        "first_response_due_at",
        "first_response_breached_at IS NULL AND first_response_at IS NULL"
        " AND sla_paused_at IS NULL"),
    "ix_conversation_resolution_warn": (
        "resolution_warn_at", "resolution_warned_at IS NULL AND sla_paused_at IS NULL"),
    "ix_conversation_resolution_due": (
        "resolution_due_at", "resolution_breached_at IS NULL AND sla_paused_at IS NULL"),
    "ix_conversation_unassigned_due": (
        "unassigned_due_at", "unassigned_due_at IS NOT NULL AND unassigned_flagged_at IS NULL"),
    "ix_conversation_unassigned_leads_due": (
        "unassigned_leads_due_at",
        "unassigned_leads_due_at IS NOT NULL AND unassigned_leads_flagged_at IS NULL"),
    "ix_conversation_agent_silence_due": (
        "agent_silence_due_at", "agent_silence_due_at IS NOT NULL AND agent_nudged_at IS NULL"),
    "ix_conversation_requester_silence_due": (
        "requester_silence_due_at", "requester_silence_due_at IS NOT NULL"),
    "ix_conversation_auto_close": ("auto_close_at", "auto_close_at IS NOT NULL"),
}


def upgrade() -> None:
    """Create conversation_timer, arm it from the conversations, drop the due indexes."""
    op.create_table(
        "conversation_timer",
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_conversation_timer_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "kind", name=op.f("pk_conversation_timer")),
    )
    for kind, (column, where) in KINDS.items():
        op.execute(f"INSERT INTO conversation_timer (conversation_id, kind, due_at) "
                   f"SELECT id, '{kind}', {column} FROM conversation "
                   f"WHERE {column} IS NOT NULL AND {where}")
    op.create_index("ix_conversation_timer_due", "conversation_timer",
                    ["kind", "due_at", "conversation_id"], unique=False)
    for name in INDEXES:
        op.drop_index(name, table_name="conversation")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE conversation SET (fillfactor = 80)")
        # Batches from the front of the index: a parallel worker costs more than the read.
        op.execute("ALTER TABLE conversation_timer SET (parallel_workers = 0)")


def downgrade() -> None:
    """Rebuild the due indexes and drop the timers."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE conversation RESET (fillfactor)")
    for name, (column, where) in INDEXES.items():
        op.create_index(name, "conversation", [column], unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    op.drop_index("ix_conversation_timer_due", table_name="conversation_timer")
    op.drop_table("conversation_timer")
