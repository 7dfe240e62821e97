"""Running one `/desk` command: parse, look people up, one unit of work, one view."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from conversations.command_line.catalog import ADMIN, TOP, unknown
from conversations.command_line.context import Context, Subcommand
from conversations.view_models import Reply, View
from desks import audience
from desks.directory import Directory, Profile, channel_facts, profiles_to_refresh
from desks.errors import DeskbotError
from desks.grammar import Args, ChannelRef, Mention, UsageError, Word, shown, tokenize
from desks.languages import DEFAULT_LOCALE, person_locale
from desks.people import ensure_person, ensure_workspace
from desks.permissions import resolve_actor
from desks.wording import Words
from storage.database import Database, UnitOfWork
from storage.models import Person, Workspace

log = logging.getLogger(__name__)
# The subcommands that bind channels: what the platform says of them is asked first.
BINDS_CHANNELS = frozenset({"admin create", "admin channel", "admin intake"})
ADMIN_USAGE = f"/desk admin {'|'.join(ADMIN)} …"


@dataclass(frozen=True)
class Caller:
    """Who typed the command, and where."""

    platform: str  # slack | teams
    workspace_external_id: str
    user_id: str
    profile: Profile | None = None  # when the platform sent it along (Teams)
    channel: str | None = None
    channel_is_dm: bool = True


@dataclass(frozen=True)
class Outcome:
    """The answer: a view, private unless `public`, in the caller's `locale` (their
    language after the command: `/desk language he` answers in Hebrew)."""

    view: View
    public: bool = False
    locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class _Plan:
    subcommand: Subcommand
    args: Args
    mentions: tuple[Mention, ...] = field(default=())


def _plan(text: str) -> _Plan:
    tokens = tokenize(text)
    first = tokens[0] if tokens else None
    if first is None:
        return _Plan(TOP["help"], Args(text, [], "help", TOP["help"].usage))
    if not isinstance(first, Word):
        raise unknown(shown(first))
    # Right-to-left clients may slip invisible direction marks into the first word.
    name = "".join(c for c in first.text if unicodedata.category(c) != "Cf")
    name = name.strip().lower().lstrip("/")
    subcommand = TOP.get(name)
    rest = tokens[1:]
    if subcommand is None:
        raise unknown(first.text)
    if name == "admin":
        second = rest[0] if rest else None
        if second is None:
            raise UsageError("command.admin_needs_what", usage=ADMIN_USAGE)
        word = second.text.lower() if isinstance(second, Word) else ""
        subcommand = ADMIN.get(word)
        if subcommand is None:
            raise UsageError("command.not_admin", usage=ADMIN_USAGE, word=shown(second)[:40])
        rest = rest[1:]
    args = Args(text, rest, subcommand.name, subcommand.usage)
    mentions = tuple(t for t in rest if isinstance(t, Mention))
    return _Plan(subcommand, args, mentions)


async def _enter(uow: UnitOfWork, caller: Caller, mentions: Iterable[Mention],
                 profiles: dict[str, Profile],
                 extra_admins: Iterable[str]) -> tuple[Workspace, Person, dict[str, Person]]:
    workspace = await ensure_workspace(uow, caller.platform, caller.workspace_external_id)

    async def person(user_id: str, label: str | None) -> Person:
        profile = profiles.get(user_id)
        if profile is not None:
            return await ensure_person(uow, workspace, user_id, profile.display_name,
                                       time_zone=profile.time_zone, locale=profile.locale,
                                       is_platform_admin=profile.is_admin)
        known = await ensure_person(uow, workspace, user_id)
        if label and known.display_name == user_id:
            known.display_name = label[:200]  # better than an id until the directory answers
        return known

    me = await person(caller.user_id, None)
    people = {m.user_id: await person(m.user_id, m.label) for m in mentions}
    return workspace, me, people


# Subcommands that only read (and answer): they may run out of their turn.
READS_ONLY = frozenset({"help", "my", "queue", "history", "admin show", "search"})


def reads_only(text: str) -> bool:
    """Whether `/desk text` changes nothing (a read, or words that are no command)."""
    try:
        return _plan((text or "").replace("\x00", "")).subcommand.name in READS_ONLY
    except DeskbotError:
        return True  # answered with the right form; nothing runs


@dataclass(frozen=True)
class Prepared:
    """A command read and its people looked up: ready to run in a unit of work.

    `outcome` is set when there is nothing to run (the words were not a command).
    """

    plan: _Plan | None
    profiles: dict[str, Profile]
    outcome: Outcome | None = None
    channels: dict[str, Any] = field(default_factory=dict)


def refusal(error: DeskbotError) -> Reply:
    """The private answer that says what `error` refuses (and the right form)."""
    usage = error.usage if isinstance(error, UsageError) else None
    return Reply(text=error.message, kind="error", usage=usage, words=error.words)


def _refused(error: DeskbotError) -> Outcome:
    return Outcome(refusal(error))


async def _caller_locale(uow: UnitOfWork, caller: Caller) -> str:
    """The caller's language, when deskbot knows them (English otherwise)."""
    person = (await uow.session.execute(
        select(Person).join(Workspace, Workspace.id == Person.workspace_id)
        .where(Workspace.platform == caller.platform,
               Workspace.external_id == caller.workspace_external_id,
               Person.external_id == caller.user_id))).scalar_one_or_none()
    return person_locale(person)


async def prepare_command(db: Database, caller: Caller, text: str, *,
                          directory: Directory) -> Prepared:
    """Read `/desk text` and look up the people it names, before any write transaction
    (a platform's directory is asked here, never under a write lock)."""
    # PostgreSQL text cannot hold NUL; nobody types one on purpose.
    text = (text or "").replace("\x00", "")
    try:
        plan = _plan(text)
    except DeskbotError as error:
        return Prepared(None, {}, _refused(error))
    ids = [caller.user_id, *(m.user_id for m in plan.mentions)]
    profiles = await profiles_to_refresh(db, directory, caller.platform,
                                         caller.workspace_external_id, ids)
    if caller.profile is not None:
        profiles.setdefault(caller.user_id, caller.profile)
    if plan.subcommand.name == "ask":  # which private desks' channels the caller is in
        await audience.member_channels(db, directory, caller.platform,
                                       caller.workspace_external_id, caller.user_id)
    channels: dict[str, Any] = {}
    if plan.subcommand.name in BINDS_CHANNELS:
        # What the platform says of the channels a binding names (seen? ours? public?).
        own = None if caller.channel_is_dm else caller.channel
        written = [t.channel_id for t in plan.args.tokens if isinstance(t, ChannelRef)]
        try:
            channels = await channel_facts(directory, caller.workspace_external_id,
                                           caller.user_id, [*written, own], own_channel=own)
        except DeskbotError as error:
            return Prepared(None, {}, _refused(error))
    return Prepared(plan, profiles, channels=channels)


async def run_prepared(uow: UnitOfWork, caller: Caller, prepared: Prepared, *,
                       extra_admins: Iterable[str] = (), note_prefix: str = "//") -> Outcome:
    """Run a prepared command in the caller's unit of work; the caller commits.

    The command runs in a savepoint of its own: a refusal undoes only what the command
    did, so the caller's own writes (an inbox row's processed mark) still commit. Any
    other exception undoes the command too, and is raised.
    """
    if prepared.outcome is not None or prepared.plan is None:
        outcome = prepared.outcome or Outcome(Reply.of(Words("command.not_a_command"),
                                                       kind="error"))
        return replace(outcome, locale=await _caller_locale(uow, caller))
    plan = prepared.plan
    savepoint = await uow.session.begin_nested()
    locale = DEFAULT_LOCALE
    try:
        workspace, me, people = await _enter(uow, caller, plan.mentions, prepared.profiles,
                                             extra_admins)
        locale = person_locale(me)  # read now: a refusal rolls `me` back
        ctx = Context(uow=uow, caller_channel=caller.channel,
                      caller_in_dm=caller.channel_is_dm, workspace=workspace,
                      actor=resolve_actor(me, workspace, extra_admins), people=people,
                      note_prefix=note_prefix, channels=prepared.channels)
        view = await plan.subcommand.run(ctx, plan.args)
        await savepoint.commit()
    except DeskbotError as error:
        await savepoint.rollback()
        return replace(_refused(error), locale=locale)
    except BaseException:
        # A bug or a lost connection: none of the command's writes may commit with the
        # caller's, whatever the caller does next.
        if savepoint.is_active:
            try:
                await savepoint.rollback()
            except Exception:
                log.warning("could not roll back a failed command", exc_info=True)
        raise
    return Outcome(view, locale=person_locale(me))


async def run_command(db: Database, caller: Caller, text: str, *, directory: Directory,
                      extra_admins: Iterable[str] = (), note_prefix: str = "//") -> Outcome:
    """Run `/desk text` for `caller`; always an Outcome, never an exception for bad input."""
    prepared = await prepare_command(db, caller, text, directory=directory)
    async with db.unit_of_work() as uow:
        outcome = await run_prepared(uow, caller, prepared, extra_admins=extra_admins,
                                     note_prefix=note_prefix)
        await uow.commit()
    return outcome
