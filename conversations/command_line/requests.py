"""The employee's and the agent's subcommands: ask, my, queue, claim, transfer, close…"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from conversations import commands, intake, queues, view_queries, withdrawal
from conversations.command_line.context import Context
from conversations.lifecycle import Status, parse_status
from conversations.notes import split_note
from conversations.view_models import Reply, View
from desks import audience
from desks.errors import UnknownDesk
from desks.grammar import Args, Mention, Word
from desks.languages import AUTO, choose_language, person_locale
from desks.permissions import Actor
from desks.policy import slugify
from desks.service import find_desk, list_desks, require_ready_desk
from desks.wording import Words, code, refs
from storage.database import UnitOfWork
from storage.models import Conversation

REF = Words("arg.ref")


def _ok(key: str, **values: Any) -> Reply:
    return Reply.of(Words(key, **values))


# ---------------------------------------------------------------- anyone


async def ask(ctx: Context, args: Args) -> View:
    """`/desk ask [desk] text`: open a request (the desk by name, keywords, or the only one)."""
    first = args.peek()
    desk = None
    viewer = await audience.viewer_for(ctx.uow, ctx.actor.person)
    if isinstance(first, Word):
        # A private desk the caller may not see is no desk to them: its name is just words.
        desks = {d.slug: d for d in audience.visible(await list_desks(
            ctx.uow, ctx.workspace.id, include_archived=True), viewer)}
        desk = desks.get(slugify(first.text))
        if desk is not None:
            await require_ready_desk(ctx.uow, desk)  # not silently routed elsewhere
            args.take()
            if not args.more():
                raise args.fail("ask.needs_text_after_desk", command=code(f"/desk ask {desk.name}"),
                                example=code(f"/desk ask {desk.name} my laptop won't start"))
    text = args.rest()
    if not text:
        raise args.fail("ask.needs_text")
    if desk is None:
        routing = await intake.route(ctx.uow, ctx.workspace.id, text, viewer)
        desk = routing.desk
        if desk is None:
            example = " ".join(text.split())[:40].replace("`", "'")
            raise args.fail("ask.which_desk",
                            example=code(f"/desk ask {routing.choices[0].name} {example}"),
                            desks=tuple(d.name for d in routing.choices))
    # Updates go to the employee's DM with the bot, wherever the command was typed.
    posted = await commands.open_conversation(ctx.uow, ctx.actor.person, desk, text,
                                              via="command")
    return _ok("ask.sent", desk=desk.name, ref=posted.conversation.ref)


async def withdraw(ctx: Context, args: Args) -> View:
    """`/desk withdraw REF`: the caller's own request, closed as withdrawn."""
    ref = args.word(REF)
    args.done()
    conversation = await withdrawal.withdraw(ctx.uow, ctx.actor.person, ref)
    return _ok("withdraw.done", ref=conversation.ref)


async def my(ctx: Context, args: Args) -> View:
    """`/desk my`: the caller's own requests."""
    args.done()
    return view_queries.my_requests(await queues.my_requests(ctx.uow, ctx.actor.person))


# ---------------------------------------------------------------- agents


def _on_ref(command: Callable[[UnitOfWork, Actor, str], Awaitable[Conversation]],
            done: str) -> Callable[[Context, Args], Awaitable[View]]:
    """The handler of `/desk <word> REF`: run `command` on the ref, answer `done` (a key)."""

    async def handler(ctx: Context, args: Args) -> View:
        ref = args.word(REF)
        args.done()
        conversation = await command(ctx.uow, ctx.actor, ref)
        return _ok(done, ref=conversation.ref)

    return handler


claim = _on_ref(commands.claim, "agent.claimed")
unassign = _on_ref(commands.unassign, "agent.unassigned")
pin = _on_ref(commands.pin, "agent.pinned")
unpin = _on_ref(commands.unpin, "agent.unpinned")
unread = _on_ref(commands.mark_unread, "agent.marked_unread")
reopen = _on_ref(commands.reopen, "agent.reopened")


async def queue(ctx: Context, args: Args) -> View:
    """`/desk queue [unassigned|mine|all] [desk]`."""
    view = queues.QueueView.UNASSIGNED
    word = args.peek()
    named_view = isinstance(word, Word) and word.text.lower() in tuple(queues.QueueView)
    if named_view:
        view = queues.parse_view(args.word(Words("arg.queue")))
    desk_name = args.phrase()
    try:
        desk = await find_desk(ctx.uow, ctx.workspace.id, desk_name) if desk_name else None
    except UnknownDesk as error:
        if named_view:
            raise
        # `/desk queue assigned` is more likely a mistyped queue than a desk.
        raise args.fail("common.then", first=error.words or error.message,
                        then=Words("agent.the_queues")) from None
    items = await queues.queue(ctx.uow, ctx.actor, view, desk)
    return view_queries.queue_list(items, view.value, desk.name if desk else None,
                            now=ctx.uow.clock.now())


async def transfer(ctx: Context, args: Args) -> View:
    """`/desk transfer REF @agent` or `/desk transfer REF desk`."""
    ref = args.word(REF)
    target = args.peek()
    if target is None:
        raise args.fail("agent.transfer_needs_target")
    if isinstance(target, Mention):
        args.take()
        args.done()
        person = ctx.person(target)
        conversation = await commands.transfer_to_agent(ctx.uow, ctx.actor, ref, person)
        return _ok("agent.transferred", ref=conversation.ref, agent=person.display_name)
    desk = await find_desk(ctx.uow, ctx.workspace.id, args.phrase())
    conversation = await commands.transfer_to_desk(ctx.uow, ctx.actor, ref, desk)
    return _ok("agent.moved", ref=conversation.ref, desk=desk.name)


async def priority(ctx: Context, args: Args) -> View:
    """`/desk priority REF 1-5`."""
    ref = args.word(REF)
    value = args.word(Words("arg.priority"))
    args.done()
    conversation = await commands.set_priority(ctx.uow, ctx.actor, ref, value)
    return _ok("agent.priority_set", ref=conversation.ref, priority=conversation.priority)


async def status(ctx: Context, args: Args) -> View:
    """`/desk status REF waiting|hold|open|resolved`."""
    ref = args.word(REF)
    new = parse_status(args.word(Words("arg.status")))
    args.done()
    conversation = await commands.set_status(ctx.uow, ctx.actor, ref, new)
    return _ok("agent.status_set", ref=conversation.ref,
               status=Words(f"status_word.{Status(conversation.status).value}"))


async def close(ctx: Context, args: Args) -> View:
    """`/desk close REF [note]`."""
    ref = args.word(REF)
    note = args.rest()
    body = split_note(note, ctx.note_prefix)  # `close 1042 // fixed`: a habit from threads
    if body is not None:
        note = body
    conversation = await commands.close(ctx.uow, ctx.actor, ref, note or None)
    return _ok("agent.closed_with_note" if note else "agent.closed", ref=conversation.ref)


async def new(ctx: Context, args: Args) -> View:
    """`/desk new @employee desk text`: start a conversation with an employee."""
    employee = ctx.person(args.mention(Words("arg.employee")))
    desk = await find_desk(ctx.uow, ctx.workspace.id, args.word(Words("arg.desk_name")))
    text = args.rest()
    if not text:
        raise args.fail("agent.new_needs_text")
    posted = await commands.start_with(ctx.uow, ctx.actor, employee, desk, text)
    return _ok("agent.started", ref=posted.conversation.ref, person=employee.display_name,
               desk=desk.name)


async def available(ctx: Context, args: Args) -> View:
    """`/desk available on|off`."""
    word = args.choice(Words("arg.on_or_off"), ("on", "off"))
    args.done()
    change = await commands.set_availability(ctx.uow, ctx.actor, word == "on")
    if change.available:
        return _ok("agent.available")
    if change.released_refs:
        return _ok("common.then", first=Words("agent.away"),
                   then=Words("admin.released", refs=refs(change.released_refs)))
    return _ok("agent.away")


# ---------------------------------------------------------------- everyone's own settings


async def language(ctx: Context, args: Args) -> View:
    """`/desk language he|en|auto`: the language deskbot writes to the caller in (answered
    in the new one)."""
    word = args.choice(Words("arg.language"), ("he", "en", AUTO))
    args.done()
    chosen = choose_language(ctx.uow, ctx.actor.person, word)
    if chosen is None:
        now = person_locale(ctx.actor.person)
        return _ok("language.auto", language=Words(f"language.name_{now}"))
    return _ok("language.set", language=Words(f"language.name_{chosen}"))
