"""A desk's assignment rule: who gets a new request without anyone claiming it.

Kept in the desk's `settings` JSON beside the policy (no migration), and exported with it:

    {"autoassign": "round-robin"}     # or "least-loaded"; absent means off

`round-robin` also keeps its place in the turn there (`autoassign_last`: the person id of
the agent who got the last one), written under the desk row's lock so two requests opened
at once never take the same turn (`conversations.assignment`). The place is no setting
an admin writes: the desks file leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desks.errors import InvalidInput
from desks.wording import Words

RULES = ("round-robin", "least-loaded")
KEY = "autoassign"
CURSOR = "autoassign_last"  # round-robin's place in the turn: a person id
KEYS = (KEY, CURSOR)


def rule_of(settings: Mapping[str, Any] | None) -> str | None:
    """The desk's rule (`round-robin`, `least-loaded`), or None when requests wait to be
    claimed; an unreadable stored value counts as off."""
    value = (settings or {}).get(KEY)
    return value if value in RULES else None


def check_rule(value: Any) -> str | None:
    """A stored (or hand-written) rule, checked: one of RULES, or off (`off`, null)."""
    if value is None or value == "off":
        return None
    if not isinstance(value, str) or value.strip().lower() not in RULES:
        raise InvalidInput("autoassign.not_a_rule", got=str(value)[:40])
    return value.strip().lower()


def check_cursor(value: Any) -> int | None:
    """The stored place in the turn: a person id, or nothing yet."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("autoassign.not_a_cursor")
    return value


def settings_with_rule(settings: Mapping[str, Any] | None, rule: str | None) -> dict[str, Any]:
    """`settings` with `rule` stored (off: no key at all), its place in the turn kept."""
    merged = {k: v for k, v in (settings or {}).items() if k != KEY}
    if rule is not None:
        merged[KEY] = rule
    else:
        merged.pop(CURSOR, None)
    return merged


def rule_words(rule: str | None) -> Words:
    """The rule said to people: `in turn (round-robin)`, `off`."""
    return Words("autoassign.value_" + (rule or "off").replace("-", "_"))
