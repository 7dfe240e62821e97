"""Slack has no right-to-left switch: the client orders each line by its first strong
character. So the notification `text` of a Hebrew message must start where the
catalogue's sentence starts, never with an English or left-to-right piece put in front
of it by code ("#1042 [IT] …").

The check swaps in a catalogue for `he` whose every entry is its English sentence
after a Hebrew word, and puts Hebrew in every user slot: then each message's `text`
must read right to left from its first strong character. A prefix built in code
(a ref, a desk in brackets, an English word) makes it start left to right and fails.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from cards import i18n, slack
from conversations.view_models import Digest, SchedulerAlert
from tests.unit.test_cards_slack import every_message_view

HEBREW_WORD = "מילה"
USER_TEXT = "שלום"


def first_strong(text: str) -> str | None:
    """The bidi class (L, R, AL) of the first strong character of `text`."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return kind
    return None


@pytest.fixture
def hebrew_first(monkeypatch: pytest.MonkeyPatch) -> None:
    english = i18n.catalogue("en")
    catalogue = i18n.catalogue

    def patched(locale: str) -> dict[str, str]:
        if locale == "he":
            return {key: f"{HEBREW_WORD} {value}" for key, value in english.items()}
        return catalogue(locale)

    monkeypatch.setattr(i18n, "catalogue", patched)


def views() -> list[Any]:
    alerts = [SchedulerAlert(what, 1042, USER_TEXT, USER_TEXT, "first_response")
              for what in ("sla_warning", "sla_breach", "unassigned", "agent_silent",
                           "unassigned_leads", "requester_reminder")]
    return [*every_message_view(USER_TEXT), *alerts, Digest(USER_TEXT, "2026-12-13",
                                                             1, 2, 3, 4, 5)]


def test_a_hebrew_message_text_starts_right_to_left(hebrew_first: None) -> None:
    wrong = []
    for view in views():
        for message in slack.messages(view, locale="he"):
            if first_strong(message["text"]) != "R":
                wrong.append((type(view).__name__, message["text"][:80]))
    assert not wrong, wrong


def test_the_check_can_fail(hebrew_first: None) -> None:
    """An English sentence (the `en` catalogue) starts left to right: the check sees it."""
    receipt = next(v for v in views() if type(v).__name__ == "Receipt")
    assert first_strong(slack.message(receipt, locale="en")["text"]) == "L"
    assert first_strong(slack.message(receipt, locale="he")["text"]) == "R"
