"""`/desk due REF WHEN`, `/desk escalate REF [note]` and `/desk admin tiers [DESK]`."""

from __future__ import annotations

from conversations import due_dates
from conversations.command_line.context import Context
from conversations.view_models import Reply, View
from desks.errors import InvalidInput
from desks.grammar import Args, UsageError
from desks.wording import Words

REF = Words("arg.ref")


async def due(ctx: Context, args: Args) -> View:
    """`/desk due REF 2026-12-10 14:00 | tomorrow 12:00 | +2d | off`."""
    ref = args.word(REF)
    when = args.rest()
    if not when:
        raise args.fail("due.needs_when", examples=due_dates.EXAMPLES)
    try:
        conversation, shown = await due_dates.set_due(ctx.uow, ctx.actor, ref, when)
    except UsageError:
        raise
    except InvalidInput as error:  # a malformed or past WHEN: say the right form too
        raise args.fail(error.words or error.message) from None
    if shown is None:
        return Reply.of(Words("due.cleared", ref=conversation.ref))
    return Reply.of(Words("due.set", ref=conversation.ref, when=shown))
