"""The search index: `search_document` and its full-text index

One row per request and per article, with the words the core normalised; SQLite
indexes them in an FTS5 table kept in step by triggers, PostgreSQL in a generated
tsvector column ('simple' configuration) with a GIN index. Existing requests are
indexed by `deskbot search reindex` (README), not here: the normaliser is the core's.

Revision ID: 0020_search_index
Revises: 0019_conversation_desk_opened
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The same as storage/models.py's (a migration keeps its own copy: models change later).
# What is indexed of a document: each of its words behind its desk, d<desk id>x<word>
# (storage/search.py `desk_terms`): a desk's query reads posting lists of the desk's
# size, not every desk's matches of a common word.
_TERMS_SQLITE = ("'d' || {row}.desk_id || 'x' || "
                 "replace({row}.body, ' ', ' d' || {row}.desk_id || 'x')")
SEARCH_FTS_SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    f"INSERT INTO search_fts(rowid, terms) VALUES (new.id, {_TERMS_SQLITE.format(row='new')}); "
    "END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES "
    f"('delete', old.id, {_TERMS_SQLITE.format(row='old')}); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE OF body, desk_id ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES "
    f"('delete', old.id, {_TERMS_SQLITE.format(row='old')}); "
    f"INSERT INTO search_fts(rowid, terms) VALUES (new.id, {_TERMS_SQLITE.format(row='new')}); "
    "END",
)
# The words as they are (array_to_tsvector: no parser; they are normalised already).
SEARCH_FTS_POSTGRESQL = (
    "ALTER TABLE search_document ADD COLUMN words tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_remove(string_to_array('d' || desk_id::text || 'x' || "
    "replace(body, ' ', ' d' || desk_id::text || 'x'), ' '), 'd' || desk_id::text || 'x'))) "
    "STORED",
    "CREATE INDEX ix_search_document_words ON search_document USING gin (words)",
)

revision: str = "0020_search_index"
down_revision: str | Sequence[str] | None = "0019_conversation_desk_opened"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add search_document and its full-text index."""
    op.create_table(
        "search_document",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", BIG_ID, nullable=False),
        sa.Column("workspace_id", BIG_ID, nullable=False),
        sa.Column("desk_id", BIG_ID, nullable=False),
        sa.Column("requester_id", BIG_ID, nullable=True),
        sa.Column("ref", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolver_id", BIG_ID, nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("solved_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("similar", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_document_kind")),
    )
    op.create_index("ix_search_document_desk", "search_document",
                    ["desk_id", "kind", "resolved"])
    dialect = op.get_bind().dialect.name
    for statement in SEARCH_FTS_SQLITE if dialect == "sqlite" else SEARCH_FTS_POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    """Drop what upgrade added."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_document_desk", table_name="search_document")
    op.drop_table("search_document")
