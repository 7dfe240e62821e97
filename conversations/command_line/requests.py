"""The employee's and the agent's subcommands: ask, my, queue, claim, transfer, close…"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conversations import commands, intake, queues, view_queries
from conversations.command_line.context import Context
from conversations.lifecycle import STATUS_LABELS, Status, parse_status
from conversations.notes import split_note
from conversations.view_models import Reply, View
from desks.errors import UnknownDesk
from desks.grammar import Args, Mention, Word
from desks.permissions import Actor
from desks.policy import slugify
from desks.service import find_desk, list_desks, require_ready_desk
from storage.database import UnitOfWork
from storage.models import Conversation

REF = "a request number, e.g. 1042"


def _ok(text: str) -> Reply:
    return Reply(text=text)


# ---------------------------------------------------------------- anyone


async def ask(ctx: Context, args: Args) -> View:
    """`/desk ask [desk] text`: open a request (the desk by name, keywords, or the only one)."""
    first = args.peek()
    desk = None
    if isinstance(first, Word):
        desks = {d.slug: d for d in await list_desks(ctx.uow, ctx.workspace.id,
                                                     include_archived=True)}
        desk = desks.get(slugify(first.text))
        if desk is not None:
            await require_ready_desk(ctx.uow, desk)  # not silently routed elsewhere
            args.take()
            if not args.more():
                raise args.fail(f"`/desk ask {desk.name}` needs what you need after the "
                                f"desk's name, e.g. `/desk ask {desk.name} my laptop won't "
                                "start`.")
    text = args.rest()
    if not text:
        raise args.fail("`/desk ask` needs what you need, e.g. "
                        "`/desk ask IT my laptop won't start`.")
    if desk is None:
        routing = await intake.route(ctx.uow, ctx.workspace.id, text)
        desk = routing.desk
        if desk is None:
            names = ", ".join(d.name for d in routing.choices)
            example = " ".join(text.split())[:40].replace("`", "'")
            raise args.fail(f"Which desk should take it? Put its name first, e.g. "
                            f"`/desk ask {routing.choices[0].name} {example}`. "
                            f"Desks: {names}.")
    # Updates go to the employee's DM with the bot, wherever the command was typed.
    posted = await commands.open_conversation(ctx.uow, ctx.actor.person, desk, text,
                                              via="command")
    return _ok(f"Sent to {desk.name} as #{posted.conversation.ref}. I'll tell you about "
               "it in our direct messages.")


async def my(ctx: Context, args: Args) -> View:
    """`/desk my`: the caller's own requests."""
    args.done()
    return view_queries.my_requests(await queues.my_requests(ctx.uow, ctx.actor.person))


# ---------------------------------------------------------------- agents


def _on_ref(command: Callable[[UnitOfWork, Actor, str], Awaitable[Conversation]],
            done: str) -> Callable[[Context, Args], Awaitable[View]]:
    """The handler of `/desk <word> REF`: run `command` on the ref, answer `done`."""

    async def handler(ctx: Context, args: Args) -> View:
        ref = args.word(REF)
        args.done()
        conversation = await command(ctx.uow, ctx.actor, ref)
        return _ok(done.format(ref=conversation.ref))

    return handler


claim = _on_ref(commands.claim, "#{ref} is yours now.")
unassign = _on_ref(commands.unassign, "#{ref} is back in the unassigned queue.")
pin = _on_ref(commands.pin, "Pinned #{ref} to the top of your queue.")
unpin = _on_ref(commands.unpin, "Unpinned #{ref}.")
unread = _on_ref(commands.mark_unread, "Marked #{ref} unread for you.")
reopen = _on_ref(commands.reopen, "Reopened #{ref}.")


async def queue(ctx: Context, args: Args) -> View:
    """`/desk queue [unassigned|mine|all] [desk]`."""
    view = queues.QueueView.UNASSIGNED
    word = args.peek()
    named_view = isinstance(word, Word) and word.text.lower() in tuple(queues.QueueView)
    if named_view:
        view = queues.parse_view(args.word("a queue"))
    desk_name = args.phrase()
    try:
        desk = await find_desk(ctx.uow, ctx.workspace.id, desk_name) if desk_name else None
    except UnknownDesk as error:
        if named_view:
            raise
        # `/desk queue assigned` is more likely a mistyped queue than a desk.
        raise args.fail(f"{error.message} The queues are unassigned, mine and all.") from None
    items = await queues.queue(ctx.uow, ctx.actor, view, desk)
    return view_queries.queue_list(items, view.value, desk.name if desk else None,
                            now=ctx.uow.clock.now())


async def transfer(ctx: Context, args: Args) -> View:
    """`/desk transfer REF @agent` or `/desk transfer REF desk`."""
    ref = args.word(REF)
    target = args.peek()
    if target is None:
        raise args.fail("`/desk transfer` needs who or where to: an @agent of the desk, or "
                        "another desk's name.")
    if isinstance(target, Mention):
        args.take()
        args.done()
        person = ctx.person(target)
        conversation = await commands.transfer_to_agent(ctx.uow, ctx.actor, ref, person)
        return _ok(f"#{conversation.ref} is now with {person.display_name}.")
    desk = await find_desk(ctx.uow, ctx.workspace.id, args.phrase())
    conversation = await commands.transfer_to_desk(ctx.uow, ctx.actor, ref, desk)
    return _ok(f"#{conversation.ref} moved to the {desk.name} desk.")


async def priority(ctx: Context, args: Args) -> View:
    """`/desk priority REF 1-5`."""
    ref = args.word(REF)
    value = args.word("a priority from 1 to 5, e.g. `/desk priority 1042 4`")
    args.done()
    conversation = await commands.set_priority(ctx.uow, ctx.actor, ref, value)
    return _ok(f"#{conversation.ref} now has priority {conversation.priority}.")


async def status(ctx: Context, args: Args) -> View:
    """`/desk status REF waiting|hold|open|resolved`."""
    ref = args.word(REF)
    new = parse_status(args.word("a status: waiting, hold, open or resolved"))
    args.done()
    conversation = await commands.set_status(ctx.uow, ctx.actor, ref, new)
    return _ok(f"#{conversation.ref} is now {STATUS_LABELS[Status(conversation.status)]}.")


async def close(ctx: Context, args: Args) -> View:
    """`/desk close REF [note]`."""
    ref = args.word(REF)
    note = args.rest()
    body = split_note(note, ctx.note_prefix)  # `close 1042 // fixed`: a habit from threads
    if body is not None:
        note = body
    conversation = await commands.close(ctx.uow, ctx.actor, ref, note or None)
    return _ok(f"Closed #{conversation.ref}" + (" with your note." if note else "."))


async def new(ctx: Context, args: Args) -> View:
    """`/desk new @employee desk text`: start a conversation with an employee."""
    employee = ctx.person(args.mention("the employee to write to"))
    desk = await find_desk(ctx.uow, ctx.workspace.id, args.word("the desk's name"))
    text = args.rest()
    if not text:
        raise args.fail("`/desk new` needs what to tell them, e.g. "
                        "`/desk new @eli IT your new laptop is ready`.")
    posted = await commands.start_with(ctx.uow, ctx.actor, employee, desk, text)
    return _ok(f"Started #{posted.conversation.ref} with {employee.display_name} on the "
               f"{desk.name} desk; it is assigned to you.")


async def available(ctx: Context, args: Args) -> View:
    """`/desk available on|off`."""
    word = args.choice("on or off", ("on", "off"))
    args.done()
    change = await commands.set_availability(ctx.uow, ctx.actor, word == "on")
    if change.available:
        return _ok("You are available: you'll get a message for every new request in your "
                   "desks.")
    released = ", ".join(f"#{ref}" for ref in change.released_refs)
    back = f" {released} went back to unassigned." if released else ""
    return _ok(f"You are away: no new-request messages.{back}")
