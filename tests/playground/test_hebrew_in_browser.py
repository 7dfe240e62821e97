"""The playground in Hebrew (issue 16), in a real (headless) Chromium.

The switch (English | עברית) turns the page's own words and its direction; every run of
text deskbot or a person wrote reads in its own direction (`dir` from its first strong
letter), Hebrew inside English kept as an isolate; the seed's Hebrew desk and Hebrew-
speaking employee show up. Screenshots land in test-artifacts/playground/; with
DESKBOT_SCREENSHOTS=docs/screenshots the three of the Hebrew page (hebrew-dm.png,
hebrew-card-desk.png, hebrew-home.png) are written there too.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

from bot.playground.run import Running
from bot.playground.seed import seed
from tests.playground.test_story_in_browser import TIMEOUT_MS, Person, expect_text

SCREENSHOTS = "DESKBOT_SCREENSHOTS"


async def expect_page_language(page: Any, lang: str, direction: str) -> None:
    from playwright.async_api import expect

    await expect(page.locator("html")).to_have_attribute("lang", lang, timeout=TIMEOUT_MS)
    await expect(page.locator("html")).to_have_attribute("dir", direction)


async def shot(page: Any, artifacts: Path, name: str) -> None:
    """A screenshot of the page; also into $DESKBOT_SCREENSHOTS when it is set."""
    taken = await page.screenshot(path=str(artifacts / f"{name}.png"))
    if os.environ.get(SCREENSHOTS):
        await asyncio.to_thread((Path(os.environ[SCREENSHOTS]) / f"{name}.png").write_bytes,
                                taken)


def script_errors(page: Any) -> list[str]:
    """The page's uncaught script errors, as they happen (a test ends asserting none)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


async def expect_direction(locator: Any, direction: str) -> None:
    """Chromium lays the element out in `direction` (waiting out a re-render)."""
    from playwright.async_api import expect

    await expect(locator).to_have_css("direction", direction, timeout=TIMEOUT_MS)


async def test_the_switch_turns_the_page_hebrew_and_each_run_keeps_its_direction(
        served: Running, page: Any, artifacts: Path) -> None:
    from playwright.async_api import expect

    errors = script_errors(page)
    await page.goto(served.playground.page_url + "?as=UELI")
    me = Person(page, artifacts)
    await expect_page_language(page, "en", "ltr")
    await expect_text(page.locator(".sidebar"), "Channels")
    english = page.get_by_role("button", name="English")
    await expect(english).to_have_attribute("aria-pressed", "true")

    # The switch, named in each language's own words.
    await page.get_by_role("button", name="עברית").click()
    await expect_page_language(page, "he", "rtl")
    await expect_text(page.locator(".sidebar"), "ערוצים")
    await expect_text(page.locator(".sidebar"), "הודעות פרטיות")
    await expect_text(page.locator("#composer-label"), "הודעה אל")
    await expect_text(page.locator("#messages"), "כתבו ל-deskbot")
    await expect(page.locator("#composer-text")).to_have_attribute(
        "placeholder", re.compile("^כתבו הודעה"))
    await expect_text(page.locator("#people"), "עובד/ת")  # Eli's role
    await expect(page.get_by_role("button", name="עברית")).to_have_attribute(
        "aria-pressed", "true")
    for part in (".sidebar", "#main"):
        assert "English" not in await page.locator(part).inner_text()
    assert "lang=he" in page.url
    # The channel's name keeps its # in front on a right-to-left page.
    await me.go("it-desk")
    assert await page.locator("#channel-title").get_attribute("dir") == "ltr"

    # Remembered: a fresh load (no ?lang=) is still in Hebrew.
    await page.goto(served.playground.page_url + "?as=UELI")
    await expect_page_language(page, "he", "rtl")
    await expect_text(page.locator(".sidebar"), "ערוצים")

    # What people write reads in its own direction, in the same (Hebrew) page.
    box = page.get_by_role("textbox", name="הודעה אל")
    for text in ("my laptop screen flickers", "המסך של המחשב הנייד מהבהב",
                 "ניסיתי את `/desk help` ולא קרה כלום"):
        await box.fill(text)
        await box.press("Enter")
    english_run = page.locator("#messages .text", has_text="my laptop screen flickers")
    hebrew_run = page.locator("#messages .text", has_text="המסך של המחשב הנייד")
    await expect(english_run).to_have_attribute("dir", "ltr", timeout=TIMEOUT_MS)
    await expect(hebrew_run).to_have_attribute("dir", "rtl", timeout=TIMEOUT_MS)
    await expect_direction(english_run, "ltr")
    await expect_direction(hebrew_run, "rtl")
    # A command inside a Hebrew line reads left to right, its slash in front.
    await page.wait_for_function("""() => {
        const code = [...document.querySelectorAll("#messages .text[dir=rtl] code")]
            .find((c) => c.textContent === "/desk help");
        if (!code || getComputedStyle(code).direction !== "ltr") return false;
        const x = (i) => { const r = document.createRange();
            r.setStart(code.firstChild, i); r.setEnd(code.firstChild, i + 1);
            return r.getBoundingClientRect().x; };
        return x(0) < x(1) && x(1) < x(code.textContent.length - 1); }""",
                                 timeout=TIMEOUT_MS)
    # deskbot's answer (English: no desk yet) is a left-to-right run of the Hebrew page.
    answer = page.locator("#messages li.ephemeral").last
    await expect_text(answer, "desk")
    await expect_text(answer, "גלויה רק לכם")  # the page's own words around it: Hebrew
    runs = answer.locator(".bk-text, .text")
    assert await runs.count() >= 1
    assert {await runs.nth(i).get_attribute("dir") for i in range(await runs.count())} \
        == {"ltr"}
    await me.shot("hebrew-page-english-answer")

    # And back: the page's words in English, left to right; the messages as they were.
    await page.get_by_role("button", name="English").click()
    await expect_page_language(page, "en", "ltr")
    await expect_text(page.locator(".sidebar"), "Channels")
    await expect_text(page.locator("#messages li.ephemeral").last, "Only visible to you")
    assert await hebrew_run.get_attribute("dir") == "rtl"
    assert "lang=en" in page.url
    assert errors == []


async def test_the_page_speaks_the_language_of_whom_you_act_as_until_one_is_chosen(
        served: Running, page: Any) -> None:
    errors = script_errors(page)
    await page.goto(served.playground.page_url + "?as=UNOA")  # Noa's Slack is in Hebrew
    await expect_page_language(page, "he", "rtl")
    await expect_text(page.locator(".sidebar"), "ערוצים")
    await page.get_by_role("radio", name="Eli").click()
    await expect_page_language(page, "en", "ltr")
    await expect_text(page.locator("#status"), "You are Eli Cohen")
    # Chosen with the switch: it stays, whoever you act as.
    await page.get_by_role("button", name="עברית").click()
    await page.get_by_role("radio", name="נועה").click()
    await expect_text(page.locator("#status"), "נועה מזרחי")
    await page.get_by_role("radio", name="Eli").click()
    await expect_text(page.locator("#status"), "אתם פועלים בתור")
    await expect_page_language(page, "he", "rtl")
    assert errors == []


async def test_every_word_of_the_page_comes_from_the_catalogue(
        served: Running, page: Any) -> None:
    """In the pseudo-locale every piece of the page's own words is marked ⟦…⟧: what is
    left unmarked is data (names of people and channels) or English nobody catalogued."""
    errors = script_errors(page)
    await page.goto(served.playground.page_url + "?as=UELI&lang=qps-ploc")
    await expect_text(page.locator(".sidebar"), "⟦Channels⟧")
    await expect_text(page.locator("#messages"), "⟦Write to deskbot")
    shown = await page.evaluate("""() => {
        const texts = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (n.parentElement.closest(".languages, [hidden], script")) continue;
            texts.push(n.data);
        }
        for (const node of document.querySelectorAll("[placeholder], [aria-label], [title]")) {
            if (node.closest(".languages")) continue;
            for (const name of ["placeholder", "aria-label", "title"]) {
                if (node.hasAttribute(name)) texts.push(node.getAttribute(name));
            }
        }
        texts.push(document.title);
        return texts;
    }""")
    data = r"deskbot|Playground|general|it-desk|hr-desk|maintenance-desk|Eli|Dana|Lee|Ada"
    left = [text for text in shown
            if re.search(r"[A-Za-z]", re.sub(rf"⟦[^⟧]*⟧|\b({data})\b|[A-Z]{{2}}", "", text))]
    assert (left, errors) == ([], [])


async def test_the_hebrew_desk_and_employee_in_hebrew(served: Running, page: Any,
                                                      artifacts: Path) -> None:
    from playwright.async_api import expect

    errors = script_errors(page)
    assert "אחזקה speaks Hebrew" in await seed(served)
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.goto(served.playground.page_url + "?as=UNOA&lang=he")
    me = Person(page, artifacts)
    await expect_page_language(page, "he", "rtl")
    await expect_text(page.locator("#people"), "נועה")

    # Noa's DM with the bot: her Hebrew requests, each a right-to-left run.
    asked = page.locator("#messages > li.message", has_text="המזגן בחדר הישיבות")
    await expect(asked.locator(".text")).to_have_attribute("dir", "rtl", timeout=TIMEOUT_MS)
    await asked.locator("button.replies").click()
    await expect_text(me.thread_pane(), "הטכנאי יגיע מחר בבוקר")
    await expect(me.thread_pane().locator(".bk-text, .text", has_text="הטכנאי יגיע")
                 ).to_have_attribute("dir", "rtl")
    await page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
    await shot(page, artifacts, "hebrew-dm")
    await page.locator("#thread-close").click()

    # Her home tab: her requests, the Hebrew desk among the desks.
    await me.go("דף הבית (deskbot)")
    await expect_text(page.locator("#home"), "הנורה במטבחון")
    await expect_text(page.locator("#home"), "אחזקה")
    await expect_text(page.locator("#channel-title"), "דף הבית")
    await shot(page, artifacts, "hebrew-home")

    # Her request to IT: a Hebrew title inside IT's card keeps its isolate (<bdi>), which
    # reads right to left inside the card's own runs.
    await page.get_by_role("radio", name="Lee").click()
    await expect_text(page.locator("#status"), "Lee Amar")
    await me.go("it-desk")
    card = me.message("ה-VPN מתנתק לי")
    await expect_text(card, "Dana")
    title = card.locator("bdi", has_text="ה-VPN מתנתק לי").first
    await expect_direction(title, "rtl")
    field = card.locator(".bk-field").first
    await expect_direction(field, await field.get_attribute("dir"))

    # The Hebrew desk's channel: its cards; every run of text carries a dir.
    await me.go("maintenance-desk")
    card = me.message("הנורה במטבחון")
    await expect_text(card, "#")
    runs = card.locator(".bk-text, .bk-field, .bk-header, .bk-context")
    assert await runs.count() >= 5
    for i in range(await runs.count()):
        assert await runs.nth(i).get_attribute("dir") in ("rtl", "ltr", "auto")
    # Its title: the only letters are the (isolated) Hebrew subject, so it reads so.
    header = card.locator(".bk-header")
    assert await header.get_attribute("dir") == "rtl"
    await expect_direction(header, "rtl")
    await card.scroll_into_view_if_needed()
    await page.locator("#messages").evaluate("list => list.scrollTop = list.scrollHeight")
    await shot(page, artifacts, "hebrew-card-desk")
    assert errors == []
