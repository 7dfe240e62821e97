"""`/desk incident open|link|update|resolve|list`: major incidents, for agents.

`incident` routes to its subcommands (`INCIDENT`), as `admin` does; each reads its
arguments and runs the command of `conversations.incidents`.
"""

from __future__ import annotations

from conversations import incidents
from conversations.command_line.context import Context, Subcommand
from conversations.view_models import Reply, View
from desks.errors import InvalidInput
from desks.grammar import Args, UsageError, Word, shown
from desks.policy import slugify
from desks.service import find_desk, list_desks
from desks.wording import Words, lines, refs

INCIDENT_NUMBER = Words("arg.incident")
QUOTES = "\"“”„'"
USAGE = "/desk incident open|link|update|resolve|list …"


def _number(args: Args) -> int:
    """The incident number that comes next (INC-3, inc-3, 3), refused with the usage."""
    text = args.word(INCIDENT_NUMBER)
    try:
        return incidents.parse_number(text)
    except InvalidInput:
        raise args.fail("incident.not_a_number", got=text[:40]) from None


def _ok(key: str, **values: object) -> Reply:
    return Reply.of(Words(key, **values))


async def open_(ctx: Context, args: Args) -> View:
    """`/desk incident open "title" [desk]`."""
    first = args.peek()
    if not isinstance(first, Word):
        raise args.fail("incident.needs_title")
    quoted = args.text[first.start:first.start + 1] in QUOTES
    desk = None
    if quoted:
        args.take()
        title = first.text
        name = args.phrase()
        if name:
            desk = await find_desk(ctx.uow, ctx.workspace.id, name)
    else:
        title = args.rest()
        words = title.split()
        if len(words) > 1:
            # `open Email is down IT`: a last word that names a desk is the desk.
            slugs = {d.slug: d for d in await list_desks(ctx.uow, ctx.workspace.id)}
            desk = slugs.get(slugify(words[-1]))
            if desk is not None:
                title = " ".join(words[:-1])
    if not title.strip():
        raise args.fail("incident.needs_title")
    incident = await incidents.open_incident(ctx.uow, ctx.actor, title, desk)
    desk_name = desk.name if desk else (await incidents.desk_of_agent(
        ctx.uow, ctx.actor, None)).name
    return _ok("incident.opened", number=incident.number, title=incident.title, desk=desk_name)


async def link(ctx: Context, args: Args) -> View:
    """`/desk incident link INC REF [REF…]`."""
    number = _number(args)
    numbers = []
    while args.more():
        numbers.append(args.word(Words("arg.ref")))
    if not numbers:
        raise args.fail("incident.needs_refs")
    done = await incidents.link(ctx.uow, ctx.actor, number, [n for n in numbers if n != ","])
    parts = []
    if done.linked:
        parts.append(Words("incident.linked", count=len(done.linked),
                           number=done.incident.number, refs=refs(done.linked)))
    if done.already:
        parts.append(Words("incident.linked_already", number=done.incident.number,
                           refs=refs(done.already)))
    if len(parts) == 1:
        return Reply.of(parts[0])
    return Reply.of(Words("common.then", first=parts[0], then=parts[1]))


async def update(ctx: Context, args: Args) -> View:
    """`/desk incident update INC text`."""
    number = _number(args)
    text = args.rest()
    if not text:
        raise args.fail("incident.needs_text")
    incident, told = await incidents.post_update(ctx.uow, ctx.actor, number, text)
    return _ok("incident.updated", number=incident.number, count=told)


async def resolve(ctx: Context, args: Args) -> View:
    """`/desk incident resolve INC note`."""
    number = _number(args)
    note = args.rest()
    if not note:
        raise args.fail("incident.needs_note")
    incident, resolved = await incidents.resolve(ctx.uow, ctx.actor, number, note)
    return _ok("incident.resolved", number=incident.number, count=len(resolved))


async def list_(ctx: Context, args: Args) -> View:
    """`/desk incident list [desk]`."""
    name = args.phrase()
    desk = await find_desk(ctx.uow, ctx.workspace.id, name) if name else None
    found = await incidents.open_incidents(ctx.uow, ctx.actor, desk)
    if not found:
        return _ok("incident.list_none")
    said = lines([Words("incident.list_header"),
                  *(Words("incident.list_line", number=incident.number, title=incident.title,
                          desk=desk_name, count=count) for incident, desk_name, count in found)])
    assert isinstance(said, Words)  # its parts are words
    return Reply.of(said)


def _sub(name: str, usage: str, run: object) -> Subcommand:
    return Subcommand(name=f"incident {name}", usage=usage, audience="agent",
                      run=run,  # type: ignore[arg-type]
                      words=Words(f"help.incident_{name}"))


INCIDENT = {s.name.split(" ", 1)[1]: s for s in (
    _sub("open", "/desk incident open \"title\" [desk]", open_),
    _sub("link", "/desk incident link INC REF [REF…]", link),
    _sub("update", "/desk incident update INC text", update),
    _sub("resolve", "/desk incident resolve INC note", resolve),
    _sub("list", "/desk incident list [desk]", list_),
)}


async def incident(ctx: Context, args: Args) -> View:
    """`/desk incident …`: runs the subcommand its next word names."""
    word = args.peek()
    if word is None:
        raise UsageError("incident.needs_what", usage=USAGE)
    sub = INCIDENT.get(word.text.lower()) if isinstance(word, Word) else None
    if sub is None:
        raise UsageError("incident.not_a_subcommand", usage=USAGE, word=shown(word)[:40])
    args.take()
    inner = Args(args.text, args.tokens[args.at:], sub.name, sub.usage)
    return await sub.run(ctx, inner)
