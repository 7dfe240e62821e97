"""Text helpers for rendering: user text marked and isolated, mrkdwn escaping, cutting,
splitting, tokens.

Everything here is pure string work. User text is escaped for mrkdwn (`&`, `<`, `>`
only, as Slack asks) so `<!channel>` or `<https://evil|Your bank>` shows as typed
instead of pinging or spoofing; the only `<…>` tokens in our output are the ones
built here from validated ids (`<@U…>`, `<#C…>`, `<!date^…>`).

Bidi: user text (titles, names, desk names, notes) loses its own embeddings, overrides
and isolates (U+202A–U+202E, U+2066–U+2069, `strip_bidi`) on every platform, and the
escaping helpers of both renderers return it as `UserText`; the catalogue (`cards.i18n`)
wraps each such value that sits inside one of deskbot's sentences in FSI…PDI
(`isolate`), so a right-to-left title or a stray U+202E can never reorder our words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime

from conversations.view_models import ELLIPSIS

FSI = "\u2068"  # FIRST STRONG ISOLATE: the value takes its own direction
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE
# Embeddings, overrides and isolates: user text never brings its own.
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE_RE = re.compile(r"[&<>]")
# Slack user ids: U… (workspace) or W… (enterprise grid); channels C…, G… (private), D… (DM).
_USER_ID_RE = re.compile(r"[UW][A-Z0-9]{2,20}")
_CHANNEL_ID_RE = re.compile(r"[CGD][A-Z0-9]{2,20}")


class UserText(str):
    """A piece of user text escaped for its target (or a value the reader's client
    writes, such as a date token): `cards.i18n.t` isolates it (FSI…PDI) where it sits
    inside one of deskbot's sentences."""

    __slots__ = ()


def user_text(text: str) -> UserText:
    """`text` (already escaped for its target) marked as user text."""
    return text if isinstance(text, UserText) else UserText(text)


def strip_bidi(text: str) -> str:
    """`text` without bidi embeddings, overrides and isolates (U+202A–E, U+2066–9).

    Unbalanced ones in a title or name could reorder deskbot's words around it (a
    U+202E "right-to-left override" reverses all that follows it on the line); the
    marks U+200E/U+200F, which only give a direction, stay.
    """
    return _BIDI_RE.sub("", text) if _BIDI_RE.search(text) else text


def isolate(text: str) -> str:
    """`text` between FSI and PDI, its own bidi controls removed first.

    Inside the isolate the value takes its direction from its first strong letter;
    outside, the line treats it as one neutral character, so Hebrew in an English
    sentence (or the reverse) keeps every word of both in place. Blank text stays as
    is; text of several lines is isolated line by line.
    """
    cleaned = strip_bidi(text)
    if "\n" in cleaned:  # a line break ends an isolate: each line gets its own
        return "\n".join(isolate(line) for line in cleaned.split("\n"))
    return f"{FSI}{cleaned}{PDI}" if cleaned.strip() else cleaned


def isolates_per_line(text: str) -> str:
    """`text` with every isolate closed before a line break and opened again after it.

    A line break ends an isolate (UAX #9 treats each line as a paragraph): a value of
    several lines put inside a catalogue line's own FSI…PDI is isolated line by line.
    """
    if "\n" not in text or FSI not in text:
        return text
    lines, depth = [], 0
    for line in text.split("\n"):
        line = FSI * depth + line
        depth = 0
        for char in line:
            depth = depth + 1 if char == FSI else max(depth - 1, 0) if char == PDI else depth
        lines.append(line + PDI * depth)
    return "\n".join(lines)


def is_rtl(text: str) -> bool:
    """True when the first strong letter of `text` is right-to-left (Hebrew, Arabic…)."""
    for char in strip_bidi(text):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return False


def escape_mrkdwn(text: str) -> str:
    """Escape exactly `&`, `<` and `>` for Slack mrkdwn (and a message's `text`).

    Bidi embeddings, overrides and isolates are dropped too (`strip_bidi`), as the
    Teams renderer drops them: user text never reorders what follows it.
    """
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], strip_bidi(text))


def _escaped_len(char: str) -> int:
    return len(_ESCAPES.get(char, char))


def fit_mrkdwn(text: str, limit: int) -> str:
    """Raw user text escaped for mrkdwn, at most `limit` characters after escaping.

    Cuts the raw text (never an `&amp;` in half) and ends it with "…" when cut. The
    result is `UserText`: the catalogue isolates it inside a sentence.
    """
    text = strip_bidi(text)
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return UserText(escaped)
    room, used, end = max(limit - 1, 0), 0, 0
    for end, char in enumerate(text):  # noqa: B007 - `end` is where the cut falls
        step = _escaped_len(char)
        if used + step > room:
            break
        used += step
    return UserText(escape_mrkdwn(text[:end].rstrip()) + ELLIPSIS)


def clip_mrkdwn(markup: str, limit: int) -> str:
    """Already-built mrkdwn cut to `limit` characters without breaking an entity or token.

    For catalogue lines whose values were escaped before formatting: a cut never
    leaves half an `&lt;` or half a `<@U123>` behind.
    """
    if len(markup) <= limit:
        return markup
    cut = markup[: max(limit - 1, 0)]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    opening, closing = cut.rfind("<"), cut.rfind(">")
    if opening > closing:
        cut = cut[:opening]
    return cut.rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Split raw `text` into pieces whose *escaped* length is at most `limit`.

    Lossless: `"".join(pieces) == text`. Prefers to cut after a newline, then after a
    space, so words stay whole; falls back to a hard cut for one very long word.
    """
    if limit < 5:
        raise ValueError("limit must leave room for one escaped character")
    pieces: list[str] = []
    start = 0
    while start < len(text):
        used, end = 0, start
        while end < len(text):
            step = _escaped_len(text[end])
            if used + step > limit:
                break
            used += step
            end += 1
        if end < len(text):
            end = _soft_break(text, start, end)
        pieces.append(text[start:end])
        start = end
    return pieces


def _soft_break(text: str, start: int, end: int) -> int:
    """The best cut in text[start:end]: after the last newline or space in its back half."""
    floor = start + (end - start) // 2
    for separator in ("\n", " "):
        found = text.rfind(separator, floor, end)
        if found != -1:
            return found + 1
    return end


def chunks_within(pieces: list[str], budget: int) -> Iterator[list[str]]:
    """Group consecutive escaped `pieces` so each group's total length stays <= budget."""
    group: list[str] = []
    total = 0
    for piece in pieces:
        if group and total + len(piece) > budget:
            yield group
            group, total = [], 0
        group.append(piece)
        total += len(piece)
    if group:
        yield group


def is_user_id(value: str | None) -> bool:
    """True for a Slack user id we may mention (`U…` or `W…`)."""
    return bool(value) and _USER_ID_RE.fullmatch(value or "") is not None


def is_channel_id(value: str | None) -> bool:
    """True for a Slack channel id we may link (`C…`, `G…`, `D…`)."""
    return bool(value) and _CHANNEL_ID_RE.fullmatch(value or "") is not None


def person_mrkdwn(name: str, external_id: str | None, limit: int = 200) -> str:
    """A person in mrkdwn: a `<@U…>` mention when the id is a Slack user id, else the name."""
    if external_id and is_user_id(external_id):
        return UserText(f"<@{external_id}>")
    return fit_mrkdwn(name or "?", limit)


def channel_mrkdwn(channel: str | None, none: str = "—") -> str:
    """A channel as `<#C…>` when it is a valid channel id, else the escaped value."""
    if not channel:
        return none
    return f"<#{channel}>" if is_channel_id(channel) else fit_mrkdwn(channel, 100)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def date_token(moment: datetime) -> str:
    """Slack's date token: shown in the reader's time zone, with a UTC fallback.

    Marked like user text: the reader's client writes it (in its own language and
    direction), so the catalogue isolates it inside a sentence.
    """
    moment = _aware(moment)
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return UserText(
        f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>")


def age_parts(since: datetime, now: datetime) -> tuple[str, int]:
    """How old, in the largest whole unit: ("now", 0), ("minutes", 5), ("hours", 3),
    ("days", 2); `cards.dates.age` words it in the reader's language."""
    seconds = int((_aware(now) - _aware(since)).total_seconds())
    if seconds < 60:
        return "now", 0
    if seconds < 3600:
        return "minutes", seconds // 60
    if seconds < 86400:
        return "hours", seconds // 3600
    return "days", seconds // 86400


def age(since: datetime, now: datetime) -> str:
    """A short age in English: "now", "5m", "3h", "2d" (`cards.dates.age` for any language)."""
    unit, count = age_parts(since, now)
    return "now" if unit == "now" else f"{count}{unit[0]}"


def stars(priority: int) -> str:
    """Priority as five stars: 3 -> "★★★☆☆" (clamped to 1..5)."""
    filled = min(max(int(priority), 1), 5)
    return "★" * filled + "☆" * (5 - filled)
