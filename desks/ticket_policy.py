"""A desk's ticket settings: its ticket categories (each with optional SLA targets) and
its impact × urgency matrix.

Kept in the desk's `settings` next to the service policy (`desks.policy` reads them
into `DeskPolicy.categories` and `.matrix`). Stored form:

    {"categories": [{"name": "Incident",
                     "sla": {"first_response": {"default": "30m"},
                             "resolution": {"default": "1d"}}},
                    {"name": "Service request"}, {"name": "IMAC"}],
     "matrix": {"on": true,
                "table": {"high": {"high": 5, "medium": 4, "low": 3},
                          "medium": {"high": 4, "medium": 3, "low": 2},
                          "low": {"high": 3, "medium": 2, "low": 1}}}}

The table reads impact first, then urgency. A desk without `categories` has the three
defaults, named in the desk's language (no targets of their own: a ticket of theirs
keeps the desk's targets) until the categories are first changed or stored; a
category's targets replace the desk's for the priorities they name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from desks.errors import InvalidInput
from desks.wording import catalogue_text, code

LEVELS = ("high", "medium", "low")
DEFAULT_LEVEL = "medium"
MAX_CATEGORY = 80  # `conversation.category` is a String(80)
MAX_CATEGORIES = 25  # a select shows no more than this many choices comfortably
# ITIL's 3×3: impact → urgency → priority (1–5 stars).
ITIL_TABLE: Mapping[str, Mapping[str, int]] = {
    "high": {"high": 5, "medium": 4, "low": 3},
    "medium": {"high": 4, "medium": 3, "low": 2},
    "low": {"high": 3, "medium": 2, "low": 1},
}


@dataclass(frozen=True)
class Category:
    """A ticket category and its own SLA targets (per priority; none: the desk's)."""

    name: str
    first_response: Mapping[int, timedelta] = field(default_factory=dict)
    resolution: Mapping[int, timedelta] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """How the name is matched: case and spacing do not matter."""
        return category_key(self.name)


ITEM_EXAMPLE = code("{name: Incident, sla: {first_response: 30m, resolution: 1d}}")
LIST_EXAMPLE = code("[{name: Incident}, {name: Service request}]")
SLA_EXAMPLE = code("{first_response: {default: 30m}, resolution: {default: 1d}}")
TABLE_EXAMPLE = code("{high: {high: 5, medium: 4, low: 3}}")
DEFAULT_CATEGORIES = (Category("Incident"), Category("Service request"), Category("IMAC"))
# The defaults' names are words of the desk's language (`category.default_*`).
DEFAULT_KEYS = ("category.default_incident", "category.default_service_request",
                "category.default_imac")


def default_categories(language: str | None) -> tuple[Category, ...]:
    """Incident, Service request and IMAC, named in `language` (a desk's)."""
    if not language or language == "en":
        return DEFAULT_CATEGORIES
    return tuple(Category(catalogue_text(key, language)) for key in DEFAULT_KEYS)


@dataclass(frozen=True)
class Matrix:
    """Whether priority follows impact × urgency, and the table that says how."""

    on: bool = False
    table: Mapping[str, Mapping[str, int]] = field(default_factory=lambda: ITIL_TABLE)

    def priority(self, impact: str | None, urgency: str | None) -> int:
        """The priority of `impact` × `urgency`; either unknown counts as medium."""
        return self.table[impact or DEFAULT_LEVEL][urgency or DEFAULT_LEVEL]


def category_key(name: str) -> str:
    """A category name as matched: folded case, single spaces."""
    return " ".join(name.split()).casefold()


def clean_category(name: Any) -> str:
    """A category name as stored: single spaces, 1–80 characters; refuses anything else."""
    if not isinstance(name, str) or not " ".join(name.split()):
        raise InvalidInput("category.name_needed")
    text = " ".join(name.split())
    if len(text) > MAX_CATEGORY:
        raise InvalidInput("category.name_too_long", count=MAX_CATEGORY)
    return text


def find_category(categories: tuple[Category, ...], name: str) -> Category | None:
    """The category called `name` (any case), or None."""
    key = category_key(name)
    return next((c for c in categories if c.key == key), None)


def level(value: Any) -> str:
    """An impact or urgency: high, medium or low (any case)."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if text not in LEVELS:
        raise InvalidInput("matrix.not_a_level", got=str(value)[:20])
    return text


def matrix_of(raw: Any) -> Matrix:
    """The matrix stored in `raw` (`{"on": …, "table": …}`); ITIL's table when none."""
    if not raw:
        return Matrix()
    if not isinstance(raw, Mapping):
        raise InvalidInput("matrix.form")
    on = raw.get("on", False)
    if not isinstance(on, bool):
        raise InvalidInput("matrix.on_form")
    table = {i: dict(row) for i, row in ITIL_TABLE.items()}
    given = raw.get("table") or {}
    if not isinstance(given, Mapping):
        raise InvalidInput("matrix.table_form", example=TABLE_EXAMPLE)
    for impact, row in given.items():
        if not isinstance(row, Mapping):
            raise InvalidInput("matrix.table_form", example=TABLE_EXAMPLE)
        for urgency, priority in row.items():
            table[level(impact)][level(urgency)] = _stars(priority)
    return Matrix(on=on, table=table)


def _stars(value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) \
            or not 1 <= int(text) <= 5:
        raise InvalidInput("matrix.not_a_priority", got=text[:20])
    return int(text)


def stored_matrix(matrix: Matrix) -> dict[str, Any]:
    """The matrix in its stored form (the whole table, so the YAML shows what to edit)."""
    return {"on": matrix.on,
            "table": {i: {u: matrix.table[i][u] for u in LEVELS} for i in LEVELS}}


def categories_of(raw: Any, targets: Callable[[Any], dict[int, timedelta]],
                  language: str | None = None) -> tuple[Category, ...]:
    """The categories stored in `raw` (None: the defaults, in the desk's `language`);
    `targets` reads an SLA mapping."""
    if raw is None:
        return default_categories(language)
    if not isinstance(raw, list):
        raise InvalidInput("category.list_form", example=LIST_EXAMPLE)
    found: list[Category] = []
    for item in raw:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping):
            raise InvalidInput("category.item_form", example=ITEM_EXAMPLE)
        unknown = [k for k in item if k not in ("name", "sla")]
        if unknown:
            raise InvalidInput("category.item_form", example=ITEM_EXAMPLE)
        name = clean_category(item.get("name"))
        if find_category(tuple(found), name) is not None:
            raise InvalidInput("category.twice", name=name)
        sla = item.get("sla") or {}
        if not isinstance(sla, Mapping) or any(k not in ("first_response", "resolution")
                                               for k in sla):
            raise InvalidInput("category.sla_form", example=SLA_EXAMPLE)
        found.append(Category(name, targets(_every(sla.get("first_response"))),
                              targets(_every(sla.get("resolution")))))
    if len(found) > MAX_CATEGORIES:
        raise InvalidInput("category.too_many", count=MAX_CATEGORIES)
    return tuple(found)


def _every(raw: Any) -> Any:
    """A target written as one duration (`resolution: 4h`) is every priority's."""
    return {"default": raw} if isinstance(raw, str) else raw


def stored_categories(categories: tuple[Category, ...],
                      stored_targets: Callable[[Mapping[int, timedelta]], dict[str, str]]
                      ) -> list[dict[str, Any]]:
    """The categories in their stored form."""
    written = []
    for category in categories:
        item: dict[str, Any] = {"name": category.name}
        sla = {kind: stored_targets(targets) for kind, targets in
               (("first_response", category.first_response),
                ("resolution", category.resolution)) if targets}
        if sla:
            item["sla"] = sla
        written.append(item)
    return written
