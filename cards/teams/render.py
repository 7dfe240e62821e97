"""The Jinja2 environment for Adaptive Card templates, and the step from template to card.

Same shape as cards/slack/render.py: templates emit JSON with autoescaping off, every
value goes through `tojson`, every piece of user text through `md` (escaped for card
markdown, cut) or `plain` (titles and choices) first, and list items end with a comma
while lists end with `null`, which `render` drops after parsing.

A template renders `{"text": fallback, "body": [...], "actions": [...], "refresh": …}`;
`card` wraps that into an Adaptive Card 1.5. Each template is rendered at a `scale`
(1 = full size): text limits and list caps shrink with it, and `fitted` renders at
smaller scales until the card is within the payload budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache, partial
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from cards import templating
from cards.i18n import DEFAULT_LOCALE, catalogue, t
from cards.teams import verbs as teams_verbs
from cards.teams.markdown import (
    clip_markdown,
    date_markdown,
    fit_markdown,
    from_mrkdwn,
    payload_size,
    plain,
)
from cards.templating import prune, safe_url
from cards.text import UserText, is_rtl, isolate, isolates_per_line, user_text

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"  # Action.Execute and refresh exist from 1.4
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams refuses a message over its size limit (413 MessageSizeTooBig) counted in UTF-16;
# cards were documented at ~28 KB. The card stays under CARD_BUDGET and a whole activity
# (card + fallback text) under ACTIVITY_BUDGET, leaving room for the envelope
# (from, recipient, conversation, serviceUrl…) that the adapter adds.
PAYLOAD_LIMIT = 28_000
CARD_BUDGET = 24_000
ACTIVITY_BUDGET = 26_000
FALLBACK_TEXT = 400  # characters of an activity's `text` / the card's fallbackText
TITLE_TEXT = 40  # a button's title
CHOICE_TEXT = 100  # a choice's title
MIN_TEXT = 12  # no text limit shrinks below this
SCALES = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05, 0.035, 0.02)
RTL_LANGUAGES = frozenset({"he", "ar", "fa", "ur", "yi"})


_SLOT = "\ue000{}\ue001"
_SLOT_RE = re.compile("(\u2068?)\ue000(\\d+)\ue001(\u2069?)")


def tr(key: str, locale: str | None = "en", **values: Any) -> str:
    """A catalogue line as card markdown; `teams.<key>` overrides `key` where it exists.

    String `values` must be card markdown already (user text through `md`/`name`):
    they are put in after the line's own mrkdwn is converted, so a `*` a user typed
    never pairs with one of ours. Numbers are formatted as given (`count` picks plurals).
    """
    slots: list[str] = []
    formatted: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, str):
            # A slot stands for user text as its value did: the catalogue isolates it.
            slot = _SLOT.format(len(slots))
            formatted[name] = user_text(slot) if isinstance(value, UserText) else slot
            slots.append(value)
        else:
            formatted[name] = value
    line = t(f"teams.{key}" if _overridden(key, locale) else key, locale, **formatted)
    # A value of several lines inside the line's own isolate: isolated line by line.
    return isolates_per_line(_SLOT_RE.sub(lambda match: _filled(match, slots), from_mrkdwn(line)))


def _filled(match: re.Match[str], slots: list[str]) -> str:
    """A slot's value; an isolated slot's value isolated line by line (user text of
    several lines must not leave an isolate open across a line break)."""
    value = slots[int(match.group(2))]
    return isolate(value) if match.group(1) and match.group(3) else \
        match.group(1) + value + match.group(3)


@cache
def _overridden(key: str, locale: str | None) -> bool:
    """True when a catalogue in reach has a `teams.<key>` entry (or one of its plurals)."""
    override = f"teams.{key}"
    normal = (locale or DEFAULT_LOCALE).replace("_", "-")
    names = dict.fromkeys((normal, normal.split("-", 1)[0].lower(), DEFAULT_LOCALE))
    return any(name == override or name.startswith(override + ".")
               for locale_name in names for name in catalogue(locale_name))


def _scaled(context: Context, limit: int) -> int:
    scale = context.get("scale", 1.0)
    return max(int(limit * scale), min(limit, MIN_TEXT))


@pass_context
def _md(context: Context, value: Any, limit: int = 2000) -> str:
    """User text for card markdown: escaped, cut to `limit` (scaled) after escaping."""
    return fit_markdown(str(value if value is not None else "").strip(),
                        _scaled(context, limit))


@pass_context
def _md_line(context: Context, value: Any, limit: int = 200) -> str:
    """User text for markdown on one line (a Fact's title): whitespace runs become spaces."""
    return _md(context, " ".join(str(value if value is not None else "").split()), limit)


@pass_context
def _plain(context: Context, value: Any, limit: int = TITLE_TEXT, blank: str = "—") -> str:
    """A title, choice or placeholder: one line, cut (scaled), never empty."""
    return plain(value, _scaled(context, limit), blank)


@pass_context
def _clip(context: Context, markup: str, limit: int = 2000) -> str:
    """Built markdown (catalogue lines with escaped values) cut to `limit` (scaled)."""
    return clip_markdown(markup, _scaled(context, limit))


@pass_context
def _name(context: Context, person: Any, limit: int = 80) -> str:
    """A PersonRef's (or a plain string's) name, escaped; "?" when blank, "—" when none."""
    if person is None:
        return "—"
    name = person if isinstance(person, str) else person.name
    return _md(context, name, limit) if (name or "").strip() else "?"


@pass_context
def _people(context: Context, persons: Any, limit: int = 30) -> str:
    """Several people by name (never pinged): user text, for a sentence."""
    return user_text(", ".join(_name(context, person) for person in list(persons)[:limit]))


def _value(value: Any, limit: int = teams_verbs.VALUE) -> str:
    """A choice value or action value: ours, read back by the adapter: cut, never escaped."""
    return str(value)[:limit]


def _fact(line: str) -> tuple[str, str]:
    """A catalogue field line ("**Title**\\n\\nvalue") as a (title, value) pair of a FactSet."""
    title, _, value = line.partition("\n\n")
    title = title.strip()
    if title.startswith("**") and title.endswith("**") and len(title) > 4:
        title = title[2:-2]
    return title or "—", value.strip() or "—"


@cache
def environment() -> Environment:
    """The shared environment (built once, on first use: nothing happens at import)."""
    return templating.environment("teams", dict(
        md=_md,
        md_line=_md_line,
        plain=_plain,
        clip=_clip,
        name=_name,
        people=_people,
        value=_value,
        safe_url=partial(safe_url, limit=2000),
        date=date_markdown,
        fact=_fact,
    ), dict(
        data=teams_verbs.data,
        REFRESH=teams_verbs.REFRESH,
        TITLE_TEXT=TITLE_TEXT,
        CHOICE_TEXT=CHOICE_TEXT,
    ))


def render(template: str, locale: str, scale: float = 1.0, *, main_text: str | None = None,
           language: str | None = None, **context: Any) -> dict[str, Any]:
    """Render `template` (a name under templates/teams) to a card with its fallback `text`.

    `main_text` is the user text the card is about (a request's title, a relayed
    message): when it reads right to left, so does the card (`rtl`); so it does when
    `language` (the desk's, for its channel's cards) is written right to left.
    """
    source = environment().get_template(template).render(
        t=lambda key, **values: tr(key, locale, **values), locale=locale, scale=scale,
        **context)
    try:
        parsed = prune(json.loads(source))
    except json.JSONDecodeError as error:  # a template bug: show where
        raise ValueError(f"{template} rendered invalid JSON: {error}\n{source}") from error
    return card_of(parsed, locale, main_text=main_text, language=language)


def is_rtl_locale(locale: str | None) -> bool:
    """True for a locale whose language is written right to left (he, ar…)."""
    return (locale or "").replace("_", "-").split("-", 1)[0].lower() in RTL_LANGUAGES


def card_of(parts: dict[str, Any], locale: str, *, main_text: str | None = None,
            language: str | None = None) -> dict[str, Any]:
    """Wrap a template's parts into an Adaptive Card 1.5 (`text` kept aside as fallback).

    The card reads right to left (`"rtl": true`, schema 1.5) for a reader (`locale`)
    or desk (`language`) of a right-to-left language, or when `main_text` (what the
    card is about) starts right to left.
    """
    fallback = clip_markdown(parts.get("text") or "—", FALLBACK_TEXT)
    found: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION}
    if parts.get("refresh"):
        found["refresh"] = parts["refresh"]
    found["body"] = parts.get("body") or [{"type": "TextBlock", "text": fallback, "wrap": True}]
    if parts.get("actions"):
        found["actions"] = parts["actions"]
    found["fallbackText"] = fallback
    if is_rtl_locale(locale) or is_rtl_locale(language) or (
            main_text is not None and is_rtl(main_text)):
        found["rtl"] = True
    return found


def fallback_of(card: dict[str, Any]) -> str:
    """The short text that goes with a card (notification, clients without cards)."""
    return card.get("fallbackText") or "—"


def fitted(build: Callable[[float], dict[str, Any]], budget: int = CARD_BUDGET) -> dict[str, Any]:
    """`build(scale)` at the first scale whose card is within `budget` bytes.

    Raises ValueError if even the smallest scale does not fit: a template bug, since
    at that scale every list shows a row or two and every text a few words.
    """
    for scale in SCALES:
        card = build(scale)
        if payload_size(card) <= budget:
            return card
    raise ValueError(f"card does not fit in {budget} bytes even at scale {SCALES[-1]}")


def cap(count: int, scale: float, floor: int = 1) -> int:
    """How many of a list's `count` items a card shows at `scale` (at least `floor`)."""
    return max(int(count * scale), floor)
