"""Files in the core (issue 14, point 6): kept with their message, one relay notice each,
a note's files internal, and a relay given up on told to the file's author."""

from __future__ import annotations

from sqlalchemy import select

from conversations import commands as c
from conversations.files import SharedFile, megabytes, within_limit
from conversations.outbox_worker import FileRefused, OutboxWorker, RecordingSender, RetryLater
from desks.notices import NoticeKind
from storage.clock import FrozenClock
from storage.models import MessageFile
from tests.integration.world import World

REPORT = SharedFile(platform="slack", name="report.pdf", url="https://files/F1/report.pdf",
                    external_id="F1", mimetype="application/pdf", size=40 * 1024 * 1024)
SHOT = SharedFile(platform="slack", name="shot.png", url="https://files/F2/shot.png",
                  external_id="F2", mimetype="image/png", size=2048)


async def _files(world: World) -> list[MessageFile]:
    async with world.db.unit_of_work(readonly=True) as uow:
        return list((await uow.session.execute(
            select(MessageFile).order_by(MessageFile.id))).scalars())


async def test_a_file_alone_opens_a_request_named_after_it(world: World) -> None:
    posted = await world.run(c.open_conversation, world.people["eli"], world.desks["IT"], "",
                             requester_channel="D_ELI", requester_thread="1.1",
                             files=[SHOT])
    assert posted.message.body == "" and posted.conversation.subject == "📎 shot.png"
    [kept] = await _files(world)
    assert (kept.message_id, kept.name, kept.size, kept.external_id) == (
        posted.message.id, "shot.png", 2048, "F2")
    kinds = [n.kind for n in await world.notices() if n.conversation_id ==
             posted.conversation.id]
    assert kinds[:2] == [NoticeKind.CARD_POST, NoticeKind.FILE_TO_AGENTS]
    assert NoticeKind.RELAY_TO_AGENTS not in kinds

    # The agent's file goes to the requester; a note's file is kept and stays internal.
    ref = posted.conversation.ref
    await world.run(c.agent_reply, world.actor("dana"), ref, "", files=[SHOT])
    await world.run(c.add_note, world.actor("dana"), ref, "", files=[REPORT])
    to_requester = await world.notices(NoticeKind.FILE_TO_REQUESTER)
    assert len(to_requester) == 1
    assert len(await _files(world)) == 3
    assert not await world.notices(NoticeKind.RELAY_TO_REQUESTER)


def test_the_size_limit_and_its_words() -> None:
    kept, refusals = within_limit([REPORT, SHOT], 25)
    assert kept == [SHOT]
    assert refusals == ["\u2068report.pdf\u2069 is 40 MB; I can carry files up to 25 MB, "
                        "so it was not sent."]
    assert megabytes(1536 * 1024) == "1.5 MB" and megabytes(10) == "0.1 MB"


async def test_a_file_relay_given_up_on_tells_its_author(world: World,
                                                         clock: FrozenClock) -> None:
    posted = await world.run(c.open_conversation, world.people["eli"], world.desks["IT"],
                             "see attached", files=[SHOT, SHOT])
    first, second = await world.notices(NoticeKind.FILE_TO_AGENTS)
    sender = RecordingSender()
    sender.fail_notice(first.id, FileRefused("too big", reason="too_big", size=99,
                                             limit_mb=25))
    sender.fail_notice(second.id, RetryLater("HTTP 500"))
    outbox_worker = OutboxWorker(world.db, sender, max_attempts=1, poll_interval=3600)
    await outbox_worker.drain()
    told = await world.notices(NoticeKind.FILE_FAILED)
    assert [(n.conversation_id, n.payload["file_id"], n.payload["reason"]) for n in told] == [
        (posted.conversation.id, first.payload["file_id"], "too_big"),
        (posted.conversation.id, second.payload["file_id"], "undelivered")]
    assert told[0].payload["size"] == 99 and told[0].payload["limit_mb"] == 25
    assert [n.kind for n in sender.delivered].count(NoticeKind.FILE_FAILED) == 2
