"""Keeping the search index in step with requests and articles.

A command that changes a request calls `request_changed` (through `commands._touch`
and the two ways a request opens); the request's document is rebuilt once, just
before the unit of work commits, from its state then: the first message and the
requester's follow-ups, the category, the resolution note (the closing note, else
the agent's last reply). So the index changes in the same transaction as the request.
A requester's follow-up (`follow_up_added`) only adds its words at the end of the
document, when that is what the rebuild would write (`_add_follow_ups` says when).
Requests resolved by a sweep (the requester went silent) are not answers and keep
their unresolved document. Articles are indexed by whoever writes them
(`index_article`, `remove_article`).
"""

from __future__ import annotations

from sqlalchemy import func, select

from conversations.knowledge import similar
from conversations.knowledge.search_words import index_tokens
from conversations.lifecycle import DONE
from storage import search
from storage.database import UnitOfWork
from storage.models import Conversation, Desk, Event, Message

# Characters of a request's text that are indexed (the first message matters most).
MAX_INDEXED = 8_000
ANSWER_CHARS = 300
_DIRTY_KEY = "search.dirty"
_ADDED_KEY = "search.added"


def request_changed(uow: UnitOfWork, conversation: Conversation) -> None:
    """Rebuild `conversation`'s search document before this unit of work commits."""
    dirty: set[int] = uow.session.info.setdefault(_DIRTY_KEY, set())
    dirty.add(conversation.id)
    uow.before_commit_once(_DIRTY_KEY, _refresh_dirty)


def follow_up_added(uow: UnitOfWork, conversation: Conversation, message_id: int) -> None:
    """The requester's follow-up `message_id` joined `conversation`: before this unit of
    work commits, its words are added to the document (rebuilt, if anything else
    changed the request in this unit of work too)."""
    added: dict[int, list[int]] = uow.session.info.setdefault(_ADDED_KEY, {})
    added.setdefault(conversation.id, []).append(message_id)
    uow.before_commit_once(_DIRTY_KEY, _refresh_dirty)


async def _refresh_dirty(uow: UnitOfWork) -> None:
    dirty: set[int] = uow.session.info.pop(_DIRTY_KEY, set())
    added: dict[int, list[int]] = uow.session.info.pop(_ADDED_KEY, {})
    for conversation_id in sorted(dirty | added.keys()):
        if conversation_id in dirty or not await _add_follow_ups(
                uow, conversation_id, added[conversation_id]):
            await refresh_request(uow, conversation_id)


async def _add_follow_ups(uow: UnitOfWork, conversation_id: int,
                          message_ids: list[int]) -> bool:
    """Add the words of the requester's follow-ups `message_ids` to the request's
    document; False (rebuild it) unless that is what `refresh_request` would write:
    the request unresolved and indexed already, the follow-ups its last requester
    messages after at least one earlier (else an agent's first message was indexed
    instead). Its text ends with the requester's messages, so the follow-ups add
    their words up to MAX_INDEXED characters in all, and none beyond."""
    conversation = await uow.session.get(Conversation, conversation_id)
    if conversation is None or conversation.status in DONE:
        return False
    await uow.session.flush()
    first, last = min(message_ids), max(message_ids)
    asked = (Message.conversation_id == conversation_id, Message.deleted_at.is_(None),
             Message.kind == "requester")
    count, earlier, later, length = (await uow.session.execute(select(
        func.count(), func.count().filter(Message.id < first),
        func.count().filter(Message.id > last),
        func.coalesce(func.sum(func.length(Message.body)), 0)).where(*asked))).one()
    bodies = list((await uow.session.scalars(
        select(Message.body).where(*asked, Message.id.in_(message_ids))
        .order_by(Message.id))).all())
    if not earlier or later or count != earlier + len(bodies) \
            or len(bodies) != len(set(message_ids)):
        return False
    # refresh_request's text: subject, category, every requester message, then "" (no
    # answer), joined by " \n": what it was before these follow-ups, and what they add.
    added = "".join(f"{body} \n" for body in bodies)
    before = len(conversation.subject) + len(conversation.category or "") + 4 \
        + length + 2 * count - len(added)
    return await search.append(
        uow, search.REQUEST, conversation.id,
        " ".join(index_tokens(added[:max(0, MAX_INDEXED - before)])),
        desk_id=conversation.desk_id, updated_at=uow.clock.now(),
        workspace_id=conversation.workspace_id, requester_id=conversation.requester_id,
        ref=conversation.ref, status=conversation.status,
        title=conversation.subject[:200], opened_at=conversation.opened_at)


def first_line(text: str | None) -> str | None:
    """The first non-empty line of `text`, cut to fit the card; None for no text."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:ANSWER_CHARS]
    return None


async def _closing_note_id(uow: UnitOfWork, conversation_id: int) -> int | None:
    closed = (await uow.session.scalars(
        select(Event).where(Event.conversation_id == conversation_id,
                            Event.kind == "conversation.closed")
        .order_by(Event.id.desc()).limit(1))).first()
    note = (closed.data or {}).get("note_message_id") if closed else None
    return int(note) if isinstance(note, int) else None


async def refresh_request(uow: UnitOfWork, conversation_id: int) -> None:
    """Write the search document of one request from its current state."""
    conversation = await uow.session.get(Conversation, conversation_id)
    if conversation is None:
        await search.remove(uow, search.REQUEST, conversation_id)
        return
    await uow.session.flush()
    messages = list((await uow.session.execute(
        select(Message.id, Message.kind, Message.body)
        .where(Message.conversation_id == conversation_id, Message.deleted_at.is_(None),
               Message.kind.in_(("requester", "agent", "note")))
        .order_by(Message.id))).all())
    asked = [body for _, kind, body in messages if kind == "requester"]
    if not asked:  # an agent started it: their first message says what it is about
        asked = [body for _, kind, body in messages[:1] if kind == "agent"]
    note_id = await _closing_note_id(uow, conversation_id) \
        if conversation.status in DONE else None
    answer = next((body for id_, _, body in messages if id_ == note_id), None)
    if answer is None and conversation.status in DONE:
        answer = next((body for _, kind, body in reversed(messages) if kind == "agent"), None)
    text = " \n".join([conversation.subject, conversation.category or "", *asked,
                       answer or ""])[:MAX_INDEXED]
    resolved = conversation.status in DONE
    # A new request's similar resolved ones are found once, for its card.
    found = None
    if not resolved and await search.get(uow, search.REQUEST, conversation.id) is None:
        found = [f.ref_id for f in await similar.similar_resolved(
            uow, [conversation.desk_id], text, exclude_ref_id=conversation.id)]
    await search.put(uow, search.Document(
        kind=search.REQUEST, ref_id=conversation.id, workspace_id=conversation.workspace_id,
        desk_id=conversation.desk_id, requester_id=conversation.requester_id,
        ref=conversation.ref, status=conversation.status, resolved=resolved,
        resolver_id=conversation.assignee_id if resolved else None,
        title=conversation.subject[:200], answer=first_line(answer) if resolved else None,
        body=" ".join(index_tokens(text)), opened_at=conversation.opened_at,
        updated_at=uow.clock.now(), similar=found))


async def index_article(uow: UnitOfWork, article_id: int, desk_id: int, title: str,
                        text: str) -> None:
    """Index (or re-index) a knowledge article of `desk_id`; call it where it is written."""
    desk = await uow.session.get(Desk, desk_id)
    if desk is None:
        raise ValueError(f"no desk {desk_id}")
    now = uow.clock.now()
    await search.put(uow, search.Document(
        kind=search.ARTICLE, ref_id=article_id, workspace_id=desk.workspace_id,
        desk_id=desk_id, status="published", resolved=True, title=title[:200],
        answer=first_line(text), body=" ".join(index_tokens(f"{title}\n{text}"[:MAX_INDEXED])),
        opened_at=now, updated_at=now))


async def remove_article(uow: UnitOfWork, article_id: int) -> None:
    """Take a removed article out of the index."""
    await search.remove(uow, search.ARTICLE, article_id)


async def count_solved(uow: UnitOfWork, kind: str, ref_id: int) -> None:
    """One more "this solved it" for a request or an article: it ranks higher after."""
    await search.count_solved(uow, kind, ref_id)


async def reindex_requests(uow: UnitOfWork, *, after_id: int = 0,
                           batch: int = 500) -> tuple[int, int]:
    """Rebuild the documents of a batch of requests with ids above `after_id` (the
    backfill, `deskbot search reindex`); returns (the last id done, how many)."""
    ids = list((await uow.session.scalars(
        select(Conversation.id).where(Conversation.id > after_id)
        .order_by(Conversation.id).limit(batch))).all())
    for conversation_id in ids:
        await refresh_request(uow, conversation_id)
    return (ids[-1] if ids else after_id), len(ids)
