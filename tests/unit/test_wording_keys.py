"""Every refusal and phrase the code builds names a key of the English catalogue.

`DeskbotError("…")` with text that is not a key falls back to plain English, shown
as it is in every language; `Words("…")` and `t("…")` with a key that is not in en.json
fail only when said. This reads the source (the core, the cards and the bot) and checks
each literal key given to `Words`, `t`, `DeskbotError` or one of its subclasses.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from desks.wording import known

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("desks", "conversations", "scheduling", "cards", "storage", "bot")
# Terminal-only: `deskbot desks export/import` and the CLI answer admins at a shell,
# in English; nothing in chat reaches them.
TERMINAL = {"bot/cli.py", "conversations/desk_file.py"}


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """DeskbotError and its subclasses, wherever they are defined."""
    found = {"DeskbotError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in found and any(
                        isinstance(base, ast.Name) and base.id in found
                        for base in node.bases):
                    found.add(node.name)
                    grew = True
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def literal_keys(trees: dict[Path, ast.Module]) -> Iterator[tuple[str, str, str]]:
    """(where, callee, first argument) for every call that takes a catalogue key."""
    callees = error_classes(trees) | {"Words", "t", "tr"}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            callee = _name(node.func)
            first = node.args[0]
            if callee in callees and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str) \
                    and str(path.relative_to(ROOT)) not in TERMINAL:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                yield where, callee, first.value


TREES = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sources()}
KEYS = sorted(set(literal_keys(TREES)))


def test_the_scan_finds_the_calls() -> None:
    callees = {callee for _, callee, _ in KEYS}
    assert {"Words", "t", "DeskbotError", "InvalidInput"} <= callees, callees
    assert len(KEYS) > 200


@pytest.mark.parametrize(("where", "callee", "key"), KEYS, ids=[k[0] for k in KEYS])
def test_every_literal_key_is_in_the_english_catalogue(where: str, callee: str,
                                                       key: str) -> None:
    assert known(key), f"{where}: {callee}({key!r}) names no key of en.json"



def built_refusals(trees: dict[Path, ast.Module]) -> Iterator[str]:
    """Refusals whose text is built in code (an f-string or a sum of strings)."""
    classes = error_classes(trees)
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        if where in TERMINAL:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in classes and node.args \
                    and _sentence(node.args[0]):
                yield f"{where}:{node.lineno}"


def _sentence(node: ast.expr) -> bool:
    """Text built in code with words in it (a key built from parts has no space)."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return any(isinstance(part, ast.Constant) and isinstance(part.value, str)
                   and " " in part.value for part in ast.walk(node))
    return False


def test_no_refusal_that_reaches_chat_is_built_in_english() -> None:
    assert list(built_refusals(TREES)) == []


def test_the_check_finds_a_refusal_built_in_english() -> None:
    tree = ast.parse('raise DeskbotError(f"{zone} is not a time zone")\n'
                     'raise DeskbotError(f"policy.text_{what}")')
    assert list(built_refusals({ROOT / "desks" / "example.py": tree})) == [
        "desks/example.py:1"]


def test_refusals_kept_in_constants_name_keys_too() -> None:
    from bot.slack.lookups import NO_SCOPE_TEXT
    from desks.errors import DeskbotError

    assert DeskbotError(NO_SCOPE_TEXT).words is not None
