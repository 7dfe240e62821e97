"""`/desk admin …`: desks set up from chat (admins; leads for their own desk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conversations import view_queries
from conversations.command_line.context import Context, Run
from conversations.view_models import Reply, View
from desks import service
from desks.channels import Binding, cannot_see
from desks.errors import InvalidInput
from desks.grammar import Args, ChannelRef, Word
from desks.permissions import Role, require_desk_admin
from storage.models import Desk, Person

DESK = "the desk's name, e.g. IT"


def _names(people: Sequence[Person]) -> str:
    names = [p.display_name for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _channel(ref: ChannelRef) -> str:
    return f"#{ref.label}" if ref.label else "the channel you named"


FLAGS = ("force", "confirm")


def _refuse_plain_channel(args: Args) -> None:
    """Refuse a `#name` written as plain text where a channel goes: Slack links every
    channel it knows (`<#C123|name>`), so plain text is no channel, or one the bot cannot
    see; on Teams no channel is written that way. Never bound to another one instead."""
    token = args.peek()
    if (isinstance(token, Word) and token.text.startswith("#") and len(token.text) > 1
            and not token.text[1:].isdigit()):
        raise InvalidInput(cannot_see(token.text[1:].strip()[:80]))


def _binding(ctx: Context, channel_id: str, flags: set[str],
             ref: ChannelRef | None = None) -> Binding:
    facts = ctx.channels.get(channel_id)
    if facts is not None and facts.name is None and ref is not None and ref.label:
        facts = replace(facts, name=ref.label)  # Slack's label, when the platform gave none
    return Binding(facts=facts, force="force" in flags, confirmed="confirm" in flags)


async def create(ctx: Context, args: Args) -> View:
    """`/desk admin create NAME [#agent-channel] [description…] [--confirm] [--force]`."""
    flags = args.flags(*FLAGS)
    name = args.word("a name for the desk, e.g. `/desk admin create IT #it-helpdesk`")
    _refuse_plain_channel(args)
    channel = args.channel()
    if channel is None and any(isinstance(t, ChannelRef) for t in args.tokens[args.at:]):
        # `create Payroll team #pay` would name the desk "Payroll" and describe it "team #pay".
        raise args.fail("Put the #channel right after the name, and quote a name of several "
                        "words: `/desk admin create \"Payroll team\" #payroll-agents`.")
    description = args.phrase() or None
    agent_channel = channel.channel_id if channel else None
    where = _channel(channel) if channel else None
    # Where the command was typed, when it names no channel: never a DM.
    if agent_channel is None and not ctx.caller_in_dm and ctx.caller_channel:
        agent_channel, where = ctx.caller_channel, "this channel"
    binding = _binding(ctx, agent_channel, flags, channel) if agent_channel else None
    desk = await service.create_desk(ctx.uow, ctx.actor, name, description=description,
                                     agent_channel=agent_channel, binding=binding)
    missing = await service.missing_for_ready(ctx.uow, desk)
    then = f"Its cards go to {where}. " if where else ""
    return Reply(text=f"Created the {desk.name} desk. {then}It is not ready to take requests "
                      f"yet: {'; '.join(missing)}.")


async def show(ctx: Context, args: Args) -> View:
    """`/desk admin show DESK`: the whole configuration as a card."""
    name = args.phrase()
    if not name:
        raise args.fail(f"`/desk admin show` needs {DESK}.")
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, name, include_archived=True)
    await require_desk_admin(ctx.uow, ctx.actor, desk)
    return await view_queries.desk_config(ctx.uow, desk)


def members(role: Role) -> Run:
    """The `/desk admin agents|leads` handler that adds or removes people in `role`."""
    async def change_members(ctx: Context, args: Args) -> View:
        name = args.word(DESK)
        how = args.choice("add or remove", ("add", "remove"))
        people = [ctx.person(m) for m in args.mentions("at least one @person")]
        if how == "add":
            change = await service.add_members(ctx.uow, ctx.actor, name, people, role)
        else:
            change = await service.remove_members(ctx.uow, ctx.actor, name, people, role)
        desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
        done = "added to" if how == "add" else "removed from"
        lines = []
        if change.changed:
            lines.append(f"{_names(change.changed)} {done} the {desk.name} desk's "
                         f"{role.value}s.")
        if change.unchanged:
            verb = "was" if len(change.unchanged) == 1 else "were"
            state = "already" if how == "add" else "not"
            lines.append(f"{_names(change.unchanged)} {verb} {state} one of its "
                         f"{role.value}s.")
        if change.released_refs:
            refs = ", ".join(f"#{r}" for r in change.released_refs)
            lines.append(f"{refs} went back to unassigned.")
        if change.stranded_refs:
            refs = ", ".join(f"#{r}" for r in change.stranded_refs)
            lines.append(f"The {desk.name} desk is not ready to take requests now, and "
                         f"{refs} wait{'s' if len(change.stranded_refs) == 1 else ''} on it: "
                         f"{'; '.join(await service.missing_for_ready(ctx.uow, desk))}.")
        return Reply(text=" ".join(lines))
    return change_members


async def channel(ctx: Context, args: Args) -> View:
    """`/desk admin channel DESK [#channel] [--confirm] [--force]`: where the desk's cards go."""
    flags = args.flags(*FLAGS)
    name = args.word(DESK)
    _refuse_plain_channel(args)
    target = args.channel()
    args.done()
    if target is None and (ctx.caller_in_dm or not ctx.caller_channel):
        raise args.fail("Name the channel (`/desk admin channel IT #it-helpdesk`) or run the "
                        "command in it.")
    channel_id = target.channel_id if target else (ctx.caller_channel or "")
    desk = await service.set_agent_channel(ctx.uow, ctx.actor, name, channel_id,
                                           _binding(ctx, channel_id, flags, target))
    where = _channel(target) if target else "this channel"
    return Reply(text=f"The {desk.name} desk's cards now go to {where}."
                      + await _still_missing(ctx, desk))


async def _still_missing(ctx: Context, desk: Desk) -> str:
    missing = await service.missing_for_ready(ctx.uow, desk)
    return f" It is not ready to take requests yet: {'; '.join(missing)}." if missing else ""


async def rename(ctx: Context, args: Args) -> View:
    """`/desk admin rename DESK NEW NAME`."""
    name = args.word(DESK)
    new_name = args.phrase()
    if not new_name:
        raise args.fail("`/desk admin rename` needs the new name: "
                        "`/desk admin rename IT Tech Support`.")
    old = (await service.find_desk(ctx.uow, ctx.workspace.id, name)).name
    desk = await service.rename_desk(ctx.uow, ctx.actor, name, new_name)
    return Reply(text=f"The {old} desk is now called {desk.name}.")


async def describe(ctx: Context, args: Args) -> View:
    """`/desk admin describe DESK text`."""
    name = args.word(DESK)
    text = args.phrase()
    if not text:
        raise args.fail("`/desk admin describe` needs the description employees will see: "
                        "`/desk admin describe IT Laptops, VPN, accounts`.")
    desk = await service.describe_desk(ctx.uow, ctx.actor, name, text)
    return Reply(text=f"The {desk.name} desk's description is updated.")


async def archive(ctx: Context, args: Args) -> View:
    """`/desk admin archive DESK`."""
    name = args.phrase()
    if not name:
        raise args.fail(f"`/desk admin archive` needs {DESK}.")
    desk = await service.archive_desk(ctx.uow, ctx.actor, name)
    return Reply(text=f"Archived the {desk.name} desk: it takes no new requests; its open "
                      "ones can still be worked.")


async def intake_channel(ctx: Context, args: Args) -> View:
    """`/desk admin intake DESK #channel|off [--force]`."""
    flags = args.flags(*FLAGS)
    name = args.word(DESK)
    _refuse_plain_channel(args)
    target = args.channel()
    word = args.optional_word() if target is None else None
    here = word is None and target is None and not ctx.caller_in_dm and ctx.caller_channel
    if target is None and not here and (word is None or word.lower() != "off"):
        raise args.fail("`/desk admin intake` needs a #channel (or `off`): "
                        "`/desk admin intake IT #ask-it`, or run it in that channel.")
    args.done()
    # Written in a channel without naming one: that channel (on Teams, the only way).
    channel_id = target.channel_id if target else (ctx.caller_channel if here else None)
    desk = await service.set_intake_channel(
        ctx.uow, ctx.actor, name, channel_id,
        _binding(ctx, channel_id, flags, target) if channel_id else None)
    if channel_id is None:
        return Reply(text=f"The {desk.name} desk has no intake channel now.")
    where = _channel(target) if target else "this channel"
    return Reply(text=f"Top-level posts in {where} now open {desk.name} requests. "
                      "Invite me there if it is private.")


async def routing(ctx: Context, args: Args) -> View:
    """`/desk admin routing DESK keywords a,b,c` (autoassign comes later)."""
    name = args.word(DESK)
    what = args.choice("keywords or autoassign", ("keywords", "autoassign"))
    if what == "autoassign":
        raise args.fail("Auto-assignment is not available yet; agents claim requests or "
                        "reply to take them.")
    given = args.phrase()
    if not given:
        raise args.fail("`/desk admin routing DESK keywords` needs the words, e.g. "
                        "`/desk admin routing IT keywords vpn,wifi,laptop` (or `none` to "
                        "clear them).")
    words = [w.strip() for w in given.replace(";", ",").split(",")]
    if len(words) == 1 and " " in words[0]:
        words = words[0].split()
    if [w.lower() for w in words] == ["none"]:
        words = []
    desk = await service.set_routing_keywords(ctx.uow, ctx.actor, name, words)
    keywords = ", ".join(desk.routing_keywords or []) or "none"
    return Reply(text=f"The {desk.name} desk's routing keywords: {keywords}.")


async def not_yet(ctx: Context, args: Args) -> View:
    """A subcommand of the spec that later work brings."""
    raise args.fail(f"`/desk {args.command}` is not available yet in this version of "
                    "deskbot. `/desk help` lists what is.")
