"""When requests look alike: the rules behind the known-incident offer and the burst rule.

Pure functions, no database. A text becomes its *words*: lower-cased, accents and
Hebrew points dropped, stop words (English and Hebrew) left out, a Hebrew word's
one-letter prefixes (ה, ו, ב, ל, מ, ש, כ) taken off. Two texts look alike when most
words of the shorter one are in the other (`looks_alike`). A burst is `count` requests
that look alike within `window` on one desk, from `count` different people, none of
them linked to an incident nor proposed before (`burst`): one person writing the same
thing ten times is no outage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Share of the shorter text's words the other must hold, and the fewest words shared
# (a one-word title needs only its word).
THRESHOLD = 0.6
MIN_SHARED = 2
DEFAULT_BURST_COUNT = 3
DEFAULT_BURST_MINUTES = 10

STOP_WORDS = frozenset("""
a an the is are was were be been am i im i'm me my we our you your it its it's this that
these those to of in on at for from by with and or but not no so as if then than there
here what which who when where why how can could would should will just also too very
any some all again still since today now please hi hello hey thanks thank help anyone
does do did doesn't don't isn't can't cannot won't has have had get got getting seems
working work works problem issue
של את על עם זה זו זאת יש אין לא כן גם אני אתה את אנחנו הם הן הוא היא שלי שלנו מה מי
איך למה כי אבל או אם רק עוד כבר היום עכשיו בבקשה תודה שלום היי מישהו מישהי
עובד עובדת עובדים אצלי אצלנו בעיה תקלה
""".split())
HEBREW_PREFIXES = "הובלמשכ"
_WORD = re.compile(r"\w+", re.UNICODE)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Combining marks: Latin accents and Hebrew points (niqqud); Cf: direction marks.
    return "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))


def _stem(word: str) -> str:
    """A Hebrew word without its one-letter prefixes (at least three letters kept)."""
    while len(word) > 3 and word[0] in HEBREW_PREFIXES:
        word = word[1:]
    return word


def words(text: str) -> frozenset[str]:
    """The words of `text` that say what it is about."""
    found = set()
    for word in _WORD.findall(_plain(text or "")):
        if word in STOP_WORDS or word.isdigit() or len(word) < 2:
            continue
        stemmed = _stem(word)
        if stemmed not in STOP_WORDS:
            found.add(stemmed)
    return frozenset(found)


def looks_alike(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two texts' words say the same thing (see THRESHOLD, MIN_SHARED)."""
    if not a or not b:
        return False
    shared = len(a & b)
    shorter = min(len(a), len(b))
    return shared >= min(MIN_SHARED, shorter) and shared / shorter >= THRESHOLD


def matches_incident(text: str, incident_texts: Iterable[str]) -> bool:
    """Whether a request's text looks like an incident: its title or a linked subject."""
    mine = words(text)
    return any(looks_alike(mine, words(other)) for other in incident_texts)


@dataclass(frozen=True)
class Recent:
    """A request opened on the desk lately, as the burst rule sees it."""

    ref: int
    words: frozenset[str]
    opened_at: datetime
    proposed: bool = False  # in a cluster proposed already
    linked: bool = False  # linked to an incident
    requester: int = 0  # who asked


def burst(new: Recent, recent: Sequence[Recent], *, count: int,
          window: timedelta) -> list[int] | None:
    """The refs to propose as one incident when `new` completes a burst, else None.

    A burst: `new` and other requests of the window that look like it, none linked to
    an incident, from at least `count` different requesters. Proposed once: when any
    request that looks like `new` was in a proposal already, the cluster was told of,
    and this is None.
    """
    if count < 2:
        return None
    alike = [r for r in recent
             if r.ref != new.ref and new.opened_at - r.opened_at <= window
             and looks_alike(new.words, r.words)]
    if any(r.proposed for r in alike):
        return None
    cluster = [r for r in alike if not r.linked]
    if len({r.requester for r in cluster} | {new.requester}) < count:
        return None
    return sorted([r.ref for r in cluster] + [new.ref])


def burst_setting(settings: dict[str, object] | None) -> tuple[int, timedelta]:
    """The desk's burst rule: `incident_burst: {count: 3, minutes: 10}` (defaults)."""
    raw = (settings or {}).get("incident_burst")
    found = raw if isinstance(raw, dict) else {}
    try:
        count = int(found.get("count", DEFAULT_BURST_COUNT))
        minutes = int(found.get("minutes", DEFAULT_BURST_MINUTES))
    except (TypeError, ValueError):
        count, minutes = DEFAULT_BURST_COUNT, DEFAULT_BURST_MINUTES
    return count, timedelta(minutes=max(minutes, 0))
