"""Desk administration: create, rename, describe, archive; agents and leads; channels.

Each function runs inside the caller's unit of work, checks who may do it, changes
the desk and appends a `desk.*` event saying who changed what.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from desks import audience, autoassign
from desks.channels import Binding, Use, cannot_see
from desks.errors import (
    DeskArchived,
    DeskExists,
    DeskNotReady,
    InvalidInput,
    NotAnAgent,
    NotPermitted,
    UnknownDesk,
)
from desks.languages import LANGUAGES
from desks.notices import ALSO, NoticeKind
from desks.permissions import Actor, Role, desk_role, require_admin, require_desk_admin
from desks.policy import (
    POLICY_KEYS,
    PRIORITIES,
    SLA_KINDS,
    STALL_KINDS,
    DeskPolicy,
    compact_targets,
    policy_of,
    settings_with,
    slugify,
    warning_percent,
)
from desks.ticket_policy import MAX_CATEGORIES, Category, clean_category, find_category
from desks.window_grammar import (
    parse_country,
    parse_date,
    parse_duration,
    parse_hours,
    parse_time_zone,
)
from desks.wording import Words, code
from storage.database import UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import Conversation, Desk, DeskMember, Person

MAX_NAME = 80
MAX_DESCRIPTION = 1000
ACTIVE_STATUSES = ("new", "open", "waiting", "on_hold")


def clean_name(name: str) -> str:
    """A desk name as kept: spaces collapsed, no leading `#`; refuses empty or long names."""
    cleaned = " ".join((name or "").split()).lstrip("#")
    if not cleaned or not slugify(cleaned):
        raise InvalidInput("desk.needs_name")
    # The slug is checked too: NFKC and lower-casing can make it longer than the name.
    if len(cleaned) > MAX_NAME or len(slugify(cleaned)) > MAX_NAME:
        raise InvalidInput("desk.name_too_long", count=MAX_NAME)
    return cleaned


async def list_desks(uow: UnitOfWork, workspace_id: int, *,
                     include_archived: bool = False) -> list[Desk]:
    """The workspace's desks by name."""
    query = select(Desk).where(Desk.workspace_id == workspace_id).order_by(Desk.name)
    if not include_archived:
        query = query.where(Desk.archived_at.is_(None))
    return list((await uow.session.execute(query)).scalars())


async def find_desk(uow: UnitOfWork, workspace_id: int, name: str, *,
                    include_archived: bool = False) -> Desk:
    """The desk called `name` (any case, or its slug); refuses with the known names."""
    slug = slugify(name or "")
    desk = (await uow.session.execute(
        select(Desk).where(Desk.workspace_id == workspace_id, Desk.slug == slug)
    )).scalar_one_or_none() if slug else None
    if desk is None or (desk.archived_at is not None and not include_archived):
        known = [d.name for d in await list_desks(uow, workspace_id)]
        hint = (Words("desk.known", desks=tuple(known)) if known
                else Words("desk.none_yet"))
        raise UnknownDesk(Words("common.then", first=Words("desk.no_such_desk", name=name),
                                then=hint), name=name)
    return desk


async def create_desk(uow: UnitOfWork, actor: Actor, name: str, *,
                      description: str | None = None, agent_channel: str | None = None,
                      binding: Binding | None = None) -> Desk:
    """Create a desk (admins only), with its agent channel when one is given (checked
    as `bind_channel` checks it)."""
    require_admin(actor, "create_desks")
    name = clean_name(name)
    slug = slugify(name)
    existing = (await uow.session.execute(
        select(Desk).where(Desk.workspace_id == actor.workspace_id, Desk.slug == slug)
    )).scalar_one_or_none()
    if existing is not None:
        raise DeskExists("desk.exists_archived" if existing.archived_at else "desk.exists",
                         name=existing.name)
    if agent_channel is not None:
        await bind_channel(uow, actor, None, name, agent_channel, Use.AGENT,
                           binding or Binding())
    desk = Desk(workspace_id=actor.workspace_id, name=name, slug=slug,
                description=_clean_description(description), agent_channel=agent_channel,
                language="en", routing_keywords=[], settings={}, created_at=uow.clock.now())
    uow.session.add(desk)
    await uow.session.flush()
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.created", name=name, agent_channel=agent_channel)
    return desk


def _clean_description(description: str | None) -> str | None:
    if description is None:
        return None
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("desk.description_too_long", count=MAX_DESCRIPTION)
    return description or None


DeskRef = str | Desk  # a desk's name as typed, or the desk itself (archived ones too)


async def _desk_for_change(uow: UnitOfWork, actor: Actor, desk_name: DeskRef) -> Desk:
    desk = (desk_name if isinstance(desk_name, Desk)
            else await find_desk(uow, actor.workspace_id, desk_name))
    await require_desk_admin(uow, actor, desk)
    return desk


async def rename_desk(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, new_name: str) -> Desk:
    """Rename a desk (admin, or the desk's lead); the slug follows the name."""
    desk = await _desk_for_change(uow, actor, desk_name)
    new_name = clean_name(new_name)
    new_slug = slugify(new_name)
    if new_slug != desk.slug:
        clash = (await uow.session.execute(
            select(Desk.name).where(Desk.workspace_id == desk.workspace_id, Desk.slug == new_slug)
        )).scalar_one_or_none()
        if clash is not None:
            raise DeskExists("desk.exists", name=clash)
    old, old_slug = desk.name, desk.slug
    desk.name, desk.slug = new_name, new_slug
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.renamed", old=old, new=new_name)
    if new_slug != old_slug:  # desks escalating here name it by slug: they follow
        for lower in await list_desks(uow, desk.workspace_id, include_archived=True):
            policy = policy_of(lower.settings, lower.language)
            if policy.escalate_to == old_slug:
                write_policy(uow, actor, lower, replace(policy, escalate_to=new_slug))
    return desk


async def describe_desk(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                        description: str) -> Desk:
    """Set the description employees see in the desk picker."""
    desk = await _desk_for_change(uow, actor, desk_name)
    old = desk.description
    desk.description = _clean_description(description)
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.described", old=old, new=desk.description)
    return desk


async def set_desk_language(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                            language: str) -> Desk:
    """Set the language of the desk's channel: its cards, alerts and digests (admin, or
    the desk's lead); one of `desks.languages.LANGUAGES`."""
    desk = await _desk_for_change(uow, actor, desk_name)
    wanted = (language or "").strip().lower()
    if wanted not in LANGUAGES:
        raise InvalidInput("desk.language_unknown", got=wanted[:20],
                           languages=tuple(sorted(LANGUAGES)))
    old = desk.language
    desk.language = wanted
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.language", old=old, new=wanted)
    return desk


async def archive_desk(uow: UnitOfWork, actor: Actor, desk_name: DeskRef) -> Desk:
    """Archive a desk (admins only): no new requests; its open conversations stay workable."""
    require_admin(actor, "archive_desks")
    desk = (desk_name if isinstance(desk_name, Desk)
            else await find_desk(uow, actor.workspace_id, desk_name))
    desk.archived_at = uow.clock.now()
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.archived")
    return desk


async def restore_desk(uow: UnitOfWork, actor: Actor, desk: Desk) -> Desk:
    """Take an archived desk back into service (admins only)."""
    require_admin(actor, "restore_desks")
    desk.archived_at = None
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.restored")
    return desk


def _shown_channel(binding: Binding, *, first: bool = False) -> Words:
    """The channel being bound, in a sentence (`first`: starting it)."""
    if binding.facts is not None and binding.facts.name:
        return Words("channel.named", name=binding.facts.name)
    return Words("channel.that_first" if first else "channel.that")


async def bind_channel(uow: UnitOfWork, actor: Actor, desk: Desk | None, desk_name: str,
                       channel: str, use: Use, binding: Binding) -> None:
    """Check that `desk` (None: the desk `desk_name` being created) may take `channel`
    for `use`; with an admin's `--force`, take it from the desk that has it.

    The rules are in `desks.channels`. Without facts (a config file, a test) only the
    one-desk-one-use rule is checked: membership and privacy are the platform's to say.
    """
    facts = binding.facts
    shown = _shown_channel(binding)
    if not channel:
        raise InvalidInput("channel.name_it")
    if facts is not None and not facts.visible:
        raise InvalidInput(cannot_see(facts.name))
    if facts is not None and facts.is_dm:
        raise InvalidInput("channel.not_a_dm",
                           command=code(f"/desk admin channel {desk_name} #it-helpdesk"))
    if binding.force and not actor.is_admin:
        raise NotPermitted("channel.force_admins_only")
    if facts is not None and not binding.force:
        if facts.caller_is_member is False:
            raise NotPermitted("channel.not_a_member", channel=shown)
        if facts.caller_is_member is None and not actor.is_admin:
            raise NotPermitted("channel.membership_unknown", channel=shown)
    holders = (await uow.session.execute(
        select(Desk).where(Desk.workspace_id == actor.workspace_id,
                           (Desk.agent_channel == channel) | (Desk.intake_channel == channel))
        .order_by(Desk.id))).scalars().all()
    for holder in holders:
        uses = [u for u, held in ((Use.AGENT, holder.agent_channel),
                                  (Use.INTAKE, holder.intake_channel)) if held == channel]
        same = desk is not None and holder.id == desk.id
        clashing = [u for u in uses if not (same and u == use)]
        if not clashing:
            continue
        held_as = "agent" if clashing[0] == Use.AGENT else "intake"
        whose = "this" if same else "other"
        if not binding.force:
            raise NotPermitted(f"channel.held_{held_as}_{whose}", desk=holder.name,
                               channel=_shown_channel(binding, first=True))
        was_ready = not await missing_for_ready(uow, holder)
        for taken in clashing:
            column = "agent_channel" if taken == Use.AGENT else "intake_channel"
            setattr(holder, column, None)
            record_event(uow, workspace_id=holder.workspace_id, desk_id=holder.id,
                         actor_id=actor.id, kind=f"desk.{column}", old=channel, new=None,
                         reason="moved_by_force", to_desk=desk_name)
        if was_ready:
            await tell_if_stranded(uow, actor, holder)
    if (use == Use.AGENT and facts is not None and facts.is_private is False
            and not (binding.confirmed or binding.force)):
        raise InvalidInput("channel.public", channel=_shown_channel(binding, first=True))


async def set_agent_channel(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                            channel: str, binding: Binding | None = None) -> Desk:
    """Bind the desk's agent channel (where ticket cards are posted); see `bind_channel`."""
    desk = await _desk_for_change(uow, actor, desk_name)
    await bind_channel(uow, actor, desk, desk.name, channel, Use.AGENT, binding or Binding())
    old, desk.agent_channel = desk.agent_channel, channel
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.agent_channel", old=old, new=channel)
    return desk


async def set_intake_channel(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                             channel: str | None, binding: Binding | None = None) -> Desk:
    """Set (or clear, with None) the public channel whose posts open requests; see
    `bind_channel`."""
    desk = await _desk_for_change(uow, actor, desk_name)
    if channel is not None:
        await bind_channel(uow, actor, desk, desk.name, channel, Use.INTAKE,
                           binding or Binding())
    old, desk.intake_channel = desk.intake_channel, channel
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.intake_channel", old=old, new=channel)
    return desk


async def set_routing_keywords(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                               keywords: Sequence[str]) -> Desk:
    """Set the keywords that route a DM straight to this desk."""
    desk = await _desk_for_change(uow, actor, desk_name)
    cleaned = sorted({k.strip().lower() for k in keywords if k.strip()})
    old, desk.routing_keywords = list(desk.routing_keywords or []), cleaned
    record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                 kind="desk.routing_keywords", old=old, new=cleaned)
    return desk


@dataclass
class MembershipChange:
    """What an add/remove did, person by person, for the confirmation message."""

    changed: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    released_refs: list[int] = field(default_factory=list)
    stranded_refs: list[int] = field(default_factory=list)  # waiting on a desk now not ready


async def add_members(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                      people: Sequence[Person], role: Role) -> MembershipChange:
    """Add agents or leads. A lead added as agent stays lead; an agent added as lead is promoted."""
    if role not in (Role.AGENT, Role.LEAD):
        raise InvalidInput("desk.members_roles")
    desk = await _desk_for_change(uow, actor, desk_name)
    _require_people(people, role)
    result = MembershipChange()
    for person in _distinct(people):
        member = await uow.session.get(DeskMember, (desk.id, person.id))
        if member is None:
            uow.session.add(DeskMember(desk_id=desk.id, person_id=person.id, role=role.value,
                                       added_at=uow.clock.now()))
        elif member.role == Role.LEAD or member.role == role:
            result.unchanged.append(person)
            continue
        else:
            member.role = role.value
        result.changed.append(person)
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                     kind=f"desk.{role.value}_added", person_id=person.id)
    return result


async def remove_members(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                         people: Sequence[Person], role: Role) -> MembershipChange:
    """Remove agents (entirely) or leads (they stay agents).

    A removed agent's active conversations on the desk go back to unassigned, so
    nothing is left with someone who can no longer see it.
    """
    desk = await _desk_for_change(uow, actor, desk_name)
    _require_people(people, role)
    was_ready = not await missing_for_ready(uow, desk)
    result = MembershipChange()
    for person in _distinct(people):
        member = await uow.session.get(DeskMember, (desk.id, person.id))
        if member is None or (role == Role.LEAD and member.role != Role.LEAD):
            result.unchanged.append(person)
            continue
        if role == Role.LEAD:
            member.role = Role.AGENT.value
        else:
            await uow.session.execute(delete(DeskMember).where(
                DeskMember.desk_id == desk.id, DeskMember.person_id == person.id))
            result.released_refs += await _release_on_desk(uow, actor, desk, person)
        result.changed.append(person)
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                     kind=f"desk.{role.value}_removed", person_id=person.id)
    gone = {p.external_id for p in result.changed} if role == Role.AGENT else set()
    policy = policy_of(desk.settings, desk.language)
    if gone & set(policy.oncall):  # no longer on the desk, so no longer on call for it
        write_policy(uow, actor, desk, replace(
            policy, oncall=tuple(i for i in policy.oncall if i not in gone)))
    if was_ready:
        result.stranded_refs = await tell_if_stranded(uow, actor, desk)
    return result


async def _release_on_desk(uow: UnitOfWork, actor: Actor, desk: Desk,
                           person: Person) -> list[int]:
    rows = await uow.session.execute(
        select(Conversation).where(Conversation.desk_id == desk.id,
                                   Conversation.assignee_id == person.id,
                                   Conversation.status.in_(ACTIVE_STATUSES))
        .order_by(Conversation.id).with_for_update()
    )
    refs = []
    for conversation in rows.scalars():
        conversation.assignee_id = None
        if conversation.status == "open":
            conversation.status = "new"
        conversation.updated_at = uow.clock.now()
        record_event(uow, workspace_id=desk.workspace_id, conversation_id=conversation.id,
                     desk_id=desk.id, actor_id=actor.id, kind="conversation.released",
                     previous_assignee_id=person.id, reason="removed_from_desk")
        write_notice(uow, workspace_id=desk.workspace_id, conversation_id=conversation.id,
                     kind=NoticeKind.CARD_UPDATE)
        refs.append(conversation.ref)
    return refs


def _require_people(people: Sequence[Person], role: Role) -> None:
    if not people:
        raise InvalidInput("desk.name_people",
                           command=code(f"/desk admin {role.value}s IT add @dana @lee"))


def _distinct(people: Sequence[Person]) -> list[Person]:
    seen: dict[int, Person] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return list(seen.values())


async def members(uow: UnitOfWork, desk: Desk) -> list[tuple[Person, Role]]:
    """The desk's agents and leads, leads first, by name."""
    rows = await uow.session.execute(
        select(Person, DeskMember.role).join(DeskMember, DeskMember.person_id == Person.id)
        .where(DeskMember.desk_id == desk.id)
        .order_by(DeskMember.role.desc(), func.lower(Person.display_name))
    )
    return [(person, Role(role)) for person, role in rows.all()]


def require_open_desk(desk: Desk) -> None:
    """Refuse a desk that is archived (it takes no new requests)."""
    if desk.archived_at is not None:
        raise DeskArchived("desk.archived", desk=desk.name)


async def missing_for_ready(uow: UnitOfWork, desk: Desk) -> list[str]:
    """What the desk lacks to take requests, in English (see `missing_to_be_ready`)."""
    return [words.english for words in await missing_to_be_ready(uow, desk)]


async def missing_to_be_ready(uow: UnitOfWork, desk: Desk) -> list[Words]:
    """What the desk lacks to take requests, each as what to run; empty when it is ready.

    A desk with no agent channel has nowhere to post its cards; one with no agents
    (or leads) has nobody to answer. Such a desk is *not ready*: it is left out of
    routing and the picker, and asking it directly is refused.
    """
    missing = []
    if not desk.agent_channel:
        missing.append(Words("ready.no_agent_channel",
                             command=code(f"/desk admin channel {desk.name} #channel")))
    has_agents = (await uow.session.execute(
        select(DeskMember.person_id).where(DeskMember.desk_id == desk.id).limit(1)
    )).first() is not None
    if not has_agents:
        missing.append(Words("ready.no_agents",
                             command=code(f"/desk admin agents {desk.name} add @someone")))
    return missing


async def tell_if_stranded(uow: UnitOfWork, actor: Actor, desk: Desk) -> list[int]:
    """After a change that left `desk` not ready: if requests wait on it, tell its leads,
    the workspace's admins and whoever made the change (one notice, each told once);
    the refs told of. Nothing is dropped: they are still on the desk when it is ready."""
    missing = await missing_for_ready(uow, desk)
    if not missing:
        return []
    refs = list((await uow.session.execute(
        select(Conversation.ref).where(Conversation.desk_id == desk.id,
                                       Conversation.status.in_(ACTIVE_STATUSES))
        .order_by(Conversation.ref))).scalars())
    if not refs:
        return []
    leads = (await uow.session.execute(
        select(DeskMember.person_id).where(DeskMember.desk_id == desk.id,
                                           DeskMember.role == Role.LEAD.value)
        .order_by(DeskMember.person_id))).scalars()
    admins = (await uow.session.execute(
        select(Person.id).where(Person.workspace_id == desk.workspace_id,
                                Person.is_platform_admin.is_(True)).order_by(Person.id)
    )).scalars()
    people = list(dict.fromkeys([actor.id, *leads, *admins]))
    write_notice(uow, workspace_id=desk.workspace_id, kind=NoticeKind.DESK_NOT_READY,
                 person_id=people[0],
                 payload={"desk_id": desk.id, "refs": refs, "missing": missing,
                          **({ALSO: people[1:]} if people[1:] else {})})
    return refs


async def require_ready_desk(uow: UnitOfWork, desk: Desk) -> None:
    """Refuse a desk that is archived or not ready (no agent channel, no agents)."""
    require_open_desk(desk)
    if await missing_for_ready(uow, desk):
        raise DeskNotReady("desk.not_ready", desk=desk.name)


# ---------------------------------------------------------------- service policy


@dataclass
class PolicyChange:
    """A policy change: the desk, its policy now, and what changed (stored form, old/new)."""

    desk: Desk
    policy: DeskPolicy
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)


def policy_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any],
                language: str | None = None) -> dict[str, dict[str, Any]]:
    """The policy keys whose stored form differs, each as {"old": …, "new": …}
    (`language`: the desk's, which names its default categories)."""
    before = settings_with(old, policy_of(old, language))  # written out, so defaults compare equal
    return {key: {"old": before.get(key), "new": new.get(key)} for key in POLICY_KEYS
            if before.get(key) != new.get(key)}


def write_policy(uow: UnitOfWork, actor: Actor, desk: Desk,
                 policy: DeskPolicy) -> dict[str, dict[str, Any]]:
    """Store `policy` in the desk's settings and record `desk.policy_changed` if it differs."""
    new = settings_with(desk.settings, policy)
    changed = policy_diff(desk.settings, new, desk.language)
    if changed:
        desk.settings = new  # a new dict, so the JSON column is seen as changed
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                     kind="desk.policy_changed", changed=changed)
    return changed


async def _change_policy(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                         change: Callable[[DeskPolicy], DeskPolicy]) -> PolicyChange:
    desk = await _desk_for_change(uow, actor, desk_name)
    policy = change(policy_of(desk.settings, desk.language))
    return PolicyChange(desk, policy, write_policy(uow, actor, desk, policy))


async def set_hours(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, hours_text: str | None,
                    time_zone: str | None = None) -> PolicyChange:
    """Set the desk's opening hours (`sun-thu 08:00-18:00; fri 08:00-13:00`, `always`)
    and/or its time zone; None keeps that part as it is."""
    if hours_text is None and time_zone is None:
        raise InvalidInput("policy.give_hours")
    hours = parse_hours(hours_text) if hours_text is not None else None
    zone = parse_time_zone(time_zone) if time_zone is not None else None

    def change(policy: DeskPolicy) -> DeskPolicy:
        window = replace(policy.window, hours=hours or policy.window.hours,
                         time_zone=zone or policy.window.time_zone)
        return replace(policy, window=window)
    return await _change_policy(uow, actor, desk_name, change)


async def set_holidays(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                       country: str | None) -> PolicyChange:
    """Close the desk on a country's public holidays (`IL`, `US-CA`); None: no holidays."""
    region = parse_country(country) if country is not None else None
    return await _change_policy(uow, actor, desk_name, lambda policy: replace(
        policy, window=replace(policy.window, holidays=region)))


async def add_closed_date(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                          day: str | date) -> PolicyChange:
    """Close the desk for a whole local day (`2026-12-31`)."""
    closed = day if isinstance(day, date) else parse_date(day)
    return await _change_policy(uow, actor, desk_name, lambda policy: replace(
        policy, window=replace(policy.window,
                               closed_dates=policy.window.closed_dates | {closed})))


async def remove_closed_date(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                             day: str | date) -> PolicyChange:
    """Open the desk again on a day closed with `add_closed_date` (refuses other days)."""
    closed = day if isinstance(day, date) else parse_date(day)

    def change(policy: DeskPolicy) -> DeskPolicy:
        if closed not in policy.window.closed_dates:
            dates = tuple(d.isoformat() for d in sorted(policy.window.closed_dates))
            if not dates:
                raise InvalidInput("policy.not_closed_none", day=closed.isoformat())
            raise InvalidInput("policy.not_closed", day=closed.isoformat(), dates=dates)
        return replace(policy, window=replace(
            policy.window, closed_dates=policy.window.closed_dates - {closed}))
    return await _change_policy(uow, actor, desk_name, change)


def priority_of(priority: int | str | None) -> int | None:
    """A priority 1-5 (`5`, `"5"`, `"p5"`), or None for none."""
    if priority is None:
        return None
    text = str(priority).strip().lower().removeprefix("p")
    if not (text.isascii() and text.isdigit()) or int(text) not in PRIORITIES:
        raise InvalidInput("policy.not_a_priority", got=str(priority)[:20])
    return int(text)


async def set_sla(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, kind: str,
                  duration: str | timedelta, priority: int | str | None = None
                  ) -> PolicyChange:
    """Set the first-response or resolution target (business time).

    Without a priority it is the target of every priority that has none of its own;
    with one (1-5) it is that priority's own target.
    """
    kind = kind.replace("-", "_").lower()
    if kind not in SLA_KINDS:
        raise InvalidInput("policy.not_an_sla_target", got=kind[:40])
    target = duration if isinstance(duration, timedelta) else parse_duration(duration)
    only = priority_of(priority)

    def change(policy: DeskPolicy) -> DeskPolicy:
        targets = dict(getattr(policy.sla, kind))
        if only is not None:
            targets[only] = target
        else:
            _, own = compact_targets(targets)
            targets = {p: own.get(p, target) for p in PRIORITIES}
        changed: dict[str, Any] = {kind: targets}  # first_response or resolution
        return replace(policy, sla=replace(policy.sla, **changed))
    return await _change_policy(uow, actor, desk_name, change)


async def set_warning_percent(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                              percent: int | str) -> PolicyChange:
    """Warn when this share (1-99 %) of an SLA target has passed."""
    value = warning_percent(percent)
    return await _change_policy(uow, actor, desk_name, lambda policy: replace(
        policy, sla=replace(policy.sla, warning_percent=value)))


async def set_stall(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, kind: str,
                    duration: str | timedelta) -> PolicyChange:
    """Set a stall threshold: `unassigned`, `agent_silence` or `requester_silence`."""
    kind = kind.replace("-", "_").lower()
    if kind not in STALL_KINDS:
        raise InvalidInput("policy.not_a_stall_rule", got=kind[:40])
    limit = duration if isinstance(duration, timedelta) else parse_duration(duration)
    return await _change_policy(uow, actor, desk_name, lambda policy: replace(
        policy, stall={**policy.stall, kind: limit}))


async def set_auto_close(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                         duration: str | timedelta) -> PolicyChange:
    """Close resolved conversations after this long (business time is not involved)."""
    after = duration if isinstance(duration, timedelta) else parse_duration(duration)
    return await _change_policy(uow, actor, desk_name, lambda policy: replace(
        policy, auto_close_after=after))


async def escalation_chain(uow: UnitOfWork, workspace_id: int, slug: str | None,
                           limit: int = 20) -> list[Desk]:
    """The desks a breach would pass through from the desk called `slug`: it, its next
    tier, that one's…; stops at a desk that does not escalate, is missing or repeats."""
    chain: list[Desk] = []
    while slug is not None and len(chain) < limit:
        desk = (await uow.session.execute(select(Desk).where(
            Desk.workspace_id == workspace_id, Desk.slug == slug))).scalar_one_or_none()
        if desk is None or desk in chain:
            break
        chain.append(desk)
        slug = policy_of(desk.settings).escalate_to
    return chain


def check_escalation(desk: Desk, target: Desk, chain: Sequence[Desk]) -> None:
    """Refuse a next tier that is the desk itself, or escalates back to it (`chain`:
    the target's own `escalation_chain`)."""
    if target.id == desk.id:
        raise InvalidInput("policy.escalate_to_itself", desk=desk.name,
                           command=code(f"/desk admin escalate {desk.name} to IT Tier 2"))
    if any(d.id == desk.id for d in chain):
        path = " → ".join(d.name for d in [desk, *chain[:[d.id for d in chain].index(desk.id)
                                                        + 1]])
        raise InvalidInput("policy.escalate_loop", path=path,
                           command=code(f"/desk admin escalate {target.name} off"))


async def set_escalation(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                         target_name: DeskRef | None) -> PolicyChange:
    """Move the desk's requests that breach their resolution target to `target_name`'s desk
    (the next tier); None turns it off. Refuses an unknown desk, the desk itself, a loop."""
    desk = await _desk_for_change(uow, actor, desk_name)
    slug = None
    if target_name is not None:
        target = (target_name if isinstance(target_name, Desk)
                  else await find_desk(uow, desk.workspace_id, target_name))
        if target.workspace_id != desk.workspace_id:
            raise UnknownDesk("desk.no_such_desk_here", name=target.name)
        check_escalation(desk, target,
                         await escalation_chain(uow, desk.workspace_id, target.slug))
        slug = target.slug
    policy = replace(policy_of(desk.settings, desk.language), escalate_to=slug)
    return PolicyChange(desk, policy, write_policy(uow, actor, desk, policy))


async def set_oncall(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, how: str,
                     people: Sequence[Person]) -> PolicyChange:
    """Add or remove on-call agents (kept as platform user ids); each must work the desk."""
    if how not in ("add", "remove"):
        raise InvalidInput("policy.oncall_add_or_remove")
    desk = await _desk_for_change(uow, actor, desk_name)
    if not people:
        raise InvalidInput("desk.name_people",
                           command=code(f"/desk admin oncall {desk.name} add @dana"))
    ids = [p.external_id for p in _distinct(people)]
    if how == "add":
        for person in _distinct(people):
            if await desk_role(uow, person.id, desk.id) is None:
                raise NotAnAgent("policy.oncall_not_an_agent", person=person.display_name,
                                 desk=desk.name, command=code(f"/desk admin agents {desk.name} "
                                              f"add @{person.display_name}"))
    policy = policy_of(desk.settings, desk.language)
    if how == "add":
        oncall = (*policy.oncall, *(i for i in ids if i not in policy.oncall))
    else:
        oncall = tuple(i for i in policy.oncall if i not in ids)
    policy = replace(policy, oncall=oncall)
    return PolicyChange(desk, policy, write_policy(uow, actor, desk, policy))


async def add_category(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, name: str,
                       first_response: timedelta | None = None,
                       resolution: timedelta | None = None) -> PolicyChange:
    """Add a ticket category, or give an existing one (any case) the targets named.

    Targets are for every priority; the desk's own apply where a category has none.
    """
    name = clean_category(name)

    def change(policy: DeskPolicy) -> DeskPolicy:
        found = find_category(policy.categories, name)
        if found is None and len(policy.categories) >= MAX_CATEGORIES:
            raise InvalidInput("category.too_many", count=MAX_CATEGORIES)
        category = found or Category(name)
        if first_response is not None:
            category = replace(category, first_response=dict.fromkeys(PRIORITIES,
                                                                       first_response))
        if resolution is not None:
            category = replace(category, resolution=dict.fromkeys(PRIORITIES, resolution))
        if found is None:
            categories = (*policy.categories, category)
        else:
            categories = tuple(category if c is found else c for c in policy.categories)
        return replace(policy, categories=categories)
    return await _change_policy(uow, actor, desk_name, change)


async def remove_category(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                          name: str) -> PolicyChange:
    """Remove a ticket category; requests filed under it keep the name (and a ticket of
    it, from its next change on, the desk's targets)."""
    desk = await _desk_for_change(uow, actor, desk_name)
    policy = policy_of(desk.settings, desk.language)
    found = find_category(policy.categories, name)
    if found is None:
        raise InvalidInput("category.not_on_desk", name=name[:80], desk=desk.name,
                           categories=tuple(c.name for c in policy.categories)
                           or Words("common.none"))
    policy = replace(policy, categories=tuple(c for c in policy.categories if c is not found))
    return PolicyChange(desk, policy, write_policy(uow, actor, desk, policy))


async def set_matrix(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                     on: bool) -> PolicyChange:
    """Turn the impact × urgency matrix on or off (its table is kept either way).

    Open requests keep their priority until an agent sets their impact or urgency.
    """
    return await _change_policy(uow, actor, desk_name,
                                lambda policy: replace(policy,
                                                       matrix=replace(policy.matrix, on=on)))
async def set_autoassign(uow: UnitOfWork, actor: Actor, desk_name: DeskRef,
                         rule: str | None) -> Desk:
    """Give the desk's new requests to its available agents by `rule` (round-robin,
    least-loaded), or None: they wait to be claimed. Recorded as `desk.autoassign_changed`."""
    desk = await _desk_for_change(uow, actor, desk_name)
    rule = autoassign.check_rule(rule)
    old = autoassign.rule_of(desk.settings)
    if old != rule:
        desk.settings = autoassign.settings_with_rule(desk.settings, rule)
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                     kind="desk.autoassign_changed", old=old, new=rule)
    return desk


async def set_audience(uow: UnitOfWork, actor: Actor, desk_name: DeskRef, how: str,
                       channels: Sequence[str] = (), people: Sequence[str] = ()) -> Desk:
    """Change who sees the desk (`how`: add, remove, off); channels and people are
    platform ids. Recorded as `desk.audience_changed`; off makes the desk public again."""
    desk = await _desk_for_change(uow, actor, desk_name)
    old = audience.audience_of(desk.settings)
    if how == "off":
        new = audience.Audience()
    elif how == "add":
        new = audience.check_audience({"channels": [*old.channels, *channels],
                                       "people": [*old.people, *people]})
    else:
        new = audience.Audience(
            channels=tuple(c for c in old.channels if c not in channels),
            people=tuple(p for p in old.people if p not in people))
    if new != old:
        desk.settings = audience.settings_with_audience(desk.settings, new)
        audience.forget_members()  # a new channel's members are asked at once
        record_event(uow, workspace_id=desk.workspace_id, desk_id=desk.id, actor_id=actor.id,
                     kind="desk.audience_changed", old=old.stored(), new=new.stored())
    return desk
