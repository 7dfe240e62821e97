"""Message catalogues: every word deskbot says, by key, per language.

Catalogues are JSON files in `cards/locales/` (`en.json`, later `he.json`…): adding a
language is adding a file. A key missing from a language falls back to English; a
key missing from English is a bug and raises.

Counted phrases: when `count` is given, `key.zero` (optional, any language), then
the language's plural form (`key.one`, `key.two`, `key.other`…) are tried before `key`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LOCALE = "en"
_LOCALE_RE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The catalogue of one locale (`en`, `he`, `pt-BR`), or {} when there is none."""
    if not _LOCALE_RE.fullmatch(locale):
        return {}  # never a path built from anything but a locale name
    found = resources.files("cards").joinpath("locales", f"{locale}.json")
    if not found.is_file():
        return {}
    data = json.loads(found.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


# Plural forms by language (CLDR, cardinal, integers only); others use English's rule.
_PLURALS = {
    "en": lambda n: "one" if n == 1 else "other",
    "he": lambda n: "one" if n == 1 else "two" if n == 2 else "other",
}


def _forms(key: str, language: str, count: Any) -> list[str]:
    if not isinstance(count, int):
        return [key]
    rule = _PLURALS.get(language, _PLURALS[DEFAULT_LOCALE])
    forms = [f"{key}.zero"] if count == 0 else []
    return [*forms, f"{key}.{rule(count)}", f"{key}.other", key]


def _chain(locale: str | None) -> list[str]:
    """Where to look, in order: "pt-BR" -> pt-BR, pt, en."""
    chain: list[str] = []
    if locale:
        normal = locale.replace("_", "-")
        chain.append(normal)
        chain.append(normal.split("-", 1)[0].lower())
    chain.append(DEFAULT_LOCALE)
    return list(dict.fromkeys(chain))


def t(key: str, locale: str | None = DEFAULT_LOCALE, **values: Any) -> str:
    """The catalogue string `key` in `locale` (falling back to English), formatted.

    `values` fill `{name}` placeholders. They are inserted as given: a caller
    putting the result into mrkdwn escapes user values first.
    """
    for name in _chain(locale):
        entries = catalogue(name)
        language = name.split("-", 1)[0].lower()
        for form in _forms(key, language, values.get("count")):
            template = entries.get(form)
            if template is not None:
                return template.format(**values)
    raise KeyError(f"no catalogue entry {key!r}")
