"""The sweeps of SPEC §4: one run reads what is due, decides, and applies, in one transaction.

`sweep_all` (every `DESKBOT_SWEEP_SECONDS`) reads every kind's due checks and their
desks' facts, has `scheduling.sweep_rules` decide each kind's flag and who is told,
and has `storage.sweep_applier` set the flags (conditional updates: `... WHERE flag IS
NULL`, so across replicas only one sweeper tells anyone) and write what follows.
If the run fails, its sweeps run again one by one, each in a unit of work of its own.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update

from conversations import commands, timers
from conversations.timers import TimerKind
from scheduling import sweep_rules
from scheduling.sweep_reads import Desks, digest_counts, read_desks, read_due
from scheduling.sweep_rules import Flag, Outcome
from storage import metrics
from storage.clock import Clock
from storage.database import Database, UnitOfWork, rows_matched
from storage.journal import record_event, write_notice
from storage.models import Desk
from storage.sweep_applier import FlagBatch, SweepApplier, flag_statement

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- apply


def conditions(kind: TimerKind, now: Any) -> list[ColumnElement[bool]]:
    """What makes a conversation due for `kind` at `now`: its flag's conditional update."""
    return [kind.due_column <= now, *kind.armed_sql()]


# Each kind's flag: `rules.FLAG_SETS` where the check is still due and armed.
FLAGS = {kind.name: flag_statement(partial(conditions, kind),
                                   sweep_rules.FLAG_SETS[kind.name]) for kind in timers.KINDS}


@dataclass
class SweepRun:
    """One moment's sweeps in one unit of work: what they read, decided, and applied.

    The due rows of every kind and their desks' facts are read, and every kind's flag
    decided, on the first sweep's asking (`read`); each sweep then applies its kinds'
    flags (`apply`) and what follows for the rows it flagged.
    """

    uow: UnitOfWork
    now: datetime
    applier: SweepApplier
    desks: Desks = field(default_factory=Desks)
    flags: dict[str, Flag] | None = None
    flagged: Counter[str] = field(default_factory=Counter)  # timer kind -> rows it flagged

    @classmethod
    async def start(cls, uow: UnitOfWork, now: datetime, *,
                    pipelined: bool = False) -> SweepRun:
        """A run in `uow` (just begun); `pipelined` for a run of every sweep (`SWEEPS`)."""
        return cls(uow, now, await SweepApplier.start(uow, now, pipelined=pipelined))

    async def read(self) -> dict[str, Flag]:
        """Read what is due and decide every kind's flag: once, on the first asking."""
        if self.flags is None:
            due = await read_due(self.uow, self.now)
            self.desks = await read_desks(self.uow, self.now,
                                          {row.desk_id for rows in due.values() for row in rows})
            decided = sweep_rules.decide(due, self.desks.facts, self.now, self.uow.db.business_time)
            self.flags = {flag.kind.name: flag for flag in decided}
            self.applier.plan(FlagBatch(
                flag.kind.name, FLAGS[flag.kind.name], [row.id for row, _ in flag.acting],
                dict(flag.params), tuple(kind.name for kind in (flag.kind, *flag.ends)))
                for flag in decided)
        return self.flags

    async def apply(self, kind: TimerKind, *, ahead: bool = True) -> list[Outcome]:
        """Set `kind`'s flag as decided; what follows for the rows this sweeper flagged
        (another sweeper's are left out) is written, and returned. `ahead`: the next
        kind's update may go out meanwhile (not when a command follows)."""
        flag = (await self.read())[kind.name]
        flagged = await self.applier.flag(kind.name, ahead=ahead)
        won = [flag.told(row, oncall) for row, oncall in flag.acting if row.id in flagged]
        self.flagged[kind.name] += len(won)
        noted = [(o.row.id, o.note) for o in won if o.note is not None]
        self._write(won, await self.applier.add_notes(noted) if noted else {})
        return won

    def count_flags(self) -> None:
        """Once the run committed: add the flags it set to the metrics, by timer kind."""
        for kind, count in self.flagged.items():
            if count:
                metrics.SWEEP_FLAGS.labels(kind).inc(count)

    def _write(self, outcomes: Sequence[Outcome], notes: dict[int, int]) -> None:
        # Runs for every flagged row while the next flag is in flight: kept lean.
        event, notice = self.applier.journal.event, self.applier.journal.notice
        arming = []
        for row, events, notices, arm, _, _ in outcomes:
            workspace_id, conversation_id = row.workspace_id, row.id
            for kind, data, note in events:
                if note:
                    data = {**data, "note_message_id": notes[conversation_id]}
                event(workspace_id, kind, conversation_id, row.desk_id, None, data)
            for kind, person_id, payload in notices:
                notice(workspace_id, kind, conversation_id, person_id, payload)
            for timer, due in arm:
                arming.append((conversation_id, timer.name, due))
        self.applier.arm(arming)

    async def finish(self) -> None:
        """Write what was gathered (see `SweepApplier.finish`)."""
        await self.applier.finish()

    async def abandon(self) -> None:
        """On a failed run: leave the connection free for the rollback."""
        await self.applier.abandon()


# ---------------------------------------------------------------- the sweeps


async def sla_breaches(run: SweepRun) -> int:
    """Flag once a first-response or resolution target that has passed; escalate."""
    done = len(await run.apply(timers.FIRST_RESPONSE_BREACH))
    # An escalation (a command) follows a breach that moves the request: the next
    # kind's update waits for it, as it would if the sweeps ran one by one.
    moving = (await run.read())[timers.RESOLUTION_BREACH.name].escalating
    won = await run.apply(timers.RESOLUTION_BREACH, ahead=not moving)
    await _escalate(run, [outcome for outcome in won if outcome.escalate_to])
    return done + len(won)


async def _escalate(run: SweepRun, outcomes: list[Outcome]) -> int:
    """Move each request (its resolution breach just flagged by this sweeper) to its
    desk's next tier, as `transfer_to_desk` does, recorded as `sla.escalated`.

    Only the sweeper that won the breach gets here, so a breach escalates once. A next
    tier that is gone or archived leaves the request where it is (logged). What the
    run gathered is written first: the breach's notices go out before the move's, and
    the move's own timers are not dropped by the run's.
    """
    if not outcomes:
        return 0
    await run.applier.flush()
    uow = run.uow
    moved = 0
    targets: dict[tuple[int, str], Desk | None] = {}
    for outcome in outcomes:
        row, slug = outcome.row, outcome.escalate_to
        assert slug is not None
        key = (row.workspace_id, slug)
        if key not in targets:
            targets[key] = (await uow.session.execute(select(Desk).where(
                Desk.workspace_id == row.workspace_id, Desk.slug == slug))).scalar_one_or_none()
        target = targets[key]
        if target is None or target.archived_at is not None:
            log.warning("desk %s escalates to %r, which is %s; conversation %s stays",
                        row.desk_id, slug, "gone" if target is None else "archived", row.id)
            continue
        if await commands.escalate(uow, row.id, target, by="scheduler",
                                   breached=sweep_rules.ESCALATING_TARGET) is not None:
            moved += 1
    return moved


async def sla_warnings(run: SweepRun) -> int:
    """Warn once when a clock reaches the desk's warning percent of its target."""
    return (len(await run.apply(timers.FIRST_RESPONSE_WARNING))
            + len(await run.apply(timers.RESOLUTION_WARNING)))


async def unassigned_too_long(run: SweepRun) -> int:
    """Ping the desk's available agents (else its leads) in the card's thread, once."""
    return len(await run.apply(timers.UNASSIGNED))


async def unassigned_leads(run: SweepRun) -> int:
    """Still unassigned one more period after the agents' ping: tell the leads, once."""
    return len(await run.apply(timers.UNASSIGNED_LEADS))


async def agent_silent(run: SweepRun) -> int:
    """Nudge the assignee by DM when the requester's message waits too long, once."""
    return len(await run.apply(timers.AGENT_SILENCE))


async def requester_silent(run: SweepRun) -> int:
    """Remind a requester who has not answered; after a second period, resolve with a note."""
    return (len(await run.apply(timers.REQUESTER_REMINDER))
            + len(await run.apply(timers.REQUESTER_RESOLVE)))


async def auto_close(run: SweepRun) -> int:
    """Close conversations resolved for longer than the desk's `auto_close_after`."""
    return len(await run.apply(timers.AUTO_CLOSE))


async def due_dates(run: SweepRun) -> int:
    """Tell once that an agent's due date has passed, and, before it, that it is near."""
    return (len(await run.apply(timers.DUE_PASSED))
            + len(await run.apply(timers.DUE_WARNING)))


async def daily_digest(run: SweepRun) -> int:
    """Post each desk's digest in its agent channel once, at the start of its service day."""
    uow, now = run.uow, run.now
    await run.read()
    await run.applier.settle()
    desks = run.desks
    posting: list[sweep_rules.Digest] = []
    for digest in sweep_rules.digests_due([(d.id, d.workspace_id, desks.windows[d.id],
                                      d.last_digest_at) for d in desks.digesting], now):
        result = await uow.session.execute(  # once across replicas
            update(Desk).where(Desk.id == digest.desk_id,
                               or_(Desk.last_digest_at.is_(None),
                                   Desk.last_digest_at < digest.start))
            .values(last_digest_at=now).execution_options(synchronize_session=False))
        if rows_matched(result) == 1:
            posting.append(digest)
    counts = await digest_counts(uow, now, {digest.desk_id: digest.end for digest in posting})
    for digest in posting:
        event, notice = sweep_rules.digest_notice(digest, counts[digest.desk_id])
        record_event(uow, workspace_id=digest.workspace_id, desk_id=digest.desk_id,
                     kind=event.kind, **event.data)
        write_notice(uow, workspace_id=digest.workspace_id, kind=notice.kind,
                     ordering_key=f"desk:{digest.desk_id}", payload=notice.payload)
    return len(posting)


async def scheduled_reports(run: SweepRun) -> int:
    """Post each scheduled desk's report of the period just ended, once
    (conversations/reports/schedule.py)."""
    from conversations.reports.schedule import post_scheduled_reports

    await run.applier.settle()
    return await post_scheduled_reports(run.uow, run.now)


# ---------------------------------------------------------------- all of them

Sweep = Callable[[SweepRun], Awaitable[int]]
# Breaches before warnings: a late run flags the breach and skips the stale warning.
SWEEPS: tuple[tuple[str, Sweep], ...] = (
    ("sla_breach", sla_breaches),
    ("sla_warning", sla_warnings),
    ("unassigned", unassigned_too_long),
    ("unassigned_leads", unassigned_leads),
    ("agent_silent", agent_silent),
    ("requester_silent", requester_silent),
    ("auto_close", auto_close),
    ("due_date", due_dates),
    ("digest", daily_digest),
    ("report", scheduled_reports),
)


async def sweep_all(db: Database, clock: Clock | None = None) -> dict[str, int]:
    """Run every sweep once at `clock.now()`; how many conversations (or desks) each acted on.

    All in one unit of work. If that fails, the sweeps run again one by one
    (`sweep_one`): one that fails then is logged (-1) and the others still run; the
    next run tries again.
    """
    started = time.perf_counter()
    try:
        return await _sweep_all(db, (clock or db.clock).now())
    finally:
        metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)


async def _sweep_all(db: Database, now: datetime) -> dict[str, int]:
    try:
        async with db.unit_of_work() as uow:
            run = await SweepRun.start(uow, now, pipelined=True)
            try:
                done = {name: await sweep(run) for name, sweep in SWEEPS}
                await run.finish()
            except BaseException:
                await run.abandon()
                raise
            await uow.commit()
        run.count_flags()
        return done
    except Exception:
        log.exception("the sweeps at %s failed together; running them one by one",
                      now.isoformat())
    done = {}
    for name, sweep in SWEEPS:
        try:
            done[name] = await sweep_one(db, now, sweep)
        except Exception:
            log.exception("sweep %s failed", name)
            done[name] = -1
    return done


async def sweep_one(db: Database, now: datetime, sweep: Sweep) -> int:
    """Run one sweep at `now` in a unit of work of its own."""
    async with db.unit_of_work() as uow:
        run = await SweepRun.start(uow, now)
        done = await sweep(run)
        await run.finish()
        await uow.commit()
    run.count_flags()
    return done
