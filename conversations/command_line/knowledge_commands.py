"""`/desk search WORDS [DESK]`: requests and articles the caller may see, best first."""

from __future__ import annotations

from sqlalchemy import select

from conversations.command_line.context import Context
from conversations.knowledge import similar
from conversations.view_models import Reply, View
from desks.grammar import Args
from desks.wording import Words, lines
from storage.models import Desk
from storage.search import ARTICLE

MAX_WORDS = 300  # characters of a search


async def _desk_named(ctx: Context, word: str) -> Desk | None:
    """The workspace's (not archived) desk whose name or slug is `word`, or None."""
    rows = await ctx.uow.session.scalars(select(Desk).where(
        Desk.workspace_id == ctx.workspace.id, Desk.archived_at.is_(None)))
    lowered = word.casefold()
    return next((d for d in rows if lowered in (d.name.casefold(), d.slug.casefold())), None)


async def search(ctx: Context, args: Args) -> View:
    """`/desk search WORDS [DESK]`: the last word names a desk when it is one's name."""
    text = " ".join(args.rest().split())[:MAX_WORDS]
    if not text:
        raise args.fail("search.needs_words")
    *first, last = text.split(" ")
    desk = await _desk_named(ctx, last) if first else None
    words = " ".join(first) if desk is not None else text
    found = await similar.search_for(ctx.uow, ctx.actor.person, words, desk=desk)
    if not found:
        return Reply.of(Words("search.none", subject=words))
    said = lines([Words("search.header", subject=words), *(
        Words("search.line_article", title=f.title) if f.kind == ARTICLE
        else Words("search.line_request", ref=f.ref, title=f.title,
                   status=Words(f"status_word.{f.status}"))
        for f in found)])
    assert isinstance(said, Words)  # its parts are words
    return Reply.of(said)
