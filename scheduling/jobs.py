"""APScheduler wiring: the sweeps as one interval job of an `AsyncIOScheduler`, and
a daily tidy.

The jobs are thin (SPEC §4, ARCHITECTURE): the sweep calls `sweeps.sweep_all`; every
state it needs lives in the database, none in the job store. One run at a time
(`max_instances=1`, missed runs coalesced), and a failure is logged, never fatal.
The tidy (`forget_old`) keeps the bookkeeping tables from growing for ever: pending
requests nobody answered (a week), delivered notices, processed deliveries and the
ledger of seen deliveries (`retention`, 30 days by default). Events and messages are
the history and are kept; failed notices and deliveries stay for a person to look at.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from conversations import intake
from scheduling import sweeps
from storage import inbox, ledger, outbox
from storage.clock import Clock
from storage.database import Database

log = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=30)
TIDY_EVERY = timedelta(days=1)


async def forget_old(db: Database, retention: timedelta = DEFAULT_RETENTION) -> dict[str, int]:
    """Drop what is older than its time to keep; how many rows of each kind went."""
    async with db.unit_of_work() as uow:
        before = uow.clock.now() - retention
        done = {"pending_requests": await intake.forget_pending(uow),
                "notices": await outbox.forget_finished_before(uow, before, keep_failed=True),
                "ledger": await ledger.forget_before(uow, before)}
        await uow.commit()
    done["deliveries"] = await inbox.forget_processed_before(db, before)
    return done


class SweepScheduler:
    """Runs `sweeps.sweep_all(db, clock)` every `interval` seconds while started, and
    `forget_old` once a day (the first a sweep interval after the start)."""

    def __init__(self, db: Database, clock: Clock, interval: float, *,
                 retention: timedelta = DEFAULT_RETENTION) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self.retention = retention
        self._scheduler: AsyncIOScheduler | None = None

    async def run_once(self) -> None:
        """One sweep; errors are logged so the job keeps its schedule."""
        try:
            done = await sweeps.sweep_all(self.db, self.clock)
        except Exception:
            log.exception("sweep run failed")
            return
        acted = {name: n for name, n in done.items() if n}
        if acted:
            log.info("sweep: %s", ", ".join(f"{k}={v}" for k, v in acted.items()))

    async def tidy_once(self) -> None:
        """One tidy (`forget_old`); errors are logged so the job keeps its schedule."""
        try:
            done = await forget_old(self.db, self.retention)
        except Exception:
            log.exception("tidy run failed")
            return
        acted = {name: n for name, n in done.items() if n}
        if acted:
            log.info("tidy: dropped %s", ", ".join(f"{k}={v}" for k, v in acted.items()))

    async def start(self) -> None:
        """Start the scheduler on the running loop."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self.run_once, "interval", seconds=self.interval, id="sweeps",
                          max_instances=1, coalesce=True, misfire_grace_time=None)
        # Daily; the first soon after the start, so a server restarted every day tidies too.
        first = datetime.now(UTC) + timedelta(seconds=self.interval)
        scheduler.add_job(self.tidy_once, "interval", seconds=TIDY_EVERY.total_seconds(),
                          id="tidy", next_run_time=first, max_instances=1, coalesce=True,
                          misfire_grace_time=None)
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stop scheduling (a sweep already running finishes on its own)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
