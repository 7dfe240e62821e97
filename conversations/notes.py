"""Whether an agent's message is an internal note: the one rule every path asks.

A note starts with the note prefix (`//` by default). Right-to-left keyboards and some
clients put invisible marks in front of what a person typed (U+200F, U+200E), and a
copy and paste brings zero-width spaces and byte-order marks along; a note must stay a
note with any of them in front, or it reaches the requester. So the prefix is looked
for after every leading whitespace, format (Unicode category Cf: the bidi marks,
embeddings, overrides and isolates, zero-width characters, U+FEFF) and other
default-ignorable character.
"""

from __future__ import annotations

import unicodedata

# Default-ignorable characters outside category Cf: they show nothing either.
_IGNORABLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
    + "".join(map(chr, range(0x180B, 0x1810)))  # Mongolian variation selectors, U+180E
    + "".join(map(chr, range(0xFE00, 0xFE10)))  # variation selectors
    + "".join(map(chr, range(0xE0100, 0xE01F0)))  # variation selectors supplement
)


def invisible(char: str) -> bool:
    """Whether `char` shows nothing where it stands: whitespace or a format control."""
    return char.isspace() or char in _IGNORABLE or unicodedata.category(char) == "Cf"


def strip_invisible(text: str) -> str:
    """`text` without the whitespace and invisible controls at its start and end."""
    start, end = 0, len(text)
    while start < end and invisible(text[start]):
        start += 1
    while end > start and invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def split_note(text: str, prefix: str) -> str | None:
    """The body of `text` when it is an internal note (starts with `prefix`), else None.

    Whitespace and invisible controls before the prefix do not count; the body is what
    follows the prefix, trimmed the same way (it may be empty: the caller refuses an
    empty note, it never relays it). An empty `prefix` turns notes off.
    """
    if not prefix:
        return None
    start = 0
    while start < len(text) and invisible(text[start]):
        start += 1
    if not text.startswith(prefix, start):
        return None
    return strip_invisible(text[start + len(prefix):])
