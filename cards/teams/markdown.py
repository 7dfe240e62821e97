"""Text for Adaptive Cards in Teams: markdown escaping, cutting, splitting, dates, sizes.

Why escape: a TextBlock (and a FactSet's titles and values) in Teams renders a Markdown
subset — `**bold**`, `_italic_`, `[text](url)` links, `-`/`1.` lists at line starts —
and the card's text functions `{{DATE(…)}}` / `{{TIME(…)}}`. User text put there raw
could show `[Your bank](https://evil)` as a link, bold or list a name, or fake a date.
HTML is not rendered and `<at>…</at>` pings only with a mention entity (which we never
build from user text), but `<` and `>` are escaped too, so a copied card carries
nothing that looks live. JSON escaping is `json.dumps`' job (the templates' `tojson`).

The rules (`escape_markdown`), applied to every piece of user text put in markdown:
- control characters other than newline and tab are dropped, and so are the bidi
  overrides and isolates (U+202A–U+202E, U+2066–U+2069) that could make a line read
  backwards ("trojan source"); Hebrew and other RTL text is left as typed;
- a backslash goes before each of  \\ * _ ~ ` [ ] < > { } &  (CommonMark backslash
  escapes: `\\[` shows `[`, `\\{\\{` never starts a DATE function, `\\&lt;` shows `&lt;`);
- at a line start, `#` (heading), `-` and `+` (bullets) and the `.`/`)` after digits
  (`1.`) too — elsewhere they are text, and fewer backslashes read better;
- any run of line breaks becomes one paragraph break `\\n\\n`: a single `\\n` is not a
  line break in every Teams client (AdaptiveCards #5538).
Some older Teams mobile clients showed the backslashes (AdaptiveCards #5590, since
fixed): a visible backslash is the safe way to fail. Plain strings — button titles,
choice titles, placeholders, which are never markdown — are only cut to one line.

Limits: Teams refuses a message over its size limit (413 MessageSizeTooBig), counted on
the payload as UTF-16. Texts are cut to fixed lengths with "…", and `payload_size`
measures a rendered card the same way, so a renderer can shrink what it shows.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeGuard

from cards.text import UserText

ELLIPSIS = "…"

_SPECIAL = "\\*_~`[]<>{}&"
_SPECIAL_RE = re.compile(r"([\\*_~`\[\]<>{}&])")
_LINE_MARK_RE = re.compile(r"(?m)^([ \t]*)([-+](?=\s|$)|#)")
_LINE_NUMBER_RE = re.compile(r"(?m)^([ \t]*\d{1,9})([.)])")
_BREAKS_RE = re.compile(r"[ \t]*\n(?:[ \t]*\n)*")
_ESCAPE_PAIR_RE = re.compile(r"\\.", re.DOTALL)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Bot Framework user ids in Teams: "29:…" (and MRIs "8:orgid:…"); what `refresh.userIds` takes.
_TEAMS_USER_ID_RE = re.compile(r"(?:29|8):[0-9A-Za-z_:.@\-]{1,200}")


def _keep(char: str) -> bool:
    if char in "\n\t":
        return True
    if char in _BIDI_CONTROLS:
        return False
    return unicodedata.category(char) != "Cc"


def strip_controls(text: str) -> str:
    """`text` without control characters (but newline and tab) and bidi overrides."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if all(char.isprintable() or char in "\n\t" for char in text):
        return text
    return "".join(char for char in text if _keep(char))


def _collapse(text: str) -> str:
    """Controls dropped, and each run of line breaks (blank lines too) one `\\n`."""
    return _BREAKS_RE.sub("\n", strip_controls(text))


def _escape_collapsed(text: str) -> str:
    """Backslashes in, `\\n` to `\\n\\n`: never shortens the collapsed text."""
    text = _SPECIAL_RE.sub(r"\\\1", text)
    text = _LINE_MARK_RE.sub(r"\1\\\2", text)
    text = _LINE_NUMBER_RE.sub(r"\1\\\2", text)
    return text.replace("\n", "\n\n")


def escape_markdown(text: str) -> str:
    """User text made inert for a Teams TextBlock or Fact (the module docstring's rules)."""
    return _escape_collapsed(_collapse(text))


def fit_markdown(text: str, limit: int) -> str:
    """Raw user text escaped for markdown, at most `limit` characters after escaping.

    Cuts the text (never between a backslash and what it escapes) and ends it with "…"
    when cut. The result is `UserText`: the catalogue isolates it inside a sentence.
    """
    # A long text is cut before any work on it: what lies past 4 x limit could only
    # show if most of the head were controls or blank lines, and "…" stays true.
    head = text[: limit * 4 + 64]
    collapsed = _collapse(head)
    escaped = _escape_collapsed(collapsed)
    if len(escaped) <= limit and len(head) == len(text):
        return UserText(escaped)
    room = max(limit - 1, 0)
    low, high = 0, min(len(collapsed), room)  # escaping never shortens `collapsed`
    while low < high:  # the longest prefix whose escaped form fits in `room`
        middle = (low + high + 1) // 2
        if len(_escape_collapsed(collapsed[:middle].rstrip())) <= room:
            low = middle
        else:
            high = middle - 1
    return UserText(_escape_collapsed(collapsed[:low].rstrip()) + ELLIPSIS)


def clip_markdown(markup: str, limit: int) -> str:
    """Already-built markdown cut to `limit` characters, still well formed.

    Never leaves a lone backslash, and closes a `**bold**` the cut left open.
    """
    if len(markup) <= limit:
        return markup
    cut = markup[: max(limit - 3, 0)]
    while True:
        bare = _ESCAPE_PAIR_RE.sub("", cut)
        if bare.endswith("\\"):  # a backslash whose partner was cut off
            cut = cut[:-1]
        elif bare.endswith("*"):  # half a `**`, or a closer: drop it, close below
            cut = cut[:-1]
        else:
            break
    cut = cut.rstrip()
    closer = "**" if _ESCAPE_PAIR_RE.sub("", cut).count("**") % 2 else ""
    return cut + ELLIPSIS + closer


def plain(text: Any, limit: int, blank: str = "—") -> str:
    """A plain string (title, choice, placeholder): one line, no controls, cut, never empty."""
    line = " ".join(strip_controls(str(text if text is not None else "")).split())
    if not line:
        return blank
    return line if len(line) <= limit else line[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def from_mrkdwn(markup: str) -> str:
    """A catalogue line written in Slack mrkdwn, as Adaptive Card markdown.

    `*bold*` becomes `**bold**`, a `code` span (no code style in cards) becomes bold,
    `_italic_` stays, `[`/`]` are escaped (never half of a link with a user value next
    to them), and each line break becomes a paragraph break. Only for our own
    catalogue text: user values are put in after this (see cards.teams.render.tr).
    """
    markup = re.sub(r"([\[\]])", r"\\\1", markup)  # our brackets are text, never a link
    markup = re.sub(r"`([^`\n]+)`", r"*\1*", markup)
    markup = re.sub(r"(?<![*\w\\])\*(?=\S)([^*\n]*?\S)\*(?![*\w])", r"**\1**", markup)
    return _BREAKS_RE.sub("\n\n", markup)


def date_markdown(moment: datetime) -> str:
    """A moment shown in the reader's own time zone and format (the card's DATE/TIME)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return UserText(f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}")


def is_teams_user_id(value: str | None) -> TypeGuard[str]:
    """True for a Teams (Bot Framework) user id: what a card's refresh `userIds` lists."""
    return bool(value) and _TEAMS_USER_ID_RE.fullmatch(value or "") is not None


def payload_size(payload: Any) -> int:
    """Bytes of `payload` as JSON in UTF-16, the way Teams counts a message's size."""
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
               .encode("utf-16-le"))


@cache
def _char_cost(char: str) -> int:
    """What one raw character can cost in a card, escaped and JSON-encoded (an upper bound)."""
    if char in "\n\r":  # a lone carriage return reads as a line break too
        return 8  # "\n\n" in JSON: four characters
    escaped = f"\\{char}" if char in _SPECIAL or char in "-+.)#" else char
    if not _keep(char):
        return 0
    return len(json.dumps(escaped, ensure_ascii=False)[1:-1].encode("utf-16-le"))


def split_for_cards(text: str, budget: int) -> list[str]:
    """Split raw `text` into pieces that each cost at most `budget` bytes in a card.

    Lossless: `"".join(pieces) == text`. Prefers to cut after a newline, then after a
    space (in the back half of a piece), so words stay whole.
    """
    if budget < 64:
        raise ValueError("budget must leave room for a few escaped characters")
    pieces: list[str] = []
    start = 0
    while start < len(text):
        used, end = 0, start
        while end < len(text):
            step = _char_cost(text[end])
            if used + step > budget:
                break
            used += step
            end += 1
        if end < len(text):
            floor = start + (end - start) // 2
            for separator in ("\n", " "):
                found = text.rfind(separator, floor, end)
                if found != -1:
                    end = found + 1
                    break
        pieces.append(text[start:end])
        start = end
    return pieces
