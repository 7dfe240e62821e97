"""What a Teams message says: its text without the bot's @mention, and whether it is a command.

Teams writes mentions into the text as `<at>Name</at>` with an entity naming the
person. The bot's own mention is dropped; for a command every other mention becomes
`<@29:…|Name>`, the form the `/desk` grammar reads, and in a relay it reads `@Name`.

In a personal chat most messages are requests, so a message is taken as a command
only when its shape says so: `/desk …` or `/claim 1042`, a lone command word
(`help`, `my`, `queue`), or a command word followed by what that command takes
(`claim 1042`, `available off`, `admin show IT`, `report IT month`). "My VPN keeps
dropping" and
"help me reset my password" stay requests. A channel message that @mentions the bot
is always a command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from conversations.command_line.catalog import ADMIN, TOP
from conversations.reports.chat import looks_like_period

# Commands whose first argument is a request's number.
ON_A_REF = frozenset({"claim", "unassign", "pin", "unpin", "unread", "reopen", "close",
                      "priority", "status", "transfer", "history",
                      "withdraw"})
_SPACE = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True)
class Said:
    """A message's words: for a command (`command`), for a relay (`text`)."""

    text: str  # mentions of others as @Name, the bot's dropped
    command: str  # mentions of others as <@id|Name>, the bot's dropped
    mentions_bot: bool


def read(activity: dict[str, Any]) -> Said:
    """The words of a message activity, its bot mention removed."""
    text = str(activity.get("text") or "")
    bot_id = (activity.get("recipient") or {}).get("id")
    relay, command, mentions_bot = text, text, False
    for entity in activity.get("entities") or ():
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        written = entity.get("text")
        mentioned = entity.get("mentioned") or {}
        if not isinstance(written, str) or not written or not isinstance(mentioned, dict):
            continue
        if mentioned.get("id") == bot_id:
            mentions_bot = True
            relay, command = relay.replace(written, " "), command.replace(written, " ")
            continue
        name = str(mentioned.get("name") or "").replace("|", " ").replace(">", " ").strip()
        user_id = str(mentioned.get("id") or "")
        relay = relay.replace(written, f"@{name}" if name else "@someone")
        if user_id:
            command = command.replace(written, f"<@{user_id}|{name}>" if name else f"<@{user_id}>")
    return Said(text=_tidy(relay), command=_tidy(command), mentions_bot=mentions_bot)


def _tidy(text: str) -> str:
    lines = [_SPACE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def as_command(text: str, *, addressed: bool = False) -> str | None:
    """The `/desk` text `text` stands for, or None when it is not a command.

    `addressed`: the message @mentioned the bot in a channel, so it is one anyway.
    """
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered == "/desk" or lowered.startswith(("/desk ", "/desk\n")):
        return stripped[5:].strip() or "help"
    if stripped.startswith("/") and len(stripped) > 1:
        return stripped[1:].strip()
    if addressed:
        return stripped or "help"
    words = stripped.split()
    if not words:
        return None
    first = words[0].lower()
    if first not in TOP:
        return None
    if len(words) == 1:
        return stripped
    second = words[1].lower()
    if first in ON_A_REF:
        return stripped if second.lstrip("#").isdigit() else None
    if first == "queue":
        return stripped if len(words) <= 3 else None
    if first == "available":
        return stripped if second in ("on", "off") else None
    if first == "language":  # "language he"; "language course for…" is a request
        return stripped if len(words) == 2 and second in ("he", "en", "auto") else None
    if first == "admin":
        return stripped if second in ADMIN else None
    if first == "new":  # "new @employee desk text"; "new laptop please" is a request
        return stripped if second.startswith("<@") else None
    if first == "ask":
        return stripped
    if first == "report":  # "report IT month", "report all"; "report a broken printer" asks
        return stripped if len(words) <= 3 and (
            second == "all" or looks_like_period(words[-1])) else None
    if first == "replies":  # "replies IT", "replies IT add vpn …"; "replies are slow…": a request
        return stripped if len(words) == 2 or (
            len(words) >= 4 and words[2].lower() in ("add", "remove")) else None
    return None  # "help me with…", "my laptop…": a request
