"""Multi-workspace Slack: the OAuth install flow, with installations kept in our database.

bolt runs the flow (`/slack/install` -> Slack -> `/slack/oauth_redirect` ->
`oauth.v2.access`); this module gives it its settings: our client credentials, the bot
scopes app_manifest.yaml declares (`BOT_SCOPES`), and slack_sdk's SQLAlchemy stores on
deskbot's own async engine. Their tables (`slack_installations`, `slack_bots`,
`slack_oauth_states`) are made by migration 0004, never at run time.

OAuth states are signed with SLACK_STATE_SECRET: a state deskbot did not issue is
refused before any database look-up, and an issued one is consumed once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import desc, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.database import Database

log = logging.getLogger(__name__)

STATE_EXPIRATION_SECONDS = 600
# What the bot asks for when a workspace installs it: the same list as
# `oauth_config.scopes.bot` in app_manifest.yaml (a test holds the two together). Kept
# here, not read from the file, so an installed deskbot needs no copy of the repository.
BOT_SCOPES = ("channels:history", "channels:join", "channels:read", "chat:write", "commands",
              "files:read", "files:write", "groups:history", "groups:read", "im:history",
              "im:read", "im:write", "mpim:read", "pins:write", "users:read")


class SignedOAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store on our engine, its states signed with our secret.

    A state is `<nonce>.<HMAC-SHA256(secret, nonce)>`; the table holds the nonce.
    """

    def __init__(self, secret: str, engine: AsyncEngine, *,
                 expiration_seconds: int = STATE_EXPIRATION_SECONDS) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self._key = secret.encode()

    def _signature(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = await super().async_issue(*args, **kwargs)
        return f"{nonce}.{self._signature(nonce)}"

    async def async_consume(self, state: str) -> bool:
        nonce, _, signature = (state or "").rpartition(".")
        if not nonce or not hmac.compare_digest(signature, self._signature(nonce)):
            log.warning("Slack OAuth: refused a state deskbot did not issue")
            return False
        return await super().async_consume(nonce)


def build_oauth_settings(settings: Settings, db: Database) -> AsyncOAuthSettings:
    """bolt's OAuth settings for `settings`' Slack app, storing in `db`.

    Needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET (bootstrap checks
    them first); the stores' tables must exist (migration 0004).
    """
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret
    state_secret = settings.slack_state_secret
    if not (client_id and client_secret and state_secret):
        raise ValueError("Slack OAuth needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                         "SLACK_STATE_SECRET")
    installation_store = AsyncSQLAlchemyInstallationStore(client_id=client_id,
                                                          engine=db.engine, logger=log)
    state_store = SignedOAuthStateStore(state_secret, db.engine)
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=installation_store,
        state_store=state_store,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=log,
    )


async def bot_token_for(store: AsyncInstallationStore, team_id: str) -> str | None:
    """The bot token of `team_id`'s latest installation; None when deskbot is not installed.

    A workspace of an Enterprise Grid org is found by its team id alone (its rows also
    carry the org's id, which callers do not know).
    """
    if isinstance(store, AsyncSQLAlchemyInstallationStore):
        bots = store.bots
        query = (select(bots.c.bot_token)
                 .where(bots.c.client_id == store.client_id, bots.c.team_id == team_id,
                        bots.c.bot_token.is_not(None))
                 .order_by(desc(bots.c.installed_at), desc(bots.c.id))
                 .limit(1))
        async with store.engine.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()
    bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
    return bot.bot_token if bot is not None else None


async def installed_app_id(store: AsyncInstallationStore, team_id: str) -> str | None | bool:
    """The app id of `team_id`'s latest installation (True when it has none recorded);
    False when deskbot is not installed there."""
    if isinstance(store, AsyncSQLAlchemyInstallationStore):
        bots = store.bots
        query = (select(bots.c.app_id)
                 .where(bots.c.client_id == store.client_id, bots.c.team_id == team_id,
                        bots.c.bot_token.is_not(None))
                 .order_by(desc(bots.c.installed_at), desc(bots.c.id))
                 .limit(1))
        async with store.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return False if row is None else (row.app_id or True)
    bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
    return False if bot is None else (bot.app_id or True)
