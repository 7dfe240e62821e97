"""Files reach the other side on Slack (issue 14, point 6).

A file-only DM opens a request and its bytes land in the card's thread; an agent's
file in the thread lands in the requester's DM; a note's file stays internal; a file
past the size limit and one deskbot cannot fetch get a clear answer to their sender.
Real bolt and the real sender against the fake Slack Web API, both databases.
"""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import select

from conversations import button_ids
from desks.notices import NoticeKind
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import MessageFile, OutboxNotice
from tests.slack.harness import ADA, DANA, ELI, IT_CHANNEL, SlackWorld, block_text, slack_world
from tests.slack.test_story import elements, posts

REPORT = os.urandom(200_000) + b"end of the report"


async def _open_with_file(world: SlackWorld) -> tuple[str, dict, str]:
    """Eli sends a file with no text, picks IT; returns (his ts, the card, the file name)."""
    shared = world.api.add_file("report.pdf", REPORT, user=ELI, mimetype="application/pdf")
    asked = await world.dm(ELI, "", files=[shared])
    await world.settled()
    [picker] = posts(world, f"D{ELI}")
    pick = next(e for e in elements(picker)
                if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
    status, _ = await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
    assert status == 200
    await world.settled()
    [card] = posts(world, IT_CHANNEL)
    return asked, card, "report.pdf"


async def test_a_file_only_dm_reaches_the_card_thread(db: Database,
                                                      clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        _, card, name = await _open_with_file(world)
        assert "report.pdf" in block_text(card)  # the subject names the file
        [uploaded] = world.api.uploaded(IT_CHANNEL, thread_ts=card["ts"])
        assert uploaded["name"] == name
        assert uploaded["bytes"] == REPORT  # the same bytes, not a link
        assert "Eli" in uploaded["comment"] and "report.pdf" in uploaded["comment"]
        # Downloaded once, with the bot token, from the file's private URL.
        [download] = world.api.calls_to("files.download")
        assert download.token == "xoxb-test-token" and download.ok
        [complete] = world.api.calls_to("files.completeUploadExternal")
        assert complete.params["channel_id"] == IT_CHANNEL
        assert complete.params["thread_ts"] == card["ts"]
        async with db.unit_of_work(readonly=True) as uow:
            [kept] = (await uow.session.execute(
                MessageFile.__table__.select())).all()
        assert kept.name == name and kept.size == len(REPORT)
        assert kept.mimetype == "application/pdf" and kept.message_id is not None


async def test_an_agents_file_reaches_the_requester_and_a_notes_stays(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        asked, card, _ = await _open_with_file(world)
        fix = b"#!/bin/sh\necho fixed\n"
        shared = world.api.add_file("fix.sh", fix, user=DANA, mimetype="text/x-sh")
        await world.say(DANA, IT_CHANNEL, "Run this, please", thread_ts=card["ts"],
                        files=[shared])
        await world.settled()
        [to_eli] = world.api.uploaded(f"D{ELI}", thread_ts=asked)
        assert to_eli["bytes"] == fix and to_eli["name"] == "fix.sh"
        assert "Dana" in to_eli["comment"]
        assert any("Run this, please" in block_text(m)
                   for m in posts(world, f"D{ELI}", thread_ts=asked))

        # A note's file is kept, not relayed.
        secret = world.api.add_file("passwords.txt", b"hunter2", user=DANA,
                                    mimetype="text/plain")
        await world.say(DANA, IT_CHANNEL, "// the admin passwords", thread_ts=card["ts"],
                        files=[secret])
        await world.settled()
        assert [f["name"] for f in world.api.uploaded(f"D{ELI}")] == ["fix.sh"]


async def test_a_file_slack_describes_only_by_id_is_looked_up(db: Database,
                                                             clock: FrozenClock) -> None:
    """Slack Connect shares a file as `{"id", "file_access": "check_file_info"}`."""
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        shared = world.api.add_file("report.pdf", REPORT, user=ELI)
        await world.dm(ELI, "my report", files=[{"id": shared["id"],
                                                 "file_access": "check_file_info"}])
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        [card] = posts(world, IT_CHANNEL)
        [uploaded] = world.api.uploaded(IT_CHANNEL, thread_ts=card["ts"])
        assert uploaded["bytes"] == REPORT and uploaded["name"] == "report.pdf"
        assert [c.params["file"] for c in world.api.calls_to("files.info")] == [shared["id"]]


async def test_a_file_past_the_limit_gets_a_private_answer(db: Database,
                                                           clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes={"max_file_mb": 1}) as world:
        await world.set_up_desks_directly()
        big = world.api.add_file("scan.pdf", b"x" * (3 * 1024 * 1024), user=ELI,
                                 mimetype="application/pdf")
        await world.dm(ELI, "", files=[big])
        await world.settled()
        said = [block_text(c.params) for c in world.api.calls_to("chat.postEphemeral")] + [
            block_text(m) for m in posts(world, f"D{ELI}")]
        assert any("scan.pdf" in t and "3 MB" in t and "up to 1 MB" in t for t in said), said
        assert not world.api.calls_to("files.download")  # not even fetched
        assert not posts(world, IT_CHANNEL)  # no request from a file that was not carried


async def test_a_file_deskbot_cannot_fetch_is_told_to_its_sender(db: Database,
                                                                 clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        world.api.fail_next("files.download", status=404)
        asked, card, _ = await _open_with_file(world)
        assert not world.api.uploaded(IT_CHANNEL)
        told = [block_text(m) for m in posts(world, f"D{ELI}", thread_ts=asked)]
        assert any("could not fetch" in t and "report.pdf" in t for t in told), told


async def test_a_failing_download_is_retried_by_the_outbox(db: Database,
                                                           clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        world.api.fail_next("files.download", status=503)
        shared = world.api.add_file("report.pdf", REPORT, user=ELI)
        await world.dm(ELI, "my report", files=[shared])
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await retry_scheduled(db, NoticeKind.FILE_TO_AGENTS)
        [card] = posts(world, IT_CHANNEL)
        assert not world.api.uploaded(IT_CHANNEL)
        clock.advance(seconds=60)  # past the outbox's back-off
        await world.settled()
        [uploaded] = world.api.uploaded(IT_CHANNEL, thread_ts=card["ts"])
        assert uploaded["bytes"] == REPORT
        assert len(world.api.calls_to("files.download")) == 2


async def retry_scheduled(db: Database, kind: str) -> None:
    """Wait until a notice of `kind` failed once and waits for its retry."""
    async with asyncio.timeout(10):
        while True:
            async with db.unit_of_work(readonly=True) as uow:
                found = (await uow.session.execute(
                    select(OutboxNotice.id).where(OutboxNotice.kind == kind,
                                                  OutboxNotice.attempts >= 1,
                                                  OutboxNotice.done_at.is_(None)))).first()
            if found is not None:
                return
            await asyncio.sleep(0.01)  # noqa: ASYNC110 - the outbox has no event to wait on


async def test_an_agents_file_that_cannot_be_fetched_is_told_to_the_agent_only(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        asked, card, _ = await _open_with_file(world)
        world.api.fail_next("files.download", status=404)
        shared = world.api.add_file("fix.sh", b"echo", user=DANA)
        await world.say(DANA, IT_CHANNEL, "", thread_ts=card["ts"], files=[shared])
        await world.settled()
        [told] = [c.params for c in world.api.calls_to("chat.postEphemeral")
                  if "fix.sh" in block_text(c.params)]
        assert told["user"] == DANA and told["thread_ts"] == card["ts"]
        assert "could not fetch" in told["text"] and "the requester" in told["text"]
        assert not world.api.uploaded(f"D{ELI}")
        assert not any("fix.sh" in block_text(m) for m in posts(world, f"D{ELI}"))



async def _in_hebrew(world: SlackWorld) -> None:
    """Eli chose Hebrew (`/desk language he`) and the IT desk speaks Hebrew."""
    await world.set_up_desks_directly()
    await world.command(ELI, "language he")
    said = block_text(await world.command(ADA, "admin language IT he"))
    assert "Hebrew" in said, said


async def test_a_file_caption_is_in_the_desks_language(db: Database,
                                                       clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await _in_hebrew(world)
        _, card, _ = await _open_with_file(world)
        [uploaded] = world.api.uploaded(IT_CHANNEL, thread_ts=card["ts"])
        comment = uploaded["comment"]
        assert "report.pdf" in comment and "Eli" in comment
        assert comment.startswith("הקובץ") and "שותף על ידי" in comment, comment
        assert "shared" not in comment


async def test_a_file_that_did_not_go_through_is_told_in_the_senders_language(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock) as world:
        await _in_hebrew(world)
        world.api.fail_next("files.download", status=404)
        asked, _, _ = await _open_with_file(world)
        told = [block_text(m) for m in posts(world, f"D{ELI}", thread_ts=asked)
                if "report.pdf" in block_text(m)]
        assert any("לא הצלחנו להביא את הקובץ" in t and "לדסק" in t for t in told), told
        assert not any("could not" in t for t in told), told
