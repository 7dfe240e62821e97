"""Relays: a long text becomes several valid messages that together carry all of it."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cards import slack
from cards.slack import relay
from conversations.view_models import PersonRef, RelayToAgents, RelayToRequester
from tests.unit.cards_checks import check_message, unescape, without_isolates

ELI = PersonRef("Eli <!channel>", "UELI1")
DANA = PersonRef("Dana", "UDANA")


def sections(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def carried(messages: list[dict], prefix: str) -> str:
    """The relayed text as the messages carry it (prefix removed, unescaped, in order)."""
    parts = [text for message in messages for text in sections(message)]
    assert without_isolates(parts[0]).startswith(prefix)
    parts[0] = without_isolates(parts[0])
    parts[0] = parts[0][len(prefix):]
    return unescape("".join(parts))


def test_a_short_relay_is_one_message_with_the_name() -> None:
    [to_agents] = slack.messages(RelayToAgents(1042, ELI, "my VPN <!here> drops"))
    assert sections(to_agents) == ["*\u2068Eli &lt;!channel&gt;\u2069*: my VPN &lt;!here&gt; drops"]
    assert to_agents["text"] == sections(to_agents)[0]
    [to_requester] = slack.messages(RelayToRequester(1042, DANA, "IT & Ops", "Try again"))
    assert sections(to_requester) == ["*\u2068Dana\u2069* (\u2068IT &amp; Ops\u2069): Try again"]
    assert slack.message(RelayToRequester(1042, DANA, "IT", "x")) == slack.messages(
        RelayToRequester(1042, DANA, "IT", "x"))[0]


def test_a_100000_character_relay_is_split_whole_in_order() -> None:
    words = [f"w{n:05d}" for n in range(100_000 // 7)]
    text = " ".join(words)
    messages = slack.messages(RelayToAgents(1042, ELI, text))
    assert 3 <= len(messages) <= relay.MAX_MESSAGES
    for message in messages:
        check_message(message)
    assert carried(messages, "*Eli &lt;!channel&gt;*: ") == text  # nothing lost or reordered
    # Cuts fall between words, and later parts say where they belong.
    for message in messages:
        assert all(re.fullmatch(r"(w\d{5}\s?)+", s.split(": ", 1)[-1]) for s in sections(message))
    for number, message in enumerate(messages[1:], start=2):
        context = message["blocks"][0]["elements"][0]["text"]
        assert without_isolates(context) == (
            f"*Eli &lt;!channel&gt;* (continued {number}/{len(messages)})")


def test_the_longest_core_message_of_escaped_characters_still_arrives_whole() -> None:
    text = "&<>" * (40_000 // 3)  # every character grows when escaped
    messages = slack.messages(RelayToRequester(7, DANA, "IT", text))
    for message in messages:
        check_message(message)
    assert carried(messages, "*Dana* (IT): ") == text
    assert not any("too long" in str(m) for m in messages)


def test_past_the_cap_the_rest_is_cut_with_a_note_saying_how_much() -> None:
    capacity = relay.MAX_MESSAGES * relay.PIECES_PER_MESSAGE * relay.PIECE
    text = "a" * (capacity + 12_345)
    messages = slack.messages(RelayToAgents(1042, PersonRef("Eli"), text))
    assert len(messages) == relay.MAX_MESSAGES
    for message in messages:
        check_message(message)
    kept = carried(messages, "*Eli*: ")
    assert text.startswith(kept)
    note = messages[-1]["blocks"][-1]["elements"][0]["text"]
    assert f"last {len(text) - len(kept)} characters" in note


def test_an_empty_relay_still_says_who_wrote() -> None:
    for text in ("", "  \n\n  "):
        [message] = slack.messages(RelayToAgents(1042, PersonRef(""), text))
        check_message(message)
        assert sections(message) == ["*?*: _(empty message)_"]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>&\n") + ["é", "😀", "\u05e9"]),
               max_size=30_000))
def test_any_text_is_carried_whole_in_valid_messages(text: str) -> None:
    messages = slack.messages(RelayToAgents(1, PersonRef("Eli"), text))
    for message in messages:
        check_message(message)
    if text.strip():
        # Only blank stretches between pieces may be left out: they carry nothing.
        assert re.sub(r"\s", "", carried(messages, "*Eli*: ")) == re.sub(r"\s", "", text)
