"""Helpers both card renderers use: their templates write JSON, with a `null` after
each list's items so no item needs to know whether it is the last."""

from __future__ import annotations

import json
from typing import Any


def tojson(value: Any) -> str:
    """A value as JSON text, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False)


def chunks(items: Any, size: int) -> list[list[Any]]:
    """`items` in lists of at most `size`."""
    items = list(items)
    return [items[start:start + size] for start in range(0, len(items), size)]


def prune(node: Any) -> Any:
    """Drop the `null` list terminators the templates write."""
    if isinstance(node, list):
        return [prune(item) for item in node if item is not None]
    if isinstance(node, dict):
        return {key: prune(value) for key, value in node.items()}
    return node
