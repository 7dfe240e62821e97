"""APScheduler wiring: the sweeps as one interval job of an `AsyncIOScheduler`.

The job is thin (SPEC §4, ARCHITECTURE): it calls `sweeps.sweep_all`; every state it
needs lives in the database, none in the job store. One run at a time
(`max_instances=1`, missed runs coalesced), and a failure is logged, never fatal.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduling import sweeps
from storage.clock import Clock
from storage.database import Database

log = logging.getLogger(__name__)


class SweepScheduler:
    """Runs `sweeps.sweep_all(db, clock)` every `interval` seconds while started."""

    def __init__(self, db: Database, clock: Clock, interval: float) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
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

    async def start(self) -> None:
        """Start the scheduler on the running loop."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self.run_once, "interval", seconds=self.interval, id="sweeps",
                          max_instances=1, coalesce=True, misfire_grace_time=None)
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stop scheduling (a sweep already running finishes on its own)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
