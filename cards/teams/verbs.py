"""How a Teams card's buttons speak: `Action.Execute` verbs and data, and reading them back.

Every button is an `Action.Execute` whose `verb` is our action id (`conversations.button_ids`) and
whose `data` carries `value` — exactly the string the Slack button of the same action
carries, parsed with `conversations.button_ids.split_value` — plus `ref` on a ticket card. A
choice set is an input whose `id` is the verb of the button that submits it, so Teams
merges the choice into that button's data under the verb: the adapter reads
`value_of(data, verb)` and never has to know which of the two it was.

The ticket card also carries `refresh` with the verb `REFRESH` (data: `ref`), which
Teams sends for the users in its `userIds` when they look at the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conversations import button_ids

REFRESH = "refresh_card"  # the ticket card's refresh: answer with the card as it is now
ASK = button_ids.ASK_MODAL  # the "Send to helpdesk" card's submit (inputs ASK_DESK, ASK_TEXT)
KB = button_ids.KB_SAVE  # the article form's Save (inputs KB_TITLE, KB_TEXT; data: ref)
VERBS = frozenset({*button_ids.ALL_ACTIONS, ASK, REFRESH, KB})
VALUE = 2000  # characters of a button's value (Slack's limit; our values are short)


def data(value: Any = None, ref: int | None = None) -> dict[str, str]:
    """An Execute's data: `value` (a `conversations.button_ids` encoding) and the ticket
    `ref`, as strings."""
    found: dict[str, str] = {}
    if ref is not None:
        found["ref"] = str(ref)
    if value is not None:
        found["value"] = str(value)[:VALUE]
    return found


def value_of(payload: Mapping[str, Any] | None, verb: str) -> str | None:
    """The value an Execute with `verb` submitted: its choice input's, else its `value`.

    None when neither is a non-empty string (a choice set left empty, a forged payload).
    """
    if not isinstance(payload, Mapping):
        return None
    for key in (verb, "value"):
        found = payload.get(key)
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None


def ref_of(payload: Mapping[str, Any] | None) -> int | None:
    """The ticket ref an Execute's data names (`ref`), or None."""
    found = payload.get("ref") if isinstance(payload, Mapping) else None
    text = str(found) if isinstance(found, str | int) and not isinstance(found, bool) else ""
    return button_ids.number(text)  # ASCII digits; one too large is an unknown ref


def due_of(payload: Mapping[str, Any] | None) -> str | None:
    """What the ticket card's due date inputs submitted: `YYYY-MM-DD HH:MM` (the date
    input's id is the verb, the time input's `DUE_TIME`), the date alone, or None."""
    day = value_of(payload, button_ids.DUE)
    at = value_of(payload, button_ids.DUE_TIME)
    if day is None:
        return None
    return f"{day} {at}" if at else day
