"""The Slack story, clicked through the playground page in a real (headless) Chromium.

Nothing here calls deskbot directly: each step is what a person does in the page,
and each check is what the page shows. Screenshots land in test-artifacts/playground/.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.playground.run import Running
from conversations import button_ids

TIMEOUT_MS = 15_000


async def expect_text(locator: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(locator).to_contain_text(text, timeout=TIMEOUT_MS)


class Person:
    """The page, driven as a person would."""

    def __init__(self, page: Any, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts
        self.shots = 0

    async def become(self, first_name: str) -> None:
        await self.page.get_by_role("radio", name=first_name).click()
        await expect_text(self.page.locator("#status"), f"You are {first_name}")

    async def go(self, place: str) -> None:
        await self.page.locator("#nav-top, #nav-channels, #nav-dms").get_by_role(
            "button", name=place, exact=True).click()

    async def write(self, text: str) -> None:
        box = self.page.get_by_role("textbox", name="Message", exact=False).first
        await box.fill(text)
        await box.press("Enter")

    def message(self, text: str) -> Any:
        return self.page.locator("#messages > li.message", has_text=text).last

    def in_thread(self, text: str) -> Any:
        return self.page.locator("#thread-messages > li.message", has_text=text).last

    async def open_thread(self, text: str) -> None:
        await self.message(text).locator("button.replies").click()

    def thread_pane(self) -> Any:
        return self.page.locator("#thread")

    async def reply_in_thread(self, message: Any, text: str) -> None:
        await message.hover()
        await message.get_by_role("button", name="Reply in thread").or_(
            message.locator("button.replies")).first.click()
        box = self.page.get_by_role("textbox", name="Reply in thread")
        await box.fill(text)
        await box.press("Enter")

    async def shot(self, name: str) -> None:
        self.shots += 1
        await self.page.screenshot(path=str(self.artifacts / f"{self.shots:02d}-{name}.png"))


async def test_the_whole_story_in_the_page(served: Running, page: Any,
                                           artifacts: Path) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # Close asks to confirm
    await page.goto(served.playground.page_url + "?as=UADA")
    me = Person(page, artifacts)
    await expect_text(page.locator("#people"), "Ada")

    # Ada (admin) creates the IT and HR desks from their channels with /desk.
    await me.go("it-desk")
    await me.write("/desk admin create IT #it-desk Laptops, VPN")
    await expect_text(page.locator("#messages"), "Created the IT desk")
    await me.write("/desk admin agents IT add @dana @lee")
    await expect_text(page.locator("#messages"), "added to the IT desk")
    await me.go("hr-desk")
    await me.write("/desk admin create HR #hr-desk People, payroll")
    await expect_text(page.locator("#messages"), "Created the HR desk")
    # A desk without agents is not ready (14.4): it says what is missing, and takes
    # requests once Dana serves it too.
    await expect_text(page.locator("#messages"), "no agents")
    await me.write("/desk admin agents HR add @dana")
    await expect_text(page.locator("#messages"), "added to the HR desk")
    await me.shot("admin-created-desks")

    # Eli asks in the DM with the bot, and picks IT.
    await me.become("Eli")
    await expect_text(page.locator("#channel-title"), "deskbot")
    await me.write("my VPN drops every hour")
    await me.open_thread("my VPN drops every hour")  # deskbot answers in the thread
    picker = me.in_thread("Which desk should take this?")
    await picker.get_by_role("button", name="Send to IT").click()
    await expect_text(me.thread_pane(), "Sent to IT as #")
    sent = re.search(r"Sent to IT as #(\d+)", await me.thread_pane().inner_text())
    assert sent is not None
    ref = sent.group(1)
    await expect_text(me.thread_pane(), f"Got it: your request is #{ref} with IT")
    await me.shot("employee-asked")

    # Dana sees the card in #it-desk and answers in its thread.
    await me.become("Dana")
    await me.go("it-desk")
    card = me.message(f"#{ref} my VPN drops every hour")
    await expect_text(card, "Unassigned")
    await me.reply_in_thread(card, "Try the new VPN profile, please")
    await expect_text(me.thread_pane(), "Try the new VPN profile, please")
    await expect_text(card, "Dana")  # she replied, so it is hers: the card says so
    await me.shot("agent-replied")

    # Eli gets Dana's answer in his DM thread, with her name.
    await me.become("Eli")
    await me.open_thread("my VPN drops every hour")
    await expect_text(me.thread_pane(), "Try the new VPN profile, please")
    await expect_text(me.thread_pane(), "Dana")

    # Lee sees Dana holds it: no Claim, Take over and Unassign instead (14.7); times in
    # his own zone, never the UTC fallback.
    await me.become("Lee")
    await me.go("it-desk")
    card = me.message(f"#{ref} my VPN drops every hour")
    await expect_text(card, "Take over")
    assert await card.get_by_role("button", name="Claim").count() == 0
    assert await card.get_by_role("button", name="Unassign").count() == 1
    assert "UTC" not in await card.inner_text()
    await me.shot("claimed-card")

    # Dana transfers it to Lee with the select.
    await me.become("Dana")
    await me.go("it-desk")
    card = me.message(f"#{ref} my VPN drops every hour")
    await card.get_by_label("Transfer to agent").select_option(label="Lee")
    await expect_text(me.message(f"#{ref} my VPN drops every hour"), "Lee")

    # Dana picks a due date on the card (Slack's date and time picker), then clears it
    # (once the card shows the transfer: the select no longer offers Lee).
    from playwright.async_api import expect

    card = me.message(f"#{ref} my VPN drops every hour")
    await expect(card.get_by_label("Transfer to agent").locator(
        "option", has_text="Lee")).to_have_count(0, timeout=TIMEOUT_MS)
    ahead = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT14:00")
    await card.locator(f'input[data-action="{button_ids.DUE}"]').fill(ahead)
    await expect_text(me.message(f"#{ref} my VPN drops every hour"), "📅 due")
    card = me.message(f"#{ref} my VPN drops every hour")
    await card.get_by_role("button", name="Clear due date").click()
    await expect(me.message(f"#{ref} my VPN drops every hour").get_by_role(
        "button", name="Clear due date")).to_have_count(0, timeout=TIMEOUT_MS)
    assert "📅 due" not in await me.message(f"#{ref} my VPN drops every hour").inner_text()

    # Lee pins it, then closes it.
    await me.become("Lee")
    await me.go("it-desk")
    card = me.message(f"#{ref} my VPN drops every hour")
    await card.get_by_role("button", name="Pin").click()
    await expect_text(page.locator("#pins"), "1 pinned")
    await expect_text(me.message(f"#{ref} my VPN drops every hour"), "Pinned")
    await me.shot("pinned")
    await me.message(f"#{ref} my VPN drops every hour").get_by_role("button", name="Close").click()
    closed = me.message(f"#{ref} my VPN drops every hour")
    await expect_text(closed, f"Reopen with /desk reopen {ref}")
    from playwright.async_api import expect

    await expect(page.locator("#pins")).to_have_text("", timeout=TIMEOUT_MS)  # unpinned
    shown = await closed.inner_text()
    assert "SLA" not in shown and "Pinned" not in shown and "REF" not in shown
    await me.shot("closed")

    # Eli is asked once, as it now stands, whether it is solved; says yes and rates 5:
    # each answer replaces its buttons.
    await me.become("Eli")
    await me.open_thread("my VPN drops every hour")
    prompt = me.in_thread("Did this solve it?")
    await expect_text(prompt, "was closed")
    assert "resolved" not in await me.thread_pane().inner_text()
    await prompt.get_by_role("button", name="Yes, solved").click()
    await expect_text(me.in_thread("Did this solve it?"), "You said it is solved")
    assert await me.in_thread("Did this solve it?").get_by_role(
        "button", name="Yes, solved").count() == 0
    rating = me.in_thread("Rate it 1 to 5")
    await rating.get_by_role("button").last.click()
    await expect_text(me.in_thread("You rated it"), "Thank you")
    await me.shot("rated")

    # The home tab: Lee's queue shows the request as his.
    await me.become("Lee")
    await me.go("Home (deskbot)")
    await expect_text(page.locator("#home"), "Assigned to me")
    await me.shot("home-tab")
