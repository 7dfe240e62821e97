"""`/desk ticket|category|impact|urgency` and `/desk admin categories|matrix`.

The agent's words run `conversations.tickets`; the admin's run `desks.service`'s
category and matrix setters (admins, and leads for their own desk). Each malformed
form is refused with the subcommand's usage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conversations import tickets
from conversations.command_line.context import Context
from conversations.view_models import Reply, View
from desks import service
from desks.errors import InvalidInput
from desks.grammar import Args, Word, shown
from desks.permissions import require_desk_admin
from desks.policy import categories_words, category_targets, policy_of
from desks.ticket_policy import LEVELS, find_category
from desks.window_grammar import parse_duration
from desks.wording import Words, code

REF = Words("arg.ref")
DESK = Words("arg.desk")


def _ok(key: str, **values: Any) -> Reply:
    return Reply.of(Words(key, **values))


async def ticket(ctx: Context, args: Args) -> View:
    """`/desk ticket REF [CATEGORY]`: convert an inquiry to a ticket (see
    `conversations.tickets.convert` for why a desk with categories needs one named)."""
    ref = args.word(REF)
    category = args.phrase() or None
    conversation = await tickets.convert(ctx.uow, ctx.actor, ref, category)
    if conversation.category:
        return _ok("ticket.converted", ref=conversation.ref, name=conversation.category)
    return _ok("ticket.converted_plain", ref=conversation.ref)


async def category(ctx: Context, args: Args) -> View:
    """`/desk category REF NAME`: file a request under one of its desk's categories."""
    ref = args.word(REF)
    name = args.phrase()
    if not name:
        raise args.fail("grammar.needs", command=code(f"/desk category {ref}"),
                        what=Words("arg.category"))
    conversation = await tickets.set_category(ctx.uow, ctx.actor, ref, name)
    return _ok("category.set", ref=conversation.ref, name=conversation.category or name)


def _level(which: str) -> Any:
    async def handler(ctx: Context, args: Args) -> View:
        ref = args.word(REF)
        value = args.choice(Words("arg.level"), LEVELS[::-1])
        args.done()
        run = tickets.set_impact if which == "impact" else tickets.set_urgency
        conversation = await run(ctx.uow, ctx.actor, ref, value)
        return _ok(f"matrix.{which}_set", ref=conversation.ref,
                   level=Words(f"matrix.level_{value}"), priority=conversation.priority)
    handler.__doc__ = f"`/desk {which} REF low|medium|high`: priority follows the matrix."
    return handler


impact = _level("impact")
urgency = _level("urgency")


# ---------------------------------------------------------------- admin

_TARGET_WORDS = {"first-response": "first_response", "first_response": "first_response",
                 "resolution": "resolution"}


def _name_and_targets(args: Args) -> tuple[str, dict[str, timedelta]]:
    """`NAME [sla first-response 30m resolution 1d]`: the name and the targets given."""
    name_words: list[str] = []
    while args.more():
        token = args.peek()
        if isinstance(token, Word) and token.text.lower() == "sla":
            break
        args.take()
        if token is not None and not isinstance(token, Word):
            raise args.fail("grammar.needs_not", command=code(f"/desk {args.command}"),
                            what=Words("arg.category"), got=shown(token)[:40])
        if isinstance(token, Word):
            name_words.append(token.text)
    if not name_words:
        raise args.fail("grammar.needs", command=code(f"/desk {args.command}"),
                        what=Words("arg.category"))
    targets: dict[str, timedelta] = {}
    if args.more():
        args.take()  # "sla"
        if not args.more():
            raise args.fail("category.sla_needs_target")
        while args.more():
            word = args.word(Words("arg.category_target")).lower()
            kind = _TARGET_WORDS.get(word)
            if kind is None:
                raise args.fail("category.sla_takes", got=word[:40])
            text = args.word(Words("arg.duration", example=code(
                "30m" if kind == "first_response" else "1d")))
            try:
                targets[kind] = parse_duration(text)
            except InvalidInput as error:
                raise args.fail(error.words or error.message) from None
    return " ".join(name_words), targets


async def admin_categories(ctx: Context, args: Args) -> View:
    """`/desk admin categories DESK [add|remove NAME [sla first-response 30m resolution 1d]]`."""
    name = args.word(DESK)
    if not args.more():
        desk = await service.find_desk(ctx.uow, ctx.workspace.id, name, include_archived=True)
        await require_desk_admin(ctx.uow, ctx.actor, desk)
        return _ok("category.listed", desk=desk.name,
                   categories=categories_words(policy_of(desk.settings, desk.language)))
    how = args.choice(Words("arg.add_or_remove"), ("add", "remove"))
    category_name, targets = _name_and_targets(args)
    if how == "remove":
        if targets:
            raise args.fail("category.remove_takes_name")
        desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
        known = find_category(policy_of(desk.settings, desk.language).categories,
                              category_name)
        change = await service.remove_category(ctx.uow, ctx.actor, name, category_name)
        return _ok("category.removed", desk=change.desk.name,
                   name=known.name if known else category_name,
                   categories=categories_words(change.policy))
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
    existed = any(c.key == " ".join(category_name.split()).casefold()
                  for c in policy_of(desk.settings, desk.language).categories)
    change = await service.add_category(ctx.uow, ctx.actor, name, category_name,
                                        targets.get("first_response"),
                                        targets.get("resolution"))
    added = next(c for c in change.policy.categories
                 if c.key == " ".join(category_name.split()).casefold())
    if existed and not change.changed:
        return _ok("category.exists", desk=change.desk.name, name=added.name)
    own = (Words("category.with_targets", targets=category_targets(added))
           if added.first_response or added.resolution else Words("common.empty"))
    return _ok("category.updated" if existed else "category.added", desk=change.desk.name,
               name=added.name, targets=own)


async def admin_matrix(ctx: Context, args: Args) -> View:
    """`/desk admin matrix DESK on|off`: priority from impact × urgency, or set directly."""
    name = args.word(DESK)
    word = args.choice(Words("arg.on_or_off"), ("on", "off"))
    args.done()
    change = await service.set_matrix(ctx.uow, ctx.actor, name, word == "on")
    unchanged = Words("common.empty") if change.changed else Words("policy.unchanged")
    return _ok(f"matrix.turned_{word}", desk=change.desk.name, unchanged=unchanged)
