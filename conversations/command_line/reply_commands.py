"""`/desk replies DESK [add NAME text | remove NAME]`: a desk's saved replies.

Listing is for the desk's agents (and its leads, admins); adding and removing for its
leads and admins (`desks.saved_replies` checks both). A name of several words is
quoted: `/desk replies it add "vpn reset" Hi {name}, …`.
"""

from __future__ import annotations

from conversations.command_line.context import Context
from conversations.view_models import Reply, View
from desks import saved_replies, service
from desks.grammar import Args
from desks.wording import Words, code

DESK = Words("arg.desk")
NAME = Words("arg.reply_name")


async def replies(ctx: Context, args: Args) -> View:
    """`/desk replies DESK`: list; `… add NAME text`; `… remove NAME`."""
    desk_name = args.word(DESK)
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, desk_name,
                                   include_archived=True)
    if not args.more():
        await saved_replies.require_reader(ctx.uow, ctx.actor, desk)
        found = await saved_replies.replies_of(ctx.uow, desk.id)
        if not found:
            return Reply.of(Words("saved_reply.none", desk=desk.name,
                                  command=code(f"/desk replies {desk.slug} add NAME text")))
        return Reply.of(Words("saved_reply.listed", desk=desk.name, count=len(found),
                              names=tuple(r.name for r in found)))
    how = args.choice(Words("arg.add_or_remove"), ("add", "remove"))
    name = args.word(NAME)
    if how == "remove":
        args.done()
        removed = await saved_replies.remove_reply(ctx.uow, ctx.actor, desk, name)
        return Reply.of(Words("saved_reply.removed", desk=desk.name, name=removed.name))
    text = args.rest()
    if not text:
        raise args.fail("grammar.needs", command=code(f"/desk replies {desk.slug} add {name}"),
                        what=Words("arg.reply_text"))
    service.require_open_desk(desk)
    added = await saved_replies.add_reply(ctx.uow, ctx.actor, desk, name, text)
    return Reply.of(Words("saved_reply.added", desk=desk.name, name=added.name))
