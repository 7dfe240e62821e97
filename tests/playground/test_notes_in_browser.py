"""Internal notes written in the playground page stay among the agents (issue 14.3).

Only `/desk …` at the start of the composer is a command; `// …` is a message, which
deskbot keeps as a note. What the page refuses stays in the composer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.playground.run import Running
from tests.playground.test_story_in_browser import Person, expect_text


async def test_an_agents_note_shows_in_the_thread_and_never_in_the_employees_dm(
        served: Running, page: Any, artifacts: Path) -> None:
    from playwright.async_api import expect

    await page.goto(served.playground.page_url + "?as=UADA")
    me = Person(page, artifacts)
    await me.go("it-desk")
    await me.write("/desk admin create IT #it-desk Laptops, VPN")
    await expect_text(page.locator("#messages"), "Created the IT desk")
    await me.write("/desk admin agents IT add @dana @lee")
    await expect_text(page.locator("#messages"), "added to the IT desk")

    # Eli asks in the DM; the one desk takes it.
    await me.become("Eli")
    await me.write("my VPN drops every hour")
    await me.open_thread("my VPN drops every hour")
    await expect_text(me.thread_pane(), "Got it: your request is #")

    # Dana writes a note in the card's thread: it is sent, and shows there as she wrote it.
    await me.become("Dana")
    await me.go("it-desk")
    card = me.message("my VPN drops every hour")
    await expect_text(card, "Unassigned")
    await me.reply_in_thread(card, "// checking the VPN logs")
    await expect_text(me.in_thread("checking the VPN logs"), "// checking the VPN logs")
    box = page.get_by_role("textbox", name="Reply in thread")
    await expect(box).to_have_value("")
    assert "Only /desk" not in await page.locator("#status").inner_text()
    # A note is no answer: the card still waits for one.
    await expect_text(me.message("my VPN drops every hour"), "Unassigned")
    # Then an answer, which goes to Eli after the note would have.
    await box.fill("Try the new VPN profile, please")
    await box.press("Enter")
    await expect_text(me.message("my VPN drops every hour"), "Dana")
    await me.shot("agent-note-and-answer")

    # `/desk help` tells agents how notes are written.
    await me.write("/desk help")
    await expect_text(page.locator("#messages"), "internal note")

    # Eli's DM thread has the answer and never the note.
    await me.become("Eli")
    await me.go("deskbot")
    await me.open_thread("my VPN drops every hour")
    await expect_text(me.thread_pane(), "Try the new VPN profile, please")
    assert "checking the VPN logs" not in await me.thread_pane().inner_text()
    assert "checking the VPN logs" not in await page.locator("#messages").inner_text()
    await me.shot("employee-dm-without-the-note")


async def test_an_entry_the_page_refuses_keeps_its_text(
        served: Running, page: Any, artifacts: Path) -> None:
    from playwright.async_api import expect

    await page.goto(served.playground.page_url + "?as=UELI")
    me = Person(page, artifacts)
    await expect_text(page.locator("#channel-title"), "deskbot")
    too_long = "x" * 40_001  # Slack takes at most 40,000 characters
    await me.write(too_long)
    await expect_text(page.locator("#status"), "Not sent")
    box = page.get_by_role("textbox", name="Message", exact=False).first
    await expect(box).to_have_value(too_long)
    await me.shot("refused-entry-kept")
