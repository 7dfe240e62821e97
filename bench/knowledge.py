"""Similar past requests: how good (recall@3, MRR) and how fast (p50/p99) on both databases.

Quality: the labelled set of bench/data/knowledge.json (built from
bench/data/knowledge_topics.py: past requests in English and Hebrew with their
resolution notes, new questions each labelled with the past requests that answer it)
is indexed as resolved requests of one desk; each question asks `similar_resolved`
(deskbot: the normaliser, the full-text index, the ranking and its threshold) and the
baseline (words in common, lower-cased, nothing else). Printed: recall@3 (an answer
among the first three) and MRR (of the first answer among the first ten), with the
target recall@3 >= 0.8; and for each coverage threshold of THRESHOLDS, the share of
the set's negatives (questions no past request answers) shown nothing beside the
questions' recall@3 and MRR, the table MIN_COVERAGE was chosen by.

Speed: `--conversations` search documents (default 1,000,000) over 20 desks, bulk-built
from the labelled texts with random extra words, on SQLite (a temporary file) and
PostgreSQL (a database of its own with a unique name, dropped after, vacuumed as
autovacuum would after the load); `suggestions` for the questions on one desk, timed
after one untimed question on another desk and `gc.freeze()`, as a running server
(bot/server.py): p50 and p99 against the 50 ms target.

    python -m bench.knowledge [--mode quality|speed|both] [--conversations 1000000]
                              [--backend sqlite|postgresql|both] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from conversations.knowledge import similar
from conversations.knowledge.search_words import index_tokens
from storage import search
from storage.clock import FrozenClock
from storage.database import Database

DATA = Path(__file__).with_name("data") / "knowledge.json"
RECALL_TARGET = 0.8
LATENCY_TARGET_MS = 50.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DESKS = 20
# Coverage thresholds the quality run compares (similar.MIN_COVERAGE among them).
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.67, 0.75)


def load() -> dict[str, Any]:
    """The labelled set."""
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def _document(past: dict[str, Any], desk_id: int = 1) -> search.Document:
    text = f"{past['text']}\n{past['note']}"
    return search.Document(
        kind=search.REQUEST, ref_id=past["id"], workspace_id=1, desk_id=desk_id,
        requester_id=1, ref=1000 + past["id"], status="closed", resolved=True,
        title=past["text"][:200], answer=past["note"], body=" ".join(index_tokens(text)),
        opened_at=NOW - timedelta(days=past["id"] % 300), updated_at=NOW)


# ---------------------------------------------------------------- quality


def baseline_ranking(question: str, past: list[dict[str, Any]]) -> list[int]:
    """Words in common (lower-cased), most first; ties by id. Nothing in common: not listed."""
    asked = set(re.findall(r"\w+", question.lower()))
    scored = [(len(asked & set(re.findall(r"\w+", f"{p['text']} {p['note']}".lower()))), p["id"])
              for p in past]
    return [pid for score, pid in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]


def recall_and_mrr(rankings: list[list[int]], answers: list[list[int]]) -> tuple[float, float]:
    """recall@3 and MRR@10 of rankings against the labelled answers."""
    hits = sum(1 for ranked, good in zip(rankings, answers, strict=True)
               if set(ranked[:3]) & set(good))
    reciprocal = 0.0
    for ranked, good in zip(rankings, answers, strict=True):
        place = next((i for i, pid in enumerate(ranked[:10]) if pid in good), None)
        reciprocal += 0 if place is None else 1 / (place + 1)
    return hits / len(answers), reciprocal / len(answers)


@dataclass(frozen=True)
class Quality:
    """What the labelled set gives at one coverage threshold."""

    threshold: float
    recall: float  # recall@3 of the questions
    mrr: float
    silent: float  # the share of the negatives shown nothing


async def quality(thresholds: Sequence[float] = THRESHOLDS
                  ) -> tuple[list[Quality], float, float]:
    """deskbot on the labelled set (SQLite) at each coverage threshold, and the
    baseline's recall@3 and MRR."""
    data = load()
    answers = [q["answers"] for q in data["questions"]]
    measured: list[Quality] = []
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/quality.db", clock=FrozenClock(NOW))
        await db.create_all()
        async with db.unit_of_work() as uow:
            for past in data["past"]:
                await search.put(uow, _document(past))
            await uow.commit()
        async with db.unit_of_work(readonly=True) as uow:
            for threshold in thresholds:
                ours: list[list[int]] = []
                for question in data["questions"]:
                    found = await similar.similar_resolved(
                        uow, [1], question["text"], limit=10, min_coverage=threshold)
                    ours.append([f.ref_id for f in found])
                silent = 0
                for negative in data["negatives"]:
                    silent += not await similar.similar_resolved(
                        uow, [1], negative, min_coverage=threshold)
                measured.append(Quality(threshold, *recall_and_mrr(ours, answers),
                                        silent / len(data["negatives"])))
        await db.dispose()
    base = [baseline_ranking(q["text"], data["past"]) for q in data["questions"]]
    return (measured, *recall_and_mrr(base, answers))


# ---------------------------------------------------------------- speed


def bodies(count: int, seed: int = 7) -> list[tuple[int, str, str, str]]:
    """(desk, title, answer, body) of `count` documents made from the labelled texts."""
    data = load()
    rng = random.Random(seed)
    pasts = data["past"]
    filler = [t for p in pasts for t in index_tokens(p["text"])]
    # Normalised once per labelled text: the same words a million times over.
    tokens_of = [" ".join(index_tokens(f"{p['text']} {p['note']}")) for p in pasts]
    rows = []
    for index in range(count):
        past = pasts[index % len(pasts)]
        extra = " ".join(rng.choice(filler) for _ in range(rng.randint(2, 8)))
        tokens = tokens_of[index % len(pasts)]
        rows.append((1 + index % DESKS, past["text"][:200], past["note"], f"{tokens} {extra}"))
    return rows


COLUMNS = ("kind", "ref_id", "workspace_id", "desk_id", "requester_id", "ref", "status",
           "resolved", "resolver_id", "title", "answer", "body", "solved_count", "opened_at",
           "updated_at")


def _rows(count: int) -> list[tuple[Any, ...]]:
    return [("request", i + 1, 1, desk, 1 + i % 5000, 1000 + i, "closed", True, 2, title,
             answer, body, i % 7 == 0 and 3 or 0, NOW - timedelta(minutes=i), NOW)
            for i, (desk, title, answer, body) in enumerate(bodies(count))]


async def _timed(db: Database, rounds: int) -> list[float]:
    questions = [q["text"] for q in load()["questions"]]
    took: list[float] = []
    # One question first, untimed, as a running server has asked before (bench.sweep's
    # wave 0): SQLAlchemy compiles the statements once, the pool opens a connection.
    async with db.unit_of_work(readonly=True) as uow:
        await similar.suggestions(uow, [DESKS], questions[0])
    # As the server does once started (bot/server.py): what lives as long as the
    # process is kept out of the collector's generations, so a full collection (40-80
    # ms here otherwise, in whichever question it falls) walks only short-lived objects.
    gc.collect()
    gc.freeze()
    for _ in range(rounds):
        for question in questions:
            async with db.unit_of_work(readonly=True) as uow:
                start = time.perf_counter()
                await similar.suggestions(uow, [1], question)
                took.append((time.perf_counter() - start) * 1000)
    return took


async def speed_sqlite(count: int, rounds: int) -> list[float]:
    """Suggestion latencies (ms) over `count` documents on SQLite."""
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/speed.db"
        db = Database(f"sqlite+aiosqlite:///{path}", clock=FrozenClock(NOW))
        await db.create_all()
        await db.dispose()
        connection = sqlite3.connect(path)
        marks = ", ".join("?" for _ in COLUMNS)
        connection.executemany(
            f"INSERT INTO search_document ({', '.join(COLUMNS)}) VALUES ({marks})",
            [(*r[:13], r[13].isoformat(), r[14].isoformat()) for r in _rows(count)])
        connection.commit()
        connection.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        connection.commit()
        connection.close()
        db = Database(f"sqlite+aiosqlite:///{path}", clock=FrozenClock(NOW))
        try:
            return await _timed(db, rounds)
        finally:
            await db.dispose()


async def speed_postgresql(count: int, rounds: int, url: str) -> list[float]:
    """Suggestion latencies (ms) over `count` documents in a database of its own."""
    name = f"bench_knowledge_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0]
    try:
        db = Database(f"{base}/{name}", clock=FrozenClock(NOW))
        await db.create_all()
        connection = await asyncpg.connect(f"{base}/{name}")
        await connection.copy_records_to_table("search_document", records=_rows(count),
                                               columns=list(COLUMNS))
        # As autovacuum leaves a table after a bulk load (PostgreSQL 13+ vacuums after
        # inserts): hint bits set, so the first questions do not write every page they
        # read.
        await connection.execute("VACUUM ANALYZE search_document")
        await connection.close()
        try:
            return await _timed(db, rounds)
        finally:
            await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(args: argparse.Namespace) -> bool:
    """Run the chosen measurements and print them; True when every target is met."""
    met = True
    if args.mode in ("quality", "both"):
        measured, base_recall, base_mrr = await quality()
        data = load()
        print(f"labelled set: {len(data['past'])} past requests, "
              f"{len(data['questions'])} questions, {len(data['negatives'])} negatives")
        chosen = next(m for m in measured if m.threshold == similar.MIN_COVERAGE)
        recall, mrr = chosen.recall, chosen.mrr
        print(f"{'':10}{'recall@3':>10}{'MRR':>8}")
        print(f"{'deskbot':10}{recall:>10.3f}{mrr:>8.3f}")
        print(f"{'baseline':10}{base_recall:>10.3f}{base_mrr:>8.3f}   (words in common)")
        print(f"{'coverage threshold':20}{'negatives silent':>18}{'recall@3':>10}{'MRR':>8}")
        for m in measured:
            mark = "  <- MIN_COVERAGE" if m == chosen else ""
            print(f"{m.threshold:<20.2f}{m.silent:>18.3f}{m.recall:>10.3f}{m.mrr:>8.3f}{mark}")
        verdict = "met" if recall >= RECALL_TARGET else "MISSED"
        print(f"target recall@3 >= {RECALL_TARGET}: {verdict}")
        met &= recall >= RECALL_TARGET
    if args.mode in ("speed", "both"):
        backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
        for backend in backends:
            start = time.perf_counter()
            took = await (speed_sqlite(args.conversations, args.rounds) if backend == "sqlite"
                          else speed_postgresql(args.conversations, args.rounds, args.pg_url))
            p50, p99 = statistics.median(took), _percentile(took, 0.99)
            print(f"{backend:10} {args.conversations:,} documents: suggestions "
                  f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 < {LATENCY_TARGET_MS:.0f} ms:"
                  f" {'met' if p99 < LATENCY_TARGET_MS else 'MISSED'}); "
                  f"built and measured in {time.perf_counter() - start:.0f} s")
            met &= p99 < LATENCY_TARGET_MS
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("quality", "speed", "both"), default="quality")
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--rounds", type=int, default=3)
    raise SystemExit(0 if asyncio.run(main(parser.parse_args())) else 1)
