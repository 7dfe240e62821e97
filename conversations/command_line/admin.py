"""`/desk admin …`: desks set up from chat (admins; leads for their own desk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select

from conversations import view_queries
from conversations.command_line.context import Context, Run
from conversations.view_models import Reply, View
from desks import audience, autoassign, service
from desks.channels import Binding, cannot_see
from desks.errors import InvalidInput
from desks.grammar import Args, ChannelRef, Mention, Word, shown
from desks.languages import LANGUAGES
from desks.permissions import Role, require_desk_admin
from desks.wording import Words, chain, code, listed, refs
from storage.models import Desk, Person

DESK = Words("arg.desk")


def names(people: Sequence[Person]) -> str | Words:
    """People's names as a list in a sentence."""
    return listed([p.display_name for p in people])


def _channel(ref: ChannelRef) -> str | Words:
    return f"#{ref.label}" if ref.label else Words("admin.the_channel_you_named")


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
    name = args.word(Words("arg.new_desk_name"))
    _refuse_plain_channel(args)
    channel = args.channel()
    if channel is None and any(isinstance(t, ChannelRef) for t in args.tokens[args.at:]):
        # `create Payroll team #pay` would name the desk "Payroll" and describe it "team #pay".
        raise args.fail("admin.create_channel_after_name")
    description = args.phrase() or None
    agent_channel = channel.channel_id if channel else None
    where = _channel(channel) if channel else None
    # Where the command was typed, when it names no channel: never a DM.
    if agent_channel is None and not ctx.caller_in_dm and ctx.caller_channel:
        agent_channel, where = ctx.caller_channel, Words("admin.this_channel")
    binding = _binding(ctx, agent_channel, flags, channel) if agent_channel else None
    desk = await service.create_desk(ctx.uow, ctx.actor, name, description=description,
                                     agent_channel=agent_channel, binding=binding)
    missing = tuple(await service.missing_to_be_ready(ctx.uow, desk))
    said = [Words("admin.created", desk=desk.name)]
    if where:
        said.append(Words("admin.cards_go_to", where=where))
    said.append(Words("admin.not_ready_yet", missing=chain(missing, "common.semicolon")))
    return Reply.of(chain(said))


async def show(ctx: Context, args: Args) -> View:
    """`/desk admin show DESK`: the whole configuration as a card."""
    name = args.phrase()
    if not name:
        raise args.fail("grammar.needs", command=code("/desk admin show"), what=DESK)
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, name, include_archived=True)
    await require_desk_admin(ctx.uow, ctx.actor, desk)
    return await view_queries.desk_config(ctx.uow, desk)


def members(role: Role) -> Run:
    """The `/desk admin agents|leads` handler that adds or removes people in `role`."""
    async def change_members(ctx: Context, args: Args) -> View:
        name = args.word(DESK)
        how = args.choice(Words("arg.add_or_remove"), ("add", "remove"))
        people = [ctx.person(m) for m in args.mentions(Words("arg.people"))]
        if how == "add":
            change = await service.add_members(ctx.uow, ctx.actor, name, people, role)
        else:
            change = await service.remove_members(ctx.uow, ctx.actor, name, people, role)
        desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
        lines = []
        if change.changed:
            lines.append(Words(f"admin.members_{how}_{role.value}", desk=desk.name,
                               people=names(change.changed)))
        if change.unchanged:
            state = "already" if how == "add" else "not"
            lines.append(Words(f"admin.members_{state}_{role.value}",
                               count=len(change.unchanged), people=names(change.unchanged)))
        if change.released_refs:
            lines.append(Words("admin.released", refs=refs(change.released_refs)))
        if change.stranded_refs:
            missing = tuple(await service.missing_to_be_ready(ctx.uow, desk))
            lines.append(Words("admin.stranded", count=len(change.stranded_refs),
                               desk=desk.name, refs=refs(change.stranded_refs),
                               missing=chain(missing, "common.semicolon")))
        return Reply.of(chain(lines))
    return change_members


async def channel(ctx: Context, args: Args) -> View:
    """`/desk admin channel DESK [#channel] [--confirm] [--force]`: where the desk's cards go."""
    flags = args.flags(*FLAGS)
    name = args.word(DESK)
    _refuse_plain_channel(args)
    target = args.channel()
    args.done()
    if target is None and (ctx.caller_in_dm or not ctx.caller_channel):
        raise args.fail("admin.channel_name_it")
    channel_id = target.channel_id if target else (ctx.caller_channel or "")
    desk = await service.set_agent_channel(ctx.uow, ctx.actor, name, channel_id,
                                           _binding(ctx, channel_id, flags, target))
    where = _channel(target) if target else Words("admin.this_channel")
    said = [Words("admin.cards_now_go_to", desk=desk.name, where=where)]
    return Reply.of(chain(said + await _still_missing(ctx, desk)))


async def _still_missing(ctx: Context, desk: Desk) -> list[Words]:
    missing = tuple(await service.missing_to_be_ready(ctx.uow, desk))
    return [Words("admin.not_ready_yet", missing=chain(missing, "common.semicolon"))
            ] if missing else []


async def rename(ctx: Context, args: Args) -> View:
    """`/desk admin rename DESK NEW NAME`."""
    name = args.word(DESK)
    new_name = args.phrase()
    if not new_name:
        raise args.fail("admin.rename_needs_name")
    old = (await service.find_desk(ctx.uow, ctx.workspace.id, name)).name
    desk = await service.rename_desk(ctx.uow, ctx.actor, name, new_name)
    return Reply.of(Words("admin.renamed", old=old, desk=desk.name))


async def describe(ctx: Context, args: Args) -> View:
    """`/desk admin describe DESK text`."""
    name = args.word(DESK)
    text = args.phrase()
    if not text:
        raise args.fail("admin.describe_needs_text")
    desk = await service.describe_desk(ctx.uow, ctx.actor, name, text)
    return Reply.of(Words("admin.described", desk=desk.name))


async def archive(ctx: Context, args: Args) -> View:
    """`/desk admin archive DESK`."""
    name = args.phrase()
    if not name:
        raise args.fail("grammar.needs", command=code("/desk admin archive"), what=DESK)
    desk = await service.archive_desk(ctx.uow, ctx.actor, name)
    return Reply.of(Words("admin.archived", desk=desk.name))


async def intake_channel(ctx: Context, args: Args) -> View:
    """`/desk admin intake DESK #channel|off [--force]`."""
    flags = args.flags(*FLAGS)
    name = args.word(DESK)
    _refuse_plain_channel(args)
    target = args.channel()
    word = args.optional_word() if target is None else None
    here = word is None and target is None and not ctx.caller_in_dm and ctx.caller_channel
    if target is None and not here and (word is None or word.lower() != "off"):
        raise args.fail("admin.intake_needs_channel")
    args.done()
    # Written in a channel without naming one: that channel (on Teams, the only way).
    channel_id = target.channel_id if target else (ctx.caller_channel if here else None)
    desk = await service.set_intake_channel(
        ctx.uow, ctx.actor, name, channel_id,
        _binding(ctx, channel_id, flags, target) if channel_id else None)
    if channel_id is None:
        return Reply.of(Words("admin.intake_off", desk=desk.name))
    where = _channel(target) if target else Words("admin.this_channel")
    return Reply.of(Words("admin.intake_on", where=where, desk=desk.name))


async def routing(ctx: Context, args: Args) -> View:
    """`/desk admin routing DESK keywords a,b,c | autoassign round-robin|least-loaded|off`."""
    name = args.word(DESK)
    what = args.choice(Words("arg.keywords_or_autoassign"), ("keywords", "autoassign"))
    if what == "autoassign":
        rule = args.choice(Words("arg.autoassign_rule"), (*autoassign.RULES, "off"))
        args.done()
        desk = await service.set_autoassign(ctx.uow, ctx.actor, name,
                                            None if rule == "off" else rule)
        rule_now = autoassign.rule_of(desk.settings)
        return Reply.of(Words("autoassign.set_" + (rule_now or "off").replace("-", "_"),
                              desk=desk.name))
    given = args.phrase()
    if not given:
        raise args.fail("admin.routing_needs_words")
    words = [w.strip() for w in given.replace(";", ",").split(",")]
    if len(words) == 1 and " " in words[0]:
        words = words[0].split()
    if [w.lower() for w in words] == ["none"]:
        words = []
    desk = await service.set_routing_keywords(ctx.uow, ctx.actor, name, words)
    keywords = tuple(desk.routing_keywords or ()) or Words("common.none")
    return Reply.of(Words("admin.routing_set", desk=desk.name, keywords=keywords))


async def not_yet(ctx: Context, args: Args) -> View:
    """A subcommand of the spec that later work brings."""
    raise args.fail("command.not_yet", command=code(f"/desk {args.command}"))


async def language(ctx: Context, args: Args) -> View:
    """`/desk admin language DESK he|en`: the language of the desk's cards, alerts and
    digests in its channel."""
    name = args.word(DESK)
    word = args.choice(Words("arg.desk_language"), tuple(sorted(LANGUAGES, reverse=True)))
    args.done()
    desk = await service.set_desk_language(ctx.uow, ctx.actor, name, word)
    return Reply.of(Words("admin.language_set", desk=desk.name,
                          language=Words(f"language.name_{desk.language}")))


async def audience_(ctx: Context, args: Args) -> View:
    """`/desk admin audience DESK [remove] #channel|@person|here …`, `… DESK off`, or
    `… DESK` to show who sees it."""
    name = args.word(DESK)
    word = args.peek()
    how = "show" if word is None else "add"
    if isinstance(word, Word) and word.text.lower() in ("off", "remove"):
        how = word.text.lower()
        args.take()
    channels: list[str] = []
    people: list[str] = []
    labels: list[str | Words] = []
    if how == "off":
        args.done()
    while how in ("add", "remove") and args.more():
        _refuse_plain_channel(args)
        token = args.take()
        if isinstance(token, ChannelRef):
            channels.append(token.channel_id)
            labels.append(_channel(token))
        elif isinstance(token, Mention):
            person = ctx.person(token)
            people.append(person.external_id)
            labels.append(person.display_name)
        elif isinstance(token, Word) and token.text.lower() == "here" and \
                not ctx.caller_in_dm and ctx.caller_channel:
            channels.append(ctx.caller_channel)
            labels.append(Words("admin.this_channel"))
        elif not (isinstance(token, Word) and token.text.lower() in (",", "and")):
            raise args.fail("audience.takes", got=shown(token)[:40] if token else "")
    if how in ("add", "remove") and not labels:
        raise args.fail("audience.needs_whom")
    desk = await service.find_desk(ctx.uow, ctx.workspace.id, name)
    if how == "show":
        await require_desk_admin(ctx.uow, ctx.actor, desk)
    else:
        desk = await service.set_audience(ctx.uow, ctx.actor, desk, how, channels, people)
    return Reply.of(await audience_words(ctx, desk))


async def audience_words(ctx: Context, desk: Desk) -> Words:
    """Who sees the desk, said: everyone, or its channels and people."""
    seen = audience.audience_of(desk.settings)
    if not seen:
        return Words("audience.public", desk=desk.name)
    known = {p.external_id: p.display_name for p in (await ctx.uow.session.execute(
        select(Person).where(Person.workspace_id == desk.workspace_id,
                             Person.external_id.in_(seen.people)))).scalars()}
    whom = [f"#{c}" for c in seen.channels] + [known.get(p, p) for p in seen.people]
    return Words("audience.private", desk=desk.name, people=listed(whom))
