"""The Jinja2 environment for Block Kit templates, and the step from template to dict.

Templates emit JSON with autoescaping off (HTML escaping would corrupt JSON); every
value goes through `tojson`, and every piece of user text through `mrkdwn` or `plain`
first (escaped for Slack, cut to its limit). So no user value can
break out of its JSON string or turn into a Slack mention or link.

To keep templates free of comma bookkeeping, every list item in a template ends
with a comma and every list ends with `null`; `render` drops the nulls after parsing.
"""

from __future__ import annotations

import json
from functools import cache, partial
from typing import Any

from jinja2 import Environment

from cards import templating
from cards.i18n import t
from cards.templating import prune, safe_url
from cards.text import (
    channel_mrkdwn,
    clip_mrkdwn,
    date_token,
    fit_mrkdwn,
    person_mrkdwn,
    user_text,
)
from conversations.view_models import clip

# Slack's limits (PLATFORM_NOTES.md) as the templates use them.
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS_PER_SELECT = 100
ELEMENTS_PER_ACTIONS = 25
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
# Slack refuses messages whose blocks carry ~13k characters (msg_blocks_too_long):
# stay well under.
MESSAGE_TEXT_BUDGET = 11_000
MESSAGE_TEXT = 39_000  # `text` must stay under 40,000



def _plain(value: Any, limit: int = SECTION_TEXT, blank: str = "—") -> str:
    """plain_text: on one line, escaped too, never over `limit` and never empty.

    Slack decodes `&lt;` in plain_text as well (PLATFORM_NOTES: escape any user text
    in mrkdwn *or* plain text), so a header shows `<!channel>` as typed and a copy of
    the raw JSON carries no live token.
    """
    text = " ".join(str(value if value is not None else "").splitlines())
    return fit_mrkdwn(text, limit) if text.strip() else blank


def _value(value: Any, limit: int) -> str:
    """An action value or option value: ours, read back by a listener: cut, never escaped."""
    return clip(str(value), limit)


def _mrkdwn(value: Any, limit: int = SECTION_TEXT) -> str:
    """User text for mrkdwn: escaped, cut to `limit` (after escaping)."""
    return fit_mrkdwn(str(value if value is not None else ""), limit)


def _person(person: Any, limit: int = 200) -> str:
    """A PersonRef as a mention when it has a Slack user id, else the escaped name."""
    if person is None:
        return "—"
    return person_mrkdwn(person.name, person.external_id, limit)


def _name(person: Any, limit: int = 80) -> str:
    """A PersonRef's (or a plain string's) name, escaped: for where a mention won't do."""
    if person is None:
        return "—"
    name = person if isinstance(person, str) else person.name
    return fit_mrkdwn(name or "?", limit) if (name or "").strip() else "?"


def _people(persons: Any, limit: int = 30) -> str:
    """Several people, mentioned where they have a Slack id: user text, for a sentence."""
    return user_text(", ".join(person_mrkdwn(p.name, p.external_id, 80)
                               for p in list(persons)[:limit]))


@cache
def environment() -> Environment:
    """The shared environment (built once, on first use: nothing happens at import)."""
    return templating.environment("slack", dict(
        plain=_plain,
        value=_value,
        mrkdwn=_mrkdwn,
        clip=clip_mrkdwn,
        person=_person,
        people=_people,
        name=_name,
        channel=channel_mrkdwn,
        date=date_token,
        safe_url=partial(safe_url, limit=3000),
    ), dict(
        OPTIONS_PER_SELECT=OPTIONS_PER_SELECT,
        ELEMENTS_PER_ACTIONS=ELEMENTS_PER_ACTIONS,
    ))


def render(template: str, locale: str, **context: Any) -> dict[str, Any]:
    """Render `template` (a name under templates/slack) and return the parsed dict."""
    source = environment().get_template(template).render(
        t=partial(t, locale=locale), locale=locale, **context)
    try:
        parsed = json.loads(source)
    except json.JSONDecodeError as error:  # a template bug: show where
        raise ValueError(f"{template} rendered invalid JSON: {error}\n{source}") from error
    pruned: dict[str, Any] = prune(parsed)  # every template is a JSON object
    return pruned


def block_text_length(node: Any) -> int:
    """Characters of text a message's blocks carry (what `msg_blocks_too_long` counts)."""
    if isinstance(node, list):
        return sum(block_text_length(item) for item in node)
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(block_text_length(value) for key, value in node.items()
                         if not (key == "text" and isinstance(value, str)))
    return 0
