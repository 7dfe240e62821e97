"""Slack installations: slack_sdk's installation and OAuth state tables, on our database

Revision ID: 0004_slack_installations
Revises: 0003_inbound_events
Create Date: 2026-11-26 09:40:00

Multi-workspace OAuth keeps its installations (bot tokens per team) and its OAuth
states in slack_sdk's SQLAlchemy stores (`bot/slack/oauth.py`). Their tables are
slack_sdk's, not our models': the columns are written out here as slack_sdk 3.x
defines them (`SQLAlchemyInstallationStore.build_installations_table` /
`build_bots_table`, `SQLAlchemyOAuthStateStore.build_oauth_states_table`), because the
core must not import slack_sdk. `tests/integration/test_slack_tables.py` compares the
migrated tables with slack_sdk's own definitions, on SQLite and PostgreSQL. Autogenerate
leaves `slack_*` tables alone (see `storage/migrations/env.py`).

The names of the primary keys are those slack_sdk's own `create_tables()` would give
them on PostgreSQL; timestamps are naive UTC (`DateTime` without time zone), as
slack_sdk writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004_slack_installations"
down_revision: str | Sequence[str] | None = "0003_inbound_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _text(name: str, length: int, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    """Add slack_installations, slack_bots and slack_oauth_states."""
    op.create_table(
        "slack_installations",
        _id(),
        _text("client_id", 32, nullable=False),
        _text("app_id", 32, nullable=False),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
        _text("enterprise_url", 200),
        _text("team_id", 32),
        _text("team_name", 200),
        _text("bot_token", 200),
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes", 1000),
        _text("bot_refresh_token", 200),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        _text("user_id", 32, nullable=False),
        _text("user_token", 200),
        _text("user_scopes", 1000),
        _text("user_refresh_token", 200),
        sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
        _text("incoming_webhook_url", 200),
        _text("incoming_webhook_channel", 200),
        _text("incoming_webhook_channel_id", 200),
        _text("incoming_webhook_configuration_url", 200),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _text("token_type", 32),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("slack_installations_pkey")),
    )
    op.create_index(op.f("slack_installations_idx"), "slack_installations",
                    ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"])
    op.create_table(
        "slack_bots",
        _id(),
        _text("client_id", 32, nullable=False),
        _text("app_id", 32, nullable=False),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
        _text("team_id", 32),
        _text("team_name", 200),
        _text("bot_token", 200),
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes", 1000),
        _text("bot_refresh_token", 200),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("slack_bots_pkey")),
    )
    op.create_index(op.f("slack_bots_idx"), "slack_bots",
                    ["client_id", "enterprise_id", "team_id", "installed_at"])
    op.create_table(
        "slack_oauth_states",
        _id(),
        _text("state", 200, nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("slack_oauth_states_pkey")),
    )


def downgrade() -> None:
    """Drop what upgrade added (every Slack installation and pending OAuth state)."""
    op.drop_table("slack_oauth_states")
    op.drop_index(op.f("slack_bots_idx"), table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index(op.f("slack_installations_idx"), table_name="slack_installations")
    op.drop_table("slack_installations")
