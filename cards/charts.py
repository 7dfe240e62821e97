"""Small inline SVG charts for the report page: grouped bars (requests opened and
resolved per week) and a line of percentages (SLA met per week).

Plain SVG, no script: it prints, and it reads in any browser. Labels are escaped here;
colours come from the page's stylesheet through class names (`series-0`, `series-1`),
so the print stylesheet can change them. In a right-to-left page the weeks still run
left to right, as time does on a chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 40


@dataclass(frozen=True)
class Series:
    """One series: its name (shown in the legend) and a value per column (None: none)."""

    name: str
    values: Sequence[float | None]


def _scale_top(highest: float) -> float:
    """A round top for the y axis: 1, 2, 5, 10, 20, 50…, at least `highest`."""
    power = 1.0
    while True:
        for step in (1, 2, 5):
            if step * power >= highest:
                return step * power
        power *= 10


def _number(value: float) -> str:
    return f"{value:g}"


def _frame(title: str, labels: Sequence[str], top: float, suffix: str) -> list[str]:
    """The opening tag, title, horizontal grid with its values, and column labels."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
             f'class="chart" direction="ltr">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" '
                     f'y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{_number(value)}{escape(suffix)}</text>')
    width = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for i, label in enumerate(labels):
        x = LEFT + width * (i + 0.5)
        parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    x = LEFT
    for index, one in enumerate(series):
        parts.append(f'<rect class="series-{index}" x="{x}" y="{HEIGHT - 14}" width="10" '
                     f'height="10"/>')
        parts.append(f'<text class="legend" x="{x + 14}" y="{HEIGHT - 5}">'
                     f"{escape(one.name)}</text>")
        x += 24 + 8 * len(one.name)
    return parts


def bars(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Grouped bars: one group per label, one bar per series."""
    highest = max([v for s in series for v in s.values if v is not None] or [0])
    top = _scale_top(highest)
    plot_h = HEIGHT - TOP - BOTTOM
    parts = _frame(title, labels, top, "")
    group = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    bar = group * 0.8 / max(1, len(series))
    for i in range(len(labels)):
        for index, one in enumerate(series):
            value = one.values[i] if i < len(one.values) else None
            if value is None:
                continue
            h = plot_h * value / top
            x = LEFT + group * i + group * 0.1 + bar * index
            parts.append(f'<rect class="series-{index}" x="{x:.1f}" '
                         f'y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                         f"<title>{escape(one.name)}: {_number(value)}</title></rect>")
    return "".join([*parts, *_legend(series), "</svg>"])


def line(title: str, labels: Sequence[str], series: Sequence[Series],
         top: float = 100, suffix: str = "%") -> str:
    """Lines of values from 0 to `top` (percentages): a dot at each value, joined where
    neighbours both have one."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = _frame(title, labels, top, suffix)
    step = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for index, one in enumerate(series):
        points = [(LEFT + step * (i + 0.5), TOP + plot_h - plot_h * min(v, top) / top, v)
                  for i, v in enumerate(one.values) if v is not None]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(one.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + step * (i + 0.5)
            y = TOP + plot_h - plot_h * min(value, top) / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline class="line series-{index}" points="{" ".join(run)}"/>')
        for x, y, value in points:
            parts.append(f'<circle class="series-{index}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                         f"<title>{escape(one.name)}: {_number(value)}{escape(suffix)}"
                         f"</title></circle>")
    return "".join([*parts, *_legend(series), "</svg>"])
