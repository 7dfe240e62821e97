"""What every platform's sender needs to relay a shared file: what to relay, its bytes,
and the words for a file that did not go through.

`read_relay` reads a `file.to_agents` / `file.to_requester` notice's file, message and
author; `fetch` downloads the bytes (the platform's auth headers given), sorting what
can go wrong for the outbox worker: a refusal or a missing file is `FileRefused`
("unfetchable", told to the author), a file past the limit `FileRefused` ("too_big"),
a network error, 429 or 5xx `RetryLater`. `failure_words` says it to the author.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from cards.i18n import DEFAULT_LOCALE, t
from conversations.delivery_plan import read_notice
from conversations.files import megabytes
from conversations.outbox_worker import FileRefused, Notice, RetryLater, Undeliverable
from storage.database import Database
from storage.models import Conversation, Message, MessageFile, Person

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=15)


@dataclasses.dataclass
class FileRelay:
    """A file to relay, the message it came with and who shared it, as they are now."""

    conversation: Conversation
    message: Message
    file: MessageFile
    author: Person | None
    requester: Person


async def read_relay(db: Database, notice: Notice) -> FileRelay:
    """The file of a file notice; Undeliverable when it (or its conversation) is gone."""
    conversation, _, requester, _ = await read_notice(db, notice)
    async with db.unit_of_work(readonly=True) as uow:
        file = await uow.session.get(MessageFile, int(notice.payload.get("file_id") or 0))
        message = (await uow.session.get(Message, file.message_id)
                   if file is not None and file.message_id else None)
        author = (await uow.session.get(Person, message.author_id)
                  if message is not None and message.author_id else None)
    if file is None or message is None or message.conversation_id != conversation.id:
        raise Undeliverable("the file, or the message it came with, no longer exists")
    return FileRelay(conversation, message, file, author, requester)


async def fetch(url: str, *, name: str, limit_mb: int,
                headers: Mapping[str, str] | None = None,
                expect_html: bool = False) -> bytes:
    """The bytes at `url`, at most `limit_mb` MB; see the module docstring for failures.

    An HTML page where a file that is not HTML was expected is a login page (Slack
    answers one, not a 401, to a request without a valid token): unfetchable.
    """
    limit = limit_mb * 1024 * 1024
    try:
        async with aiohttp.ClientSession(timeout=FETCH_TIMEOUT) as session, \
                session.get(url, headers=dict(headers or {})) as response:
            if response.status == 429 or response.status >= 500:
                raise RetryLater(f"file download: HTTP {response.status}",
                                 retry_after=_retry_after(response.headers))
            if response.status != 200:
                raise FileRefused(f"file download: HTTP {response.status}",
                                  reason="unfetchable")
            if not expect_html and response.content_type == "text/html":
                raise FileRefused("file download: a web page, not the file (login page?)",
                                  reason="unfetchable")
            declared = response.content_length
            if declared is not None and declared > limit:
                raise FileRefused(f"file is {declared} bytes", reason="too_big",
                                  size=declared, limit_mb=limit_mb)
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise FileRefused(f"file is over {limit} bytes", reason="too_big",
                                      size=None, limit_mb=limit_mb)
            return bytes(body)
    except (aiohttp.InvalidURL, ValueError) as exc:
        raise FileRefused(f"file download: bad URL ({type(exc).__name__})",
                          reason="unfetchable") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("file %s: download failed (%s); retrying later", name, type(exc).__name__)
        raise RetryLater(f"file download: {type(exc).__name__}") from exc


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers["Retry-After"]) if "Retry-After" in headers else None
    except ValueError:
        return None


def caption(author: str | None, name: str, locale: str = DEFAULT_LOCALE) -> str:
    """The line a relayed file comes with, in the reader's `locale`: who shared it
    (`author` as the platform shows it, already escaped; None when they are gone)."""
    if author is None:
        return t("file.shared_by_someone", locale, name=name)
    return t("file.shared", locale, author=author, name=name)


def failure_words(payload: Mapping[str, Any], name: str, *, to_desk: bool,
                  locale: str = DEFAULT_LOCALE) -> str:
    """What a file's author is told when it could not be relayed (`file.failed`), in
    the author's `locale`, as plain text (the senders escape it for their platform)."""
    reason = payload.get("reason")
    if reason == "too_big":
        size, limit = payload.get("size"), int(payload.get("limit_mb") or 0)
        if size:
            return t("file.too_big", locale, name=name, size=megabytes(int(size)), limit=limit)
        return t("file.too_big_unknown_size", locale, name=name, limit=limit)
    where = "desk" if to_desk else "requester"
    if reason == "unfetchable":
        return t(f"file.not_fetched_for_{where}", locale, name=name)
    return t(f"file.not_delivered_to_{where}", locale, name=name)


__all__ = ["FileRelay", "caption", "failure_words", "fetch", "read_relay"]
