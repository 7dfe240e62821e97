"""The one rule of what an internal note is (conversations.notes.split_note)."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from conversations.notes import split_note, strip_invisible

# What right-to-left keyboards, clients and copy-and-paste put in front of a text.
INVISIBLE = (
    "\u200f\u200e\u200b\u200c\u200d\u2060\ufeff\u061c\u00ad\u180e"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    " \t\n\r\u00a0\u2007\u3000\u034f\ufe0f"
)
invisible_runs = st.text(alphabet=st.sampled_from(INVISIBLE), max_size=12)


@given(lead=invisible_runs, body=st.text(max_size=40))
@example(lead="\u200f", body=" secret")
@example(lead="\u200e\u200b\ufeff", body="checking the VPN logs")
@example(lead="\u2067\u202e ", body="x")
def test_any_invisible_lead_before_the_prefix_is_still_a_note(lead: str, body: str) -> None:
    note = split_note(lead + "//" + body, "//")
    assert note is not None
    assert note == strip_invisible(body)


@given(lead=invisible_runs, text=st.text(max_size=40))
def test_a_text_without_the_prefix_is_never_a_note(lead: str, text: str) -> None:
    if strip_invisible(text).startswith("//"):
        return  # that one is a note; the test above has it
    assert split_note(lead + text, "//") is None


@given(text=st.text(max_size=40))
def test_an_empty_prefix_turns_notes_off(text: str) -> None:
    assert split_note(text, "") is None


def test_the_prefix_must_lead_and_other_prefixes_work() -> None:
    assert split_note("see http://example.com", "//") is None
    assert split_note("/ / not a note", "//") is None
    assert split_note("\u200f#note checked AD", "#note") == "checked AD"
    assert split_note("\u200f// ", "//") == ""  # a note without words: refused, never relayed
    # Marks inside the body stay: only the ends are trimmed.
    assert split_note("//\u200f שלום \u200f world\u200e", "//") == "שלום \u200f world"
