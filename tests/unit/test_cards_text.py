"""cards.text and cards.i18n: escaping, cutting, splitting, tokens and catalogues."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import i18n, slack
from cards.i18n import t
from cards.text import (
    age,
    channel_mrkdwn,
    clip_mrkdwn,
    date_token,
    escape_mrkdwn,
    fit_mrkdwn,
    person_mrkdwn,
    split_text,
    stars,
    strip_bidi,
)
from conversations.view_models import Receipt, clip
from tests.unit.cards_checks import ENTITY, unescape

awkward = st.lists(st.sampled_from(list("a <>&;lt\n") + ["&amp;", "😀", "ש"])).map("".join)


def test_escape_mrkdwn_escapes_exactly_the_three() -> None:
    assert escape_mrkdwn("<!channel> & <https://x|y> \"'\\*_~`") == (
        "&lt;!channel&gt; &amp; &lt;https://x|y&gt; \"'\\*_~`")
    assert escape_mrkdwn("&amp;") == "&amp;amp;"  # typed text shows as typed


@given(st.text())
def test_escaping_is_reversible_and_leaves_no_bracket(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped and not ENTITY.search(escaped)
    # Reversible but for the bidi controls user text may not bring (HEBREW.md §4.9).
    assert unescape(escaped) == strip_bidi(text)


def test_escaping_drops_the_bidi_controls_user_text_brings() -> None:
    assert escape_mrkdwn("\u202eevil\u2066 <x>\u2069") == "evil &lt;x&gt;"


@given(awkward, st.integers(min_value=1, max_value=60))
def test_fit_mrkdwn_never_breaks_an_entity(text: str, limit: int) -> None:
    fitted = fit_mrkdwn(text, limit)
    assert len(fitted) <= limit
    assert "<" not in fitted and not ENTITY.search(fitted)
    if fitted.endswith("…") and len(escape_mrkdwn(text)) > limit:
        assert text.startswith(unescape(fitted[:-1]))
    else:
        assert fitted == escape_mrkdwn(text)


@given(awkward, st.integers(min_value=1, max_value=60))
def test_clip_mrkdwn_never_leaves_half_a_token(raw: str, limit: int) -> None:
    markup = escape_mrkdwn(raw) + " <@U12345> " + escape_mrkdwn(raw)
    clipped = clip_mrkdwn(markup, limit)
    assert len(clipped) <= limit
    assert not ENTITY.search(clipped)
    assert clipped.count("<") == clipped.count(">")


def test_clip_cuts_with_an_ellipsis() -> None:
    assert clip("abcdef", 4) == "abc…" and clip("abc", 3) == "abc" and clip("abc", 0) == ""


@given(st.text(alphabet=st.sampled_from(list("ab &<\n ") + ["😀"])),
       st.integers(min_value=5, max_value=50))
def test_split_text_is_lossless_and_within_the_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(0 < len(escape_mrkdwn(piece)) <= limit for piece in pieces)


def test_split_text_prefers_line_then_word_boundaries() -> None:
    assert split_text("one two three\nfour five", 16) == ["one two three\n", "four five"]
    assert split_text("alpha beta gamma", 12) == ["alpha beta ", "gamma"]
    assert split_text("x" * 12, 5) == ["xxxxx", "xxxxx", "xx"]
    with pytest.raises(ValueError):
        split_text("abc", 4)


def test_people_channels_dates_stars_ages() -> None:
    assert person_mrkdwn("Dana", "U0DANA") == "<@U0DANA>"
    assert person_mrkdwn("Dana", "W0DANA") == "<@W0DANA>"
    assert person_mrkdwn("<!here>", "29:teams-id") == "&lt;!here&gt;"
    assert person_mrkdwn("Dana", "U0DANA>|<!channel") == "Dana"
    assert channel_mrkdwn("C0123") == "<#C0123>" and channel_mrkdwn(None) == "—"
    assert channel_mrkdwn("<!channel>") == "&lt;!channel&gt;"
    moment = datetime(2025, 3, 2, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert date_token(moment) == (
        "<!date^1740907800^{date_short_pretty} {time}|2025-03-02 09:30 UTC>")
    assert date_token(moment.replace(tzinfo=None)) == (  # naive means UTC
        "<!date^1740915000^{date_short_pretty} {time}|2025-03-02 11:30 UTC>")
    assert [stars(n) for n in (0, 1, 3, 5, 9)] == ["★☆☆☆☆", "★☆☆☆☆", "★★★☆☆", "★★★★★",
                                                   "★★★★★"]
    now = datetime(2025, 3, 2, tzinfo=UTC)
    assert [age(now - timedelta(seconds=s), now) for s in (5, 300, 7200, 3 * 86400)] == [
        "now", "5m", "2h", "3d"]


# ---------------------------------------------------------------- catalogues


def test_catalogue_lookup_plurals_and_fallback() -> None:
    assert t("card.claim") == "Claim"
    assert t("card.claim", "xx") == "Claim"  # unknown language: English
    assert t("card.claim", "../../etc/passwd") == "Claim"  # never a path
    assert [t("card.earlier_requests", count=n) for n in (0, 1, 2)] == [
        "first request", "1 earlier request", "2 earlier requests"]
    assert t("receipt.line", ref=7, desk="IT") == "Got it: your request is *#7* with *IT*."
    with pytest.raises(KeyError):
        t("no.such.key")


def test_every_english_entry_is_well_formed() -> None:
    entries = json.loads(resources.files("cards").joinpath("locales", "en.json").read_text())
    for key, value in entries.items():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", key), key
        assert "<" not in value and "&" not in value, key  # our words need no escaping
        # Placeholders are plain names: a catalogue line cannot reach into an object.
        assert all(re.fullmatch(r"[a-z_]+", name)
                   for name in re.findall(r"\{([^}]*)\}", value)), key


@pytest.fixture
def hebrew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package copy with a he.json beside en.json: a new language is only a file."""
    locales = tmp_path / "locales"
    locales.mkdir()
    shutil.copy(resources.files("cards").joinpath("locales", "en.json"), locales / "en.json")
    (locales / "he.json").write_text(json.dumps({
        "receipt.line": "קיבלנו: הבקשה שלך היא *#{ref}* אצל *{desk}*.",
        "card.earlier_requests.two": "שתי בקשות קודמות",
        "card.earlier_requests.other": "{count} בקשות קודמות",
    }, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(i18n.resources, "files", lambda package: tmp_path)
    i18n.catalogue.cache_clear()
    yield
    i18n.catalogue.cache_clear()


def test_a_new_language_is_a_data_file(hebrew: None) -> None:
    receipt = slack.message(Receipt(1042, "IT <!channel>"), locale="he")
    assert receipt["text"] == "קיבלנו: הבקשה שלך היא *#1042* אצל *\u2068IT &lt;!channel&gt;\u2069*."
    # Missing lines fall back to English; Hebrew's own plural forms are used.
    assert "An agent will pick it up soon." in json.dumps(receipt, ensure_ascii=False)
    assert t("card.earlier_requests", "he-IL", count=2) == "שתי בקשות קודמות"
    # A form the language lacks uses its own "other" before English.
    assert t("card.earlier_requests", "he", count=1) == "1 בקשות קודמות"
