"""Conversation statuses and the words people use for them."""

from __future__ import annotations

from enum import StrEnum

from desks.errors import InvalidInput
from desks.wording import Words


class Status(StrEnum):
    """Where a conversation is in its life (SPEC §1, lifecycle)."""

    NEW = "new"  # nobody has picked it up
    OPEN = "open"
    WAITING = "waiting"  # on the requester; pauses the SLA clock
    ON_HOLD = "on_hold"  # pauses the SLA clock
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.WAITING, Status.ON_HOLD})
DONE = frozenset({Status.RESOLVED, Status.CLOSED})

STATUS_WORDS = {
    "waiting": Status.WAITING,
    "wait": Status.WAITING,
    "hold": Status.ON_HOLD,
    "on_hold": Status.ON_HOLD,
    "on-hold": Status.ON_HOLD,
    "onhold": Status.ON_HOLD,
    "open": Status.OPEN,
    "resolved": Status.RESOLVED,
    "resolve": Status.RESOLVED,
}

STATUS_LABELS = {
    Status.NEW: "unassigned",
    Status.OPEN: "open",
    Status.WAITING: "waiting on requester",
    Status.ON_HOLD: "on hold",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
}


def parse_status(word: str) -> Status:
    """Read a status word of `/desk status`; refuses with the right form."""
    status = STATUS_WORDS.get((word or "").strip().lower())
    if status is None:
        raise InvalidInput("request.not_a_status", got=word)
    return status


def parse_ref(text: str | int) -> int:
    """Read a request ref written `#1042` or `1042`; refuses anything else."""
    if isinstance(text, int):
        return text
    cleaned = (text or "").strip().lstrip("#")
    if not cleaned.isdigit() or len(cleaned) > 9 or not cleaned.isascii():
        shown = (text or "").strip()[:40] or Words("common.nothing_bare")
        raise InvalidInput("request.not_a_ref", got=shown)
    return int(cleaned)


def parse_priority(text: str | int) -> int:
    """Read a priority 1–5; refuses anything else with the right form."""
    if isinstance(text, int):
        value: int | None = text
    else:
        cleaned = (text or "").strip()
        value = int(cleaned) if cleaned.isascii() and cleaned.isdigit() else None
    if value is None or not 1 <= value <= 5:
        raise InvalidInput("request.priority_range")
    return value
