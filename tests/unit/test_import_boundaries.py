"""The architecture's arrows, enforced: the core never imports a platform, nor a layer above it.

Every .py file under the core packages is parsed with `ast` (imports anywhere in the
file count, including inside functions and `if TYPE_CHECKING:` blocks, and
`importlib.import_module("...")` with a literal name). A subprocess then imports
every core module and checks that no platform library got loaded on the way.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ("storage", "desks", "conversations", "scheduling", "cards")
PLATFORMS = frozenset({"slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp"})
FIRST_PARTY = frozenset({"bot", *CORE})
# Which first-party packages each core package may import (ARCHITECTURE.md, "Arrows");
# every other first-party package is forbidden to it. `cards` imports nothing of ours.
ALLOWED = {
    "storage": frozenset(),
    "desks": frozenset({"storage"}),
    "conversations": frozenset({"desks", "storage"}),
    "scheduling": frozenset({"conversations", "desks", "storage"}),
    "cards": frozenset(),
}
FORBIDDEN = {package: FIRST_PARTY - ALLOWED[package] - {package} for package in CORE}
# The one exception: cards render view models, which the core builds, so cards may import
# the modules that define them (and which import nothing of ours themselves).
VIEW_MODELS = frozenset({"conversations.view_models", "conversations.button_ids"})


def is_view_model(module: str) -> bool:
    """`module` is (a name in) a view-model module, or the package that holds them
    (`from conversations import button_ids` also names the package)."""
    return module == "conversations" or any(
        module == allowed or module.startswith(allowed + ".") for allowed in VIEW_MODELS)


@dataclass(frozen=True)
class Import:
    """One import found in a file."""

    path: Path
    line: int
    module: str

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.module}"


def python_files(root: Path, package: str) -> list[Path]:
    return sorted(p for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)


def _package_of(path: Path, root: Path) -> list[str]:
    # storage/deep/inner.py and storage/deep/__init__.py both live in package storage.deep.
    return list(path.relative_to(root).parent.parts)


def imports_in(path: Path, root: Path) -> Iterator[Import]:
    """Every module `path` imports, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path, root)
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield Import(path, node.lineno, module)
            for alias in node.names:  # `from storage import models` imports storage.models
                yield Import(path, node.lineno, f"{module}.{alias.name}")
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name)
                       and node.func.id in ("__import__", "import_module")))):
            yield Import(path, node.lineno, node.args[0].value)


def violations(root: Path) -> tuple[list[str], int]:
    """Every forbidden import under the core packages of `root`, and how many files were read."""
    found: list[str] = []
    files = 0
    for package in CORE:
        for path in python_files(root, package):
            files += 1
            for imported in imports_in(path, root):
                if imported.top in PLATFORMS:
                    found.append(f"{imported} (the core never imports a platform library)")
                elif package == "cards" and is_view_model(imported.module):
                    continue
                elif imported.top in FORBIDDEN[package]:
                    found.append(f"{imported} ({package} must not import {imported.top})")
    return sorted(set(found)), files


def test_core_imports_no_platform_and_follows_the_arrows() -> None:
    found, files = violations(ROOT)
    assert found == []
    assert files > 0


def test_every_core_file_is_checked() -> None:
    walked = {p.relative_to(ROOT).as_posix() for pkg in CORE for p in python_files(ROOT, pkg)}
    on_disk = {p.relative_to(ROOT).as_posix() for pkg in CORE
               for p in (ROOT / pkg).glob("**/*.py") if "__pycache__" not in p.parts}
    assert walked == on_disk
    for known in ("storage/models.py", "storage/database.py", "storage/migrate.py",
                  "storage/migrations/env.py", "storage/migrations/versions/0001_initial.py",
                  "conversations/messages.py", "desks/directory.py", "desks/notices.py",
                  "desks/__init__.py", "cards/__init__.py", "scheduling/__init__.py",
                  "conversations/view_queries.py", "conversations/view_models.py",
                  "conversations/buttons.py", "conversations/command_line/runner.py"):
        assert known in walked


def test_the_arrows_are_the_architectures() -> None:
    # ARCHITECTURE.md: bot -> all; scheduling -> conversations, desks, storage;
    # conversations -> desks, storage; desks -> storage; cards and storage -> nothing of ours.
    assert FORBIDDEN == {
        "storage": {"desks", "conversations", "scheduling", "cards", "bot"},
        "desks": {"conversations", "scheduling", "cards", "bot"},
        "conversations": {"scheduling", "cards", "bot"},
        "scheduling": {"cards", "bot"},
        "cards": {"storage", "desks", "conversations", "scheduling", "bot"},
    }


# bot/ keeps the entry points and the platform adapters; what a message, a button or a
# command means lives in the core, where the walk above checks it.
BOT_ENTRY_POINTS = frozenset({"__init__", "__main__", "cli", "settings", "server", "bootstrap"})
BOT_ADAPTERS = frozenset({"slack", "teams", "playground"})
# Not moved yet (issue 15): file_relay fetches over HTTP with aiohttp; delivery is being
# reworked into the core's delivery plan by another change.
BOT_NOT_YET_IN_THE_CORE = frozenset({"delivery", "file_relay"})


def test_view_models_import_nothing_of_ours() -> None:
    # What cards may import must not drag the rest of the core in behind it.
    for module in VIEW_MODELS:
        path = ROOT / (module.replace(".", "/") + ".py")
        ours = [str(i) for i in imports_in(path, ROOT) if i.top in FIRST_PARTY]
        assert ours == []


def test_bot_holds_only_entry_points_and_adapters() -> None:
    found = {p.stem if p.is_file() else p.name for p in (ROOT / "bot").iterdir()
             if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())}
    assert found - BOT_ENTRY_POINTS - BOT_ADAPTERS <= BOT_NOT_YET_IN_THE_CORE
    for moved in ("chat", "directory", "views", "controls", "commands"):
        assert moved not in found


def is_reexport_shim(path: Path) -> bool:
    """A module that only imports names from elsewhere and lists them (docstring aside)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    exports = [node for node in body if isinstance(node, ast.Import | ast.ImportFrom)
               and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    rest = [node for node in body if node not in exports
            and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
            and not (isinstance(node, ast.Assign)
                     and [getattr(t, "id", None) for t in node.targets] == ["__all__"])]
    return bool(exports) and not rest


def test_no_core_module_is_a_reexport_shim(tmp_path: Path) -> None:
    # A name has one home: `scheduling/clock.py` and `conversations/notices.py` only
    # re-exported storage's, so a reader met the clock and the notice kinds twice.
    shims = [p.relative_to(ROOT).as_posix() for pkg in CORE for p in python_files(ROOT, pkg)
             if p.name != "__init__.py" and is_reexport_shim(p)]
    assert shims == []
    planted = tmp_path / "clock.py"
    planted.write_text('"""Doc."""\nfrom storage.clock import Clock\n__all__ = ["Clock"]\n')
    assert is_reexport_shim(planted)
    planted.write_text("from storage.clock import Clock\nNOW = Clock\n")
    assert not is_reexport_shim(planted)


def test_notice_words_live_in_the_domain_not_in_storage() -> None:
    # storage applies notices as rows; what a notice kind means is the core's word.
    import desks.notices
    import storage

    assert desks.notices.NoticeKind.DESK_NOT_READY == "desk.not_ready"
    assert not (Path(storage.__file__).parent / "notices.py").exists()


def _plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if parent != Path("."):
            (root / parent / "__init__.py").touch()
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_the_walker_finds_planted_imports(tmp_path: Path) -> None:
    for package in CORE:
        (tmp_path / package).mkdir()
    _plant(tmp_path, "storage/deep/inner.py", """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        import slack_sdk.web
        from . import sibling
        from .. import database
        if TYPE_CHECKING:
            from conversations.notices import NoticeKind
        def later():
            from bot import cli
            import importlib
            return importlib.import_module("aiohttp.web")
    """)
    _plant(tmp_path, "desks/rules.py", "from botbuilder.core import TurnContext\n"
                                       "import scheduling.calendar\n")
    _plant(tmp_path, "conversations/flow.py", "from slack_bolt.async_app import AsyncApp\n"
                                              "from desks import rules\n")
    _plant(tmp_path, "cards/render.py", "from storage import models\n"
                                        "__import__('botframework.connector')\n"
                                        "from desks import rules\n"
                                        "import conversations.flow\n"
                                        "from conversations.view_models import Receipt\n")
    _plant(tmp_path, "scheduling/jobs.py", "import bot.server\nfrom conversations import flow\n"
                                           "from cards import render\n")
    _plant(tmp_path, "storage/outbox.py", "from conversations.flow import NoticeKind\n"
                                          "from storage import models\n")

    found, files = violations(tmp_path)

    assert files == len(list(tmp_path.rglob("*.py"))) == 12  # 6 planted, 6 __init__.py
    text = "\n".join(found)
    for expected in [
        "storage/deep/inner.py:4 imports slack_sdk.web",
        "storage/deep/inner.py:8 imports conversations.notices",
        "storage/deep/inner.py:10 imports bot",
        "storage/deep/inner.py:12 imports aiohttp.web",
        "desks/rules.py:1 imports botbuilder.core",
        "desks/rules.py:2 imports scheduling.calendar",
        "conversations/flow.py:1 imports slack_bolt.async_app",
        "cards/render.py:1 imports storage",
        "cards/render.py:2 imports botframework.connector",
        "scheduling/jobs.py:1 imports bot.server",
        "scheduling/jobs.py:3 imports cards",
        "cards/render.py:3 imports desks",
        "cards/render.py:4 imports conversations.flow",
        "storage/outbox.py:1 imports conversations.flow",
    ]:
        assert expected in text, f"missed: {expected}\nfound:\n{text}"
    # Allowed arrows and package-internal relative imports are not reported.
    for allowed in ("conversations/flow.py:2", "scheduling/jobs.py:2", "storage.sibling",
                    "storage.database", "storage/outbox.py:2", "cards/render.py:5"):
        assert allowed not in text


def core_modules(root: Path) -> list[str]:
    """Importable modules of the core (files inside packages; migration scripts are not)."""
    modules = []
    for package in CORE:
        for path in python_files(root, package):
            parts = list(path.relative_to(root).with_suffix("").parts)
            chain = [root.joinpath(*parts[:i]) for i in range(1, len(parts))]
            if not all((d / "__init__.py").is_file() for d in chain):
                continue  # e.g. storage/migrations/env.py: loaded by Alembic, not imported
            if parts[-1] == "__init__":
                parts.pop()
            modules.append(".".join(parts))
    return modules


def test_importing_the_whole_core_loads_no_platform_library() -> None:
    modules = core_modules(ROOT)
    assert "storage.models" in modules and "storage.migrate" in modules
    script = textwrap.dedent(f"""
        import importlib, json, sys
        for name in {modules!r}:
            importlib.import_module(name)
        platforms = {sorted(PLATFORMS)!r}
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in platforms)
        print(json.dumps(loaded))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("package", CORE)
def test_every_core_package_exists(package: str) -> None:
    assert (ROOT / package / "__init__.py").is_file()
