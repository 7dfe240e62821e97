"""The playground page's own words: every one comes from the catalogues, in English and
Hebrew, and the page's files hold none of their own."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib import resources

import aiohttp

from bot.playground.page import PAGE_KEYS, page_html, page_words
from bot.playground.run import Running
from bot.playground.server import STATIC
from bot.playground.workspace import PEOPLE
from cards.i18n import PSEUDO_LOCALE

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# HEBREW.md 4.2: the placeholders that hold letters, isolated inside a Hebrew sentence;
# the others (digits, a time, the page's own error text at the line's end) stay bare.
WRAP = frozenset({"person", "name", "label", "desk", "subject", "agent", "status"})
HEBREW_LETTER = re.compile(r"[\u05d0-\u05ea]")


def entries(language: str) -> dict[str, str]:
    text = resources.files("cards").joinpath("locales", f"{language}.json").read_text(
        encoding="utf-8")
    return {key: value for key, value in json.loads(text).items() if key.startswith(PAGE_KEYS)}


def keys_the_page_uses() -> set[str]:
    """Every catalogue key named in index.html (data-t…) and the page's scripts (t("…"),
    words["…"])."""
    used: set[str] = set()
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    used.update(re.findall(r'data-t(?:-[a-z-]+)?="([a-z_.]+)"', html))
    for script in STATIC.glob("*.js"):
        used.update(re.findall(r'(?:\bt\(|\[)"(playground\.[a-z_.]+)"', script.read_text("utf-8")))
    # Built from data: a person's role ("playground.role." + p.role).
    used.update(f"playground.role.{person.role}" for person in PEOPLE)
    return {key for key in used if not key.endswith(".")}


def forms(entries_of: dict[str, str], key: str) -> set[str]:
    """The entries `t(key)` may use: the key itself, or its plural forms."""
    return {name for name in entries_of if name == key or name.startswith(key + ".")}


def test_every_word_the_page_uses_is_in_english_and_hebrew() -> None:
    english, hebrew = entries("en"), entries("he")
    used = keys_the_page_uses()
    assert len(used) > 40  # the scan found the page's keys
    for key in used:
        assert forms(english, key), f"{key} is not in en.json"
        assert forms(hebrew, key), f"{key} is not in he.json"
    # Counted words have Hebrew's own forms: one, two, other.
    for key in ("playground.replies", "playground.pinned_count"):
        assert {f"{key}.one", f"{key}.two", f"{key}.other"} <= set(hebrew)
        assert {f"{key}.one", f"{key}.other"} <= set(english)
    # No word left over on either side: what en.json has, he.json has, and the reverse
    # (Hebrew's "two" forms aside).
    assert set(english) <= set(hebrew)
    assert {key for key in hebrew if not key.endswith(".two")} <= set(english)
    # Every English entry is used by the page (a removed label leaves no dead entry).
    assert all(any(key == name or key.startswith(name + ".") for name in used)
               for key in english), sorted(set(english) - used)


def test_the_hebrew_words_follow_the_style_guide() -> None:
    english, hebrew = entries("en"), entries("he")
    for key, value in hebrew.items():
        source = english.get(key) or english[key.rsplit(".", 1)[0] + ".other"]
        # The same placeholders as English (a "one"/"two" form may spell the number out).
        assert set(PLACEHOLDER.findall(value)) <= set(PLACEHOLDER.findall(source)), key
        if not key.endswith((".one", ".two")):
            assert set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(source)), key
        # Letter-holding placeholders inside the sentence are isolated (FSI … PDI).
        for name in set(PLACEHOLDER.findall(value)):
            assert (f"\u2068{{{name}}}\u2069" in value) == (name in WRAP), (key, name)
        # The line's first strong letter is Hebrew, outside isolates (4.3): dir=auto and
        # the page's runs then read it right to left.
        outside = re.sub("\u2068[^\u2069]*\u2069|\\{[a-z_]+\\}", "", value)
        first = next((c for c in outside if c.isalpha()), "")
        assert HEBREW_LETTER.match(first), (key, value)
        assert "'" not in value and '"' not in value, key  # geresh/gershayim only (2.9)
        assert not re.search(r"(^|\s)[בהוכלמש]\{", value), key  # no prefix on a placeholder


def test_the_page_files_hold_no_words_of_their_own() -> None:
    """index.html: text, placeholders and labels only through data-t…; no literal words."""

    class Words(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("script", "style"):
                self.skip += 1
            for name, value in attrs:
                if name in ("placeholder", "aria-label", "title", "alt") and value:
                    self.found.append(f"{tag}[{name}]={value}")

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style"):
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if not self.skip and re.search(r"[^\W\d_]", data):
                self.found.append(data.strip())

    page = Words()
    page.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    assert page.found == []
    # The scripts take every visible string from the words (no "Reply in thread" left).
    for script in STATIC.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        for english in ("Reply in thread", "Only visible to you", "Not sent", "Opening the",
                        "Are you sure", "More actions", "pinned", "(edited)", "Cancel"):
            assert f'"{english}' not in text, (script.name, english)


def test_the_page_brings_its_words_in_every_language() -> None:
    words = page_words()
    assert words["switch"] == ["en", "he"]
    assert words["languages"]["he"]["dir"] == "rtl"
    assert words["languages"]["en"]["dir"] == "ltr"
    assert words["languages"]["he"]["words"]["playground.channels"] == "ערוצים"
    assert words["languages"]["he"]["words"]["playground.language_name"] == "עברית"
    # Placeholders are left for the page to fill, Hebrew's isolates around them.
    assert words["languages"]["he"]["words"]["playground.message_to"] == \
        "הודעה אל \u2068{name}\u2069"
    # The pseudo-locale marks every piece of our words (a test finds English outside it).
    assert words["languages"][PSEUDO_LOCALE]["words"]["playground.channels"] == "⟦Channels⟧"
    # Put into the page as JSON a browser parses; "</" cannot end the script early.
    html = page_html('<script id="page-words" type="application/json">{{ page_words }}'
                     "</script>")
    inner = html.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert "</" not in inner
    assert json.loads(inner) == words


async def test_the_served_page_carries_its_words(served: Running) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(served.playground.page_url) as response:
            assert response.status == 200
            html = await response.text()
    assert "{{ page_words }}" not in html
    data = re.search(r'<script id="page-words" type="application/json">(.*?)</script>',
                     html, re.S)
    assert data is not None
    assert json.loads(data.group(1))["languages"]["he"]["words"]["playground.send"] == \
        "שליחה"


def test_the_words_load_before_the_scripts_that_use_them() -> None:
    # words.js is loaded before blocks.js and app.js, which use it.
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    order = [html.index(f"/playground/static/{name}") for name in
             ("words.js", "blocks.js", "app.js")]
    assert order == sorted(order)
    assert all((STATIC / name).is_file() for name in ("words.js", "blocks.js", "app.js"))
