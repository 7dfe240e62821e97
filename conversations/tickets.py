"""Tickets (SPEC §1): converting an inquiry, its category, and impact × urgency.

- `convert` makes an inquiry a ticket of one of its desk's categories: the ticket's SLA
  targets (the category's own, else the desk's) apply from then on, counted from when
  the request was opened, so the time already passed counts; the requester is told.
  When the desk has categories, one must be named: a helpdesk files every ticket under
  a category (reports and targets go by it), and guessing "the first one" would file
  outages as whatever happens to be listed first. The refusal lists them. A desk
  whose categories were all removed converts without one.
- `set_category` files a request (inquiry or ticket) under a category; a ticket's due
  times follow the new category's targets. The requester is not told: it is the
  desk's own filing.
- `set_impact` / `set_urgency`: with the desk's matrix on, priority is
  `matrix.priority(impact, urgency)` (an unsaid one counts as medium) and the due times
  follow. With the matrix off they are refused with the way to set priority directly.

Every command runs in the caller's unit of work and refuses with a `DeskbotError`
before writing anything.
"""

from __future__ import annotations

from conversations import sla
from conversations.commands import agent_conversation, record, refuse_closed, tell, touch
from desks.errors import InvalidInput, WrongState
from desks.notices import NoticeKind
from desks.permissions import Actor
from desks.policy import DeskPolicy
from desks.ticket_policy import Category, find_category, level
from desks.wording import Words, code
from storage.database import UnitOfWork
from storage.models import Conversation, Desk

TICKET = "ticket"


def category_names(policy: DeskPolicy) -> tuple[str, ...]:
    """The desk's category names, in its order."""
    return tuple(c.name for c in policy.categories)


def _category(policy: DeskPolicy, desk: Desk, name: str, ref: int, command: str) -> Category:
    found = find_category(policy.categories, name)
    if found is not None:
        return found
    if not policy.categories:
        raise InvalidInput("category.desk_has_none", desk=desk.name,
                           command=code(f"/desk admin categories {desk.name} add NAME"))
    raise InvalidInput("category.unknown", name=name[:80], desk=desk.name,
                       categories=category_names(policy),
                       command=code(f"/desk {command} {ref} {policy.categories[0].name}"))


async def _recompute(uow: UnitOfWork, conversation: Conversation) -> None:
    """The due times again, from `opened_at`, with the targets that apply now."""
    await sla.refresh_due_times(uow, conversation)
    await touch(uow, conversation)


async def convert(uow: UnitOfWork, actor: Actor, ref: str | int,
                  category: str | None = None) -> Conversation:
    """Make the inquiry `ref` a ticket (of `category`, required when its desk has some)."""
    conversation, desk = await agent_conversation(uow, actor, ref)
    refuse_closed(conversation)
    if conversation.kind == TICKET:
        raise WrongState("ticket.already", ref=conversation.ref,
                         command=code(f"/desk category {conversation.ref} NAME"))
    policy = sla.desk_policy(desk)
    chosen: Category | None = None
    if category:
        chosen = _category(policy, desk, category, conversation.ref, "ticket")
    elif policy.categories:
        raise InvalidInput("ticket.needs_category", desk=desk.name,
                           categories=category_names(policy),
                           command=code(f"/desk ticket {conversation.ref} "
                                        f"{policy.categories[0].name}"))
    old_category = conversation.category
    conversation.kind = TICKET
    if chosen is not None:
        conversation.category = chosen.name
    await _recompute(uow, conversation)
    record(uow, conversation, actor.id, "ticket.converted", category=conversation.category,
           old_category=old_category)
    tell(uow, conversation, NoticeKind.CARD_UPDATE)
    tell(uow, conversation, NoticeKind.REQUESTER_UPDATE, what="ticket",
            category=conversation.category)
    return conversation


async def set_category(uow: UnitOfWork, actor: Actor, ref: str | int,
                       category: str) -> Conversation:
    """File `ref` under `category`; a ticket's due times follow its targets."""
    conversation, desk = await agent_conversation(uow, actor, ref)
    refuse_closed(conversation)
    chosen = _category(sla.desk_policy(desk), desk, category, conversation.ref, "category")
    if conversation.category == chosen.name:
        raise WrongState("category.already", ref=conversation.ref, name=chosen.name)
    old, conversation.category = conversation.category, chosen.name
    if conversation.kind == TICKET:
        await _recompute(uow, conversation)
    else:
        await touch(uow, conversation)
    record(uow, conversation, actor.id, "category.changed", old=old, new=chosen.name)
    tell(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def card_choice(uow: UnitOfWork, actor: Actor, ref: str | int,
                      category: str | None) -> Conversation:
    """The card's ticket control: convert an inquiry (to `category`), or change a
    ticket's category."""
    conversation, _ = await agent_conversation(uow, actor, ref)
    if conversation.kind == TICKET:
        if not category:
            raise InvalidInput("category.pick")
        return await set_category(uow, actor, ref, category)
    return await convert(uow, actor, ref, category or None)


async def _set_level(uow: UnitOfWork, actor: Actor, ref: str | int, which: str,
                     value: str) -> Conversation:
    chosen = level(value)
    conversation, desk = await agent_conversation(uow, actor, ref)
    refuse_closed(conversation)
    policy = sla.desk_policy(desk)
    if not policy.matrix.on:
        raise WrongState("matrix.off_for_desk", desk=desk.name,
                         command=code(f"/desk priority {conversation.ref} 1-5"),
                         admin=code(f"/desk admin matrix {desk.name} on"))
    old = getattr(conversation, which)
    if old == chosen:
        raise WrongState(f"matrix.already_{which}", ref=conversation.ref,
                         level=Words(f"matrix.level_{chosen}"))
    setattr(conversation, which, chosen)
    record(uow, conversation, actor.id, f"{which}.changed", old=old, new=chosen)
    priority = policy.matrix.priority(conversation.impact, conversation.urgency)
    if priority != conversation.priority:
        old_priority, conversation.priority = conversation.priority, priority
        record(uow, conversation, actor.id, "priority.changed", old=old_priority,
               new=priority, by=which)
        await _recompute(uow, conversation)
    else:
        await touch(uow, conversation)
    tell(uow, conversation, NoticeKind.CARD_UPDATE)
    return conversation


async def set_impact(uow: UnitOfWork, actor: Actor, ref: str | int,
                     value: str) -> Conversation:
    """Set the impact (high | medium | low); priority follows the desk's matrix."""
    return await _set_level(uow, actor, ref, "impact", value)


async def set_urgency(uow: UnitOfWork, actor: Actor, ref: str | int,
                      value: str) -> Conversation:
    """Set the urgency (high | medium | low); priority follows the desk's matrix."""
    return await _set_level(uow, actor, ref, "urgency", value)

