"""The words of `/desk` (and Teams' text commands): tokens and argument readers.

Platform-neutral. Adapters hand over the text with people and channels already in
the neutral form `<@USERID|label>` / `<#CHANNELID|label>` (Slack sends exactly that
with escaping on; the Teams adapter rewrites its `<at>` mentions to it). Quoted words
("Payroll team", “Payroll team”) are one word. Every reader refuses with the
subcommand's right form, so a person never sees anything but a helpful answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from desks.errors import InvalidInput
from desks.wording import Words, code

# Ids are as long as the columns that store them. Labels and curly quotes stop at the
# next opener, so text full of unclosed `<@x|` or `“` is still read in linear time.
# A word ends where a mention or channel begins (`<@dana>,<@lee>` is two people).
_TOKEN = re.compile(
    r"<@(?P<user>[A-Za-z0-9][\w.:-]{0,127})(?:\|(?P<user_label>[^<>]*))?>"
    r"|<#(?P<channel>[A-Za-z0-9][\w.:@-]{0,254})(?:\|(?P<channel_label>[^<>]*))?>"
    r"|\"(?P<quoted>[^\"]*)\""
    r"|“(?P<curly>[^“”]*)”"
    r"|(?P<word>(?:<[@#])?(?:[^\s<]|<(?![@#][A-Za-z0-9]))+|<[@#])"
)


@dataclass(frozen=True)
class Word:
    """A plain word (or a quoted phrase, without its quotes)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Mention:
    """A person named with `@`: their platform user id and the label shown."""

    user_id: str
    label: str | None
    start: int
    end: int


@dataclass(frozen=True)
class ChannelRef:
    """A channel named with `#`: its platform id and the label shown."""

    channel_id: str
    label: str | None
    start: int
    end: int


Token = Word | Mention | ChannelRef

# Words people put between the people they name: `@dana, @lee and @noa`.
_SEPARATORS = frozenset({",", ";", "&", "and"})


def tokenize(text: str) -> list[Token]:
    """Split command text into words, mentions and channels, keeping their places."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text or ""):
        start, end = match.span()
        if match["user"] is not None:
            tokens.append(Mention(match["user"], match["user_label"] or None, start, end))
        elif match["channel"] is not None:
            tokens.append(ChannelRef(match["channel"], match["channel_label"] or None,
                                     start, end))
        else:
            phrase = next(g for g in (match["quoted"], match["curly"], match["word"])
                          if g is not None)
            tokens.append(Word(phrase, start, end))
    return tokens


def shown(token: Token) -> str:
    """How a token reads in a message back to the person."""
    if isinstance(token, Word):
        return token.text
    if isinstance(token, Mention):
        return f"@{token.label or token.user_id}"
    return f"#{token.label or token.channel_id}"


def _either(options: tuple[str, ...]) -> str | Words:
    """Options in a sentence: "on or off", "a or b or c"."""
    if len(options) == 1:
        return options[0]
    return Words("grammar.or", first=options[0], last=_either(options[1:]))


class UsageError(InvalidInput):
    """The words did not fit the subcommand; `usage` is the right form."""

    def __init__(self, key: str | Words, usage: str | None = None, **values: Any) -> None:
        super().__init__(key, **values)
        self.usage = usage


class Args:
    """Reads one subcommand's arguments left to right, refusing with its usage."""

    def __init__(self, text: str, tokens: list[Token], command: str, usage: str) -> None:
        self.text = text
        self.tokens = tokens
        self.command = command
        self.usage = usage
        self.at = 0

    def flags(self, *names: str) -> set[str]:
        """Take the flags among `names` (`--force`) wherever they are written; the ones
        found, without their dashes. A dash a client made of `--` (— or –) counts too."""
        found: set[str] = set()
        kept: list[Token] = []
        text = self.text
        for index, token in enumerate(self.tokens):
            name = (token.text.lstrip("-\u2014\u2013").lower()
                    if isinstance(token, Word) and token.text[:1] in "-\u2014\u2013"
                    and index >= self.at else None)
            if name in names:
                found.add(name)
                text = text[:token.start] + " " * (token.end - token.start) + text[token.end:]
            else:
                kept.append(token)
        self.tokens, self.text = kept, text
        return found

    def fail(self, key: str | Words, **values: Any) -> UsageError:
        """A refusal carrying this subcommand's usage."""
        return UsageError(key, usage=self.usage, **values)

    def _command(self) -> Words:
        return code(f"/desk {self.command}")

    def peek(self) -> Token | None:
        """The next token, not taken."""
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def more(self) -> bool:
        """Whether any token is left."""
        return self.at < len(self.tokens)

    def take(self) -> Token | None:
        """The next token, taken (None when there is none)."""
        token = self.peek()
        if token is not None:
            self.at += 1
        return token

    def word(self, what: Words) -> str:
        """The next token as a word; refuses when it is missing or not a word."""
        token = self.take()
        if token is None:
            raise self.fail("grammar.needs", command=self._command(), what=what)
        if not isinstance(token, Word):
            raise self.fail("grammar.needs_not", command=self._command(), what=what,
                            got=shown(token)[:40])
        return token.text

    def optional_word(self) -> str | None:
        """The next token if it is a word, else None (nothing taken)."""
        token = self.peek()
        if isinstance(token, Word):
            self.at += 1
            return token.text
        return None

    def choice(self, what: Words, options: tuple[str, ...]) -> str:
        """The next word, which must be one of `options` (any case)."""
        word = self.word(what)
        if word.lower() not in options:
            raise self.fail("grammar.takes", command=self._command(),
                            options=_either(options), got=word[:40])
        return word.lower()

    def mention(self, what: Words) -> Mention:
        """The next token as an @mention."""
        token = self.take()
        if not isinstance(token, Mention):
            if token is None:
                raise self.fail("grammar.needs_mention", command=self._command(), what=what)
            raise self.fail("grammar.needs_mention_not", command=self._command(), what=what,
                            got=shown(token)[:40])
        return token

    def mentions(self, what: Words) -> list[Mention]:
        """Every remaining token, each an @mention (commas and "and" between them are fine)."""
        found: list[Mention] = []
        while self.more():
            token = self.take()
            assert token is not None  # more() said one is left
            if isinstance(token, Word) and token.text.lower() in _SEPARATORS:
                continue
            if not isinstance(token, Mention):
                raise self.fail("grammar.not_a_person", got=shown(token)[:40])
            found.append(token)
        if not found:
            raise self.fail("grammar.needs", command=self._command(), what=what)
        return found

    def channel(self) -> ChannelRef | None:
        """The next token if it is a #channel, else None (nothing taken)."""
        token = self.peek()
        if isinstance(token, ChannelRef):
            self.at += 1
            return token
        return None

    def phrase(self) -> str:
        """Like `rest`, but a phrase that is one quoted word comes without its quotes."""
        token = self.peek()
        if isinstance(token, Word) and len(self.tokens) - self.at == 1:
            self.at += 1
            return token.text.strip()
        return self.rest()

    def rest(self) -> str:
        """The remaining raw text (formatting kept); everything is taken."""
        token = self.peek()
        self.at = len(self.tokens)
        return self.text[token.start:].strip() if token is not None else ""

    def done(self) -> None:
        """Refuse leftover words."""
        if self.more():
            # Shown as the person reads them: @dana, not Slack's <@U123|dana>.
            left = " ".join(shown(t) for t in self.tokens[self.at:])
            raise self.fail("grammar.left_over", left=left[:60], command=self._command())
