"""Message catalogues: every word deskbot says, by key, per language.

Catalogues are JSON files in `cards/locales/` (`en.json`, `he.json`…): adding a
language is adding a file. A key missing from a language falls back to English; a
key missing from English is a bug and raises.

User text in sentences: a value given as `cards.text.UserText` (what the renderers'
escaping helpers return) is wrapped in FSI…PDI, unless its placeholder stands alone on
its line (a field's value under its title, a whole message), where the text itself
should set the line's direction (docs: HEBREW.md §4).

Pseudo-locale: `PSEUDO_LOCALE` speaks English with every piece of the catalogue's own
words wrapped in ⟦ ⟧ (placeholders stay outside), so a test can find visible English
that did not come through a catalogue.

Words from the core: `say(words, locale, escape)` renders a `desks.wording.Words` (a
key and values, read by its shape: cards import nothing of the core's but view models):
`str` values are user text, escaped for the platform and isolated where they could
reorder the line; nested words are said in the same language; tuples joined by ", ".

Counted phrases: when `count` is given, `key.zero` (optional, any language), then
the language's CLDR plural form (Babel: `key.one`, `key.two`, `key.other`…), then
`key.other`, are tried before `key`.

A placeholder the catalogue line isolates itself (`\u2068{desk}\u2069`, or around a
code span or bold: `\u2068`{usage}`\u2069`) is not isolated again.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale, UnknownLocaleError

from cards.text import FSI, PDI, UserText, isolate, isolates_per_line

DEFAULT_LOCALE = "en"
PSEUDO_LOCALE = "qps-ploc"  # the Windows pseudo-locale's name
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


@cache
def plural_form(language: str, count: int) -> str:
    """The CLDR plural category of `count` in `language` (Babel's rules): "one", "two",
    "few", "many" or "other"; a language Babel does not know counts as English does."""
    try:
        rule = Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        rule = Locale.parse(DEFAULT_LOCALE)
    return rule.plural_form(count)


def _forms(key: str, language: str, count: Any) -> list[str]:
    if not isinstance(count, int):
        return [key]
    forms = [f"{key}.zero"] if count == 0 else []
    return [*forms, f"{key}.{plural_form(language, abs(count))}", f"{key}.other", key]


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
    putting the result into mrkdwn escapes user values first. `UserText` values are
    isolated (FSI…PDI) wherever their placeholder sits inside a sentence.
    """
    for name in _chain(locale):
        entries = catalogue(name)
        language = name.split("-", 1)[0].lower()
        for form in _forms(key, language, values.get("count")):
            template = entries.get(form)
            if template is not None:
                if locale == PSEUDO_LOCALE:
                    template = pseudo(template)
                found = template.format(**_isolated(template, values))
                # A value of several lines in the line's own isolate: one per line.
                return isolates_per_line(found) if FSI in template else found
    raise KeyError(f"no catalogue entry {key!r}")


def say(words: Any, locale: str | None, escape: Any = str, line: Any = None) -> str:
    """The core's `Words` (`.key`, `.values`) in `locale`: user text (`str` values)
    escaped with `escape` and isolated inside sentences where it could reorder them
    (always in a right-to-left language; when it has right-to-left letters in a
    left-to-right one), numbers bare, nested words in
    the same language, tuples joined by ", ". `line` is the catalogue function (`t`, or
    a platform's own that converts our markup, like Teams' `tr`)."""
    line = line or t
    said: str = line(words.key, locale, **{name: _value(value, locale, escape, line)
                                           for name, value in words.values.items()})
    return said


# Catalogue languages written right to left.
_RTL_LANGUAGES = frozenset({"he", "ar", "fa", "ur", "yi"})


def _needs_isolating(text: str, locale: str | None) -> bool:
    """User text in a sentence of `locale` is set apart unless nothing in it can reorder
    the line: in a left-to-right language, text without right-to-left letters cannot."""
    language = (locale or DEFAULT_LOCALE).replace("_", "-").split("-", 1)[0].lower()
    return language in _RTL_LANGUAGES or any(
        unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def help_sections(view: Any, locale: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """`/desk help`'s sections in `locale`: (title, [(usage, description)…]) as plain
    text (the renderers escape it); a title or line without words stays English."""
    titles = list(view.section_words) or [None] * len(view.sections)
    return [(say(words, locale) if words is not None else title,
             [(line.usage, say(line.words, locale) if line.words is not None
               else line.description) for line in lines])
            for words, (title, lines) in zip(titles, view.sections, strict=True)]


def settings_lines(view: Any, locale: str | None) -> list[tuple[str, str]]:
    """`/desk admin show`'s settings lines in `locale` as plain text (label, value): the
    renderers escape them; a view without words keeps its English lines."""
    if not view.settings_words:
        return list(view.settings)
    return [(_plain_said(label, locale), _plain_said(value, locale))
            for label, value in view.settings_words]


def _plain_said(value: Any, locale: str | None) -> str:
    return say(value, locale) if is_words(value) else str(value)


def is_words(value: Any) -> bool:
    """Whether `value` is the core's `Words` (read by its shape)."""
    return hasattr(value, "key") and hasattr(value, "english")


def _value(value: Any, locale: str | None, escape: Any, line: Any) -> Any:
    if is_words(value):
        said = say(value, locale, escape, line)
        # A code span (a command to type) is set apart like user text: its slash and
        # words must not move to the other end of a right-to-left line.
        if value.key == "common.code" and _needs_isolating(said, locale):
            return UserText(said)
        return said
    if isinstance(value, tuple | list):
        parts = [_value(item, locale, escape, line) for item in value]
        joined = ", ".join(str(part) for part in parts)
        return UserText(joined) if any(isinstance(p, UserText) for p in parts) else joined
    if isinstance(value, str):
        escaped = escape(value)
        # The platform's escaping may mark it as user text already: decided here instead.
        return UserText(escaped) if _needs_isolating(value, locale) else str(escaped)
    return value


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@cache
def pseudo(template: str) -> str:
    """`template` with each run of its own words wrapped in ⟦ ⟧ ("Sent to {desk}." →
    "⟦Sent to ⟧{desk}⟦.⟧"); runs without a letter (markup, emoji, digits) stay bare."""
    parts = re.split(r"(\{[^{}]*\})", template)
    return "".join(part if part.startswith("{") or not any(c.isalpha() for c in part)
                   else f"⟦{part}⟧" for part in parts)
_MARKUP = frozenset("*_~>`")


def _our_words(text: str) -> bool:
    """True when `text` holds words of ours: a letter, digit, punctuation or another
    placeholder (markup, emoji and white space are not words)."""
    if _PLACEHOLDER.search(text):
        return True
    return any(unicodedata.category(char)[0] in "LNP" for char in text
               if char not in _MARKUP)


def _occurrences(template: str, name: str) -> list[tuple[str, str]]:
    """(what precedes, what follows) `{name}` on its line, for each time it appears."""
    found = []
    for match in re.finditer(r"\{" + re.escape(name) + r"(?:[!:][^{}]*)?\}", template):
        found.append((template[:match.start()].rsplit("\n", 1)[-1],
                      template[match.end():].split("\n", 1)[0]))
    return found


def _wrapped(before: str) -> bool:
    """True when the line isolates what follows `before` itself (an FSI not yet closed)."""
    return before.rfind(FSI) > before.rfind(PDI)


@cache
def _in_sentence(template: str, name: str) -> bool:
    """True when `{name}` appears in `template` with words of ours on its line, and the
    line does not already isolate it (an FSI before it on its line not yet closed)."""
    return any(not _wrapped(before) and (_our_words(before) or _our_words(after))
               for before, after in _occurrences(template, name))


def _isolated(template: str, values: dict[str, Any]) -> dict[str, Any]:
    if not any(isinstance(value, UserText) for value in values.values()):
        return values
    return {name: isolate(value) if isinstance(value, UserText) and value.strip()
            and _in_sentence(template, name) else value
            for name, value in values.items()}
