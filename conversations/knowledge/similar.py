"""Finding past answers: similar resolved requests, suggestions, and `/desk search`.

The full-text index (storage/search.py) hands over its most relevant candidates;
they are ranked here the same way on both databases:

    score = coverage + RELEVANCE_WEIGHT · relevance (`search.relevance`, a share of the best)
                     + RECENCY_WEIGHT · recency + SOLVED_WEIGHT · solved

- coverage: the share of the question's words the document has (an IT word of the
  table in `search_words.CONCEPTS` counts double), 0..1;
- recency: halves every RECENCY_HALF_LIFE since the request opened, 1..0;
- solved: how often it was "this solved it", 0..1 (ten times or more: 1).

Suggestions are only made when the best coverage reaches MIN_COVERAGE (tuned on
bench/data/knowledge.json's questions and negatives, `bench.knowledge --mode
quality`: below it, nothing matched well and nothing is said).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from conversations.intake import open_desks
from conversations.knowledge.search_words import Word, query_words
from conversations.view_models import SimilarRequest
from desks import audience
from desks.permissions import served_desk_ids
from storage import search
from storage.database import UnitOfWork
from storage.models import Conversation, Desk, Person, SearchDocument

RELEVANCE_WEIGHT = 0.2
RECENCY_WEIGHT = 0.1
RECENCY_HALF_LIFE = timedelta(days=180)
SOLVED_WEIGHT = 0.15
MIN_COVERAGE = 0.5
SEARCH_LIMIT = 10
# Words of a question that are looked for (a pasted log is not a question).
MAX_QUESTION_WORDS = 12


@dataclass(frozen=True)
class Found:
    """One request or article found, with what a card or a search answer shows."""

    kind: str
    ref_id: int
    ref: int | None
    desk_id: int
    title: str
    answer: str | None
    resolver_id: int | None
    status: str
    score: float
    coverage: float


def coverage(question: Sequence[Word], tokens: set[str]) -> float:
    """The share of the question's words found in `tokens` (IT words count double)."""
    weights = [2.0 if word.concept else 1.0 for word in question]
    if not weights:
        return 0.0
    found = sum(weight for word, weight in zip(question, weights, strict=True)
                if any(form in tokens for form in word.forms))
    return found / sum(weights)


def recency(opened_at: datetime, now: datetime) -> float:
    """1 for a request of today, halving every RECENCY_HALF_LIFE."""
    age = max((now - opened_at).total_seconds(), 0.0)
    return float(0.5 ** (age / RECENCY_HALF_LIFE.total_seconds()))


def solved_weight(count: int) -> float:
    """0 for never "this solved it", 1 for ten times or more."""
    return min(1.0, math.log1p(max(count, 0)) / math.log1p(10))


def rank(question: Sequence[Word], candidates: Sequence[search.Candidate],
         now: datetime) -> list[Found]:
    """The candidates in the order to show them (see the module's formula)."""
    found: list[Found] = []
    best = max((c.relevance for c in candidates), default=0.0)
    for candidate in candidates:
        doc = candidate.document
        share = coverage(question, set(doc.body.split()))
        relevance = candidate.relevance / best if best > 0 else 0.0
        score = (share + RELEVANCE_WEIGHT * max(relevance, 0.0)
                 + RECENCY_WEIGHT * recency(doc.opened_at, now)
                 + SOLVED_WEIGHT * solved_weight(doc.solved_count))
        found.append(_found(doc, score, share))
    return sorted(found, key=lambda f: (-f.score, -f.ref_id))


def _found(doc: SearchDocument, score: float, share: float) -> Found:
    return Found(kind=doc.kind, ref_id=doc.ref_id, ref=doc.ref, desk_id=doc.desk_id,
                 title=doc.title, answer=doc.answer, resolver_id=doc.resolver_id,
                 status=doc.status, score=score, coverage=share)


def _groups(question: Sequence[Word]) -> list[tuple[str, ...]]:
    return [word.forms for word in question[:MAX_QUESTION_WORDS]]


async def _matching(uow: UnitOfWork, question: Sequence[Word], limit: int,
                    **where: Any) -> list[search.Candidate]:
    """Candidates holding two of the question's words; if too few do, any one of them."""
    groups = _groups(question)
    found = await search.candidates(uow, groups, least=2, **where)
    if len(groups) > 1 and len(found) < limit:
        seen = {c.document.id for c in found}
        found += [c for c in await search.candidates(uow, groups, **where)
                  if c.document.id not in seen]
    return found


async def similar_resolved(uow: UnitOfWork, desk_ids: Sequence[int], text: str, *,
                           limit: int = 3, exclude_ref_id: int | None = None,
                           min_coverage: float = MIN_COVERAGE) -> list[Found]:
    """Up to `limit` resolved requests of `desk_ids` most like `text` that match it
    well enough (`min_coverage`); `exclude_ref_id` leaves out the request itself."""
    question = query_words(text)
    candidates = await _matching(uow, question, limit, desk_ids=desk_ids,
                                 kinds=(search.REQUEST,), resolved_only=True)
    ranked = rank(question, [c for c in candidates if c.document.ref_id != exclude_ref_id],
                  uow.clock.now())
    return [f for f in ranked if f.coverage >= min_coverage][:limit]


async def suggestions(uow: UnitOfWork, desk_ids: Sequence[int], text: str, *,
                      limit: int = 3,
                      offered: Mapping[int, Sequence[str]] | None = None) -> list[Found]:
    """Resolved requests and articles of `desk_ids` that answer `text` well; none when
    nothing matches well enough (MIN_COVERAGE). `offered` (desk id -> the kinds it
    offers) narrows them to what each desk offers employees."""
    question = query_words(text)
    kinds = (search.REQUEST, search.ARTICLE) if offered is None else tuple(
        sorted({kind for desk_id in desk_ids for kind in offered.get(desk_id, ())}))
    candidates = await _matching(uow, question, limit, desk_ids=desk_ids, kinds=kinds,
                                 resolved_only=True)
    if offered is not None:
        candidates = [c for c in candidates
                      if c.document.kind in offered.get(c.document.desk_id, ())]
    ranked = rank(question, candidates, uow.clock.now())
    return [f for f in ranked if f.coverage >= MIN_COVERAGE][:limit]


async def search_for(uow: UnitOfWork, viewer: Person, words: str, *,
                     desk: Desk | None = None, limit: int = SEARCH_LIMIT) -> list[Found]:
    """What `viewer` finds for `words` (`/desk search`), best first.

    An agent finds the requests and articles of the desks they work; anyone finds
    their own requests and the articles of the desks they may ask (`desks.audience`).
    Nobody finds another employee's request outside their desks. `desk` narrows it.
    """
    question = query_words(words)
    groups = _groups(question)
    served = set(await served_desk_ids(uow, viewer.id))
    askable = {d.id for d in await open_desks(uow, viewer.workspace_id,
                                              await audience.viewer_for(uow, viewer))}
    every = set((await uow.session.scalars(
        select(Desk.id).where(Desk.workspace_id == viewer.workspace_id))).all())
    if desk is not None:
        served &= {desk.id}
        askable &= {desk.id}
        every &= {desk.id}
    candidates = [
        *await search.candidates(uow, groups, desk_ids=sorted(served)),
        *await search.candidates(uow, groups, desk_ids=sorted(askable - served),
                                 kinds=(search.ARTICLE,)),
        *await search.candidates(uow, groups, desk_ids=sorted(every - served),
                                 kinds=(search.REQUEST,), requester_id=viewer.id),
    ]
    unique = list({(c.document.kind, c.document.ref_id): c for c in candidates}.values())
    unique.sort(key=lambda c: -c.relevance)
    ranked = rank(question, unique, uow.clock.now())
    return [f for f in ranked if f.coverage > 0][:limit]


async def on_card(uow: UnitOfWork, conversation_id: int) -> tuple[SimilarRequest, ...]:
    """The similar resolved requests a request's card shows: those found when it opened,
    as they read now (a request since gone from the index is left out)."""
    own = await search.get(uow, search.REQUEST, conversation_id)
    ids = list(own.similar or []) if own is not None else []
    documents = await search.by_ref_ids(uow, search.REQUEST, ids)
    resolvers = {p.id: p.display_name for p in (await uow.session.scalars(
        select(Person).where(Person.id.in_(
            [d.resolver_id for d in documents.values() if d.resolver_id])))).all()}
    # Where each one's card is, for a link to its thread.
    cards = {row.id: {"channel": row.agent_channel, "thread": row.agent_thread} for row in (
        await uow.session.execute(
            select(Conversation.id, Conversation.agent_channel, Conversation.agent_thread)
            .where(Conversation.id.in_(list(documents)))))}
    return tuple(SimilarRequest(ref=d.ref or 0, title=d.title,
                                resolver=resolvers.get(d.resolver_id or 0), answer=d.answer,
                                **cards.get(d.ref_id, {}))
                 for d in (documents.get(i) for i in ids) if d is not None)
