"""The PNG chart of a report posted in chat: requests opened and resolved by week (bars),
and the share of first responses on time by week (a line), drawn with matplotlib's Agg
backend (no display, no state between calls beyond its own caches).

Its words (titles, legend) come from the catalogues in the post's language; the axes
carry only dates and numbers. matplotlib 3.11 lays right-to-left text out itself
(libraqm); older ones draw every line left to right, so for them right-to-left words
(Hebrew) are put in visual order here (`visual`): the catalogue's chart words are short
runs of Hebrew with perhaps a number or a Latin word, which a reversal of the
right-to-left runs shows correctly.
"""

from __future__ import annotations

import asyncio
import io
import threading
import unicodedata
from datetime import date
from functools import cache

from cards.i18n import t
from cards.report_page import direction
from conversations.view_models import ReportPost, ReportWeek

_ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))
_WIDTH, _HEIGHT, _DPI = 8.0, 5.0, 100


def _strong_ltr(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("L", "EN", "AN")


@cache
def _lays_out_bidi() -> bool:
    """Whether matplotlib orders right-to-left text itself (3.11 and later)."""
    import matplotlib

    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    return (major, minor) >= (3, 11)


def visual(text: str, locale: str) -> str:
    """`text` in the order matplotlib must be given it: for a right-to-left language,
    where matplotlib does not order it itself, the whole line reversed, with each
    left-to-right run (digits, Latin words) kept in its own order; else unchanged."""
    text = text.translate(_ISOLATES)
    if direction(locale) != "rtl" or _lays_out_bidi():
        return text
    runs: list[str] = []
    current, ltr = "", False
    for char in text:
        this = _strong_ltr(char) or (ltr and char in " .,:%/-" and current)
        if current and bool(this) != ltr:
            runs.append(current if ltr else current[::-1])
            current = ""
        current += char
        ltr = bool(this)
    if current:
        runs.append(current if ltr else current[::-1])
    return "".join(reversed(runs))


def _day(iso: str) -> str:
    found = date.fromisoformat(iso)
    return f"{found.day}/{found.month}"


# matplotlib's font cache and text layout are shared: one drawing at a time.
_DRAWING = threading.Lock()


async def drawn(post: ReportPost, locale: str | None = None) -> bytes:
    """`png(post, locale)`, drawn in a worker thread (a chart takes a few hundred
    milliseconds: never on the event loop)."""
    def draw() -> bytes:
        with _DRAWING:
            return png(post, locale)
    return await asyncio.to_thread(draw)


def png(post: ReportPost, locale: str | None = None) -> bytes:
    """The chart of `post`'s weeks as PNG bytes, its words in `locale` (else the post's)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    locale = locale or post.language
    weeks: tuple[ReportWeek, ...] = post.weeks
    labels = [_day(w.start) for w in weeks]
    positions = list(range(len(weeks)))
    figure = Figure(figsize=(_WIDTH, _HEIGHT), dpi=_DPI)
    volume, sla = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    width = 0.38
    volume.bar([p - width / 2 for p in positions], [w.opened for w in weeks], width,
               label=visual(t("report.chart.opened", locale), locale), color="#4e79a7")
    volume.bar([p + width / 2 for p in positions], [w.resolved for w in weeks], width,
               label=visual(t("report.chart.resolved", locale), locale), color="#59a14f")
    volume.set_title(visual(t("report.chart.volume", locale), locale), fontsize=11)
    volume.legend(loc="upper right", fontsize=9)
    volume.yaxis.get_major_locator().set_params(integer=True)
    shares = [w.sla_percent if w.sla_percent is not None else float("nan") for w in weeks]
    sla.plot(positions, shares, marker="o", color="#e15759",
             label=visual(t("report.chart.sla_met", locale), locale))
    sla.set_ylim(0, 105)
    sla.set_ylabel("%")
    sla.set_title(visual(t("report.chart.sla", locale), locale), fontsize=11)
    sla.set_xticks(positions, labels)
    sla.legend(loc="lower right", fontsize=9)
    for axes in (volume, sla):
        axes.grid(axis="y", alpha=0.3)
        if direction(locale) == "rtl":  # time runs right to left, as the page reads
            axes.invert_xaxis()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
