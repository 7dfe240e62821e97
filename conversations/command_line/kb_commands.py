"""`/desk kb add|list|remove`: a desk's articles (`conversations.knowledge.articles`).

`kb` routes to its subcommands (`KB`), as `incident` does. `kb add REF` answers with
the article form (`ArticleForm`: a modal on Slack, a card on Teams); the article is
stored when the form is saved. `kb list` is for anyone who may ask the desk.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations.command_line.context import Context, Subcommand
from conversations.knowledge import articles
from conversations.view_models import ArticleForm, Reply, View
from desks import audience
from desks.grammar import Args, UsageError, Word, shown
from desks.permissions import served_desk_ids
from desks.service import find_desk, list_desks
from desks.wording import Words, lines
from storage.models import Desk, Person

USAGE = "/desk kb add REF | list [DESK] | remove KB-3"


async def add(ctx: Context, args: Args) -> View:
    """`/desk kb add REF`: the form, prefilled from the request."""
    ref = args.word(Words("arg.ref"))
    args.done()
    draft = await articles.draft(ctx.uow, ctx.actor, ref)
    return ArticleForm(ref=draft.ref, desk=draft.desk, title=draft.title, text=draft.text)


async def list_(ctx: Context, args: Args) -> View:
    """`/desk kb list [DESK]`: a desk's articles; without one, those of the caller's
    desks (an employee: of every desk they may ask)."""
    name = args.phrase()
    if name:
        desk = await find_desk(ctx.uow, ctx.workspace.id, name, include_archived=True)
        if not await articles.may_read(ctx.uow, ctx.actor, desk):
            raise UsageError("kb.not_yours", usage=USAGE, desk=desk.name)
        desks = [desk]
    else:
        served = await served_desk_ids(ctx.uow, ctx.actor.id)
        every = await list_desks(ctx.uow, ctx.workspace.id)
        if served:
            desks = [d for d in every if d.id in served]
        else:
            desks = audience.visible(every, await audience.viewer_for(ctx.uow, ctx.actor.person))
    found = await articles.articles_of(ctx.uow, [d.id for d in desks])
    if not found:
        return Reply.of(Words("kb.list_none"))
    names = {d.id: d.name for d in desks}
    ids = {a.created_by for a in found if a.created_by}
    writers = {p.id: p.display_name for p in (await ctx.uow.session.scalars(
        select(Person).where(Person.id.in_(ids)))).all()} if ids else {}
    said = lines([Words("kb.list_header"), *(
        Words("kb.list_line", number=a.number, title=a.title,
              desk=names.get(a.desk_id, "?"), person=writers.get(a.created_by or 0, "—"),
              date=a.created_at.date().isoformat()) for a in found)])
    assert isinstance(said, Words)  # its parts are words
    return Reply.of(said)


async def remove(ctx: Context, args: Args) -> View:
    """`/desk kb remove KB-3`."""
    number = args.word(Words("arg.kb_article"))
    args.done()
    article = await articles.remove_article(ctx.uow, ctx.actor, number)
    desk = await ctx.uow.session.get(Desk, article.desk_id)
    return Reply.of(Words("kb.removed", number=article.number,
                          title=article.title, desk=desk.name if desk else "?"))


def _sub(name: str, usage: str, audience_: str, run: object) -> Subcommand:
    return Subcommand(name=f"kb {name}", usage=usage, audience=audience_,
                      run=run,  # type: ignore[arg-type]
                      words=Words(f"help.kb_{name}"))


KB = {s.name.split(" ", 1)[1]: s for s in (
    _sub("add", "/desk kb add REF", "agent", add),
    _sub("list", "/desk kb list [DESK]", "employee", list_),
    _sub("remove", "/desk kb remove KB-3", "agent", remove),
)}


async def kb(ctx: Context, args: Args) -> View:
    """`/desk kb …`: runs the subcommand its next word names."""
    word = args.peek()
    if word is None:
        raise UsageError("kb.needs_what", usage=USAGE)
    sub = KB.get(word.text.lower()) if isinstance(word, Word) else None
    if sub is None:
        raise UsageError("kb.not_a_subcommand", usage=USAGE, word=shown(word)[:40])
    args.take()
    inner = Args(args.text, args.tokens[args.at:], sub.name, sub.usage)
    return await sub.run(ctx, inner)
