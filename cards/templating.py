"""What both card renderers share: their Jinja2 environment's make, the values every
template may name, and the JSON helpers (their templates write JSON, with a `null`
after each list's items so no item needs to know whether it is the last)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from cards import dates
from cards.text import isolate, stars
from conversations import button_ids
from conversations.view_models import LEVELS

# What the templates branch on (the same words as the view models).
STATUSES = ("new", "open", "waiting", "on_hold", "resolved", "closed")
SLA_STATES = ("ok", "warning", "breached", "paused", "none")
QUEUE_VIEWS = ("unassigned", "mine", "all")


def environment(folder: str, filters: dict[str, Callable[..., Any]],
                globals_: dict[str, Any]) -> Environment:
    """A strict environment over `cards/templates/<folder>` with the shared filters
    (tojson, chunks, age and service_day in the template's `locale`, stars, isolated:
    user text set apart by FSI…PDI where no catalogue line does it) and globals
    (actions, STATUSES, SLA_STATES, VIEWS, LEVELS), plus the platform's own."""
    env = Environment(
        loader=PackageLoader("cards", f"templates/{folder}"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(tojson=tojson, chunks=chunks, age=_age, service_day=_service_day,
                       stars=stars, isolated=isolate, **filters)
    env.globals.update(actions=button_ids, STATUSES=STATUSES, SLA_STATES=SLA_STATES,
                       VIEWS=QUEUE_VIEWS, LEVELS=LEVELS, **globals_)
    return env


@pass_context
def _age(context: Context, since: Any, now: Any) -> str:
    """A row's age in the reader's language ("5m"; "5 דק׳")."""
    return dates.age(since, now, context.get("locale"))


@pass_context
def _service_day(context: Context, value: Any) -> str:
    """A digest's ISO day in the reader's language (English keeps the ISO date)."""
    return dates.service_day(str(value or ""), context.get("locale"))


def safe_url(url: str | None, limit: int) -> str:
    """A link we may put on a button: http(s) only, no white space, at most `limit`
    characters; "" otherwise."""
    if not url or len(url) > limit or not url.startswith(("https://", "http://")):
        return ""
    return url if not any(char.isspace() for char in url) else ""


def tojson(value: Any) -> str:
    """A value as JSON text, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False)


def chunks(items: Any, size: int) -> list[list[Any]]:
    """`items` in lists of at most `size`."""
    items = list(items)
    return [items[start:start + size] for start in range(0, len(items), size)]


def prune(node: Any) -> Any:
    """Drop the `null` list terminators the templates write."""
    if isinstance(node, list):
        return [prune(item) for item in node if item is not None]
    if isinstance(node, dict):
        return {key: prune(value) for key, value in node.items()}
    return node


INCIDENT_CHOICES = 25  # a ticket card offers the newest open incidents, at most


def incident_choices(card: Any, line: Callable[..., str]) -> list[tuple[str, str]]:
    """A ticket card's *Link to incident* options: ("INC-3 Email is down", "<ref>:3");
    `line` says a catalogue key in the card's language."""
    return [(line("incident.choice", number=number, title=title), f"{card.ref}:{number}")
            for number, title in card.open_incidents[:INCIDENT_CHOICES]]


SAVED_REPLY_CHOICES = 100  # a desk keeps at most this many (one Slack select's options)


def saved_reply_choices(card: Any) -> list[tuple[str, str]]:
    """A ticket card's *Saved reply* options: (the reply's name, its id)."""
    return [(name, str(reply_id))
            for reply_id, name in card.saved_replies[:SAVED_REPLY_CHOICES]]
