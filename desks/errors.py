"""Refusals: typed errors that say, in the reader's language, what was wrong.

Every refusal is a catalogue key and its values (`desks.wording.Words`), rendered by the
adapters in the person's language and sent privately (ephemeral in Slack); they never
show a stack trace. Every message says what was wrong and, where there is one, the right
form. `message` is the English rendering, for logs and tests.
"""

from __future__ import annotations

from typing import Any

from desks.wording import Words, known


class DeskbotError(Exception):
    """A refusal with a stable `kind` (for code and tests), what it says (`words`: a
    catalogue key and values) and its English `message`.

    `DeskbotError("refuse.no_such_request", ref=1042)`; a `Words` is taken as it is.
    The values are the details code may read (`claimed_by_id`…).
    """

    kind = "error"

    def __init__(self, key: str | Words, **values: Any) -> None:
        if isinstance(key, Words):
            words: Words | None = key
        elif known(key):
            words = Words(key, **values)
        else:  # plain English that has no catalogue key: shown as it is
            words = None
        message = words.english if words is not None else str(key)
        super().__init__(message)
        self.message = message
        self.words = words
        self.details = values

    def __str__(self) -> str:
        return self.message


class InvalidInput(DeskbotError):
    """The command was malformed: a bad ref, priority, status word, name…"""

    kind = "invalid_input"


class NotPermitted(DeskbotError):
    """The actor's role does not allow this (not an admin, not the desk's lead…)."""

    kind = "not_permitted"


class NotAnAgent(DeskbotError):
    """The actor (or the named person) is not an agent of the desk concerned."""

    kind = "not_an_agent"


class UnknownRef(DeskbotError):
    """No request with that ref in this workspace."""

    kind = "unknown_ref"


class UnknownDesk(DeskbotError):
    """No desk with that name in this workspace."""

    kind = "unknown_desk"


class DeskExists(DeskbotError):
    """A desk with that name (or slug) is already there."""

    kind = "desk_exists"


class DeskArchived(DeskbotError):
    """The desk is archived and takes no new requests."""

    kind = "desk_archived"


class DeskNotReady(DeskbotError):
    """The desk has no agent channel or no agents yet, so it takes no requests."""

    kind = "desk_not_ready"


class AlreadyClaimed(DeskbotError):
    """Someone else holds the conversation; details name them (`claimed_by_id`, `…_name`)."""

    kind = "already_claimed"


class WrongState(DeskbotError):
    """The conversation's state does not allow this (closed, already pinned…)."""

    kind = "wrong_state"
