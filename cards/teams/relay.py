"""Relayed texts (requester <-> agents), split into as many cards as they need.

A relay is never dropped: the text is cut into pieces that each cost at most `PIECE`
bytes in a card (escaped, JSON-encoded, UTF-16 — on a line or word boundary when there
is one), one piece to a card, and the cards are marked "(1/3)", "(continued 2/3)".
Only past `MAX_CARDS` is the rest cut, with a note saying how many characters were not
shown.
"""

from __future__ import annotations

from typing import Any

from cards.teams.markdown import clip_markdown, escape_markdown, fit_markdown, split_for_cards
from cards.teams.render import render, tr
from conversations.view_models import RelayToAgents, RelayToRequester

PIECE = 18_000  # bytes of one piece: with the name line and notes, within CARD_BUDGET
# ~360,000 bytes: the core's longest message (40,000 characters) arrives whole even if
# every character is a backslash (8 bytes escaped and JSON-encoded).
MAX_CARDS = 20
FALLBACK_EXCERPT = 200


def relay_cards(view: RelayToAgents | RelayToRequester, locale: str) -> list[dict[str, Any]]:
    """The cards that carry `view.text` whole (or cut, with a note, past the cap)."""
    if isinstance(view, RelayToAgents):
        side, who = "relay.to_agents", {"name": _name(view.requester.name)}
    else:
        side, who = "relay.to_requester", {"name": _name(view.agent.name),
                                           "desk": fit_markdown(view.desk.strip(), 60)}
    prefix = tr(side, locale, **who).strip()
    pieces: list[str] = []
    ends: list[int] = []  # where each shown piece ends in the text, to count a cut
    position = 0
    for piece in split_for_cards(view.text, PIECE):
        position += len(piece)
        if piece.strip():  # a blank piece shows nothing: no loss
            pieces.append(piece)
            ends.append(position)
    cut = 0
    if len(pieces) > MAX_CARDS:
        pieces = pieces[:MAX_CARDS]
        cut = len(view.text) - ends[MAX_CARDS - 1]
    groups = [[piece] for piece in pieces] or [[]]
    fallback = clip_markdown(prefix + " " + (fit_markdown(view.text.strip(), FALLBACK_EXCERPT)
                                             or tr("relay.empty", locale)), 400)
    cards = []
    for number, group in enumerate(groups, start=1):
        shown = [escape_markdown(piece).strip() for piece in group]
        if number == 1 and not shown:
            shown = [tr("relay.empty", locale)]
        continued = (tr(f"{side}_continued", locale, part=number, parts=len(groups), **who)
                     if number > 1 else "")
        note = tr("relay.cut", locale, count=cut) if cut and number == len(groups) else ""
        first = (tr(f"{side}_first", locale, parts=len(groups), **who).strip()
                 if len(groups) > 1 else prefix)
        cards.append(render("relay.j2", locale, prefix=first, pieces=shown,
                            continued=continued, note=note,
                            fallback=continued or fallback, main_text=view.text))
    return cards


def _name(name: str) -> str:
    return fit_markdown(name.strip(), 80) if name.strip() else "?"
