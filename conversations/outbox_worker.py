"""The outbox worker: delivers outbox notices through a platform sender, in order per conversation.

One asyncio task per process, woken after each commit (`db.on_after_commit(d.wake)`) and
on a timer. A round leases due runs of rows (storage/outbox.py), delivers the runs of
different keys concurrently and the rows of one key strictly one after another, and
finishes each row in its own transaction: delivered (with the links the sender returned),
coalesced, failed, or due again after a back-off. Only what may pass is retried (a
platform or network failure, `transient`); deskbot's own errors fail the notice at once,
traceback logged, the row kept as failed to look at.

Keys and pace: a key is a conversation (else a person). Keys do not wait for each other:
a round's keys go concurrently, and a row that must wait (a back-off, a 429's
Retry-After, its channel's pace) is put back with a due time, which holds only its own
key; the worker wakes when the soonest row it put back is due. The platform's pace is
the sender's: Slack's per channel (bot/slack/channel_pace.py, a token bucket with
bookings), Teams' per conversation (bot/teams/send_pace.py). A send over the pace comes
back as `RetryLater(paced=True)` and is not counted as a failed attempt. Card updates
and home tabs queued behind a waiting key are coalesced into the latest when the key
goes on. What still waits in line is one conversation's own notices: a requester's DM
waits behind its conversation's posts to a busy desk channel.

A notice may ask for the conversation's card to be updated first (`CARD_FIRST`) and may
name more people to tell (`ALSO`), told one after another with the progress kept in the
row (`TOLD`), so a retry goes on from the next one.

Guarantees: a notice is never lost (an undelivered row stays in the outbox until a
outbox worker finishes it; a dead outbox worker's lease runs out) and not delivered twice while
leases hold. A cancelled outbox worker records the sends that already returned. A worker
running in the background renews its leases (`renew_every`), so the lease can be short:
a replica killed mid-send holds its rows up for one lease at most, and whoever takes a
row over from an owner whose lease ran out counts that as an attempt (it may have been
sent), so the Slack sender looks for it before posting again.

A failure can be ambiguous: a send that timed out (here, `send_timeout`, or in the
client), lost its connection after sending, or got a 5xx may have reached the platform.
A retry must not repeat it blindly, and the senders see to that:
- Slack (bot/slack/sender.py): every post carries metadata naming its notice and part;
  a retry of a notice (any attempt after the first, on any process) first looks for it
  in the thread or among the channel's newest messages and takes a post found as
  delivered, keeping its ts.
- Teams (bot/teams/sender.py): every activity carries its notice and part in
  channelData, and each part's activity id is kept as soon as the connector answers,
  so a retry does not resend parts that came back.
A notice delivered while the database went away (its row could not be marked) is
remembered by the outbox worker that sent it: when its lease runs out and the worker
leases it again, the row is marked delivered without a second send.

Windows that remain, where a notice may be delivered twice:
- a process that dies after the platform accepted a notice and before the row was
  marked (or another replica takes the row after the database came back): the next
  owner counts the lease that ran out as an attempt, so on Slack it looks first (and
  may still miss a post, as below); on Teams it resends;
- Teams: a send whose answer never came back (timeout, dropped connection, 5xx after
  Teams took it): the connector cannot be asked what a conversation holds, so the retry
  sends it again (the marker makes the repeat recognisable);
- Slack: a post that landed but is not visible to the lookup yet, or lies beyond its
  window (the channel's newest 100 top-level messages, or 2,000 replies of a thread);
  chat.update, pins, views, uploads, ephemeral messages and a requester prompt's
  question (`Ask`) are not looked up (updates, pins and views are idempotent; a file,
  an ephemeral message or a question may repeat).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import exc as sa_exc

from desks.notices import (
    ALSO,
    CARD_FIRST,
    COALESCED_KINDS,
    TELL_AUTHOR_ON_FAILURE,
    TOLD,
    NoticeKind,
)
from storage import metrics, outbox
from storage.database import Database
from storage.journal import write_notice

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Notice:
    """One outbox notice, as a sender sees it; `attempts` counts earlier failed attempts."""

    id: int
    workspace_id: int
    kind: str
    conversation_id: int | None
    person_id: int | None
    payload: Mapping[str, Any]
    attempts: int
    ordering_key: str = ""


@dataclass
class Delivery:
    """What a sender learned by delivering: where things now live on the platform.

    `conversation_links` sets columns of the notice's conversation (only
    requester_channel, requester_thread, agent_channel, agent_thread);
    `message_links` maps a message id of that conversation to
    {requester_side_id | agent_side_id: platform id}; `incident_links` maps an
    incident id to {agent_channel, agent_thread: where its card is}.
    """

    conversation_links: dict[str, str] = field(default_factory=dict)
    message_links: dict[int, dict[str, str]] = field(default_factory=dict)
    incident_links: dict[int, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Fail in the sender's own test, not later in a transaction after the platform call.
        bad = set(self.conversation_links) - outbox.CONVERSATION_LINK_COLUMNS
        for links in self.incident_links.values():
            bad |= set(links) - outbox.INCIDENT_LINK_COLUMNS
        for links in self.message_links.values():
            bad |= set(links) - outbox.MESSAGE_LINK_COLUMNS
        if bad:
            raise ValueError(f"Delivery names columns that are not links: {sorted(bad)}")


class Sender(Protocol):
    """Delivers one notice to a platform; raise RetryLater or Undeliverable when it cannot.

    Any other exception is taken for a bug: the notice fails at once (see `transient`).
    """

    async def deliver(self, notice: Notice) -> Delivery | None:
        """Deliver `notice`; return what should be remembered about where it landed."""
        ...


class RetryLater(Exception):
    """A transient failure (429, 5xx, timeout); `retry_after` seconds overrides the back-off.

    `paced`: not a failure at all but the sender keeping to the platform's pace in a
    channel: the notice waits `retry_after` and the attempt is not counted.
    """

    def __init__(self, message: str, retry_after: float | None = None, *,
                 paced: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.paced = paced


class Undeliverable(Exception):
    """A permanent failure (channel gone, bot removed): retrying cannot help."""


# Failures of the world around deskbot, not of deskbot: worth another try. Senders turn
# their platform's errors into RetryLater or Undeliverable (bot/slack/sender.py,
# bot/teams/sender.py); these are what may still come through untranslated: a send
# that hung past `send_timeout`, a socket or DNS error (OSError: the HTTP libraries'
# connection errors derive from it, as the token fetch's `requests` ones do), the
# database briefly away.
TRANSIENT: tuple[type[BaseException], ...] = (
    RetryLater, TimeoutError, OSError, sa_exc.OperationalError,
    sa_exc.InterfaceError, sa_exc.DisconnectionError)


def transient(exc: BaseException) -> bool:
    """Whether a failed delivery may succeed when tried again.

    Anything not known to be transient is deskbot's own error (AttributeError,
    KeyError, TypeError, ValueError, ...): retrying it twelve times only hides it.
    """
    if isinstance(exc, TRANSIENT):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


class FileRefused(Undeliverable):
    """A shared file that cannot be relayed: `reason` is "too_big" (`size` bytes, past
    `limit_mb`) or "unfetchable" (the platform would not give deskbot its bytes)."""

    def __init__(self, message: str, *, reason: str, size: int | None = None,
                 limit_mb: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.size = size
        self.limit_mb = limit_mb


class _Next(enum.Enum):
    GO_ON = "go on"  # the row is finished; the key's next row may follow
    STOP = "stop"  # the key waits (retry scheduled, lease lost, or an error)


def default_owner() -> str:
    """A lease owner name unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()[:36]}:{os.getpid()}:{secrets.token_hex(6)}"


class OutboxWorker:
    """Delivers due outbox notices through `sender`; see the module docstring."""

    def __init__(self, db: Database, sender: Sender, *, owner: str | None = None,
                 batch_keys: int = 50, per_key: int = 100,
                 lease: timedelta = timedelta(seconds=60), max_attempts: int = 12,
                 base_backoff: float = 2.0, max_backoff: float = 600.0,
                 poll_interval: float = 5.0, jitter: random.Random | None = None,
                 concurrency: int = 10, send_timeout: float | None = None,
                 pace: Callable[[], Awaitable[None]] | None = None,
                 platform_of: Callable[[int], str] | None = None,
                 renew_every: float | None = None) -> None:
        if batch_keys < 1 or per_key < 1 or concurrency < 1 or max_attempts < 1:
            raise ValueError("batch_keys, per_key, concurrency and max_attempts must be >= 1")
        self.db = db
        self.sender = sender
        self.owner = owner or default_owner()
        self.batch_keys = batch_keys
        self.per_key = per_key
        self.lease = lease
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        # Awaited before each send: lets the process put acknowledging inbound
        # traffic first (bootstrap passes the inbox's pacing), or nothing.
        self.pace = pace
        # A notice's platform (its workspace id -> "slack", "teams"), for the metrics' label.
        self.platform_of = platform_of or (lambda _workspace_id: "unknown")
        # A send that hangs must end while the lease still holds, or another replica
        # would deliver the same row.
        self.send_timeout = (lease.total_seconds() / 4 if send_timeout is None
                             else send_timeout)
        # While it runs in the background (start()), the worker renews its leases this
        # often, so a dead replica's rows wait one lease at most and a live one's never run out.
        self.renew_every = lease.total_seconds() / 4 if renew_every is None else renew_every
        self._renewing: asyncio.Task[None] | None = None
        self._jitter = jitter or random.Random()
        self._wake = asyncio.Event()
        # Set while the background task waits for a wake-up or the poll (health checks, tests).
        self.idle = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # The soonest moment a notice this worker put back is due again: the worker
        # wakes then rather than at the next poll (a paced channel's next slot).
        self._soonest: datetime | None = None
        # Notices delivered whose recording failed (the database away) -> what the
        # sender returned: recorded, not sent again, when they are leased anew.
        self._unrecorded: dict[int, Delivery | None] = {}
        self._marks = outbox.DeliveredMarks(db)

    # ------------------------------------------------------------ running

    def wake(self) -> None:
        """Ask for a round now; synchronous, so it can be a `db.on_after_commit` hook."""
        self._wake.set()

    async def run_once(self) -> int:
        """Lease one batch and deliver it; returns rows finished (delivered, coalesced, failed)."""
        async with self.db.unit_of_work() as uow:
            runs = await outbox.lease_batch(uow, self.owner, lease=self.lease,
                                            max_keys=self.batch_keys, per_key=self.per_key)
        if not runs:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        finished: list[int] = []

        async def one_key(run: list[outbox.LeasedRow]) -> None:
            async with gate:
                finished.append(await self._deliver_run(run))

        # Keys go concurrently; a TaskGroup waits for every key even when cancelled,
        # so a cancelled round still records the sends that already returned.
        async with asyncio.TaskGroup() as group:
            for run in runs:
                group.create_task(one_key(run))
        return sum(finished)

    async def drain(self) -> int:
        """Run rounds until nothing is due now; returns rows finished."""
        total = 0
        while finished := await self.run_once():
            total += finished
        return total

    async def run(self) -> None:
        """Deliver until stopped: a round after every wake-up, and every poll_interval."""
        while not self._stopping:
            self.idle.clear()
            self._wake.clear()
            try:
                finished = await self.run_once()
            except Exception:
                log.exception("outbox round failed (owner %s); trying again later", self.owner)
                finished = 0
            if finished or self._stopping:
                continue  # more may be due right away
            self.idle.set()
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that
            # lands as the wake-up does, and stop() would then wait for ever.
            try:
                async with asyncio.timeout(self._next_look()):
                    await self._wake.wait()
            except TimeoutError:
                pass
        self.idle.clear()

    def _next_look(self) -> float:
        """Seconds to wait for a wake-up: the poll, or less when a notice put back is due
        sooner."""
        soonest, self._soonest = self._soonest, None
        if soonest is None:
            return self.poll_interval
        due_in = (soonest - self.db.clock.now()).total_seconds()
        return min(self.poll_interval, max(0.0, due_in))

    async def start(self) -> None:
        """Start `run()` as a background task (once)."""
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._task = asyncio.create_task(self.run(), name=f"outbox worker {self.owner}")
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.create_task(self._renew_leases(),
                                                 name=f"outbox leases {self.owner}")

    async def _renew_leases(self) -> None:
        """Every `renew_every` seconds, extend this worker's leases (see outbox.renew)."""
        while not self._stopping:
            await asyncio.sleep(self.renew_every)
            try:
                async with self.db.unit_of_work() as uow:
                    await outbox.renew(uow, self.owner, lease=self.lease)
                    await uow.commit()
            except Exception as exc:  # the database away: the next turn tries again
                log.warning("outbox worker %s could not renew its leases: %s", self.owner,
                            _describe(exc))

    async def stop(self, grace: float = 10.0) -> None:
        """Stop the background task and give back this outbox worker's leases; never raises.

        Sends in flight get `grace` seconds to finish and be recorded; then they are
        cancelled, and those notices will be delivered again (the platform may have them).
        """
        task, self._task = self._task, None
        self._stopping = True
        self._wake.set()
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=grace)
            if not done:
                task.cancel()
                await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.error("outbox worker ended with an error", exc_info=task.exception())
        renewing, self._renewing = self._renewing, None
        if renewing is not None:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
        try:
            async with self.db.unit_of_work() as uow:
                released = await outbox.release(uow, self.owner)
                await uow.commit()
            if released:
                log.info("outbox worker %s released %d leased notices", self.owner,
                         released)
        except Exception:
            log.exception("could not release the leases of %s; they run out by themselves",
                          self.owner)

    # ------------------------------------------------------------ one key

    async def _deliver_run(self, run: list[outbox.LeasedRow]) -> int:
        """Deliver one key's leased rows in order; stop the key at the first that must wait.

        Rows made redundant by a later one of the run (card updates, home tabs) are
        marked coalesced first, all in one transaction: the later one is delivered in
        their place, whenever that is.
        """
        superseded = _superseded(run)
        finished = 0
        if superseded:
            try:
                marked = await self._coalesce([row for row in run if row.id in superseded])
            except Exception:
                log.exception("outbox: could not coalesce %d notices of %s; they are "
                              "delivered when their lease runs out", len(superseded),
                              run[0].ordering_key)
                await self._release_quietly(run)
                return 0
            if marked < len(superseded):  # a lease ran out: the key's new owner goes on
                await self._release_quietly(run)
                return marked
            finished += marked
            run = [row for row in run if row.id not in superseded]
        for index, row in enumerate(run):
            # Starting a send late in the lease risks a second replica taking the row.
            late = self.db.clock.now() >= row.lease_until - self.lease / 2
            if index and (self._stopping or late):
                await self._release_quietly(run[index:])
                break
            try:
                next_step = await self._deliver_row(row)
            except Exception:
                log.exception("outbox: could not finish notice %s (%s, conversation %s); "
                              "it is delivered again when its lease runs out",
                              row.id, row.kind, row.conversation_id)
                await self._release_quietly(run[index + 1:])
                break
            if next_step is _Next.STOP:
                break
            finished += 1
        return finished

    async def _deliver_row(self, row: outbox.LeasedRow) -> _Next:
        notice = Notice(id=row.id, workspace_id=row.workspace_id, kind=row.kind,
                        conversation_id=row.conversation_id, person_id=row.person_id,
                        payload=row.payload, attempts=row.attempts,
                        ordering_key=row.ordering_key)
        if row.id in self._unrecorded:  # sent already; only its recording failed
            log.info("notice %s (%s, conversation %s) was delivered before the database "
                     "went away; recording it now", row.id, row.kind, row.conversation_id)
            return await self._record_or_remember(row, self._unrecorded[row.id])
        if self.pace is not None:
            await self.pace()
        try:
            async with asyncio.timeout(self.send_timeout):
                if notice.payload.get(CARD_FIRST) and not notice.payload.get(TOLD):
                    await self._card_first(notice)
                delivery = await self._deliver_to_each(row, notice)
        except RetryLater as exc:
            return await self._retry_or_fail(row, exc, exc.retry_after)
        except Undeliverable as exc:
            await self._fail(row, exc)
            return _Next.GO_ON
        except Exception as exc:
            if transient(exc):
                return await self._retry_or_fail(row, exc, None)
            # Our own bug (AttributeError, KeyError, ...): a retry fails the same way.
            await self._fail(row, exc, bug=True)
            return _Next.GO_ON
        # The platform has it now: record that even if this task is being cancelled.
        return await self._record_or_remember(row, delivery)

    async def _record_or_remember(self, row: outbox.LeasedRow,
                                  delivery: Delivery | None) -> _Next:
        """Record a delivered notice; when the database is away, remember it in memory,
        so that when the row comes back (its lease run out) it is marked, not sent again."""
        self._unrecorded[row.id] = delivery
        try:
            next_step = await _finish_even_if_cancelled(self._record_delivery(row, delivery))
        except Exception as exc:
            if not transient(exc):
                self._unrecorded.pop(row.id, None)
            raise
        self._unrecorded.pop(row.id, None)
        return next_step

    async def _deliver_to_each(self, row: outbox.LeasedRow, notice: Notice) -> Delivery | None:
        """Deliver `notice`; one with `ALSO` recipients goes to each of them in turn.

        After each one but the last, how many were told is kept in the row (`TOLD`), so
        a retry, or another outbox worker after this one's lease ran out, resumes with the
        next. A recipient who cannot be reached (Undeliverable) is logged and passed by:
        the others are still told.
        """
        also = notice.payload.get(ALSO)
        if not also:
            return await self.sender.deliver(notice)
        recipients = [notice.person_id, *also]
        told = int(notice.payload.get(TOLD, 0))
        for index in range(told, len(recipients)):
            if index > told and self.pace is not None:
                await self.pace()
            try:
                await self.sender.deliver(dataclasses.replace(notice,
                                                              person_id=recipients[index]))
            except Undeliverable as exc:
                log.warning("notice %s (%s, conversation %s): person %s not told: %s",
                            notice.id, notice.kind, notice.conversation_id,
                            recipients[index], exc)
            if index + 1 < len(recipients):
                await _finish_even_if_cancelled(self._record_told(row, notice, index + 1))
        return None

    async def _record_told(self, row: outbox.LeasedRow, notice: Notice, told: int) -> None:
        async with self.db.unit_of_work() as uow:
            owned = await outbox.record_told(uow, self.owner, row.id,
                                             {**notice.payload, TOLD: told})
            await uow.commit()
        if not owned:  # another outbox worker has the row now, and goes on from its `told`
            raise RetryLater(f"lease lost after telling {told} of the notice's recipients")

    async def _card_first(self, notice: Notice) -> None:
        """Re-render the card of a notice marked `CARD_FIRST`, before the notice itself.

        A card update shows the conversation as it is now, so doing it again on a retry
        is harmless, and the notice after it is still sent once. A card that cannot be
        updated (gone, never posted) does not stop the notice; a transient failure
        retries both.
        """
        try:
            await self.sender.deliver(dataclasses.replace(
                notice, kind=NoticeKind.CARD_UPDATE, payload={}))
        except Undeliverable as exc:
            log.warning("notice %s (%s, conversation %s): its card was not updated: %s",
                        notice.id, notice.kind, notice.conversation_id, exc)

    async def _record_delivery(self, row: outbox.LeasedRow, delivery: Delivery | None) -> _Next:
        if delivery is not None and not isinstance(delivery, Delivery):
            log.error("sender returned %s for notice %s, not a Delivery; links ignored",
                      type(delivery).__name__, row.id)
            delivery = None
        links = delivery or Delivery()
        try:
            # Rows of other keys finished meanwhile are marked in the same transaction.
            owned = await self._marks.mark(
                self.owner, row.id, conversation_id=row.conversation_id,
                conversation_links=links.conversation_links,
                message_links=links.message_links, incident_links=links.incident_links)
        except ValueError as exc:
            # Bad links must not make a delivered notice look undelivered (a second send).
            log.error("notice %s (%s): links not stored: %s", row.id, row.kind, exc)
            async with self.db.unit_of_work() as uow:
                owned = await outbox.mark_delivered(uow, self.owner, row.id,
                                                    conversation_id=row.conversation_id)
                await uow.commit()
        if not owned:
            log.warning("notice %s (%s, conversation %s) was delivered after its lease ran "
                        "out; another outbox worker may deliver it again",
                        row.id, row.kind, row.conversation_id)
            return _Next.STOP
        self._count(metrics.NOTICES_DELIVERED, row)
        log.info("delivered notice %s (%s, conversation %s)", row.id, row.kind,
                 row.conversation_id)
        return _Next.GO_ON

    async def _coalesce(self, rows: list[outbox.LeasedRow]) -> int:
        """Mark `rows` coalesced into later ones, in one transaction; returns how many."""
        async with self.db.unit_of_work() as uow:
            marked = await outbox.mark_coalesced(uow, self.owner, [row.id for row in rows])
            await uow.commit()
        for row in rows:
            log.info("coalesced notice %s (%s, conversation %s) into a later one", row.id,
                     row.kind, row.conversation_id)
        return marked

    async def _retry_or_fail(self, row: outbox.LeasedRow, exc: Exception,
                             retry_after: float | None) -> _Next:
        paced = isinstance(exc, RetryLater) and exc.paced
        attempts = row.attempts if paced else row.attempts + 1
        if attempts >= self.max_attempts:
            await self._fail(row, exc, attempts=attempts)
            return _Next.GO_ON
        delay = self.backoff(attempts) if retry_after is None else max(0.0, retry_after)
        async with self.db.unit_of_work() as uow:
            owned = await outbox.schedule_retry(uow, self.owner, row.id,
                                                delay=timedelta(seconds=delay),
                                                error=_describe(exc), count=not paced)
            await uow.commit()
        if not owned:
            log.warning("notice %s (%s, conversation %s): lease lost while failing; "
                        "its new owner decides", row.id, row.kind, row.conversation_id)
            return _Next.STOP
        due = self.db.clock.now() + timedelta(seconds=delay)
        self._soonest = due if self._soonest is None else min(self._soonest, due)
        if paced:  # its channel's pace, not a failure: nothing to count or warn about
            log.info("notice %s (%s, conversation %s) waits %.1fs for its channel's pace",
                     row.id, row.kind, row.conversation_id, delay)
            return _Next.STOP
        self._count(metrics.NOTICES_RETRIED, row)
        log.warning("notice %s (%s, conversation %s): attempt %d failed, retry in %.1fs: %s",
                    row.id, row.kind, row.conversation_id, attempts, delay, _describe(exc),
                    exc_info=not isinstance(exc, RetryLater | TimeoutError))
        return _Next.STOP

    async def _fail(self, row: outbox.LeasedRow, exc: Exception, *,
                    attempts: int | None = None, bug: bool = False) -> None:
        async with self.db.unit_of_work() as uow:
            failed = await outbox.mark_failed(uow, self.owner, row.id, error=_describe(exc))
            if failed and row.kind in TELL_AUTHOR_ON_FAILURE:
                _tell_author(uow, row, exc)
            await uow.commit()
        if failed:
            self._count(metrics.NOTICES_FAILED, row)
        if bug:
            log.error("notice %s (%s, conversation %s) not delivered: deskbot failed on it "
                      "(%s), so it is kept as failed, not retried", row.id, row.kind,
                      row.conversation_id, _describe(exc), exc_info=exc)
            return
        log.error("notice %s (%s, conversation %s) not delivered%s: %s", row.id, row.kind,
                  row.conversation_id, f" after {attempts} attempts" if attempts else "",
                  _describe(exc))

    def _count(self, counter: Any, row: outbox.LeasedRow) -> None:
        try:
            platform = self.platform_of(row.workspace_id)
        except Exception:  # a label must never fail a delivery
            platform = "unknown"
        counter.labels(platform, row.kind).inc()

    async def _release_quietly(self, rows: list[outbox.LeasedRow]) -> None:
        if not rows:
            return
        try:
            async with self.db.unit_of_work() as uow:
                await outbox.release(uow, self.owner, [row.id for row in rows])
                await uow.commit()
        except Exception:
            log.exception("could not release %d notices; their lease runs out by itself",
                          len(rows))

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failure: exponential, capped, jittered.

        The result lies between half and all of min(max_backoff, base_backoff * 2**(n-1)).
        """
        ceiling: float = min(self.max_backoff, self.base_backoff * 2 ** min(attempts - 1, 62))
        return ceiling / 2 + self._jitter.random() * ceiling / 2


def _tell_author(uow: Any, row: outbox.LeasedRow, exc: Exception) -> None:
    """Queue `file.failed` for a file relay given up on, in the transaction that fails it:
    the file's author hears that it did not go through, and why."""
    payload: dict[str, Any] = {"file_id": row.payload.get("file_id"),
                               "message_id": row.payload.get("message_id"),
                               "relay": row.kind, "reason": "undelivered"}
    if isinstance(exc, FileRefused):
        payload.update(reason=exc.reason, size=exc.size, limit_mb=exc.limit_mb)
    write_notice(uow, workspace_id=row.workspace_id, conversation_id=row.conversation_id,
                 kind=NoticeKind.FILE_FAILED, payload=payload)


def _superseded(run: list[outbox.LeasedRow]) -> set[int]:
    """Ids of coalesced kinds' rows with a later one of the same kind and subject (the
    conversation, else the person) in the same run: a card update, a home tab."""
    def subject(row: outbox.LeasedRow) -> tuple[str, str, int] | None:
        if row.kind not in COALESCED_KINDS:
            return None
        if row.conversation_id is not None:
            return (row.kind, "conversation", row.conversation_id)
        if row.person_id is not None:
            return (row.kind, "person", row.person_id)
        return (row.kind, row.ordering_key, 0)  # an incident's card: its own key

    last: dict[tuple[str, str, int], int] = {}
    for row in run:
        if (key := subject(row)) is not None:
            last[key] = row.id
    return {row.id for row in run
            if (key := subject(row)) is not None and last[key] != row.id}


async def _finish_even_if_cancelled(work: Awaitable[T]) -> T:
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        # Let the bookkeeping finish, then give in to the cancellation.
        await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("recording a delivered notice failed", exc_info=task.exception())
        raise


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------- for tests


class RecordingSender:
    """A sender for tests: records delivered notices in order; fails or blocks on cue.

    `log`, when given, also receives every delivered notice (several senders, one order).
    `reply(notice)` may return the Delivery to hand back.
    """

    def __init__(self, *, log: list[Notice] | None = None,
                 reply: Callable[[Notice], Delivery | None] | None = None) -> None:
        self.calls: list[Notice] = []
        self.delivered: list[Notice] = []
        self.waiting = 0
        self.shared_log = log
        self.reply = reply
        self._fail_calls: dict[int, Exception] = {}
        self._fail_notices: dict[int, list[Exception]] = {}
        self._blocks: dict[int, asyncio.Event] = {}
        self._changed = asyncio.Event()

    def fail_call(self, n: int, error: Exception) -> None:
        """Make the n-th call (counting from 1) raise `error`."""
        self._fail_calls[n] = error

    def fail_notice(self, notice_id: int, *errors: Exception) -> None:
        """Make the next calls for `notice_id` raise `errors`, one per call; later ones succeed."""
        self._fail_notices.setdefault(notice_id, []).extend(errors)

    def block_call(self, n: int, until: asyncio.Event) -> None:
        """Make the n-th call wait for `until` before it goes on."""
        self._blocks[n] = until

    @property
    def delivered_ids(self) -> list[int]:
        """Ids of the delivered notices, in delivery order."""
        return [notice.id for notice in self.delivered]

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait until `predicate()` holds, checked after every call; wrap in asyncio.timeout."""
        while not predicate():
            await self._changed.wait()

    async def deliver(self, notice: Notice) -> Delivery | None:
        """Record `notice` (unless scripted to fail) and return `reply(notice)`."""
        self.calls.append(notice)
        call = len(self.calls)
        self._notify()
        gate = self._blocks.pop(call, None)
        if gate is not None:
            self.waiting += 1
            self._notify()
            try:
                await gate.wait()
            finally:
                self.waiting -= 1
                self._notify()
        error = self._fail_calls.pop(call, None)
        if error is None and self._fail_notices.get(notice.id):
            error = self._fail_notices[notice.id].pop(0)
        if error is not None:
            raise error
        delivery = self.reply(notice) if self.reply else None
        self.delivered.append(notice)
        if self.shared_log is not None:
            self.shared_log.append(notice)
        self._notify()
        return delivery

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


__all__ = ["Delivery", "OutboxWorker", "FileRefused", "Notice", "RecordingSender", "RetryLater",
           "Sender", "Undeliverable", "default_owner"]
