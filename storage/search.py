"""The search index: documents in, candidates out, the same on SQLite and PostgreSQL.

The core normalises words (`conversations.knowledge.search_words`) and hands this module
plain documents and plain token lists; the dialect differences live only here:
SQLite's FTS5 table (`search_fts`) and PostgreSQL's tsvector column (`words`, GIN).
Both index each word behind its desk (`desk_terms`), so a desk's query reads the
desk's posting lists only; PostgreSQL reads a desk's newest documents first, as FTS5
walks its posting lists (`_postgresql`). Writes go through the caller's unit of work, so a
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
    case,
    cast,
    column,
    delete,
    func,
    literal_column,
    or_,
    select,
    table,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm.util import identity_key

from storage.database import UnitOfWork
from storage.models import SearchDocument

REQUEST = "request"
ARTICLE = "article"
# How many matching rows (the newest) the full-text index hands the core to rank.
CANDIDATES = 200
# PostgreSQL: a desk's newest documents read first, and how many of them must match
# for those to be the candidates (`_postgresql`; figures in bench/README.md).
RECENT = 500
DENSE = 10


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


async def append(uow: UnitOfWork, kind: str, ref_id: int, words: str, *, desk_id: int,
                 updated_at: datetime, **fields: object) -> bool:
    """Add `words` (normalised tokens, space-separated; may be none) at the end of the
    body of the unresolved document (kind, ref_id) of `desk_id` and set `fields`, in one
    UPDATE that reads neither the document nor what it was built from. The index
    follows the body (the FTS5 trigger, the generated tsvector); with no words the
    body, and so the index, is left alone. `updated_at` is set if anything changed.
    False if there is no such document (none, resolved: its body holds an answer, or
    of another desk): the caller rebuilds it whole."""
    values: dict[str, Any] = dict(fields)
    if words:
        values["body"] = case((SearchDocument.body == "", words),
                              else_=SearchDocument.body + " " + words)
        values["updated_at"] = updated_at
    else:
        changed = or_(*(getattr(SearchDocument, name).is_distinct_from(value)
                        for name, value in fields.items()))
        values["updated_at"] = case((changed, updated_at), else_=SearchDocument.updated_at)
    row_id = (await uow.session.execute(
        update(SearchDocument)
        .where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id,
               SearchDocument.desk_id == desk_id, SearchDocument.resolved.is_(False))
        .values(**values).returning(SearchDocument.id)
        .execution_options(synchronize_session=False))).scalar_one_or_none()
    if row_id is None:
        return False
    loaded = uow.session.identity_map.get(identity_key(SearchDocument, row_id))
    if loaded is not None:  # the session's copy reads the row again when used
        uow.session.expire(loaded)
    return True


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
    the requests, only that person's. On PostgreSQL, of a desk whose newest documents
    match often, the matches among its newest RECENT (`_postgresql`).
    """
    groups = [g for g in groups if g]
    if not groups or not desk_ids:
        return []
    if uow.db.is_postgresql:
        return await _postgresql(uow, groups, least, sorted(set(desk_ids)), kinds,
                                 resolved_only, requester_id, limit)
    # The index narrows to the desks' documents; the filters decide.
    terms = desk_terms(desk_ids, groups)
    filters = [SearchDocument.desk_id.in_(sorted(set(desk_ids))),
               *_filters(SearchDocument, kinds, resolved_only, requester_id)]
    fts = table("search_fts", column("rowid"))
    statement = (select(SearchDocument)
                 .join(fts, fts.c.rowid == SearchDocument.id)
                 .where(literal_column("search_fts").op("MATCH")(
                     _fts5_match(terms, least)), *filters)
                 .order_by(fts.c.rowid.desc()))
    rows = await uow.session.scalars(statement.limit(limit))
    return [Candidate(document, relevance(groups, document.body)) for document in rows]


def _filters(document: Any, kinds: Sequence[str], resolved_only: bool,
             requester_id: int | None) -> list[ColumnElement[bool]]:
    """`candidates`' conditions besides the words and the desks, on `document` (the
    model or an alias of it)."""
    filters: list[ColumnElement[bool]] = [document.kind.in_(list(kinds))]
    if resolved_only:
        filters.append((document.kind == ARTICLE) | document.resolved)
    if requester_id is not None:
        filters.append((document.kind == ARTICLE) | (document.requester_id == requester_id))
    return filters


async def _postgresql(uow: UnitOfWork, groups: Sequence[Sequence[str]], least: int,
                      desk_ids: list[int], kinds: Sequence[str], resolved_only: bool,
                      requester_id: int | None, limit: int) -> list[Candidate]:
    """`candidates` on PostgreSQL: each desk's newest RECENT documents first, in one
    statement.

    FTS5 walks its posting lists newest first and stops at `limit`; a GIN index hands
    over every match, unordered, so the newest `limit` of thousands cost thousands of
    rows fetched. When at least DENSE of the desks' RECENT newest documents match,
    those are the candidates (a word that common is answered by recent requests as
    well as by old ones); otherwise the GIN index is asked, its matches then few.
    """
    table_ = SearchDocument.__table__
    mapped = [table_.c[name] for name in table_.c.keys()]
    query = cast(_tsquery(desk_terms(desk_ids, groups), least), TSQUERY)
    # `BETWEEN`, not `=`, and the order by (desk_id, id): the planner would walk the
    # primary key back instead, through every desk's documents (2.5x the time).
    newest = [select(*mapped, literal_column("words"))
              .where(table_.c.desk_id.between(desk_id, desk_id))
              .order_by(table_.c.desk_id.desc(), table_.c.id.desc()).limit(RECENT)
              for desk_id in desk_ids]
    recent = (newest[0] if len(newest) == 1 else union_all(*newest)).subquery("recent")
    hits = (select(*[recent.c[column.key] for column in mapped])
            .where(recent.c.words.op("@@")(query),
                   *_filters(recent.c, kinds, resolved_only, requester_id))
            .order_by(recent.c.id.desc()).limit(limit).cte("hits"))
    # Asked only when too few recent documents match (PostgreSQL skips it otherwise).
    # `desk_id + 0`: the terms hold only the desks' documents already; the planner
    # would otherwise AND in the desk index's bitmap, every document of the desk.
    # `id + 0`: asyncpg prepares the statement, and after five runs PostgreSQL may
    # plan it once for any words: walking the primary key back through every
    # document (1.4 s when nothing matches) instead of the GIN index's few matches.
    older = (select(*mapped)
             .where(literal_column("words").op("@@")(query),
                    (table_.c.desk_id + 0).in_(desk_ids),
                    *_filters(table_.c, kinds, resolved_only, requester_id),
                    select(func.count()).select_from(hits).scalar_subquery() < DENSE)
             .order_by((table_.c.id + 0).desc()).limit(limit))
    rows = await uow.session.scalars(select(SearchDocument).from_statement(
        union_all(select(hits), older)))
    # The older matches hold the recent ones again when they were asked.
    found = list({document.id: document for document in rows}.values())
    found.sort(key=lambda document: -document.id)
    return [Candidate(document, relevance(groups, document.body))
            for document in found[:limit]]


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
