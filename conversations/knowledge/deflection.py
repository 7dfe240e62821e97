"""Answers offered before a request is sent (a new request written to the bot in a
direct chat): "These helped others: … [This solved it] [Send my request]".

`offer` finds up to three resolved requests or articles that match well
(`similar.suggestions` and its threshold) and names them in the pending request's
question (`suggest:request.12,article.3`), so the message shows what was found then.
*This solved it* takes the pending request (no request opens), records
`request.deflected` and counts the answer as solved; *Send my request* is the
ordinary *new request* button (conversations/buttons.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from conversations.knowledge import indexing, offered, similar
from conversations.view_models import Suggestion, SuggestionOffer
from desks.errors import InvalidInput
from desks.wording import Words
from storage import search
from storage.database import UnitOfWork
from storage.journal import record_event
from storage.models import PendingRequest, Person

PREFIX = "suggest:"
KINDS = (search.REQUEST, search.ARTICLE)
DEFLECTED = "request.deflected"


def choice_value(kind: str, ref_id: int) -> str:
    """What a *This solved it* button names: `request.12`, `article.3`."""
    return f"{kind}.{ref_id}"


def parse_choice(value: str | None) -> tuple[str, int] | None:
    """(kind, id) of `choice_value`, or None when it is not one."""
    kind, _, number = (value or "").partition(".")
    if kind not in KINDS or not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return kind, int(number)


async def offer(uow: UnitOfWork, desk_ids: Sequence[int], text: str) -> str | None:
    """The question to ask about a new request `text` to `desk_ids` (`suggest:…`), or
    None when nothing those desks offer (`offered`) answers it well."""
    wanted = await offered.offered_kinds(uow, desk_ids)  # what each desk offers
    if not wanted:
        return None
    found = await similar.suggestions(uow, list(wanted), text, offered=wanted)
    if not found:
        return None
    return PREFIX + ",".join(choice_value(f.kind, f.ref_id) for f in found)


async def suggestion_offer(uow: UnitOfWork, pending: PendingRequest,
                           question: str) -> SuggestionOffer | None:
    """The offer for `pending` (`question` "suggest:…") as its answers read now; None
    when they are all gone from the index."""
    wanted = [c for c in (parse_choice(part) for part in question[len(PREFIX):].split(","))
              if c is not None]
    shown: list[Suggestion] = []
    for kind, ref_id in wanted:
        document = await search.get(uow, kind, ref_id)
        if document is not None and document.workspace_id == pending.workspace_id:
            shown.append(Suggestion(kind=kind, ref_id=ref_id, title=document.title,
                                    answer=document.answer))
    if not shown:
        return None
    return SuggestionOffer(pending_id=pending.id, suggestions=tuple(shown))


async def solved(uow: UnitOfWork, person: Person, pending: PendingRequest,
                 choice: str | None) -> Words:
    """*This solved it* about `pending` (taken already: no request opens): the event,
    one more "solved" for the answer chosen, and the thanks to show."""
    parsed = parse_choice(choice)
    document = await search.get(uow, *parsed) if parsed else None
    if parsed is None or document is None or document.workspace_id != person.workspace_id:
        raise InvalidInput("suggest.gone")
    kind, ref_id = parsed
    record_event(uow, workspace_id=person.workspace_id, kind=DEFLECTED,
                 desk_id=document.desk_id, actor_id=person.id, document_kind=kind,
                 document_id=ref_id, ref=document.ref, via=pending.via)
    await indexing.count_solved(uow, kind, ref_id)
    return Words("suggest.thanks")
