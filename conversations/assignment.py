"""Assignment rules: a new request given to an available agent of its desk at once.

The desk's rule (`desks.autoassign`) picks the agent: `round-robin` takes the available
agents in turn (by person id, after the one who got the last request; the place is kept in
the desk's settings, written under the desk row's lock, so it survives restarts and two
requests opened at once take two turns), `least-loaded` the one holding the fewest active
requests, ties taken in the same turn. Never an unavailable agent; with
nobody available the request stays unassigned, as without a rule.

Being given one is like a claim: the request is open, its card shows the assignee, the
requester is told who picked it up and the agent is told it is theirs.
"""

from __future__ import annotations

from sqlalchemy import func, select

from conversations import sla
from conversations.lifecycle import ACTIVE, Status
from desks import autoassign as rules
from desks.notices import NoticeKind
from storage.database import UnitOfWork
from storage.journal import record_event, write_notice
from storage.models import AgentMark, Conversation, Desk, DeskMember, Person


async def available_agents(uow: UnitOfWork, desk_id: int) -> list[Person]:
    """The desk's agents and leads who are available now, by person id."""
    rows = await uow.session.execute(
        select(Person).join(DeskMember, DeskMember.person_id == Person.id)
        .where(DeskMember.desk_id == desk_id, Person.available.is_(True))
        .order_by(Person.id).distinct())
    return list(rows.scalars())


async def _locked_desk(uow: UnitOfWork, desk_id: int) -> Desk:
    # FOR UPDATE on PostgreSQL; SQLite's write transactions hold the database's lock.
    return (await uow.session.execute(
        select(Desk).where(Desk.id == desk_id).with_for_update()
        .execution_options(populate_existing=True))).scalar_one()


def next_in_turn(agents: list[Person], last: int | None) -> Person:
    """Round-robin: the first agent after `last` (a person id) in id order, else the first."""
    return next((a for a in agents if last is None or a.id > last), agents[0])


async def least_loaded(uow: UnitOfWork, agents: list[Person], last: int | None) -> Person:
    """The agent holding the fewest active requests; ties in turn after `last` (the
    person id of the agent given the desk's last request), as round-robin takes them."""
    ids = [a.id for a in agents]
    loads: dict[int, int] = dict((await uow.session.execute(  # type: ignore[arg-type]
        select(Conversation.assignee_id, func.count())
        .where(Conversation.assignee_id.in_(ids), Conversation.status.in_(list(ACTIVE)))
        .group_by(Conversation.assignee_id))).all())
    fewest = min(loads.get(a.id, 0) for a in agents)
    return next_in_turn([a for a in agents if loads.get(a.id, 0) == fewest], last)


async def assign_by_rule(uow: UnitOfWork, conversation: Conversation) -> Person | None:
    """Give a just-opened request to an agent by its desk's rule; None when the desk has
    no rule or nobody is available (it waits to be claimed)."""
    desk = await uow.session.get(Desk, conversation.desk_id)
    if desk is None or rules.rule_of(desk.settings) is None:
        return None
    desk = await _locked_desk(uow, desk.id)
    rule = rules.rule_of(desk.settings)
    agents = await available_agents(uow, desk.id)
    if rule is None or not agents:
        return None
    last = (desk.settings or {}).get(rules.CURSOR)
    if rule == "round-robin":
        chosen = next_in_turn(agents, last)
    else:
        chosen = await least_loaded(uow, agents, last)
    desk.settings = {**(desk.settings or {}), rules.CURSOR: chosen.id}  # a new dict: seen
    await _give(uow, conversation, chosen, rule)
    return chosen


async def _give(uow: UnitOfWork, conversation: Conversation, agent: Person, rule: str) -> None:
    """What a claim does, with no actor: recorded as `conversation.autoassigned`."""
    previous = conversation.assignee_id
    conversation.assignee_id = agent.id
    if conversation.status == Status.NEW:
        conversation.status = Status.OPEN
    conversation.updated_at = uow.clock.now()
    await sla.track(uow, conversation)
    mark = await uow.session.get(AgentMark, (conversation.id, agent.id))
    if mark is None:
        uow.session.add(AgentMark(conversation_id=conversation.id, person_id=agent.id,
                                  marked_unread=True))
    else:
        mark.marked_unread = True
    record_event(uow, workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                 desk_id=conversation.desk_id, actor_id=None, kind="conversation.autoassigned",
                 assignee_id=agent.id, previous_assignee_id=previous, rule=rule)
    for kind, person_id, payload in (
            (NoticeKind.CARD_UPDATE, None, {}),
            (NoticeKind.REQUESTER_UPDATE, None, {"what": "assigned", "agent_id": agent.id}),
            (NoticeKind.AGENT_ASSIGNED, agent.id, {"auto": rule})):
        write_notice(uow, workspace_id=conversation.workspace_id,
                     conversation_id=conversation.id, person_id=person_id, kind=kind,
                     payload=payload)
