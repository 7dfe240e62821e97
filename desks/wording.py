"""Wording: what the core says to a person, as a catalogue key and its values.

The core (desks, conversations) never renders text for people: a refusal or a reply
is `Words("refuse.no_such_request", ref=1042)`, and the renderers in `cards` turn it
into the reader's language with `cards.i18n.t` at the edge, where they know who reads.

The values say what they are: an `int` is a number, shown bare; a `str` is user text
(a desk's name, a title, a person): escaped for the platform and set apart (FSI…PDI)
inside a sentence; a `Words` is a phrase of ours, said in the same language; a tuple
is a list of those, joined by ", ".

`english()` gives the English rendering for logs, exceptions and tests
(`DeskbotError.message`, `Reply.text`). The core cannot import `cards`, so it reads
the English catalogue (`cards/locales/en.json`, package data: words, not code) and
fills it with plain `str.format`, without escaping or isolates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Words:
    """A catalogue key and the values that fill its placeholders."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def __init__(self, key: str, /, **values: Any) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", values)

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted(self.values))))

    @property
    def english(self) -> str:
        """The English rendering, plain: for logs, exceptions and tests."""
        return english(self)


@cache
def _english_catalogue() -> dict[str, str]:
    found = resources.files("cards").joinpath("locales", "en.json")
    entries: dict[str, str] = json.loads(found.read_text(encoding="utf-8"))
    return entries


@cache
def _catalogue(language: str) -> dict[str, str]:
    found = resources.files("cards").joinpath("locales", f"{language}.json")
    if not found.is_file():
        return _english_catalogue()
    entries: dict[str, str] = json.loads(found.read_text(encoding="utf-8"))
    return entries


def catalogue_text(key: str, language: str) -> str:
    """A catalogue entry of `language` (English when it has none) as it is: for seed data
    that is stored in a language, like a desk's default ticket categories."""
    return _catalogue(language).get(key) or _english_catalogue()[key]


def known(key: str) -> bool:
    """Whether `key` (or its counted forms) is in the English catalogue."""
    entries = _english_catalogue()
    return key in entries or f"{key}.other" in entries


def _plain(value: Any) -> Any:
    if isinstance(value, Words):
        return value.english
    if isinstance(value, tuple | list):
        return ", ".join(str(_plain(item)) for item in value)
    return value


def english(words: Words) -> str:
    """`words` in English, placeholders filled as plain text."""
    entries = _english_catalogue()
    count = words.values.get("count")
    forms = [words.key]
    if isinstance(count, int) and not isinstance(count, bool):
        forms = [*([f"{words.key}.zero"] if count == 0 else []),
                 f"{words.key}.{'one' if count == 1 else 'other'}",
                 f"{words.key}.other", words.key]
    for form in forms:
        template = entries.get(form)
        if template is not None:
            return template.format(**{name: _plain(value)
                                      for name, value in words.values.items()})
    raise KeyError(f"no catalogue entry {words.key!r}")


def chain(parts: Sequence[Words], key: str = "common.then") -> Words:
    """Several phrases said one after the other (`common.then`: sentences after each
    other; `common.semicolon`: parts of one sentence)."""
    if len(parts) == 1:
        return parts[0]
    return Words(key, first=parts[0], then=chain(parts[1:], key))


def listed(names: Sequence[str]) -> str | Words:
    """Names as a list in a sentence: "Dana", "Dana and Lee", "Ada, Dana and Lee"."""
    if len(names) == 1:
        return names[0]
    return Words("common.and", first=tuple(names[:-1]), last=names[-1])


def refs(numbers: Sequence[int]) -> tuple[Words, ...]:
    """Request numbers as a list in a sentence: "#1042, #1043"."""
    return tuple(Words("common.ref", ref=number) for number in numbers)


def lines(parts: Sequence[Words | str]) -> Words | str:
    """Several refusals, one a line: plain English text stays text when all parts are."""
    if all(isinstance(part, str) for part in parts):
        return "\n".join(str(part) for part in parts)
    said = [part if isinstance(part, Words) else Words("common.text", text=part)
            for part in parts]
    return chain(said, "common.lines")


def code(text: str) -> Words:
    """A command or a value to type, as a code span: its text stays as typed (escaped,
    never translated); a right-to-left line sets the span apart around its backticks."""
    return Words("common.code", text=text)
