"""Module names say what a module is, and a reader never meets two different things under
one name: only a platform's parallel modules (Slack's and Teams' sender) share one."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "desks", "conversations", "scheduling", "cards", "storage")
# The same job done per platform (bot/slack/sender.py and bot/teams/sender.py, ...).
PLATFORM_SIBLINGS = frozenset({"app.py", "sender.py", "relay.py", "render.py", "server.py",
                               "measured.py"})


def modules_by_name(root: Path) -> dict[str, list[str]]:
    """Every module of our packages by file name (package markers and migrations aside)."""
    found: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).parts
            if path.name == "__init__.py" or "migrations" in parts or "__pycache__" in parts:
                continue
            found[path.name].append(path.relative_to(root).as_posix())
    return found


def test_no_two_different_modules_share_a_name() -> None:
    shared = {name: paths for name, paths in modules_by_name(ROOT).items()
              if len(paths) > 1 and name not in PLATFORM_SIBLINGS}
    assert shared == {}


def test_the_names_that_used_to_collide_are_gone_or_single() -> None:
    by_name = modules_by_name(ROOT)
    for name in ("text.py", "people.py", "actions.py", "views.py", "sla.py", "notices.py",
                 "clock.py", "files.py", "limits.py", "messages.py"):
        assert len(by_name.get(name, [])) <= 1, (name, by_name[name])
    assert not (ROOT / "bot" / "commands").exists()  # beside conversations/commands.py


def test_platform_siblings_are_per_platform() -> None:
    # A shared name is allowed only for one module per platform package, nothing else.
    for name in PLATFORM_SIBLINGS:
        for path in modules_by_name(ROOT).get(name, []):
            assert path.split("/")[-2] in ("slack", "teams", "playground", "bot"), path
