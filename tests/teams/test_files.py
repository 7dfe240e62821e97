"""Files reach the other side on Teams (issue 14, point 6).

A file sent alone in a personal chat (a `file.download.info` attachment) opens a
request and reaches the card's thread; an agent's pasted image in the thread reaches
the requester's chat. Both go as attachments linking to the file (`contentUrl`),
which deskbot fetched first. A file past the limit, and one deskbot cannot fetch, get
a clear answer to their sender. Real CloudAdapter, fake connector, both databases.
"""

from __future__ import annotations

import os
import re
from typing import Any

from botframework.connector.aio import ConnectorClient

from conversations import button_ids
from conversations.delivery_views import NoticeContext
from conversations.outbox_worker import Notice
from desks.notices import NoticeKind
from storage.clock import FrozenClock
from storage.database import Database
from tests.fakes.bot_connector import FakeBotConnector, StaticTokenCredentials
from tests.teams.harness import TeamsWorld, desk_choice, teams_world
from tests.teams.test_sender import Rig
from tests.teams.test_story import set_up_desks

REPORT = os.urandom(150_000) + b"end of the report"
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
LINK = re.compile(r"\[([^\]]*)\]\((http[^)\s]+)\)")


def files_in(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The attachments of `activities` that link to a file."""
    return [a for activity in activities for a in activity.get("attachments") or []
            if a.get("contentUrl")]


def links_in(activities: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(the message's text, the link's words, its URL) of each markdown link sent."""
    return [(a.get("text") or "", words, url) for a in activities
            for words, url in LINK.findall(a.get("text") or "")]


async def dm_with(world: TeamsWorld, person: Any, text: str,
                  attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """`person` writes `text` (maybe nothing) with attachments in their chat with the bot."""
    activity = world.teams.personal_message(person, text)
    activity["attachments"] = attachments
    status, body = await world.post(activity)
    assert status in (200, 201), body
    return activity


async def open_with_file(world: TeamsWorld, attachment: dict[str, Any]) -> dict[str, Any]:
    """Eli sends only a file, picks IT; returns the card's root activity."""
    await dm_with(world, world.eli, "", [attachment])
    await world.settled()
    [picker] = world.chat_of(world.eli)
    await world.click(world.eli, picker, button_ids.PICK_DESK,
                      value=desk_choice(picker, "it")["value"])
    await world.settled()
    [card] = world.threads_in(world.it_channel)
    return card


async def test_a_file_only_message_reaches_the_card_thread(db: Database,
                                                           clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        shared = world.connector.file_download_info("report.pdf", REPORT)
        card = await open_with_file(world, shared)
        thread = world.thread(world.it_channel, card["id"])
        [(said, words, url)] = links_in(thread)
        assert words == "report.pdf" and said.startswith("Eli shared")
        assert world.connector.file_bytes(url) == REPORT  # Teams' own link to the same bytes
        assert len(world.connector.calls_to("download", ok=True)) == 1  # fetched first


async def test_an_agents_image_reaches_the_requester(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        card = await open_with_file(world, world.connector.file_download_info("a.txt", b"a"))
        screenshot = os.urandom(5_000)
        reply = world.teams.channel_message(world.dana, "Here is where to click",
                                            channel=world.it_channel,
                                            thread_root=card["id"], mention=False)
        reply["attachments"].append(world.connector.image("where.png", screenshot))
        status, _ = await world.post(reply)
        assert status in (200, 201)
        await world.settled()
        [to_eli] = files_in(world.chat_of(world.eli))
        assert world.connector.file_bytes(to_eli["contentUrl"]) == screenshot
        assert to_eli["contentType"] == "image/png"
        assert any("Here is where to click" in (a.get("text") or "") or
                   "Here is where to click" in str(a.get("attachments"))
                   for a in world.chat_of(world.eli))


async def test_a_file_past_the_limit_is_told_to_its_sender(db: Database,
                                                           clock: FrozenClock) -> None:
    async with teams_world(db, clock, settings_changes={"max_file_mb": 1}) as world:
        await set_up_desks(world)
        big = world.connector.file_download_info("scan.pdf", b"x" * (2 * 1024 * 1024))
        await open_with_file(world, big)
        assert not links_in(world.thread(world.it_channel,
                                         world.threads_in(world.it_channel)[0]["id"]))
        told = [a.get("text") or "" for a in world.chat_of(world.eli)]
        assert any("scan.pdf" in t and "up to 1 MB" in t for t in told), told


async def test_a_file_deskbot_cannot_fetch_is_told_to_its_sender(db: Database,
                                                                 clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        world.connector.fail_next("download", 403)
        card = await open_with_file(world, world.connector.file_download_info("r.pdf", b"r"))
        assert not links_in(world.thread(world.it_channel, card["id"]))
        told = [a.get("text") or "" for a in world.chat_of(world.eli)]
        assert any("could not fetch" in t and "r.pdf" in t for t in told), told


async def test_the_bots_token_goes_to_teams_own_hosts_only(db: Database) -> None:
    """A pasted image on Teams' hosts wants the bot's token; a pre-authenticated
    download link elsewhere must not get it."""
    async with FakeBotConnector() as connector:
        rig = Rig(db, connector)
        await rig.seed()

        async def signed(service_url: str) -> ConnectorClient:
            return ConnectorClient(StaticTokenCredentials("app-id", "bot-token"),
                                   base_url=rig.service_url)
        rig.sender.connector_for = signed
        conversation = await rig.open()
        ctx = NoticeContext(connector.tenant_id, Notice(
            id=1, workspace_id=conversation.workspace_id, kind=NoticeKind.FILE_TO_AGENTS,
            conversation_id=conversation.id, person_id=None, payload={}, attempts=0))
        image = connector.image("shot.png", b"png")["contentUrl"]  # the service URL's host
        assert await rig.sender._download_headers(ctx, image) == {
            "Authorization": "Bearer bot-token"}
        assert await rig.sender._download_headers(
            ctx, "https://eu-api.asm.skype.com/v1/objects/0-weu/views/imgo") == {
            "Authorization": "Bearer bot-token"}
        assert await rig.sender._download_headers(
            ctx, "https://contoso.sharepoint.com/personal/x/download.aspx?tempauth=1") == {}
        assert await rig.sender._download_headers(
            ctx, "https://asm.skype.com.evil.example/x") == {}


async def _in_hebrew(world: TeamsWorld) -> None:
    """Eli chose Hebrew (`language he`) and the IT desk speaks Hebrew."""
    await set_up_desks(world)
    await world.dm(world.eli, "language he")
    await world.say(world.ada, world.it_channel, "admin language IT he")
    await world.settled()


async def _hebrew_request_with_file(world: TeamsWorld, attachment: dict[str, Any]) -> None:
    await dm_with(world, world.eli, "", [attachment])
    await world.settled()
    picker = world.chat_of(world.eli)[-1]
    await world.click(world.eli, picker, button_ids.PICK_DESK,
                      value=desk_choice(picker, "it")["value"])
    await world.settled()


async def test_a_file_caption_is_in_the_desks_language(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await _in_hebrew(world)
        await _hebrew_request_with_file(
            world, world.connector.file_download_info("report.pdf", REPORT))
        [card] = world.threads_in(world.it_channel)
        [(said, words, _)] = links_in(world.thread(world.it_channel, card["id"]))
        assert words == "report.pdf" and said.startswith("הקובץ"), said
        assert "שותף על ידי" in said and "shared" not in said


async def test_a_file_that_did_not_go_through_is_told_in_the_senders_language(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await _in_hebrew(world)
        world.connector.fail_next("download", 403)
        await _hebrew_request_with_file(world, world.connector.file_download_info("r.pdf", b"r"))
        told = [a.get("text") or "" for a in world.chat_of(world.eli) if "r.pdf" in str(a)]
        assert any("לא הצלחנו להביא את הקובץ" in t for t in told), told
        assert not any("could not" in t for t in told), told
