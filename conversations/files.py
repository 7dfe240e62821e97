"""Files people share in a conversation: kept with their message, relayed to the other side.

The platform adapters turn what the platform tells of a shared file into `SharedFile`
values; the commands keep them (`message_file` rows) with the message they came with
and write one relay notice per file (`file.to_agents`, `file.to_requester`): the
platform's sender fetches the bytes and puts them on the other side. A note's files
stay internal. A file past the size limit is refused before anything is kept
(`too_big`); one the sender cannot fetch or finds too big is told to its author
(`file.failed`, written by the outbox worker when a file's relay fails for good).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from desks.notices import NoticeKind
from desks.wording import Words
from storage.database import UnitOfWork
from storage.journal import write_notice
from storage.models import Conversation, Message, MessageFile, PendingRequest

DEFAULT_MAX_FILE_MB = 25
MAX_FILES = 10  # per message: Slack's own limit on one message's files
FSI, PDI = "\u2068", "\u2069"


@dataclass(frozen=True)
class SharedFile:
    """A file as the platform described it: nothing fetched yet."""

    platform: str
    name: str
    url: str
    external_id: str | None = None
    mimetype: str | None = None
    size: int | None = None  # bytes; None when the platform does not say (Teams)


def isolated(text: str) -> str:
    """User text inside one of our sentences, isolated for right-to-left readers."""
    return f"{FSI}{text}{PDI}"


def megabytes(size: int) -> str:
    """A size in MB as a person reads it: "40 MB", "1.5 MB", "0.2 MB"."""
    value = size / (1024 * 1024)
    if value >= 10:
        return f"{round(value)} MB"
    return f"{max(value, 0.1):.1f}".rstrip("0").rstrip(".") + " MB"


def within_limit(files: Iterable[SharedFile], limit_mb: int) -> tuple[list[SharedFile],
                                                                       list[str]]:
    """Split `files` into those to keep and the refusals (in English) for those past
    `limit_mb`; `within_limit_said` gives the refusals as words to say."""
    kept, refusals = within_limit_said(files, limit_mb)
    return kept, [words.english for words in refusals]


def within_limit_said(files: Iterable[SharedFile], limit_mb: int
                      ) -> tuple[list[SharedFile], list[Words]]:
    """Split `files` into those to keep and the refusals for those past `limit_mb`."""
    kept: list[SharedFile] = []
    refusals: list[Words] = []
    for file in files:
        if file.size is not None and file.size > limit_mb * 1024 * 1024:
            refusals.append(Words("file.too_big", name=file.name, size=megabytes(file.size),
                                  limit=limit_mb))
        else:
            kept.append(file)
    if len(kept) > MAX_FILES:
        refusals.append(Words("file.too_many", count=MAX_FILES,
                              left=len(kept) - MAX_FILES))
        kept = kept[:MAX_FILES]
    return kept, refusals


def _row(uow: UnitOfWork, file: SharedFile, **owner: int) -> MessageFile:
    row = MessageFile(platform=file.platform, external_id=file.external_id, url=file.url,
                      name=(file.name or "file")[:255], mimetype=file.mimetype,
                      size=file.size, created_at=uow.clock.now(), **owner)
    uow.session.add(row)
    return row


async def keep(uow: UnitOfWork, message: Message, files: Sequence[SharedFile]) -> list[MessageFile]:
    """Keep `files` with `message` (flushed: their ids are known)."""
    rows = [_row(uow, file, message_id=message.id) for file in files]
    if rows:
        await uow.session.flush()
    return rows


async def relay(uow: UnitOfWork, conversation: Conversation, message: Message,
                files: Sequence[SharedFile], kind: NoticeKind) -> None:
    """Keep `files` with `message` and queue one `kind` relay notice for each."""
    for row in await keep(uow, message, files):
        write_notice(uow, workspace_id=conversation.workspace_id,
                     conversation_id=conversation.id, kind=kind,
                     payload={"file_id": row.id, "message_id": message.id})


async def hold(uow: UnitOfWork, pending: PendingRequest, files: Sequence[SharedFile]) -> None:
    """Keep `files` with a pending request until the employee says where it goes."""
    for file in files:
        _row(uow, file, pending_id=pending.id)
    if files:
        await uow.session.flush()


async def held(uow: UnitOfWork, pending_id: int) -> list[SharedFile]:
    """The files waiting with pending request `pending_id` (read before it is taken)."""
    rows = (await uow.session.execute(
        select(MessageFile).where(MessageFile.pending_id == pending_id)
        .order_by(MessageFile.id))).scalars()
    return [SharedFile(platform=r.platform, name=r.name, url=r.url, external_id=r.external_id,
                       mimetype=r.mimetype, size=r.size) for r in rows]


async def of_message(uow: UnitOfWork, message_id: int) -> list[MessageFile]:
    """The files kept with a message, in the order they were shared."""
    return list((await uow.session.execute(
        select(MessageFile).where(MessageFile.message_id == message_id)
        .order_by(MessageFile.id))).scalars())


def subject_of(files: Sequence[SharedFile]) -> str:
    """A subject for a request made of files alone: their names."""
    names = ", ".join(file.name for file in files)
    return f"📎 {names}" if names else "📎 a file"


__all__ = ["DEFAULT_MAX_FILE_MB", "SharedFile", "held", "hold", "isolated", "keep",
           "megabytes", "of_message", "relay", "subject_of",
           "within_limit", "within_limit_said"]
