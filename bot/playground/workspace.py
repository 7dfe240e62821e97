"""The playground's workspace: its people, channels and the bot, and text as Slack sends it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot.playground.state import Bot, Channel, SlackState, User

TEAM_ID = "TPLAYGROUND"
TEAM_NAME = "Playground"
BOT_USER_ID = "UDESKBOT"
BOT_ID = "BDESKBOT"


@dataclass(frozen=True)
class Person:
    """Someone the page can act as."""

    id: str
    name: str  # the handle: @eli
    real_name: str
    role: str  # what the switcher says: employee, agent, admin
    color: str
    is_admin: bool = False
    locale: str = "en-US"  # their Slack's language: Noa's is Hebrew

    @property
    def initials(self) -> str:
        """Two letters for the avatar."""
        return "".join(part[0] for part in self.real_name.split()[:2]).upper()


PEOPLE = (
    Person("UELI", "eli", "Eli Cohen", "employee", "#2f7d32"),
    Person("UDANA", "dana", "Dana Levi", "agent", "#1565c0"),
    Person("ULEE", "lee", "Lee Amar", "agent", "#6a1b9a"),
    Person("UADA", "ada", "Ada Shapiro", "admin", "#c62828", is_admin=True),
    Person("UNOA", "noa", "נועה מזרחי", "employee", "#00838f", locale="he-IL"),
)
ELI, DANA, LEE, ADA, NOA = (p.id for p in PEOPLE)

# Channels every person sees: the desks' agent channels (private) and #general (public).
# #maintenance-desk is the Hebrew desk's (אחזקה: its cards are in Hebrew).
CHANNELS = (("CGENERAL", "general"), ("CITDESK", "it-desk"), ("CHRDESK", "hr-desk"),
            ("CMAINTENANCE", "maintenance-desk"))
PUBLIC_CHANNELS = frozenset({"CGENERAL"})
IT_CHANNEL, HR_CHANNEL, MAINTENANCE_CHANNEL = "CITDESK", "CHRDESK", "CMAINTENANCE"


def new_state(page_url: str, *, validate_blocks: bool = True) -> SlackState:
    """A workspace with the bot, the people and the channels."""
    state = SlackState(bot=Bot(team_id=TEAM_ID, team=TEAM_NAME, user_id=BOT_USER_ID,
                               bot_id=BOT_ID, url=page_url),
                       validate_blocks=validate_blocks, wall_clock=time.time)
    state.users[BOT_USER_ID] = User(BOT_USER_ID, "deskbot", "deskbot", is_bot=True)
    for person in PEOPLE:
        # Slack's display name is what deskbot shows: the first name, as people write it.
        state.users[person.id] = User(person.id, person.real_name.split()[0],
                                      person.real_name, is_admin=person.is_admin,
                                      locale=person.locale)
    for channel_id, name in CHANNELS:
        state.channels[channel_id] = Channel(channel_id, name,
                                             is_private=channel_id not in PUBLIC_CHANNELS)
    return state


_MENTION = re.compile(r"(?<![\w<@#])@([A-Za-z][\w.-]*)")
_CHANNEL = re.compile(r"(?<![\w<@#&])#([a-z0-9][a-z0-9_-]*)")


def as_slack_sends(text: str, state: SlackState) -> str:
    """What a Slack client sends for typed `text`: `&<>` escaped, @name and #channel linked.

    A name or channel nobody has is left as typed (`#1042` stays a ref).
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    by_name: dict[str, str] = {}
    for user in state.users.values():
        by_name.setdefault(user.name.lower(), user.id)
        by_name.setdefault(user.real_name.split()[0].lower(), user.id)
    channels = {c.name: c.id for c in state.channels.values() if not c.is_im}

    def mention(match: re.Match[str]) -> str:
        found = by_name.get(match.group(1).lower())
        return f"<@{found}>" if found else match.group(0)

    def channel(match: re.Match[str]) -> str:
        found = channels.get(match.group(1))
        return f"<#{found}|{match.group(1)}>" if found else match.group(0)

    return _CHANNEL.sub(channel, _MENTION.sub(mention, escaped))
