"""Per-person limits on opening requests, shared by every way in (DM, `/desk ask`, intake
channels, the shortcut; Slack and Teams alike).

A person who opened `count` requests within `window` is told, privately, how long to
wait; nothing is opened. The limit is `db.opening_limit` (bootstrap sets it from
DESKBOT_REQUESTS_PER_PERSON and DESKBOT_REQUESTS_WINDOW_MINUTES).
"""

from __future__ import annotations

import math

from sqlalchemy import func, select

from desks.errors import NotPermitted
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Conversation, Person


class TooManyRequests(NotPermitted):
    """The person opened as many requests as the limit allows for now."""


def _duration(minutes: int) -> Words:
    if minutes < 60:
        return Words("wait.minutes", count=minutes)
    return Words("wait.hours", count=math.ceil(minutes / 60))


async def check_opening(uow: UnitOfWork, requester: Person) -> None:
    """Refuse (TooManyRequests) when `requester` may not open another request now."""
    limit = uow.db.opening_limit
    if limit is None or limit.count <= 0:
        return
    now = uow.clock.now()
    since = now - limit.window
    opened, oldest = (await uow.session.execute(
        select(func.count(), func.min(Conversation.opened_at))
        .where(Conversation.requester_id == requester.id, Conversation.opened_at > since)
    )).one()
    if opened < limit.count:
        return
    # The oldest of them leaves the window first; then one more may be opened.
    wait = max(1, math.ceil((oldest + limit.window - now).total_seconds() / 60))
    window = max(1, round(limit.window.total_seconds() / 60))
    raise TooManyRequests("intake.too_many", count=opened, window=_duration(window),
                          wait=_duration(wait))
