"""Relayed texts (requester <-> agents), split into as many Slack messages as they need.

A relay is never dropped: the text is cut into sections of at most `PIECE` escaped
characters (on a line or word boundary when there is one), `PIECES_PER_MESSAGE` to a
message so a message's blocks stay far below `msg_blocks_too_long`, and the messages
are marked "(1/3)", "(continued 2/3)". Only past `MAX_MESSAGES` is the rest cut, with a
note saying how many characters were not shown.
"""

from __future__ import annotations

from typing import Any

from cards.i18n import t
from cards.slack.render import render
from cards.text import escape_mrkdwn, fit_mrkdwn, split_text
from conversations.view_models import RelayToAgents, RelayToRequester

PIECE = 2600  # escaped characters per section: room for the name prefix under 3000
PIECES_PER_MESSAGE = 4  # ~10,400 characters of blocks per message
# ~208,000 escaped characters: the core's longest message (40,000 characters) arrives
# whole even if every character is an `&` (5 when escaped).
MAX_MESSAGES = 20


def relay_messages(view: RelayToAgents | RelayToRequester, locale: str) -> list[dict[str, Any]]:
    """The messages that carry `view.text` whole (or cut, with a note, past the cap)."""
    if isinstance(view, RelayToAgents):
        side, who = "relay.to_agents", {"name": _name(view.requester.name)}
    else:
        side, who = "relay.to_requester", {"name": _name(view.agent.name),
                                           "desk": fit_mrkdwn(view.desk, 60)}
    prefix = t(side, locale, **who)
    pieces: list[str] = []
    ends: list[int] = []  # where each shown piece ends in the text, to count a cut
    position = 0
    for piece in split_text(view.text, PIECE):
        position += len(piece)
        if piece.strip():  # Slack refuses a blank section; blank text is no loss
            pieces.append(piece)
            ends.append(position)
    groups = [pieces[start:start + PIECES_PER_MESSAGE]
              for start in range(0, len(pieces), PIECES_PER_MESSAGE)] or [[]]
    cut = 0
    if len(groups) > MAX_MESSAGES:
        groups = groups[:MAX_MESSAGES]
        groups[-1] = groups[-1][:PIECES_PER_MESSAGE - 1]  # room for the note
        cut = len(view.text) - ends[sum(len(group) for group in groups) - 1]
    rendered = []
    for number, group in enumerate(groups, start=1):
        sections = [escape_mrkdwn(piece) for piece in group]
        if number == 1:
            sections = [prefix + (sections[0] if sections else t("relay.empty", locale)),
                        *sections[1:]]
        continued = (t(f"{side}_continued", locale, part=number, parts=len(groups), **who)
                     if number > 1 else
                     t(f"{side}_first", locale, parts=len(groups), **who)
                     if len(groups) > 1 else "")
        note = t("relay.cut", locale, count=cut) if cut and number == len(groups) else ""
        text = (continued + "\n" if continued else "") + "".join(sections)
        rendered.append(render("relay.j2", locale, text=text, pieces=sections,
                               continued=continued, note=note))
    return rendered


def _name(name: str) -> str:
    return fit_mrkdwn(name, 80) if name.strip() else "?"

