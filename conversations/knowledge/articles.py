"""A desk's articles (its knowledge base): every write of `kb_article` is here.

`/desk kb add REF` turns a request into an article: `draft` gives what the form is
prefilled with (the request's subject and its resolution note), `add_from_request`
stores what the agent saved. `add_article`, `edit_article` and `remove_article` are the
only writers (the desks file uses them too), each with its `kb.article_*` event and the
article's entry in the search index, in the same transaction; an article is numbered
KB-N per workspace, as incidents are INC-N. Agents of the desk (and admins) write;
anyone who may ask the desk may list its articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from conversations import commands
from conversations.knowledge import indexing
from conversations.view_models import ARTICLE_MAX_TEXT, ARTICLE_MAX_TITLE
from desks import audience
from desks.errors import InvalidInput, NotPermitted, UnknownRef
from desks.permissions import Actor, desk_role, require_agent, served_desk_ids
from desks.wording import Words
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import Conversation, Desk, Event, Incident, KbArticle, Message

MAX_TITLE = ARTICLE_MAX_TITLE
MAX_TEXT = ARTICLE_MAX_TEXT
_NUMBER = re.compile(r"^(?:kb-?)?#?(\d{1,9})$", re.IGNORECASE)


def label(number: int) -> str:
    """How an article is named: KB-3."""
    return f"KB-{number}"


def parse_number(text: str | int) -> int:
    """An article's number written `KB-3`, `kb-3` or `3`; refuses anything else."""
    if isinstance(text, int):
        return text
    found = _NUMBER.match((text or "").strip())
    if found is None:
        raise InvalidInput("kb.not_a_number", got=(text or "").strip()[:40]
                           or Words("common.nothing_bare"))
    return int(found.group(1))


def clean_title(title: str) -> str:
    """A title with its spaces tidied; refused when empty or too long."""
    cleaned = " ".join((title or "").split())
    if not cleaned:
        raise InvalidInput("kb.title_needed")
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput("kb.title_too_long", count=MAX_TITLE, got=len(cleaned))
    return cleaned


def clean_text(text: str) -> str:
    """An article's text, trimmed; refused when empty or too long."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInput("kb.text_needed")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput("kb.text_too_long", count=MAX_TEXT, got=len(cleaned))
    return cleaned


@dataclass(frozen=True)
class Draft:
    """What the article form opens with: the request, its desk, a title and a text."""

    ref: int
    desk: str
    title: str
    text: str


async def _require_writer(uow: UnitOfWork, actor: Actor, desk: Desk) -> None:
    if actor.is_admin:
        return
    if not await served_desk_ids(uow, actor.id):
        raise NotPermitted("kb.agents_only")
    await require_agent(uow, actor, desk)


async def _request(uow: UnitOfWork, actor: Actor, ref: str | int) -> tuple[Conversation, Desk]:
    if not actor.is_admin and not await served_desk_ids(uow, actor.id):
        raise NotPermitted("kb.agents_only")
    if actor.is_admin:
        conversation = await commands.load(uow, actor.workspace_id, ref, lock=False)
        desk = await uow.session.get(Desk, conversation.desk_id)
        assert desk is not None  # a foreign key
        return conversation, desk
    return await commands.agent_conversation(uow, actor, ref)


async def resolution_note(uow: UnitOfWork, conversation: Conversation) -> str:
    """How the request was solved, in words: its close note, else its incident's
    resolution note, else the desk's last reply to the requester ("" when none)."""
    note_ids = [event.data.get("note_message_id") for event in (await uow.session.scalars(
        select(Event).where(Event.conversation_id == conversation.id,
                            Event.kind == "conversation.closed")
        .order_by(Event.id.desc()))).all()]
    for note_id in note_ids:
        if isinstance(note_id, int):
            note = await uow.session.get(Message, note_id)
            if note is not None and note.deleted_at is None and note.body.strip():
                return note.body.strip()
    if conversation.incident_id is not None:
        incident = await uow.session.get(Incident, conversation.incident_id)
        if incident is not None and (incident.resolution_note or "").strip():
            return (incident.resolution_note or "").strip()
    reply = (await uow.session.scalars(
        select(Message.body).where(Message.conversation_id == conversation.id,
                                   Message.kind == "agent", Message.deleted_at.is_(None))
        .order_by(Message.id.desc()).limit(1))).first()
    return (reply or "").strip()


async def draft(uow: UnitOfWork, actor: Actor, ref: str | int) -> Draft:
    """`/desk kb add REF`: the form's first words (any request, resolved or not; the
    text is its resolution note when it has one)."""
    conversation, desk = await _request(uow, actor, ref)
    text = await resolution_note(uow, conversation)
    return Draft(ref=conversation.ref, desk=desk.name, title=conversation.subject[:MAX_TITLE],
                 text=text[:MAX_TEXT])


async def _next_number(uow: UnitOfWork, workspace_id: int) -> int:
    last = (await uow.session.execute(
        select(func.max(KbArticle.number)).where(KbArticle.workspace_id == workspace_id)
    )).scalar_one_or_none()
    return int(last or 0) + 1


async def _free(uow: UnitOfWork, workspace_id: int, number: int) -> bool:
    return (await uow.session.execute(
        select(KbArticle.id).where(KbArticle.workspace_id == workspace_id,
                                   KbArticle.number == number))).first() is None


async def add_article(uow: UnitOfWork, actor: Actor, desk: Desk, title: str, text: str, *,
                      source: Conversation | None = None,
                      number: int | None = None) -> KbArticle:
    """Store a new article on `desk` (its agents, admins), numbered KB-N: `number` when
    given and free in the workspace (a desks file's), else the next one."""
    await _require_writer(uow, actor, desk)
    title, text = clean_title(title), clean_text(text)
    now = uow.clock.now()
    if number is None or not 0 < number < 2**31 or not await _free(
            uow, desk.workspace_id, number):
        number = await _next_number(uow, desk.workspace_id)
    article = KbArticle(workspace_id=desk.workspace_id, desk_id=desk.id, number=number,
                        title=title,
                        body=text, source_conversation_id=source.id if source else None,
                        created_by=actor.id, created_at=now, updated_at=now)
    uow.session.add(article)
    await uow.session.flush()
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 conversation_id=source.id if source else None, kind="kb.article_added",
                 article=article.number, title=title)
    await indexing.index_article(uow, article.id, desk.id, title, text)
    return article


async def add_from_request(uow: UnitOfWork, actor: Actor, ref: str | int, title: str,
                           text: str) -> KbArticle:
    """The article form saved: an article on the request's desk, made from it."""
    conversation, desk = await _request(uow, actor, ref)
    return await add_article(uow, actor, desk, title, text, source=conversation)


async def load(uow: UnitOfWork, workspace_id: int, number: str | int) -> KbArticle:
    """The (not removed) article with this number; refuses an unknown one."""
    found = parse_number(number)
    article = (await uow.session.execute(
        select(KbArticle).where(KbArticle.workspace_id == workspace_id,
                                KbArticle.number == found, KbArticle.removed_at.is_(None))
        .with_for_update())).scalar_one_or_none()
    if article is None:
        raise UnknownRef("kb.no_such", number=found)
    return article


async def edit_article(uow: UnitOfWork, actor: Actor, article: KbArticle, title: str,
                       text: str) -> bool:
    """Change an article's title and text (its desk's agents, admins); False when the
    same already."""
    desk = await uow.session.get(Desk, article.desk_id)
    assert desk is not None  # a foreign key
    await _require_writer(uow, actor, desk)
    title, text = clean_title(title), clean_text(text)
    if (article.title, article.body) == (title, text):
        return False
    article.title, article.body, article.updated_at = title, text, uow.clock.now()
    record_event(uow, workspace_id=article.workspace_id, desk_id=article.desk_id,
                 actor_id=actor.id, kind="kb.article_edited", article=article.number,
                 title=title)
    await indexing.index_article(uow, article.id, article.desk_id, title, text)
    return True


async def remove_article(uow: UnitOfWork, actor: Actor, number: str | int) -> KbArticle:
    """`/desk kb remove KB-3`: its desk's agents and leads, admins (it keeps its number)."""
    article = await load(uow, actor.workspace_id, number)
    desk = await uow.session.get(Desk, article.desk_id)
    assert desk is not None  # a foreign key
    await _require_writer(uow, actor, desk)
    article.removed_at = article.updated_at = uow.clock.now()
    record_event(uow, workspace_id=article.workspace_id, desk_id=article.desk_id,
                 actor_id=actor.id, kind="kb.article_removed", article=article.number,
                 title=article.title)
    await indexing.remove_article(uow, article.id)
    return article


async def articles_of(uow: UnitOfWork, desk_ids: list[int]) -> list[KbArticle]:
    """The (not removed) articles of these desks, by number."""
    if not desk_ids:
        return []
    return list((await uow.session.scalars(
        select(KbArticle).where(KbArticle.desk_id.in_(desk_ids),
                                KbArticle.removed_at.is_(None))
        .order_by(KbArticle.number))).all())


async def may_read(uow: UnitOfWork, actor: Actor, desk: Desk) -> bool:
    """Whether the actor may list `desk`'s articles: admins, its agents, and anyone who
    may ask it."""
    if actor.is_admin or await desk_role(uow, actor.id, desk.id) is not None:
        return True
    return desk.archived_at is None and audience.can_see(
        desk, await audience.viewer_for(uow, actor.person))
