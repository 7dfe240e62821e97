"""`/desk due REF WHEN`, `/desk escalate REF [note]`, `/desk admin tiers [DESK]` and
`/desk history REF`."""

from __future__ import annotations

from conversations import due_dates, history, tiers
from conversations.command_line.context import Context
from conversations.view_models import Reply, View
from desks.errors import InvalidInput
from desks.grammar import Args
from desks.permissions import Role, desk_role, require_desk_admin
from desks.service import find_desk, list_desks
from desks.wording import Words, code, lines

REF = Words("arg.ref")


async def due(ctx: Context, args: Args) -> View:
    """`/desk due REF 2026-12-10 14:00 | tomorrow 12:00 | +2d | off`."""
    ref = args.word(REF)
    when = args.rest()
    if not when:
        raise args.fail("due.needs_when", examples=due_dates.EXAMPLES)
    try:
        conversation, shown = await due_dates.set_due(ctx.uow, ctx.actor, ref, when)
    except InvalidInput as error:  # a malformed ref or WHEN, or one past: with the form
        raise args.fail(error.words or error.message) from None
    if shown is None:
        return Reply.of(Words("due.cleared", ref=conversation.ref))
    return Reply.of(Words("due.set", ref=conversation.ref, when=shown))


async def history_(ctx: Context, args: Args) -> View:
    """`/desk history REF`: the request's timeline (the requester: their own, without
    what only the desk sees)."""
    ref = args.word(REF)
    args.done()
    try:
        return await history.request_history(ctx.uow, ctx.actor, ref)
    except InvalidInput as error:  # not a ref: said with the form
        raise args.fail(error.words or error.message) from None


async def escalate(ctx: Context, args: Args) -> View:
    """`/desk escalate REF [note]`: move a ticket to its desk's next tier."""
    ref = args.word(REF)
    note = args.rest()
    escalation = await tiers.escalate_ticket(ctx.uow, ctx.actor, ref, note or None)
    return Reply.of(Words("tier.escalated", ref=escalation.conversation.ref,
                          from_desk=escalation.from_desk.name,
                          to_desk=escalation.to_desk.name))


async def admin_tiers(ctx: Context, args: Args) -> View:
    """`/desk admin tiers [DESK]`: the desk's escalation chain (IT → IT Tier 2 → Infra);
    without a desk, that of every desk with a next tier the caller administers."""
    name = args.phrase()
    if name:
        desk = await find_desk(ctx.uow, ctx.workspace.id, name)
        await require_desk_admin(ctx.uow, ctx.actor, desk)
        shown = [desk]
    else:
        shown = [desk for desk in await list_desks(ctx.uow, ctx.workspace.id)
                 if ctx.actor.is_admin
                 or await desk_role(ctx.uow, ctx.actor.id, desk.id) == Role.LEAD]
        if not shown:
            raise args.fail("tier.no_desks_of_yours")
    said: list[Words] = []
    for desk in shown:
        chain = await tiers.chain_of(ctx.uow, desk)
        if len(chain) > 1:
            said.append(Words("tier.chain", desk=desk.name,
                              chain=" → ".join(d.name for d in chain)))
        elif name:
            said.append(Words("tier.no_chain", desk=desk.name,
                              command=code(f"/desk admin escalate {desk.name} to NEXTDESK")))
    if not said:
        said.append(Words("tier.no_chains",
                          command=code("/desk admin escalate DESK to NEXTDESK")))
    return Reply.of(lines(said))
