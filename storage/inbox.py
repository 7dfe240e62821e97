"""The inbox: platform deliveries are stored, then acknowledged, then processed.

Adapters reach it through the inbound policy (`storage.inbound`), which says for each
kind of delivery which id identifies it and whether it is stored here at all.

`accept()` stores one delivery and returns once it is committed; deliveries that
arrive together share one transaction (group commit), so the acknowledgement waits
for a few milliseconds at most. A redelivery of a stored one (same platform,
delivery id *and* payload) is recognised and answered `False`. A delivery id that
comes back with a different payload is no redelivery: it is logged as an error and
kept, under a derived id (`<id>~<hash of its payload>`), as a `failed` delivery for a
person to look at (also answered `False`: it is stored, and must not be processed as
if it were the first).

A processor task then takes stored deliveries in batches, in arrival order: their
prepare steps (platform lookups) run concurrently, outside any transaction; then the
handler runs for each, one after another in arrival order, `per_transaction` of them
in one unit of work with their `processed_at` marks, so each delivery is processed
once and deliveries of one conversation keep their order. When anything in such a
transaction fails, none of it is kept and its deliveries are processed one by one, each
in its own unit of work: only the failing one fails. A handler that fails is retried
after a back-off, up to `max_attempts`, then the row is kept as `failed`.

Several replicas on one PostgreSQL database: any of them stores any delivery and
processes any stored one. One replica's processor runs a round at a time (`_round`,
the others look again soon), and every processing transaction takes its turn too
(`_take_turn`, advisory locks), so a conversation's deliveries keep their order
across replicas.

Acks stay first without starving processing: while inbound requests are being
answered (`arriving()`, around an adapter's request, and `accept()`), the processor
and the outbox worker (through `yield_to_arrivals`) hold back before each step, but
at most `quiet` seconds a step, and a batch transaction commits early once it has run
`hold` seconds while a request is being answered or another write waits for SQLite's
writer (so each transaction does at least that much work); nobody waits for arrivals
to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage import metrics
from storage.database import Database, UnitOfWork, rows_matched
from storage.models import InboundEvent

log = logging.getLogger(__name__)

# The PostgreSQL advisory locks replicas take turns under: each processing transaction,
# and a whole round of the processor task; each (name, schema): deskbots on other
# schemas of the database (tests among them) do not wait for each other.
INBOX_TURN = "deskbot inbox transaction"
INBOX_ROUND = "deskbot inbox round"


def _advisory_key(name: str) -> tuple[Any, Any]:
    return func.hashtext(name), func.hashtext(func.current_schema())

# What a handler returns: something to do once its transaction committed (a private
# reply, say), or None.
AfterCommit = Callable[[], Awaitable[None]] | None
# prepare(row) runs first, outside any write transaction (platform lookups belong
# there); handler(uow, row, prepared) then runs the command in the unit of work.
Prepare = Callable[[InboundEvent], Awaitable[Any]]
Handler = Callable[[UnitOfWork, InboundEvent, Any], Awaitable[AfterCommit]]


@dataclass
class _Arrival:
    values: dict[str, Any]
    stored: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop()
                                         .create_future())


class Inbox:
    """Stores deliveries before they are acknowledged; processes them after."""

    def __init__(self, db: Database, handler: Handler, *, prepare: Prepare | None = None,
                 platform: str | None = None, batch: int = 200, per_transaction: int = 100,
                 prepare_concurrency: int = 10, max_attempts: int = 5,
                 backoff: timedelta = timedelta(seconds=5), poll_interval: float = 5.0,
                 quiet: float = 0.05, hold: float = 0.1) -> None:
        self.db = db
        self.handler = handler
        self.prepare = prepare
        # One inbox per platform adapter: each processes its own platform's rows.
        self.platform = platform
        self.batch = batch  # deliveries taken (and prepared) at once
        self.per_transaction = per_transaction  # handled in one unit of work
        self.prepare_concurrency = prepare_concurrency
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.poll_interval = poll_interval
        self.other_round_retry = 0.2  # seconds; see _round
        # Acks first: the longest processing waits for the arrivals being stored now.
        self.quiet = quiet
        # A batch transaction commits early once it has held SQLite's writer this long
        # and another write (an ack's, a delivery's) waits for it.
        self.hold = hold
        self._arrivals: list[_Arrival] = []
        insert = pg_insert if db.is_postgresql else sqlite_insert
        table = InboundEvent.__table__
        # Built once: the ack waits for it, and a statement object caches its compiled form.
        self._insert = (insert(table)
                        .on_conflict_do_nothing(index_elements=["platform", "delivery_id"])
                        .returning(table.c.platform, table.c.delivery_id))
        self._flushing: asyncio.Task[None] | None = None
        self._arriving = 0  # inbound requests being answered right now
        self._calm = asyncio.Event()  # set while none is
        self._calm.set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_hand = 0

    # ------------------------------------------------------------ storing

    async def accept(self, platform: str, delivery_id: str, workspace_external_id: str,
                     kind: str, payload: dict[str, Any]) -> bool:
        """Store one delivery; True when it is new, False for a redelivery.

        Returns only after the row is committed: the caller acknowledges then.
        """
        metrics.RECEIVED.labels(platform, kind).inc()
        now = self.db.clock.now()
        arrival = _Arrival({"platform": platform, "delivery_id": delivery_id,
                            "workspace_external_id": workspace_external_id, "kind": kind,
                            "payload": payload, "received_at": now, "available_at": now,
                            "attempts": 0})
        self._arrivals.append(arrival)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        async with self.arriving():
            new = await asyncio.shield(arrival.stored)
        metrics.ACKNOWLEDGED.labels(platform, kind).inc()  # committed: the caller acks now
        return new

    async def _flush(self) -> None:
        # Whoever arrives while a batch commits joins the next one.
        while self._arrivals:
            arrivals, self._arrivals = self._arrivals, []
            try:
                stored = await self._store([a.values for a in arrivals])
            except Exception as error:
                for arrival in arrivals:
                    if not arrival.stored.done():
                        arrival.stored.set_exception(error)
                continue
            for arrival, new in zip(arrivals, stored, strict=True):
                if not arrival.stored.done():
                    arrival.stored.set_result(new)
            self.wake()

    async def _store(self, rows: list[dict[str, Any]]) -> list[bool]:
        # One INSERT for the whole batch; RETURNING names the rows that were new.
        result = await self.db.write(self._insert, rows)
        new = {(platform, delivery) for platform, delivery in result}
        # A delivery twice in one batch: the first is the new one.
        stored = []
        first: dict[tuple[str, str], dict[str, Any]] = {}
        again: list[dict[str, Any]] = []
        for values in rows:
            key = (values["platform"], values["delivery_id"])
            stored.append(key in new)
            if key in new:
                first[key] = values["payload"]
            else:
                again.append(values)
            new.discard(key)
        if again:
            await self._keep_conflicts(again, first)
        return stored

    async def _keep_conflicts(self, again: list[dict[str, Any]],
                              first: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Of deliveries whose id was stored, keep those with another payload as failed.

        A true redelivery has the same payload; a different one under a used id (a
        sender that numbered its deliveries afresh after a restart, say) would
        otherwise be dropped in silence.
        """
        keys = {(v["platform"], v["delivery_id"]) for v in again} - first.keys()
        if keys:
            async with self.db.unit_of_work(readonly=True) as uow:
                found = await uow.session.execute(
                    select(InboundEvent.platform, InboundEvent.delivery_id,
                           InboundEvent.payload)
                    .where(tuple_(InboundEvent.platform, InboundEvent.delivery_id)
                           .in_(list(keys))))
                first.update({(p, d): payload for p, d, payload in found})
        conflicts = []
        for values in again:
            key = (values["platform"], values["delivery_id"])
            if key not in first or _same(first[key], values["payload"]):
                continue
            log.error("inbox: %s delivery %s (workspace %s) came again with a different "
                      "payload; kept as a failed delivery to look at, not processed",
                      values["platform"], values["delivery_id"],
                      values["workspace_external_id"])
            conflicts.append({
                **values, "delivery_id": conflict_id(values["delivery_id"], values["payload"]),
                "processed_at": values["received_at"], "outcome": "failed",
                "last_error": f"delivery id {values['delivery_id'][:200]} was stored "
                              "before with a different payload"})
        if conflicts:
            # The derived id carries the payload's hash: the same conflict twice is kept once.
            await self.db.write(self._insert, conflicts)

    # ------------------------------------------------------------ processing

    def wake(self) -> None:
        """Look for stored deliveries now."""
        self._wake.set()

    async def waiting(self) -> int:
        """How many stored deliveries are not processed yet."""
        async with self.db.unit_of_work(readonly=True) as uow:
            query = (select(func.count()).select_from(InboundEvent)
                     .where(InboundEvent.processed_at.is_(None)))
            if self.platform is not None:
                query = query.where(InboundEvent.platform == self.platform)
            return (await uow.session.execute(query)).scalar_one()

    async def process_once(self) -> int:
        """Process the deliveries that are due now, oldest first; returns how many."""
        done = 0
        while True:
            await self._yield_to_arrivals()
            now = self.db.clock.now()
            query = (select(InboundEvent)
                     .where(InboundEvent.processed_at.is_(None), InboundEvent.available_at <= now)
                     .order_by(InboundEvent.id).limit(self.batch))
            if self.platform is not None:
                query = query.where(InboundEvent.platform == self.platform)
            async with self.db.unit_of_work(readonly=True) as uow:
                due = list(await uow.session.scalars(query))
            if not due:
                return done
            self._in_hand += len(due)
            try:
                done += await self._process_batch(due)
            finally:
                self._in_hand -= len(due)

    async def process_delivery(self, platform: str, delivery_id: str) -> bool:
        """Process one stored delivery now, out of its turn; True when this call did.

        For deliveries that change nothing others depend on (a command that only
        reads), so they need not wait behind a backlog. The row is taken as in a
        round, so it is still processed once (a round that reaches it skips it).
        """
        async with self.db.unit_of_work(readonly=True) as uow:
            row = (await uow.session.scalars(
                select(InboundEvent).where(InboundEvent.platform == platform,
                                           InboundEvent.delivery_id == delivery_id,
                                           InboundEvent.processed_at.is_(None)))).first()
        if row is None:
            return False
        self._in_hand += 1
        try:
            return await self._process_alone(row, await self._prepare_each([row]))
        finally:
            self._in_hand -= 1

    @contextlib.asynccontextmanager
    async def arriving(self) -> AsyncIterator[None]:
        """Around answering one inbound request: processing and delivery hold back
        meanwhile (at most `quiet` seconds a step), so its ack goes first."""
        self._arriving += 1
        self._calm.clear()
        try:
            yield
        finally:
            self._arriving -= 1
            if not self._arriving:
                self._calm.set()

    async def yield_to_arrivals(self) -> None:
        """Let the requests being answered now go first (waits `quiet` s at most)."""
        await self._yield_to_arrivals()

    async def _yield_to_arrivals(self) -> None:
        if self.quiet <= 0:
            return
        await asyncio.sleep(0)  # a request that has just come in gets its turn
        if self._arriving:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.quiet):
                    await self._calm.wait()

    def _writer_wanted(self, since: float) -> bool:
        """Whether a batch transaction begun at `since` (loop time) should commit now:
        it has run `hold` seconds, and another write waits for SQLite's writer or an
        inbound request is being answered (on PostgreSQL it may wait for our locks)."""
        return (asyncio.get_running_loop().time() - since >= self.hold
                and (self._arriving > 0 or self.db.writer_wanted()))

    @property
    def in_hand(self) -> int:
        """Deliveries being processed right now (their after-commit step included)."""
        return self._in_hand

    async def _process_batch(self, due: list[InboundEvent]) -> int:
        """Prepare `due` concurrently, then handle it in arrival order, a few units of work."""
        prepared = await self._prepare_each(due)
        waiting = [row for row in due if row.id in prepared]
        done = 0
        while waiting:
            await self._yield_to_arrivals()
            if len(waiting) == 1:
                done += await self._process_alone(waiting.pop(), prepared)
                continue
            tried: list[InboundEvent] = []
            try:
                done += await self._process_together(waiting[:self.per_transaction], prepared,
                                                     tried)
            except Exception as error:
                # Nothing of it was kept: each on its own, so only the failing one fails.
                log.warning("inbox: a batch of %d deliveries failed (%s: %s); processing "
                            "them one by one", len(tried), type(error).__name__,
                            str(error)[:200])
                for row in tried:
                    done += await self._process_alone(row, prepared)
            del waiting[:len(tried)]
        return done

    async def _prepare_each(self, due: list[InboundEvent]) -> dict[int, Any]:
        """Each delivery's prepare step, run concurrently; a failed one is retried later
        (it is left out of what is returned)."""
        if self.prepare is None:
            return {row.id: None for row in due}
        prepare = self.prepare
        gate = asyncio.Semaphore(self.prepare_concurrency)

        async def one(row: InboundEvent) -> Any:
            async with gate:
                return await prepare(row)
        outcomes = await asyncio.gather(*(one(row) for row in due), return_exceptions=True)
        prepared: dict[int, Any] = {}
        for row, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, Exception):
                await self._failed(row.id, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                prepared[row.id] = outcome
        return prepared

    async def _process_together(self, part: list[InboundEvent], prepared: dict[int, Any],
                                 tried: list[InboundEvent]) -> int:
        """Handle `part` in one unit of work, in arrival order; after `hold` seconds it
        commits early if another write waits (an ack's goes first).
        `tried` says how far it went. Raises if any of it fails."""
        afters: list[tuple[int, AfterCommit]] = []
        labels: list[tuple[str, str]] = []
        async with self.db.unit_of_work() as uow:
            await self._take_turn(uow)
            since = asyncio.get_running_loop().time()
            query = (select(InboundEvent)
                     .where(InboundEvent.id.in_([row.id for row in part]),
                            InboundEvent.processed_at.is_(None))
                     .order_by(InboundEvent.id))
            if self.db.is_postgresql:
                query = query.with_for_update(skip_locked=True)
            # Those not found were processed meanwhile (out of turn, or by another replica).
            taken = {row.id: row for row in await uow.session.scalars(query)}
            for row in part:
                if tried and self._writer_wanted(since):
                    break  # commit what is done: an ack (or a delivery) waits for the writer
                tried.append(row)
                mine = taken.get(row.id)
                if mine is None:
                    continue
                labels.append((mine.platform, mine.kind))
                afters.append((row.id, await self.handler(uow, mine, prepared[row.id])))
                mine.processed_at = uow.clock.now()
                mine.outcome = "done"
            await uow.commit()
        for platform, kind in labels:
            metrics.PROCESSED.labels(platform, kind).inc()
        for row_id, after in afters:
            await self._after(row_id, after)
        return len(afters)

    async def _process_alone(self, row: InboundEvent, prepared: dict[int, Any]) -> bool:
        """Handle one delivery in its own unit of work; a failure is recorded, not raised."""
        if row.id not in prepared:
            return False  # its prepare step failed: recorded, retried later
        after: AfterCommit = None
        try:
            async with self.db.unit_of_work() as uow:
                await self._take_turn(uow)
                query = select(InboundEvent).where(InboundEvent.id == row.id,
                                                   InboundEvent.processed_at.is_(None))
                if self.db.is_postgresql:
                    query = query.with_for_update(skip_locked=True)
                taken = (await uow.session.scalars(query)).first()
                if taken is None:
                    return False  # another replica has it, or had it
                labels = (taken.platform, taken.kind)
                after = await self.handler(uow, taken, prepared[row.id])
                taken.processed_at = uow.clock.now()
                taken.outcome = "done"
                await uow.commit()
            metrics.PROCESSED.labels(*labels).inc()
        except Exception as error:
            await self._failed(row.id, error)
            return False
        await self._after(row.id, after)
        return True

    @contextlib.asynccontextmanager
    async def _round(self) -> AsyncIterator[bool]:
        """On PostgreSQL, whether this replica may run a processing round now: only one
        replica does at a time (a session advisory lock on a connection held for the
        round), so two do not prepare the same batch and hand the turn to and fro for each
        transaction. The round goes on until nothing is due, so what others stored while
        it ran is taken too; a replica that found the round taken looks again after
        `other_round_retry` seconds (a round may just have ended). A replica that dies
        lets go of it with its connection. Elsewhere, always True."""
        if not self.db.is_postgresql:
            yield True
            return
        async with self.db.engine.connect() as conn:
            key = _advisory_key(INBOX_ROUND)
            mine = bool(await conn.scalar(select(func.pg_try_advisory_lock(*key))))
            await conn.commit()
            try:
                yield mine
            finally:
                if mine:
                    await conn.scalar(select(func.pg_advisory_unlock(*key)))
                    await conn.commit()

    async def _take_turn(self, uow: UnitOfWork) -> None:
        """On PostgreSQL, wait until no other replica processes deliveries (of any
        platform); held until this unit of work ends.

        Replicas take deliveries in batches they read before locking them, so without
        it one could process a conversation's later delivery while another still holds
        an earlier one of the same conversation: the messages, and their relays, would
        swap. Processing goes one transaction at a time across replicas (storing, and so
        acknowledging, does not wait for it); a transaction-scoped advisory lock is let
        go by a replica that dies, with its connection.
        """
        if self.db.is_postgresql:
            key = _advisory_key(INBOX_TURN)
            await uow.session.execute(select(func.pg_advisory_xact_lock(*key)))

    async def _after(self, row_id: int, after: AfterCommit) -> None:
        if after is not None:
            try:
                await after()
            except Exception:  # the command committed; a reply that failed is only logged
                log.exception("inbox: after-commit step of delivery %s failed", row_id)

    async def _failed(self, row_id: int, error: Exception) -> None:
        log.warning("inbox: delivery %s failed (%s: %s)", row_id, type(error).__name__,
                    str(error)[:200])
        async with self.db.unit_of_work() as uow:
            row = await uow.session.get(InboundEvent, row_id)
            if row is None or row.processed_at is not None:
                return
            metrics.FAILED.labels(row.platform, row.kind).inc()
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {str(error)[:1000]}"
            now = uow.clock.now()
            if row.attempts >= self.max_attempts:
                row.processed_at = now
                row.outcome = "failed"
                log.error("inbox: delivery %s (%s %s) failed %d times; kept as failed",
                          row_id, row.platform, row.kind, row.attempts)
            else:
                row.available_at = now + self.backoff * (2 ** (row.attempts - 1))
            await uow.commit()

    async def forget_processed_before(self, moment: Any) -> int:
        """Drop processed deliveries older than `moment` (failed ones are kept)."""
        return await forget_processed_before(self.db, moment)

    # ------------------------------------------------------------ life

    async def start(self) -> None:
        """Start the processor task (it also picks up what an earlier run left)."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="inbox")

    async def stop(self) -> None:
        """Stop the processor; stored deliveries wait for the next start."""
        if self._task is not None:
            self._stopping = True  # ends the loop even if a cancel were lost
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            mine = True
            try:
                async with self._round() as mine:
                    if mine:
                        await self.process_once()
            except Exception:
                log.exception("inbox: processing round failed")
            if not mine:  # another replica's round takes what is due; look again soon
                await asyncio.sleep(self.other_round_retry)
                continue
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that
            # lands as the wake-up does, and stop() would then wait for ever.
            try:
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass


async def forget_processed_before(db: Database, moment: Any) -> int:
    """Drop deliveries of every platform processed and received before `moment`.

    Failed ones are kept for a person to look at; the scheduler's daily tidy calls this.
    """
    async with db.unit_of_work() as uow:
        result = await uow.session.execute(
            delete(InboundEvent).where(InboundEvent.outcome == "done",
                                       InboundEvent.received_at < moment))
        await uow.commit()
    return rows_matched(result) or 0


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _same(stored: Any, arrived: Any) -> bool:
    """Whether two payloads are the same JSON (key order and a JSON round trip aside)."""
    return stored == arrived or _canonical(stored) == _canonical(arrived)


def conflict_id(delivery_id: str, payload: Any) -> str:
    """The id a delivery is kept under when its own id was used by another payload."""
    digest = hashlib.sha256(_canonical(payload).encode()).hexdigest()[:16]
    return f"{delivery_id[:200]}~{digest}"


__all__ = ["AfterCommit", "Handler", "Inbox", "Prepare", "conflict_id",
           "forget_processed_before"]
