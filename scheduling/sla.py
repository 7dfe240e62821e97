"""The business-time calendar the core stores due times with (`storage.business_time`).

`DeskCalendar` reads each desk's service window from its settings and counts in it
with `scheduling.calendar.ServiceWindow`. Windows are cached by the settings' window
keys, so the thousands of conversations of one desk share one window (and its
cached holiday years). A desk whose window settings do not parse counts as always
open, with a warning: a broken setting must not stop requests from opening.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from desks.errors import InvalidInput
from desks.window_grammar import WindowConfig
from scheduling.calendar import ALWAYS_OPEN, ServiceWindow

log = logging.getLogger(__name__)

WINDOW_KEYS = ("hours", "time_zone", "holidays", "closed_dates")


@lru_cache(maxsize=1024)
def _window(key: str) -> ServiceWindow:
    try:
        return ServiceWindow.from_config(WindowConfig.from_settings(json.loads(key)))
    except (InvalidInput, ValueError, TypeError) as exc:
        log.warning("a desk's service window does not parse (%s); counting it as always open",
                    exc)
        return ALWAYS_OPEN


def window_of(settings: Mapping[str, Any] | None) -> ServiceWindow:
    """The service window kept in a desk's settings (cached)."""
    settings = settings or {}
    key = json.dumps({k: settings.get(k) for k in WINDOW_KEYS}, sort_keys=True, default=str)
    return _window(key)


class DeskCalendar:
    """Implements `storage.business_time.BusinessTime` with each desk's service window."""

    def add(self, settings: Mapping[str, Any] | None, moment: datetime,
            duration: timedelta) -> datetime:
        """The instant `duration` of open time after `moment`."""
        return window_of(settings).add_business_time(moment, duration)

    def between(self, settings: Mapping[str, Any] | None, start: datetime,
                end: datetime) -> timedelta:
        """The open time from `start` to `end`."""
        return window_of(settings).business_time_between(start, end)

    def is_open(self, settings: Mapping[str, Any] | None, moment: datetime) -> bool:
        """Whether the desk is open at `moment`."""
        return window_of(settings).is_open(moment)
