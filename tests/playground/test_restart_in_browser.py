"""A restart of the playground loses nothing: what is written after it reaches deskbot.

Once the playground numbered its events from 1 again after a restart, and deskbot took
every new DM and thread reply for a retry of an old event: dropped, with no word on the
page. Here the page is driven in Chromium across a restart on the same database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.playground.run import running
from bot.settings import Settings
from tests.playground.test_story_in_browser import Person, expect_text


async def test_after_a_restart_a_dm_and_thread_replies_reach_the_other_side(
        page: Any, artifacts: Path, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}",
                        host="127.0.0.1", port=0, sweep_seconds=3600)
    me = Person(page, artifacts)

    async with running(settings) as served:
        await page.goto(served.playground.page_url + "?as=UADA")
        await me.go("it-desk")
        await me.write("/desk admin create IT #it-desk Laptops, printers")
        await expect_text(page.locator("#messages"), "Created the IT desk")
        await me.write("/desk admin agents IT add @dana")
        await expect_text(page.locator("#messages"), "added to the IT desk")
        await me.become("Eli")
        await me.write("the printer jams")
        await me.open_thread("the printer jams")
        await expect_text(me.thread_pane(), "with IT")
        await me.become("Dana")
        await me.go("it-desk")
        await me.reply_in_thread(me.message("the printer jams"), "Which printer?")
        await me.become("Eli")
        await me.open_thread("the printer jams")
        await expect_text(me.thread_pane(), "Which printer?")
        await me.shot("before-restart")

    async with running(settings) as served:
        await page.goto(served.playground.page_url + "?as=UADA")
        await expect_text(page.locator("#people"), "Eli")
        await me.become("Eli")
        # A new DM after the restart is answered (Eli has a request open: add or new?).
        await me.write("the wifi is down too")
        await me.open_thread("the wifi is down too")
        await expect_text(me.thread_pane(), "Add this to one of them")
        # Eli's reply in his request's thread reaches the card's thread ...
        await me.reply_in_thread(me.message("the printer jams"), "The one on floor 2")
        await me.become("Dana")
        await me.go("it-desk")
        await me.open_thread("the printer jams")
        await expect_text(me.thread_pane(), "The one on floor 2")
        # ... and Dana's answer reaches Eli.
        await me.reply_in_thread(me.message("the printer jams"), "Fixed the tray")
        await me.become("Eli")
        await me.open_thread("the printer jams")
        await expect_text(me.thread_pane(), "Fixed the tray")
        await me.shot("after-restart")


async def test_a_seeded_playground_after_a_restart_relays_and_keeps_notes_internal(
        page: Any, artifacts: Path, tmp_path: Path) -> None:
    """`deskbot playground --seed`, a restart, then a DM and a thread reply get through,
    and a `//` note written in the page stays in the agents' thread."""
    import re

    from playwright.async_api import expect

    from bot.playground.seed import seed

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'seeded.db'}",
                        host="127.0.0.1", port=0, sweep_seconds=3600)
    me = Person(page, artifacts)
    async with running(settings) as served:
        assert "seeded desks IT and HR" in await seed(served)

    async with running(settings) as served:
        await page.goto(served.playground.page_url + "?as=UELI")
        await expect_text(page.locator("#people"), "Eli")
        # A new DM after the restart is answered: a receipt, or the add-or-new question.
        await me.write("my VPN drops every hour")
        await me.open_thread("my VPN drops every hour")
        await expect(me.thread_pane()).to_contain_text(
            re.compile(r"with IT|Add this to one of them"), timeout=30_000)
        # Lee, in the card's thread of Ada's request: a note, then a reply.
        await me.become("Lee")
        await me.go("it-desk")
        card = me.message("A new hire needs an account")
        await me.reply_in_thread(card, "// HR confirmed the start date")
        await expect_text(me.thread_pane(), "HR confirmed the start date")
        await me.reply_in_thread(me.message("A new hire needs an account"),
                                 "The laptop arrives tomorrow")
        # Ada gets the reply in her DM thread, and never the note.
        await me.become("Ada")
        await me.go("deskbot")
        await me.open_thread("A new hire needs an account")
        await expect_text(me.thread_pane(), "The laptop arrives tomorrow")
        assert "HR confirmed" not in await me.thread_pane().inner_text()
        await me.shot("seeded-after-restart")
