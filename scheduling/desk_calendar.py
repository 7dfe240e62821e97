"""The business-time calendar the core stores due times with (`storage.business_time`).

`DeskCalendar` reads each desk's service window from its settings and counts in it
with `scheduling.calendar.ServiceWindow`. Windows are cached by the settings' window
keys, so the thousands of conversations of one desk share one window (and its
cached holiday years). A desk whose window settings do not parse counts as always
open, with a warning: a broken setting must not stop requests from opening.
`expected_response` gives a receipt's promise in the same window, as facts the renderers
word in the reader's language; the view queries ask it of the calendar on the unit of
work, as conversations may not import scheduling.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from conversations.view_models import ExpectedResponse, spelled_duration
from desks.errors import InvalidInput
from desks.policy import policy_of
from desks.window_grammar import WindowConfig
from scheduling.calendar import ALWAYS_OPEN, ServiceWindow
from storage.models import Conversation, Desk

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

    def between_for(self, settings: Mapping[str, Any] | None
                    ) -> Callable[[datetime, datetime], timedelta]:
        """`between` in one desk's window, looked up once."""
        return window_of(settings).business_time_between

    def is_open(self, settings: Mapping[str, Any] | None, moment: datetime) -> bool:
        """Whether the desk is open at `moment`."""
        return window_of(settings).is_open(moment)

    def expected_response(self, desk: Desk,
                          conversation: Conversation) -> ExpectedResponse | None:
        """The receipt's promise, as facts (`expected_response` below)."""
        return expected_response(desk, conversation)


# The English words of a target, as the catalogue's English is checked against them.
_spelled = spelled_duration


def expected_response(desk: Desk, conversation: Conversation) -> ExpectedResponse | None:
    """When the employee may expect a first answer, from the desk's window and target.

    Facts, worded by the renderers in the reader's language: "within" the target while
    the desk is open (and the target ends before it closes), "when_opens" with the
    desk's next opening (desk's time) when it is closed, "on_call" for priority 5
    where the desk has on-call agents, else "by" the due time in the desk's time.
    """
    try:
        policy = policy_of(desk.settings)
        window = window_of(desk.settings)
    except (InvalidInput, ValueError, KeyError, TypeError):
        return None
    opened = conversation.opened_at
    target = policy.sla.first_response_for(conversation.priority)
    if window.always_open or (window.is_open(opened) and
                              window.add_business_time(opened, target) - opened <= target):
        return ExpectedResponse("within", target=target)
    if conversation.priority == 5 and policy.oncall:
        return ExpectedResponse("on_call")
    if window.is_open(opened):
        due = window.add_business_time(opened, target).astimezone(window.zone)
        return ExpectedResponse("by", moment=due)
    opens = window.next_open(opened).astimezone(window.zone)
    return ExpectedResponse("when_opens", moment=opens)
