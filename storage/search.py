"""The search index: documents in, candidates out, the same on SQLite and PostgreSQL.

The core normalises words (`conversations.knowledge.search_words`) and hands this module
plain documents and plain token lists; the dialect differences live only here:
SQLite's FTS5 table (`search_fts`) and PostgreSQL's tsvector column (`words`, GIN).
Both index each word behind its desk (`desk_terms`), so a desk's query reads the
desk's posting lists only. Writes go through the caller's unit of work, so a
document changes in the same transaction as what it tells of.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    cast,
    column,
    delete,
    literal_column,
    select,
    table,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from storage.database import UnitOfWork
from storage.models import SearchDocument

REQUEST = "request"
ARTICLE = "article"
# How many matching rows (the newest) the full-text index hands the core to rank.
CANDIDATES = 200


@dataclass(frozen=True)
class Document:
    """What is indexed of one request or article."""

    kind: str
    ref_id: int
    workspace_id: int
    desk_id: int
    status: str
    resolved: bool
    title: str
    body: str  # normalised tokens, space-separated
    opened_at: datetime
    updated_at: datetime
    requester_id: int | None = None
    ref: int | None = None
    resolver_id: int | None = None
    answer: str | None = None
    # Found once, when the request opened (None: leave what is stored).
    similar: list[int] | None = None


@dataclass(frozen=True)
class Candidate:
    """A document the full-text index matched, with its relevance (higher is better)."""

    document: SearchDocument
    relevance: float


async def get(uow: UnitOfWork, kind: str, ref_id: int) -> SearchDocument | None:
    """The document of (kind, ref_id), or None."""
    return (await uow.session.scalars(select(SearchDocument).where(
        SearchDocument.kind == kind, SearchDocument.ref_id == ref_id))).first()


async def by_ref_ids(uow: UnitOfWork, kind: str, ref_ids: Sequence[int]
                     ) -> dict[int, SearchDocument]:
    """The documents of `ref_ids` (of one kind), by ref id; missing ones are left out."""
    if not ref_ids:
        return {}
    rows = await uow.session.scalars(select(SearchDocument).where(
        SearchDocument.kind == kind, SearchDocument.ref_id.in_(list(ref_ids))))
    return {row.ref_id: row for row in rows}


async def put(uow: UnitOfWork, document: Document) -> None:
    """Insert or update the document of (kind, ref_id); an unchanged one is left alone."""
    row = await get(uow, document.kind, document.ref_id)
    if row is None:
        uow.session.add(SearchDocument(**document.__dict__))
        return
    for name, value in document.__dict__.items():
        if name == "updated_at" or (name == "similar" and value is None):
            continue
        if getattr(row, name) != value:
            setattr(row, name, value)
    if uow.session.is_modified(row):
        row.updated_at = document.updated_at


async def remove(uow: UnitOfWork, kind: str, ref_id: int) -> None:
    """Remove the document of (kind, ref_id), if there is one."""
    await uow.session.execute(delete(SearchDocument).where(
        SearchDocument.kind == kind, SearchDocument.ref_id == ref_id))


async def count_solved(uow: UnitOfWork, kind: str, ref_id: int) -> None:
    """Count one more "this solved it" for the document (ranking weighs it up)."""
    await uow.session.execute(update(SearchDocument).where(
        SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
        .values(solved_count=SearchDocument.solved_count + 1))


def desk_terms(desk_ids: Sequence[int], groups: Sequence[Sequence[str]]
               ) -> list[list[str]]:
    """The index's terms for the word `groups` in the documents of `desk_ids`: each form
    behind each desk, d<desk id>x<form> (storage.models' `_TERMS_SQLITE`, the same on
    PostgreSQL). A desk's posting lists are the desk's size: a common word costs the
    desk's share of its matches, not every desk's."""
    desks = sorted(set(desk_ids))
    return [[f"d{desk}x{form}" for form in sorted(set(group)) for desk in desks]
            for group in groups]


def _fts5_match(groups: Sequence[Sequence[str]], least: int) -> str:
    """An FTS5 query: any term of each group; with `least` 2, two groups together."""
    each = ["(" + " OR ".join(f'"{term}"' for term in group) + ")" for group in groups]
    if least < 2 or len(each) < 2:
        return " OR ".join(each)
    return " OR ".join(f"({a} AND {b})" for i, a in enumerate(each) for b in each[i + 1:])


def _tsquery(groups: Sequence[Sequence[str]], least: int) -> str:
    """The same as `_fts5_match` as a tsquery (the terms quoted, as they are)."""
    def quoted(term: str) -> str:
        return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
    each = ["(" + " | ".join(quoted(term) for term in group) + ")" for group in groups]
    if least < 2 or len(each) < 2:
        return " | ".join(each)
    return " | ".join(f"({a} & {b})" for i, a in enumerate(each) for b in each[i + 1:])


async def candidates(uow: UnitOfWork, groups: Sequence[Sequence[str]], *,
                     desk_ids: Sequence[int], kinds: Sequence[str] = (REQUEST, ARTICLE),
                     resolved_only: bool = False, requester_id: int | None = None,
                     least: int = 1, limit: int = CANDIDATES) -> list[Candidate]:
    """The newest `limit` documents of `desk_ids` holding any form of at least `least`
    of the word `groups` (each group: one word's forms), with their relevance.

    Newest first, not best first: reading the best of a million matches would cost
    the whole match list; the newest `limit` costs `limit` rows, and the caller ranks
    them (relevance, recency, solved count); relevance is `relevance`'s.
    `resolved_only` keeps resolved requests (and articles); `requester_id` keeps, of
    the requests, only that person's.
    """
    groups = [g for g in groups if g]
    if not groups or not desk_ids:
        return []
    # The index narrows to the desks' documents; the filters below decide.
    terms = desk_terms(desk_ids, groups)
    # On PostgreSQL `desk_id + 0`: the terms already hold only the desks' documents; the
    # planner would otherwise AND in the desk index's bitmap, every document of the desk.
    desk = SearchDocument.desk_id + 0 if uow.db.is_postgresql else SearchDocument.desk_id
    filters: list[ColumnElement[bool]] = [desk.in_(sorted(set(desk_ids))),
                                          SearchDocument.kind.in_(list(kinds))]
    if resolved_only:
        filters.append((SearchDocument.kind == ARTICLE) | SearchDocument.resolved)
    if requester_id is not None:
        filters.append((SearchDocument.kind == ARTICLE)
                       | (SearchDocument.requester_id == requester_id))
    if uow.db.is_postgresql:
        words: ColumnElement[Any] = literal_column("words")
        statement = (select(SearchDocument)
                     .where(words.op("@@")(cast(_tsquery(terms, least), TSQUERY)),
                            *filters)
                     .order_by(SearchDocument.id.desc()))
    else:
        fts = table("search_fts", column("rowid"))
        statement = (select(SearchDocument)
                     .join(fts, fts.c.rowid == SearchDocument.id)
                     .where(literal_column("search_fts").op("MATCH")(
                         _fts5_match(terms, least)), *filters)
                     .order_by(fts.c.rowid.desc()))
    rows = await uow.session.scalars(statement.limit(limit))
    return [Candidate(document, relevance(groups, document.body)) for document in rows]


def relevance(groups: Sequence[Sequence[str]], body: str) -> float:
    """How much of `body` is about the words: their occurrences over the square root of
    its length (a short document all about them first), the same on both databases.

    Not the databases' bm25 / ts_rank: SQLite's bm25 reads every match's posting lists
    for its frequencies, so a common word cost every document holding it (bench/README).
    """
    tokens = body.split()
    if not tokens:
        return 0.0
    wanted = {form for group in groups for form in group}
    return sum(1 for token in tokens if token in wanted) / math.sqrt(len(tokens))
