"""The playground's workspace kept on disk beside deskbot's SQLite file.

deskbot's database remembers every request; the page's Slack (messages, threads,
pins, home tabs) would otherwise live only in memory, and after a restart deskbot
would update cards the page no longer has. So the state is written, a moment after
each change, to `<database file>.playground.json` (atomically: a temporary file
renamed over the old one) and read back at start. A PostgreSQL or in-memory database
has no file beside it: the page then starts empty each time, as before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.playground.state import Channel, SlackState

log = logging.getLogger(__name__)

VERSION = 1
SAVE_AFTER = 0.2  # seconds: changes that come together are written once


def state_file_for(database_url: str) -> Path | None:
    """`<db>.playground.json` beside a SQLite file database; None for any other."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".playground.json")


def dump(state: SlackState) -> dict[str, Any]:
    """What is kept: everything a person sees, and the ts and view id counters."""
    # Taking the next view number skips one id at most; none is ever given twice.
    next_view = next(state._view_ids)
    state._view_ids = itertools.count(next_view)
    return {"version": VERSION, "channels": [asdict(c) for c in state.channels.values()],
            "messages": state.messages, "pinned": state.pinned,
            "ephemerals": state.ephemerals, "homes": state.homes,
            "last_ts": state._last_ts, "next_view": next_view}


def restore(state: SlackState, kept: dict[str, Any]) -> None:
    """Put what `dump` kept back into a fresh `state`."""
    if kept.get("version") != VERSION:
        raise ValueError(f"unknown playground state version {kept.get('version')!r}")
    for channel in kept.get("channels") or []:
        state.channels[channel["id"]] = Channel(**channel)
    state.messages.update(kept.get("messages") or {})
    state.pinned.update(kept.get("pinned") or {})
    state.ephemerals.update(kept.get("ephemerals") or {})
    state.homes.update(kept.get("homes") or {})
    state._last_ts = max(state._last_ts, int(kept.get("last_ts") or 0))
    # View ids go on from where they were: a kept home's id is never given to a new view.
    state._view_ids = itertools.count(max(1, int(kept.get("next_view") or 1)))


class Keeper:
    """Loads the state once, then saves it shortly after changes."""

    def __init__(self, state: SlackState, path: Path | None) -> None:
        self.state = state
        self.path = path
        self._pending: asyncio.TimerHandle | None = None

    def load(self) -> bool:
        """Read the kept state, if any; True when something was restored."""
        if self.path is None or not self.path.is_file():
            return False
        try:
            restore(self.state, json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as error:
            # A damaged file costs the page's history, never the start.
            log.warning("playground: could not read %s (%s); the page starts empty",
                        self.path, error)
            return False
        log.info("playground: the page's workspace was restored from %s", self.path)
        return True

    def changed(self) -> None:
        """Save soon (on the running loop), once for a burst of changes."""
        if self.path is None or self._pending is not None:
            return
        self._pending = asyncio.get_running_loop().call_later(SAVE_AFTER, self._save_now)

    def _save_now(self) -> None:
        self._pending = None
        self.save()

    def save(self) -> None:
        """Write the state now (atomically)."""
        if self.path is None:
            return
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(dump(self.state), ensure_ascii=False),
                                 encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            log.warning("playground: could not save %s (%s)", self.path, error)
