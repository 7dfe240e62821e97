"""The business-time calendar as the core asks for it (implemented in `scheduling`).

Defined here, next to the clock, for the same reason: `conversations` may not import
`scheduling`, yet opening a request must store due times counted in the desk's
service window. `bot/bootstrap.py` puts a `scheduling.desk_calendar.DeskCalendar` on the
`Database` (like the clock), and every unit of work of that database sees it. A
database without one stores no due times, and nothing else changes.

Every method takes the desk's `settings` (its service window lives there) and aware
datetimes; results are UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.models import Conversation, Desk

DeskSettings = Mapping[str, Any] | None


class BusinessTime(Protocol):
    """Business-time arithmetic in a desk's service window."""

    def add(self, settings: DeskSettings, moment: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of open time after `moment`."""
        ...

    def between(self, settings: DeskSettings, start: datetime, end: datetime) -> timedelta:
        """The open time from `start` to `end` (zero when `end` is not after `start`)."""
        ...

    def between_for(self, settings: DeskSettings) -> Callable[[datetime, datetime], timedelta]:
        """`between` for one desk's settings, its window read once: for counting many
        spans of the same desk (a report)."""
        ...

    def is_open(self, settings: DeskSettings, moment: datetime) -> bool:
        """Whether the desk is open at `moment`."""
        ...

    def expected_response(self, desk: Desk, conversation: Conversation) -> object | None:
        """When the requester may expect a first answer, for the receipt: the facts as a
        `conversations.view_models.ExpectedResponse` (which storage may not name; the
        renderers word it in the reader's language); None when the desk's settings do
        not parse."""
        ...
