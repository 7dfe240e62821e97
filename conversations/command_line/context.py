"""What a subcommand runs with, and how one is described."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from conversations.view_models import View
from desks.channels import ChannelFacts
from desks.errors import InvalidInput
from desks.grammar import Args, Mention
from desks.permissions import Actor
from desks.wording import Words
from storage.database import UnitOfWork
from storage.models import Person, Workspace


@dataclass
class Context:
    """One command's unit of work, the acting person, and the people it names."""

    uow: UnitOfWork
    workspace: Workspace
    actor: Actor
    people: dict[str, Person]  # platform user id -> person, for every @mention
    caller_channel: str | None = None
    caller_in_dm: bool = True
    note_prefix: str = "//"
    # What the platform says of the channels a binding command names (and of the
    # channel it was written in), asked before the unit of work opened.
    channels: dict[str, ChannelFacts] = field(default_factory=dict)

    def person(self, mention: Mention) -> Person:
        """The person an @mention names (entered before the command ran)."""
        person = self.people.get(mention.user_id)
        if person is None:  # every mention is entered up front; this is a bug guard
            raise InvalidInput("command.no_such_person",
                               person=f"@{mention.label or mention.user_id}")
        return person


Run = Callable[[Context, Args], Awaitable[View]]


@dataclass(frozen=True)
class Subcommand:
    """One `/desk` word: its usage line, what it does, who it is for, and its handler."""

    name: str  # as written after /desk ("claim", "admin agents")
    usage: str
    audience: str  # employee | agent | admin
    run: Run
    words: Words  # what it does (`help.<name>`)

    @property
    def description(self) -> str:
        """What it does, in English."""
        return self.words.english
