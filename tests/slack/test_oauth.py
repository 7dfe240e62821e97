"""Multi-workspace OAuth: install from /slack/install, tokens stored in our database.

deskbot is built the way `deskbot serve` builds it with SLACK_CLIENT_ID/SECRET,
SLACK_STATE_SECRET and SLACK_SIGNING_SECRET (no bot token), on a database migrated to
head (the installation tables come from migration 0004). The fake Slack answers
`oauth.v2.access`; what a browser would do between /slack/install and the redirect
(Slack's consent screen) is skipped: the test follows the state deskbot issued.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import re
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from sqlalchemy import text

from bot import bootstrap
from bot.server import create_app
from bot.settings import Settings
from bot.slack import oauth
from storage import migrate
from storage.clock import FrozenClock
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import ADA, ELI, MAYA, NAMES, SECRET, TEAM, SlackWorld, block_text

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"
STATE_SECRET = "test-state-secret"
COOKIE = "slack-app-oauth-state"
INSTALLED_TOKEN = "xoxb-fake-installed"  # what the fake's oauth.v2.access gives by default
SECOND_TEAM, SECOND_TOKEN = "T2", "xoxb-second-team"
AUTHORIZE = re.compile(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"')


class Installer:
    """deskbot with OAuth on, and a browser-ish client for its install pages."""

    def __init__(self, world: SlackWorld) -> None:
        self.world = world
        self.api = world.api
        self.session = world.session
        self.url = world.url

    @property
    def store(self) -> Any:
        return self.world.deps.slack.installation_store

    async def start_install(self) -> tuple[int, str, dict[str, list[str]], str | None]:
        """GET /slack/install: (status, page, authorize URL's query, state cookie)."""
        async with self.session.get(f"{self.url}/slack/install",
                                    allow_redirects=False) as response:
            page = await response.text()
            cookie = response.cookies.get(COOKIE)
            found = AUTHORIZE.search(page)
            query = (urllib.parse.parse_qs(urllib.parse.urlsplit(
                html.unescape(found.group(1))).query) if found else {})
            return response.status, page, query, cookie.value if cookie else None

    async def redirect(self, state: str, *, code: str = "code-1",
                       cookie: str | None = "same") -> tuple[int, str]:
        """GET /slack/oauth_redirect as the browser Slack sent back (cookie = state)."""
        headers = {}
        if cookie is not None:
            headers["Cookie"] = f"{COOKIE}={state if cookie == 'same' else cookie}"
        params = {"code": code, "state": state}
        async with self.session.get(f"{self.url}/slack/oauth_redirect", params=params,
                                    headers=headers, allow_redirects=False) as response:
            return response.status, await response.text()

    async def install(self, *, code: str = "code-1") -> None:
        status, _, query, cookie = await self.start_install()
        assert status == 200
        state = query["state"][0]
        assert cookie == state
        status, page = await self.redirect(state, code=code)
        assert status == 200, page

    async def rows(self, sql: str) -> list[Any]:
        async with self.world.db.engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())


@asynccontextmanager
async def oauth_deskbot(database_factory: Any, clock: FrozenClock) -> AsyncIterator[Installer]:
    db = database_factory()
    await migrate.upgrade(db)
    async with FakeSlackApi() as api:
        for user, name in NAMES.items():
            api.add_user(user, name, is_admin=(user == ADA))
        settings = Settings(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
                            slack_state_secret=STATE_SECRET, slack_signing_secret=SECRET,
                            slack_api_url=api.base_url)
        assert settings.slack_oauth and settings.slack_missing() == []
        deps = await bootstrap.build(settings, clock, db=db)
        runner, port = await serve_on_loopback(create_app(settings, deps))
        try:
            async with aiohttp.ClientSession() as session:
                yield Installer(SlackWorld(api, deps, f"http://127.0.0.1:{port}", session,
                                           clock))
        finally:
            await runner.cleanup()


def _signed(nonce: str) -> str:
    return f"{nonce}.{hmac.new(STATE_SECRET.encode(), nonce.encode(), hashlib.sha256).hexdigest()}"


def test_bot_scopes_are_the_manifests() -> None:
    manifest = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "app_manifest.yaml").read_text())
    assert oauth.BOT_SCOPES == tuple(manifest["oauth_config"]["scopes"]["bot"])
    assert "chat:write" in oauth.BOT_SCOPES and "commands" in oauth.BOT_SCOPES


async def test_install_page_points_at_slack_with_our_client_and_scopes(
        database_factory: Any, clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        status, _, query, cookie = await installer.start_install()

        assert status == 200
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"][0].split(",") == list(oauth.BOT_SCOPES)
        state = query["state"][0]
        assert cookie == state
        # The state is issued into our database (its nonce part), and is ours (signed).
        assert [row.state for row in await installer.rows(
            "SELECT state FROM slack_oauth_states")] == [state.rpartition(".")[0]]
        assert state == _signed(state.rpartition(".")[0])
        assert not installer.api.calls  # nothing goes to Slack before the redirect


async def test_redirect_installs_the_team_and_stores_its_token(database_factory: Any,
                                                               clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        assert await oauth.bot_token_for(installer.store, TEAM) is None

        await installer.install(code="the-code")

        exchange = installer.api.calls_to("oauth.v2.access")
        assert len(exchange) == 1 and exchange[0].ok
        assert exchange[0].params["code"] == "the-code"
        installed = await installer.rows(
            "SELECT client_id, team_id, bot_token, bot_user_id, user_id"
            " FROM slack_installations")
        assert [tuple(row) for row in installed] == [
            (CLIENT_ID, TEAM, INSTALLED_TOKEN, "UBOT", "UINSTALLER")]
        bots = await installer.rows("SELECT team_id, bot_token, bot_id FROM slack_bots")
        assert [tuple(row) for row in bots] == [(TEAM, INSTALLED_TOKEN, "BBOT")]
        assert await installer.rows("SELECT id FROM slack_oauth_states") == []  # consumed
        assert await oauth.bot_token_for(installer.store, TEAM) == INSTALLED_TOKEN
        assert await oauth.bot_token_for(installer.store, "TNOTHERE") is None


async def test_bad_and_reused_states_are_refused(database_factory: Any, clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        _, _, query, _ = await installer.start_install()
        state = query["state"][0]
        nonce = state.rpartition(".")[0]

        refusals = [
            await installer.redirect("made-up-state"),
            await installer.redirect(f"{nonce}.{'0' * 64}"),  # forged signature
            await installer.redirect(_signed("never-issued")),  # signed, but not issued
            await installer.redirect(state, cookie=None),  # another browser
            await installer.redirect(state, cookie="other"),
        ]
        assert await installer.rows("SELECT id FROM slack_oauth_states") != []  # still there
        ok, page = await installer.redirect(state)
        reused = await installer.redirect(state)

        for status, _ in [*refusals, reused]:
            assert 400 <= status < 500
        assert ok == 200, page
        assert len(installer.api.calls_to("oauth.v2.access")) == 1  # only the good one
        assert len(await installer.rows("SELECT id FROM slack_installations")) == 1


async def test_each_team_is_answered_with_its_own_token(database_factory: Any,
                                                        clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        world, api = installer.world, installer.api
        await installer.install()
        api.set_oauth_answer({
            "app_id": "A1", "authed_user": {"id": "UOTHER"}, "scope": "chat:write",
            "token_type": "bot", "access_token": SECOND_TOKEN, "bot_user_id": "UBOT2",
            "team": {"id": SECOND_TEAM, "name": "Other"}, "enterprise": None,
            "is_enterprise_install": False})
        await installer.install(code="code-2")
        assert await oauth.bot_token_for(installer.store, SECOND_TEAM) == SECOND_TOKEN
        before = len(api.calls)

        # A signed event of the first team: its home is published with its token.
        home = await world.open_home(ADA)
        assert home["type"] == "home"
        # The same for the second team (a raw event: the harness speaks for T1).
        body = json.dumps({
            "token": "legacy", "team_id": SECOND_TEAM, "api_app_id": "A1",
            "type": "event_callback", "event_id": "EvSECOND", "event_time": int(time.time()),
            "authorizations": [{"team_id": SECOND_TEAM, "user_id": "UBOT2", "is_bot": True}],
            "event": {"type": "app_home_opened", "user": ADA, "tab": "home",
                      "channel": f"D{ADA}", "event_ts": "1800000000.000200"}})
        status, _ = await world.post(body, "application/json")
        assert status == 200
        await world.settled()  # acknowledged first; published through the outbox
        published = api.calls_to("views.publish", ok=True)
        assert [call.token for call in published] == [INSTALLED_TOKEN, SECOND_TOKEN]
        # Every Web API call made for the events used the token of the team concerned.
        assert {call.token for call in api.calls[before:]} <= {INSTALLED_TOKEN, SECOND_TOKEN}

        # A signed /desk command of the first team is answered too.
        answer = await world.command(ADA, "help")
        assert "/desk help" in block_text(answer)


async def test_a_team_that_did_not_install_gets_nothing(database_factory: Any,
                                                       clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        status, _ = await installer.world.event(
            {"type": "app_home_opened", "user": ADA, "tab": "home", "channel": f"D{ADA}",
             "event_ts": "1800000000.000300"})

        assert status == 403  # refused before bolt: not a workspace deskbot is installed in
        assert not installer.api.calls_to("views.publish")
        assert not [call for call in installer.api.calls if call.token]


async def test_unsigned_requests_are_still_refused_with_oauth(database_factory: Any,
                                                             clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        await installer.install()
        body = json.dumps({"type": "event_callback", "team_id": TEAM, "event": {
            "type": "app_home_opened", "user": ADA, "tab": "home"}})

        status, _ = await installer.world.post(body, "application/json", sign=False)

        assert status == 401
        assert not installer.api.calls_to("views.publish")


async def test_a_reinstall_gives_the_newest_token(database_factory: Any, clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        await installer.install()
        answer = installer.api.state.oauth_v2_access({"code": "x"})
        installer.api.set_oauth_answer({**answer, "access_token": "xoxb-reinstalled"})
        await installer.install(code="code-2")

        assert len(await installer.rows("SELECT id FROM slack_bots")) == 2
        assert await oauth.bot_token_for(installer.store, TEAM) == "xoxb-reinstalled"


async def test_bot_token_for_works_with_any_installation_store() -> None:
    from slack_sdk.oauth.installation_store import Bot

    class OneBot:
        async def async_find_bot(self, *, enterprise_id: str | None,
                                 team_id: str | None) -> Bot | None:
            if team_id != TEAM or enterprise_id is not None:
                return None
            return Bot(app_id="A1", enterprise_id=None, team_id=TEAM, bot_token="xoxb-any",
                       bot_id="B1", bot_user_id="U1", installed_at=time.time())

    assert await oauth.bot_token_for(OneBot(), TEAM) == "xoxb-any"  # type: ignore[arg-type]
    assert await oauth.bot_token_for(OneBot(), "T9") is None  # type: ignore[arg-type]


async def test_a_refused_token_is_read_again_so_a_reinstall_takes_over(
        database_factory: Any, clock: FrozenClock):
    async with oauth_deskbot(database_factory, clock) as installer:
        world, api = installer.world, installer.api
        await installer.install()
        await world.set_up_desks_directly()
        await world.dm(ELI, "the printer jams")
        await world.settled()
        assert {c.token for c in api.calls_to("chat.postMessage", ok=True)} == {INSTALLED_TOKEN}

        # The workspace reinstalls deskbot; Slack refuses the old token from now on.
        answer = api.state.oauth_v2_access({"code": "x"})
        api.set_oauth_answer({**answer, "access_token": "xoxb-reinstalled"})
        await installer.install(code="code-2")
        api.fail_next("chat.postMessage", "token_revoked")
        before = len(api.calls_to("chat.postMessage", ok=True))
        # Another person (Eli's next words would join his unanswered question).
        await world.dm(MAYA, "the scanner is broken")
        await retry_scheduled(world)
        world.clock.advance(seconds=30)  # the refused attempt's retry is due
        await world.settled()
        delivered = api.calls_to("chat.postMessage", ok=True)[before:]
        assert delivered and {c.token for c in delivered} == {"xoxb-reinstalled"}


async def retry_scheduled(world: SlackWorld, limit: float = 10.0) -> None:
    """Wait until a failed delivery has its retry scheduled (then the clock may move)."""
    from sqlalchemy import func, select

    from storage.models import OutboxNotice

    async with asyncio.timeout(limit):
        while True:
            async with world.db.unit_of_work(readonly=True) as uow:
                if (await uow.session.execute(select(func.count()).select_from(OutboxNotice)
                                              .where(OutboxNotice.done_at.is_(None),
                                                     OutboxNotice.attempts > 0))).scalar_one():
                    return
            await asyncio.sleep(0.01)  # noqa: ASYNC110 - the outbox worker has no event for it

