"""Browser tests of the playground: Playwright (Python) driving Debian's Chromium, headless.

In CI (`CI` set, as `.ci/run` runs) they never skip: without Chromium or the
`playwright` package they fail, saying what to install (`.ci/run` installs both).
Elsewhere they skip with the same words, so a machine without a browser can still run
the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.playground.run import Running, running
from bot.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "playground"


def missing(what: str) -> None:
    """Fail in CI, skip elsewhere, saying what is missing and how to get it."""
    if os.environ.get("CI"):
        pytest.fail(what, pytrace=False)
    pytest.skip(what)


def chromium_path() -> str:
    """The Chromium to drive: $DESKBOT_CHROMIUM, or Debian's /usr/bin/chromium."""
    wanted = os.environ.get("DESKBOT_CHROMIUM") or shutil.which("chromium") \
        or "/usr/bin/chromium"
    if not Path(wanted).exists():
        missing(f"Chromium is missing ({wanted}): the playground's browser tests need "
                "Debian's chromium (apt-get install -y chromium) or DESKBOT_CHROMIUM "
                "pointing at one")
    return wanted


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing("the `playwright` package is missing: pip install -e '.[dev,playground]'")
    executable = chromium_path()
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=executable, headless=True,
                                                args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Running]:
    """deskbot with the playground on 127.0.0.1, a free port, a fresh SQLite file."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'playground.db'}",
                        host="127.0.0.1", port=0, sweep_seconds=3600)
    async with running(settings) as serving:
        yield serving


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def page(browser: Any, artifacts: Path, request: pytest.FixtureRequest,
               ) -> AsyncIterator[Any]:
    """A page (1400×900); a failing test leaves `failure.png` and the page's HTML."""
    shown = await browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        yield shown
    finally:
        if request.node.stash.get(FAILED, False):
            await shown.screenshot(path=str(artifacts / "failure.png"))
            (artifacts / "failure.html").write_text(await shown.content(), encoding="utf-8")
        await shown.close()
