"""Queues and the home tab show each row's SLA state as the card does (both databases):
breached, warning, paused and on track, rendered for Slack."""

from __future__ import annotations

from datetime import datetime, timedelta

from cards import slack
from conversations import commands, queues, view_queries
from conversations.command_line import Caller, Outcome, run_command
from conversations.lifecycle import Status
from conversations.view_models import QueueList
from desks.directory import StaticDirectory
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from tests.integration.sla_world import ask, local, sla_world
from tests.slack.harness import block_text

SUNDAY_9 = local(2026, 11, 29, 9)


def row_text(rendered: dict, ref: int) -> str:
    [found] = [block_text({"blocks": [b]}) for b in rendered["blocks"]
               if b.get("type") == "section" and f"*#{ref}*" in block_text({"blocks": [b]})]
    return found


async def test_queue_rows_carry_the_cards_sla_state(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    late = await ask(world, "eli", text="laptop will not start")
    waiting = await ask(world, "maya", text="printer jammed")
    clock.advance(minutes=2)
    await world.run(commands.set_status, world.actor("dana"), waiting.ref, Status.WAITING)
    clock.advance(minutes=2)
    soon = await ask(world, "omer", text="monitor flickers")
    clock.advance(minutes=2)
    fine = await ask(world, "noa", text="new keyboard")
    clock.advance(minutes=10)  # late: 16 min; soon: 12 min (past 75 %); fine: 10 min
    await sweep_all(db, clock)
    now = clock.now()

    async with db.unit_of_work(readonly=True) as uow:
        items = await queues.queue(uow, world.actor("lee"), queues.QueueView.ALL)
        listed = view_queries.queue_list(items, "all", None, now)
        cards = {ref: (await view_queries.ticket_card(uow, await world.conversation(ref))).sla
                 for ref in (late.ref, waiting.ref, soon.ref, fine.ref)}
        home = await view_queries.agent_home(uow, world.actor("lee"), "all", now=now)
    # Which clock and when it is due (issue 14.7: a due time, never a countdown).
    states = {r.ref: (r.sla.state, r.sla.target, r.sla.due_at) for r in listed.rows}
    assert states == {
        late.ref: ("breached", "first_response", SUNDAY_9 + timedelta(minutes=15)),
        waiting.ref: ("paused", "first_response", SUNDAY_9 + timedelta(minutes=15)),
        soon.ref: ("warning", "first_response", SUNDAY_9 + timedelta(minutes=19)),
        fine.ref: ("ok", "first_response", SUNDAY_9 + timedelta(minutes=21)),
    }
    assert states == {ref: (s.state, s.target, s.due_at)
                      for ref, s in cards.items()}  # as the card
    assert {r.ref: r.sla.state for r in home.rows} == {k: v[0] for k, v in states.items()}

    def token(moment: datetime) -> str:
        return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|"

    rendered_home = slack.home(home)
    assert ("🔴 SLA breached first response was due \u2068"
            + token(states[late.ref][2])) in row_text(rendered_home, late.ref)
    assert ("⚠️ first response due \u2068"
            + token(states[soon.ref][2])) in row_text(rendered_home, soon.ref)
    assert "⏸️ first response clock paused" in row_text(rendered_home, waiting.ref)
    assert "breached" not in row_text(rendered_home, fine.ref)
    assert " in " not in row_text(rendered_home, fine.ref)


async def test_desk_queue_marks_the_breached_one(db: Database, clock: FrozenClock) -> None:
    world = await sla_world(db)
    clock.set(SUNDAY_9)
    late = await ask(world, "eli", text="laptop will not start")
    clock.advance(minutes=14)
    fine = await ask(world, "maya", text="printer jammed")
    clock.advance(minutes=2)
    await sweep_all(db, clock)

    caller = Caller(platform="slack", workspace_external_id="T1", user_id="U_LEE",
                    channel="D_LEE", channel_is_dm=True)
    outcome = await run_command(db, caller, "queue all IT", directory=StaticDirectory({}))
    assert isinstance(outcome, Outcome) and isinstance(outcome.view, QueueList)
    message = slack.message(outcome.view)
    assert "🔴 SLA breached" in row_text(message, late.ref)
    due = int((SUNDAY_9 + timedelta(minutes=29)).timestamp())  # opened at 9:14, 15 min
    assert f"🟢 first response due \u2068<!date^{due}^" in row_text(message, fine.ref)
