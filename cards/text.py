"""Text helpers for Slack rendering: mrkdwn escaping, truncation, splitting, tokens.

Everything here is pure string work. User text is escaped for mrkdwn (`&`, `<`, `>`
only, as Slack asks) so `<!channel>` or `<https://evil|Your bank>` shows as typed
instead of pinging or spoofing; the only `<…>` tokens in our output are the ones
built here from validated ids (`<@U…>`, `<#C…>`, `<!date^…>`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

ELLIPSIS = "…"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE_RE = re.compile(r"[&<>]")
# Slack user ids: U… (workspace) or W… (enterprise grid); channels C…, G… (private), D… (DM).
_USER_ID_RE = re.compile(r"[UW][A-Z0-9]{2,20}")
_CHANNEL_ID_RE = re.compile(r"[CGD][A-Z0-9]{2,20}")


def escape_mrkdwn(text: str) -> str:
    """Escape exactly `&`, `<` and `>` for Slack mrkdwn (and a message's `text`)."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)


def _escaped_len(char: str) -> int:
    return len(_ESCAPES.get(char, char))


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS if limit > 0 else ""


def fit_mrkdwn(text: str, limit: int) -> str:
    """Raw user text escaped for mrkdwn, at most `limit` characters after escaping.

    Cuts the raw text (never an `&amp;` in half) and ends it with "…" when cut.
    """
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    room, used, end = max(limit - 1, 0), 0, 0
    for end, char in enumerate(text):  # noqa: B007 - `end` is where the cut falls
        step = _escaped_len(char)
        if used + step > room:
            break
        used += step
    return escape_mrkdwn(text[:end].rstrip()) + ELLIPSIS


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
        return f"<@{external_id}>"
    return fit_mrkdwn(name or "?", limit)


def channel_mrkdwn(channel: str | None, none: str = "—") -> str:
    """A channel as `<#C…>` when it is a valid channel id, else the escaped value."""
    if not channel:
        return none
    return f"<#{channel}>" if is_channel_id(channel) else fit_mrkdwn(channel, 100)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def date_token(moment: datetime) -> str:
    """Slack's date token: shown in the reader's time zone, with a UTC fallback."""
    moment = _aware(moment)
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def age(since: datetime, now: datetime) -> str:
    """A short age: "now", "5m", "3h", "2d"."""
    seconds = int((_aware(now) - _aware(since)).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def stars(priority: int) -> str:
    """Priority as five stars: 3 -> "★★★☆☆" (clamped to 1..5)."""
    filled = min(max(int(priority), 1), 5)
    return "★" * filled + "☆" * (5 - filled)
