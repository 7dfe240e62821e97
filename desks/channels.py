"""Binding channels to desks: what the platform says of a channel, and who may bind it.

Platform-neutral. An adapter's directory describes a channel as `ChannelFacts` (can the
bot see it, is it private, is the person binding it a member); the rules that decide
whether a desk may take it live here, so Slack and Teams enforce the same ones:

- a channel is one desk's agent channel or one desk's intake channel, never both and
  never two desks' (a workspace admin's `--force` moves it, leaving the other desk
  without it);
- the person binding a channel is a member of it (or an admin with `--force`);
- a public channel becomes an agent channel only when confirmed: employees can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desks.wording import Words


class Use(StrEnum):
    """What a desk uses a channel for."""

    AGENT = "agent"
    INTAKE = "intake"


@dataclass(frozen=True)
class ChannelFacts:
    """What the platform says of one channel, for the person binding it.

    None means the platform could not say (Teams does not tell whether a channel is
    private, nor who is in a channel other than the one a command was written in).
    """

    channel_id: str
    name: str | None = None
    visible: bool = True  # the bot can see it (it exists and the bot is allowed in)
    is_private: bool | None = None
    is_dm: bool = False
    caller_is_member: bool | None = None

    def shown(self) -> str:
        """How the channel reads in a sentence: `#name`, or "that channel"."""
        return f"#\u2068{self.name}\u2069" if self.name else "that channel"


@dataclass(frozen=True)
class Binding:
    """How a channel is being bound: the platform's facts and the caller's flags."""

    facts: ChannelFacts | None = None  # None: not from chat (a config file, a test)
    force: bool = False  # `--force`: a workspace admin overrides membership and clashes
    confirmed: bool = False  # `--confirm`: yes, a public channel as the agent channel


def cannot_see(name: str | None) -> Words:
    """The refusal for a channel the bot cannot see (or plain text that names none)."""
    if name:
        return Words("channel.cannot_see_named", name=name)
    return Words("channel.cannot_see_this")
