"""A real deskbot server on loopback, talking to a fake Slack Web API, and a Slack stand-in.

`SlackWorld` builds deskbot the way `deskbot serve` does (bootstrap.build + create_app)
with SLACK_API_URL pointing at `FakeSlackApi`, serves it on 127.0.0.1 port 0, and sends
it what Slack would send: signed event, slash-command and interaction requests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot import bootstrap
from bot.playground import signed
from bot.playground.signed import SignedRequest, SlackRequests
from bot.server import create_app
from bot.settings import Settings
from storage.clock import FrozenClock
from storage.database import Database
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackApi
from tests.settling import settled

TEAM = "T1"
SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"

# The people of the story: Slack ids and names.
ADA, DANA, LEE, OMER, ELI, MAYA = "UADA", "UDANA", "ULEE", "UOMER", "UELI", "UMAYA"
NAMES = {ADA: "Ada", DANA: "Dana", LEE: "Lee", OMER: "Omer", ELI: "Eli", MAYA: "Maya"}
IT_CHANNEL, HR_CHANNEL, INTAKE_CHANNEL = "CITDESK", "CHRDESK", "CASKIT"


class SlackWorld:
    """deskbot + fake Slack; the methods are what people do in Slack.

    The requests are built and signed by `bot.playground.signed`, the code the
    playground's page goes through too.
    """

    def __init__(self, api: FakeSlackApi, deps: bootstrap.Deps, base_url: str,
                 session: aiohttp.ClientSession, clock: FrozenClock) -> None:
        self.api = api
        self.deps = deps
        self.db: Database = deps.db
        self.url = base_url
        self.session = session
        self.clock = clock
        self.requests = SlackRequests(SECRET, TEAM)
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)

    # ------------------------------------------------------------ raw requests

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """Headers Slack would send with `body`."""
        return self.requests.sign(body, timestamp)

    async def post(self, body: str, content_type: str, *, headers: dict[str, str] | None = None,
                   sign: bool = True) -> tuple[int, str]:
        """POST to /slack/events; returns (status, body text)."""
        return await self.send(self.requests.signed(body, content_type, headers=headers,
                                                    sign=sign))

    async def send(self, request: SignedRequest) -> tuple[int, str]:
        """POST a built request to /slack/events; returns (status, body text)."""
        async with self.session.post(f"{self.url}/slack/events", data=request.body.encode(),
                                     headers=request.headers) as response:
            return response.status, await response.text()

    # ------------------------------------------------------------ what people do

    def new_ts(self) -> str:
        """A message timestamp as Slack would give the person's own message."""
        return f"1800000000.{next(self._ts):06d}"

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    retry_num: int | None = None) -> tuple[int, str]:
        """Deliver an Events API callback."""
        return await self.send(self.requests.event(event, event_id=event_id,
                                                   retry_num=retry_num))

    async def dm(self, user: str, text: str, *, thread_ts: str | None = None,
                 event_id: str | None = None,
                 files: list[dict[str, Any]] | None = None) -> str:
        """The person writes to the bot in their DM (with `files`: Slack file objects,
        from `api.add_file`); returns the message ts."""
        ts = self.new_ts()
        event = self.requests.message_event(user, f"D{user}", text, ts, thread_ts=thread_ts,
                                            files=files)
        status, _ = await self.event(event, event_id=event_id)
        assert status == 200
        return ts

    async def say(self, user: str, channel: str, text: str, *,
                  thread_ts: str | None = None,
                  files: list[dict[str, Any]] | None = None) -> str:
        """The person posts in a channel (a thread reply when thread_ts is given)."""
        ts = self.new_ts()
        event = self.requests.message_event(user, channel, text, ts, thread_ts=thread_ts,
                                            files=files)
        status, _ = await self.event(event)
        assert status == 200
        return ts

    async def command(self, user: str, text: str, *, channel: str | None = None) -> dict:
        """`/desk text`; returns deskbot's answer: the JSON it put in the HTTP response,
        or, when the ack came back empty (the command took longer), what it posted to
        the command's response_url."""
        response_id = str(next(self._ids))
        request = self.requests.command(
            user, NAMES.get(user, user).lower(), text, channel=channel or f"D{user}",
            channel_name="directmessage" if channel is None else "it-desk",
            response_url=f"{self.api.base_url}response/{response_id}",
            trigger_id=f"trigger.{next(self._ids)}")
        status, text_body = await self.send(request)
        assert status == 200, text_body
        if text_body:
            return json.loads(text_body)
        await self.settled()
        answers = [c.params for c in self.api.calls_to(RESPONSE_URL)
                   if c.params.get("response_id") == response_id]
        assert answers, f"no answer to /desk {text!r}, in the ack or at its response_url"
        return {k: v for k, v in answers[-1].items() if k != "response_id"}

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Deliver an interactivity payload (block_actions, view_submission, shortcut)."""
        return await self.send(self.requests.interaction(payload))

    async def click(self, user: str, message: dict[str, Any], action_id: str, *,
                    value: str | None = None, option: str | None = None,
                    channel: str | None = None) -> tuple[int, str]:
        """Click a button (or choose a select option) found in `message`'s blocks;
        returns once the click is worked on (it is acknowledged first)."""
        block_id, element = find_element(message, action_id, value)
        action = self.requests.action(element, block_id, self.new_ts(), value=value,
                                      option=option)
        answer = await self.interact(self.requests.message_actions(
            {"id": user, "name": NAMES.get(user, user)}, message,
            channel or message["channel"], action,
            trigger_id=f"trigger.{next(self._ids)}",
            response_url=f"{self.api.base_url}response/{next(self._ids)}"))
        await self.worked_on()  # acknowledged first; worked on by the inbox after
        return answer

    async def open_home(self, user: str) -> dict:
        """The person opens the bot's home tab; returns the view deskbot published."""
        before = len(self.api.calls_to("views.publish"))
        status, _ = await self.event(self.requests.home_opened_event(user, self.new_ts()))
        assert status == 200
        await self.settled()  # acknowledged first; published through the outbox
        published = self.api.calls_to("views.publish")[before:]
        assert published, "no views.publish after app_home_opened"
        return published[-1].params["view"]

    async def home_click(self, user: str, view: dict, action_id: str, *,
                         value: str | None = None, option: str | None = None) -> dict:
        """Click in the person's home tab; returns the view deskbot published next."""
        block_id, element = find_element(view, action_id, value)
        action = self.requests.action(element, block_id, self.new_ts(), value=value,
                                      option=option)
        before = len(self.api.calls_to("views.publish"))
        status, _ = await self.interact(self.requests.view_actions(
            {"id": user}, {**view, "id": "V1", "type": "home"}, action,
            trigger_id=f"trigger.{next(self._ids)}"))
        assert status == 200
        await self.settled()  # acknowledged first; published through the outbox
        published = self.api.calls_to("views.publish")[before:]
        assert published, "no views.publish after a home click"
        return published[-1].params["view"]

    async def set_up_desks_directly(self, *, intake: str | None = None) -> None:
        """IT (Dana, Lee) and HR (Omer) made through the core, for tests not about /desk."""
        from desks.people import ensure_person, ensure_workspace
        from desks.permissions import Actor, Role
        from desks.service import add_members, create_desk, set_intake_channel

        async with self.db.unit_of_work() as uow:
            workspace = await ensure_workspace(uow, "slack", TEAM)
            people = {user: await ensure_person(uow, workspace, user, name,
                                                is_platform_admin=user == ADA)
                      for user, name in NAMES.items()}
            admin = Actor(people[ADA], is_admin=True)
            await create_desk(uow, admin, "IT", agent_channel=IT_CHANNEL,
                              description="Laptops, VPN")
            await create_desk(uow, admin, "HR", agent_channel=HR_CHANNEL)
            await add_members(uow, admin, "IT", [people[DANA], people[LEE]], Role.AGENT)
            await add_members(uow, admin, "HR", [people[OMER]], Role.AGENT)
            if intake:
                await set_intake_channel(uow, admin, "IT", intake)
            await uow.commit()

    # ------------------------------------------------------------ waiting

    async def worked_on(self, limit: float = 10.0) -> None:
        """Wait until every stored delivery is processed (its private answer sent); what
        it queued in the outbox may still be on its way."""
        inbox = self.deps.slack.inbox
        async with asyncio.timeout(limit):
            while await inbox.waiting() or inbox.in_hand:
                inbox.wake()
                await asyncio.sleep(0.01)  # noqa: ASYNC110 - idle has no event of its own

    async def settled(self, limit: float = 10.0) -> None:
        """Wait until every stored message is processed and every due notice delivered."""
        await settled(self.deps, self.deps.slack.inbox, limit)


def find_element(message: dict[str, Any], action_id: str,
                 value: str | None = None) -> tuple[str | None, dict[str, Any]]:
    """The (block_id, element) with `action_id` (and `value`, when given) in `message`."""
    try:
        return signed.find_element(message, action_id, value)
    except LookupError as missing:
        raise AssertionError(str(missing)) from None


def block_text(message_or_view: dict[str, Any]) -> str:
    """All the text a person would read in a message or view (blocks and fallback)."""
    parts: list[str] = [message_or_view.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"),
                                                                           str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message_or_view.get("blocks") or [])
    return "\n".join(parts)


@asynccontextmanager
async def slack_world(database: Database, clock: FrozenClock, *,
                      settings_changes: dict[str, Any] | None = None,
                      api_setup: Callable[[FakeSlackApi], None] | None = None,
                      ) -> AsyncIterator[SlackWorld]:
    """deskbot served on 127.0.0.1:0 against a fake Slack, with the story's people."""
    async with FakeSlackApi() as api:
        for user, name in NAMES.items():
            api.add_user(user, name, is_admin=(user == ADA))
        if api_setup:
            api_setup(api)
        # The fake answers at any pace unless told to keep Slack's (`rate_limit`), so
        # deskbot's pacing is off unless a test turns it on.
        changes = {"slack_channel_posts_per_minute": 0, **(settings_changes or {})}
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=api.base_url, **changes)
        deps = await bootstrap.build(settings, clock, db=database)
        app = create_app(settings, deps)
        runner, port = await serve_on_loopback(app)
        try:
            async with aiohttp.ClientSession() as session:
                yield SlackWorld(api, deps, f"http://127.0.0.1:{port}", session, clock)
        finally:
            await runner.cleanup()
