"""The fake workspace's state is the playground's: `bot.playground.state` (kept importable here)."""

from bot.playground.state import Bot, Channel, SlackError, SlackState, User

__all__ = ["Bot", "Channel", "SlackError", "SlackState", "User"]
