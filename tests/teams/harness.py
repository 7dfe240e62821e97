"""A real deskbot server on loopback, a fake Bot Framework connector, and Teams' people.

`TeamsWorld` builds deskbot the way `deskbot serve` does (bootstrap.build + create_app;
no MICROSOFT_APP_ID and the emulator switch on, so authentication is off on this
loopback bind; the fake connector's address is an allowed service URL), serves it on
127.0.0.1 port 0 and posts to its /api/messages the activities Teams would send, with
the fake connector as their `serviceUrl`: whatever deskbot sends lands there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot import bootstrap
from bot.server import create_app
from bot.settings import DEFAULT_TEAMS_SERVICE_URLS, Settings
from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from tests.fakes.bot_connector import Channel, FakeBotConnector, Person
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.teams_activities import TeamsActivities
from tests.settling import settled

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
NAMES = ("Ada", "Dana", "Lee", "Omer", "Eli")


def cast(connector: FakeBotConnector) -> Person:
    """The story's people, team and desk channels in the fake; returns Ada (the admin)."""
    for name in NAMES:
        connector.add_person(f"aad-{name.lower()}", name)
    team = connector.add_team(name="Helpdesk")
    connector.add_channel(team, name="IT agents")
    connector.add_channel(team, name="HR agents")
    ada = connector.person("aad-ada")
    assert ada is not None
    return ada


class TeamsWorld:
    """deskbot + fake Teams; the methods are what people do in Teams."""

    def __init__(self, connector: FakeBotConnector, deps: bootstrap.Deps, url: str,
                 session: aiohttp.ClientSession, clock: FrozenClock) -> None:
        self.connector = connector
        self.deps = deps
        self.db: Database = deps.db
        self.url = url
        self.session = session
        self.clock = clock
        self.teams = TeamsActivities.for_connector(connector)
        self.ada, self.dana, self.lee, self.omer, self.eli = (
            connector.person(f"aad-{name.lower()}") for name in NAMES)
        self.team = next(iter(connector.teams))
        self.it_channel, self.hr_channel = (
            next(c for c in connector.channels.values() if c.name == name)
            for name in ("IT agents", "HR agents"))

    # ------------------------------------------------------------ raw

    async def post(self, activity: dict[str, Any], *,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """POST one activity to /api/messages; (status, JSON answer or text)."""
        async with self.session.post(f"{self.url}/api/messages", json=activity,
                                     headers=headers) as response:
            text = await response.text()
            try:
                body: Any = await response.json(content_type=None) if text else None
            except ValueError:
                body = text
            return response.status, body

    # ------------------------------------------------------------ what people do

    async def dm(self, person: Person, text: str) -> dict[str, Any]:
        """`person` writes to the bot in their personal chat; returns the activity."""
        activity = self.teams.personal_message(person, text)
        status, body = await self.post(activity)
        assert status in (200, 201), body
        return activity

    async def say(self, person: Person, channel: Channel, text: str, *,
                  thread_root: str | None = None, mention: bool = True,
                  mentions: tuple[Person, ...] = ()) -> dict[str, Any]:
        """`person` posts in `channel` (in `thread_root`'s thread when given).

        `mention` @mentions the bot first; each of `mentions` is written `<at>Name</at>`
        wherever `{Name}` appears in `text`, with its mention entity, as Teams does.
        """
        for other in mentions:
            text = text.replace(f"{{{other.name}}}", f"<at>{other.name}</at>")
        activity = self.teams.channel_message(person, text, channel=channel,
                                              thread_root=thread_root, mention=mention)
        for other in mentions:
            activity["entities"].append({"type": "mention", "text": f"<at>{other.name}</at>",
                                         "mentioned": {"id": other.user_id,
                                                       "name": other.name}})
        status, body = await self.post(activity)
        assert status in (200, 201), body
        return activity

    async def click(self, person: Person, card_activity: dict[str, Any], verb: str, *,
                    choice: str | None = None, value: str | None = None,
                    channel: Channel | None = None,
                    inputs: dict[str, str] | None = None) -> tuple[int, Any]:
        """`person` presses the `verb` button (whose data `value` is `value`, when given)
        of the card in `card_activity`, as deskbot sent it and the fake recorded it;
        `choice` fills the button's choice set, `inputs` other inputs (by id)."""
        card = card_of(card_activity)
        data = dict(find_action(card, verb, value)["data"])
        if choice is not None:
            data[verb] = choice
        data.update(inputs or {})
        conversation_id = card_activity.get("conversation", {}).get("id")
        invoke = self.teams.card_action(person, verb, data, reply_to_id=card_activity["id"],
                                        channel=channel,
                                        conversation_id=conversation_id)
        return await self.post(invoke)

    # ------------------------------------------------------------ looking

    def chat_of(self, person: Person) -> list[dict[str, Any]]:
        """What the bot sent into `person`'s personal chat, in order."""
        conversation = self.connector.personal_conversation(person)
        return [a for a in self.connector.activities_in(conversation.id)
                if a.get("from", {}).get("id") != person.user_id]

    def threads_in(self, channel: Channel) -> list[dict[str, Any]]:
        """The top-level posts of `channel` (a card's thread starts at each)."""
        return self.connector.top_level(channel.channel_id)

    def thread(self, channel: Channel, root_id: str) -> list[dict[str, Any]]:
        """Every message of the thread under `root_id`, the root first."""
        return self.connector.thread(channel.channel_id, root_id)

    # ------------------------------------------------------------ waiting

    async def settled(self, limit: float = 10.0) -> None:
        """Wait until every stored message is processed and every due notice delivered."""
        await settled(self.deps, self.deps.teams.inbox, limit)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card an activity carries."""
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == ADAPTIVE:
            return attachment["content"]
    raise AssertionError(f"no Adaptive Card in {str(activity)[:1500]}")


def executes(card: dict[str, Any], verb: str | None = None) -> list[dict[str, Any]]:
    """Every Action.Execute (with `verb`, when given) in `card`, its `refresh` aside."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and verb in (None, node.get("verb")):
                found.append(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in card.items() if k != "refresh"})
    return found


def desk_choice(picker: dict[str, Any], slug: str) -> dict[str, Any]:
    """The data of the desk picker's button for the desk `slug` (picker: the activity)."""
    return next(a["data"] for a in executes(card_of(picker), button_ids.PICK_DESK)
                if a["data"]["value"].endswith(f":{slug}"))


def find_action(card: dict[str, Any], verb: str, value: str | None = None) -> dict[str, Any]:
    """The first Action.Execute with `verb` (and data `value`) anywhere in `card`."""
    for action in executes(card, verb):
        if value is None or (action.get("data") or {}).get("value") == value:
            return action
    raise AssertionError(f"no {verb} button (value {value!r}) in card: {str(card)[:2000]}")


def card_text(activity_or_card: dict[str, Any]) -> str:
    """All the text a person would read on a card (TextBlocks, facts, buttons)."""
    card = (card_of(activity_or_card) if "attachments" in activity_or_card
            else activity_or_card)
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value"):
                if isinstance(node.get(key), str) and node.get("type") != "Input.ChoiceSet":
                    parts.append(node[key])
            for key, value in node.items():
                if key != "refresh":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body") or [])
    walk(card.get("actions") or [])
    return "\n".join(parts)


@asynccontextmanager
async def teams_world(database: Database, clock: FrozenClock, *,
                      settings_changes: dict[str, Any] | None = None,
                      connector: FakeBotConnector | None = None) -> AsyncIterator[TeamsWorld]:
    """deskbot served on 127.0.0.1:0 against a fake Teams connector, with the story's people."""
    own = connector is None
    connector = connector or FakeBotConnector()
    if own:
        await connector.start()
    try:
        ada = cast(connector)
        # Ada is an admin by DESKBOT_ADMINS: Teams does not tell who administers a tenant.
        changes = {"admins": frozenset({f"teams:{ada.user_id}"}), "teams_emulator": True,
                   "teams_service_urls": (*DEFAULT_TEAMS_SERVICE_URLS, connector.base_url),
                   **(settings_changes or {})}
        settings = Settings(**changes)
        deps = await bootstrap.build(settings, clock, db=database)
        app = create_app(settings, deps)
        runner, port = await serve_on_loopback(app)
        try:
            async with aiohttp.ClientSession() as session:
                world = TeamsWorld(connector, deps, f"http://127.0.0.1:{port}", session, clock)
                yield world
        finally:
            await runner.cleanup()
    finally:
        if own:
            await connector.stop()
