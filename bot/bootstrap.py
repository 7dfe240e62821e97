"""The one place where deskbot's parts are built and wired.

`build(settings)` makes the database (and, on SQLite, migrates it), the clock and
-- once platform senders exist -- the outbox dispatcher. Nothing is built at import
time; tests call `build` with their own clock, or assemble `Deps` from fakes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from bot.settings import Settings
from storage import migrate
from storage.clock import Clock, SystemClock
from storage.database import Database

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """What bootstrap needs of `conversations.dispatch.Dispatcher`."""

    def wake(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Deps:
    """Everything the server and the platform adapters use, built once at start."""

    settings: Settings
    db: Database
    clock: Clock
    dispatcher: Dispatcher | None = None
    _started: bool = field(default=False, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    async def start(self) -> None:
        """Start the background work (the dispatcher, when there is one)."""
        if self.dispatcher is not None:
            await self.dispatcher.start()
        self._started = True

    async def close(self) -> None:
        """Stop the background work and close every database connection (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.dispatcher is not None and self._started:
                await self.dispatcher.stop()
        finally:
            self._started = False
            await self.db.dispose()


async def build(settings: Settings, clock: Clock | None = None) -> Deps:
    """Build and wire deskbot's parts from `settings`; the caller closes them (`Deps.close`).

    On SQLite pending migrations run here (one process owns the file). On PostgreSQL
    they are a deployment step (`deskbot db upgrade`), so several replicas never race;
    a database behind head is logged as an error.
    """
    clock = clock or SystemClock()
    db = Database(settings.database_url, clock=clock)
    try:
        await _prepare_schema(settings, db)
        dispatcher = _build_dispatcher(settings, db)
    except BaseException:
        await db.dispose()
        raise
    return Deps(settings=settings, db=db, clock=clock, dispatcher=dispatcher)


async def _prepare_schema(settings: Settings, db: Database) -> None:
    where = settings.database_url_safe
    if db.is_sqlite:
        result = await migrate.upgrade(db)
        if result.changed:
            log.info("database at %s migrated from %s to %s", where,
                     result.before or "empty", result.after)
        else:
            log.info("database at %s is at %s", where, result.after)
        return
    waiting = await migrate.pending(db)
    if waiting:
        log.error("database at %s is behind: %s not applied; run `deskbot db upgrade`",
                  where, ", ".join(waiting))
    else:
        log.info("database at %s is at %s", where, migrate.head_revision())


def _build_dispatcher(settings: Settings, db: Database) -> Dispatcher | None:
    # TODO(Slack and Teams issues): build the platform senders from `settings` here,
    # then wire the outbox dispatcher to them:
    #     from conversations.dispatch import Dispatcher
    #     dispatcher = Dispatcher(db, sender, ...)
    #     db.on_after_commit(dispatcher.wake)  # deliver right after each commit
    #     return dispatcher
    # Until then notices are written and kept; nothing delivers them.
    log.warning("no platform sender configured; notices stay in the outbox")
    return None
