"""The search normaliser: Hebrew prefixes and finals, spellings, stems, IT words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from conversations.knowledge import similar
from conversations.knowledge.search_words import (
    CONCEPTS,
    hebrew_forms,
    index_tokens,
    query_words,
    stem_english,
    words,
)


def forms(text: str) -> list[tuple[str, ...]]:
    return [w.forms for w in words(text)]


def test_wifi_spellings_meet_in_both_languages():
    for spelling in ("wifi", "Wi-Fi", "WIFI", "וויפי", "וי-פי", "ווי-פי", "בווי-פי",
                     "הוויפי", "לוויפי", "ב-WiFi", "wireless"):
        assert "wifi" in index_tokens(spelling), spelling


def test_prefixes_are_extra_forms_and_finals_are_regular():
    assert forms("במדפסת") == [("במדפסת", "מדפסת", "דפסת", "printer")]
    assert "חשבונ" in hebrew_forms("וכשחשבונ")
    assert index_tokens("שלום") == []  # a stop word, its final letter regular
    assert index_tokens("חשבון") == index_tokens("חשבונ")
    assert hebrew_forms("בית") == ["בית"]  # nothing shorter than a root


def test_niqqud_direction_marks_and_apostrophes_go():
    assert index_tokens("סִיסְמָה") == index_tokens("סיסמה")
    assert index_tokens("\u200fמחשב\u200e") == index_tokens("מחשב")
    assert index_tokens("צ'אט") == index_tokens("צ׳אט") == ["צאט"]


def test_english_light_stems():
    assert [stem_english(w) for w in ("printers", "crashing", "locked", "batteries",
                                      "access", "status", "stopped", "passes")] == [
        "printer", "crash", "lock", "battery", "access", "status", "stop", "pass"]


def test_concepts_cover_both_languages():
    for english, hebrew in (("printer", "מדפסת"), ("password", "סיסמא"), ("vpn", "ויפיאן"),
                            ("computer", "מחשב"), ("email", "מייל"), ("login", "להתחבר")):
        assert CONCEPTS[stem_english(english)] == words(hebrew)[0].concept, english


def test_mixed_language_sentence():
    question = query_words("ה-VPN לא עובד since the update, שכחתי סיסמה")
    concepts = {w.concept for w in question}
    assert {"vpn", "update", "password"} <= concepts


@given(st.text(alphabet="אבגדהוזחטיכלמנסעפצקרשתךםןףץ -'abc", max_size=40))
def test_index_tokens_are_plain_words(text: str):
    for token in index_tokens(text):
        assert token and " " not in token and "-" not in token and "'" not in token
        assert not set(token) & set("ךםןףץ")


@given(st.text(max_size=60))
def test_any_text_normalises_without_error_and_its_words_match_themselves(text: str):
    tokens = set(index_tokens(text))
    for word in query_words(text):
        assert set(word.forms) & tokens


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2000))
def test_recency_and_solved_weights_stay_between_0_and_1(count: int, days: int):
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert 0 <= similar.solved_weight(count) <= 1
    assert 0 < similar.recency(now - timedelta(days=days), now) <= 1
