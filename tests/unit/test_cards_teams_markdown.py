"""cards.teams.markdown: the escaping rules for card markdown, cutting, splitting, sizes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cards.teams.markdown import (
    clip_markdown,
    date_markdown,
    escape_markdown,
    fit_markdown,
    from_mrkdwn,
    is_teams_user_id,
    payload_size,
    plain,
    split_for_cards,
)
from cards.teams.render import tr
from tests.unit.test_cards_teams import check_inert

awkward = st.lists(st.sampled_from(
    list("ab *_~`[]()<>#{}&\\-+.1)!|\n\t\r") + ["\x00", "\u202e", "😀", "ש", "**", "{{"])
).map("".join)


def unescape(markup: str) -> str:
    """What a CommonMark reader shows for our escaped text (paragraphs as one newline)."""
    return re.sub(r"\\(.)", r"\1", markup.replace("\n\n", "\n"))


@pytest.mark.parametrize(("raw", "escaped"), [
    ("[Your bank](https://evil)", "\\[Your bank\\](https://evil)"),
    ("**bold** _it_ ~~s~~ `c`", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\`c\\`"),
    ("<at>Dana</at>", "\\<at\\>Dana\\</at\\>"),
    ("{{DATE(2017-02-14T06:08:39Z, SHORT)}}", "\\{\\{DATE(2017-02-14T06:08:39Z, SHORT)\\}\\}"),
    ("AT&T &lt;", "AT\\&T \\&lt;"),
    ("C:\\temp", "C:\\\\temp"),
    ("# title\n#1042 a # b", "\\# title\n\n\\#1042 a # b"),
    ("- a\n+ b\n1. c\n22) d\n-5 e", "\\- a\n\n\\+ b\n\n1\\. c\n\n22\\) d\n\n-5 e"),
    ("one\r\n\r\n\r\ntwo\nthree", "one\n\ntwo\n\nthree"),
    ("bell\x07 rlo\u202e x\u2066y", "bell rlo xy"),
    ("שלום, עולם 😀 zwj\u200dok", "שלום, עולם 😀 zwj\u200dok"),
    ("plain words (and parens)!", "plain words (and parens)!"),
])
def test_escape_markdown_rules(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped
    check_inert(escaped)


@given(awkward)
def test_escaped_text_is_inert_and_reads_as_typed(text: str) -> None:
    escaped = escape_markdown(text)
    check_inert(escaped)
    typed = text.replace("\r\n", "\n").replace("\r", "\n")
    typed = "".join(c for c in typed if c in "\n\t" or (c.isprintable() and c != "\u202e"))
    typed = re.sub(r"[ \t]*\n(?:[ \t]*\n)*", "\n", typed)
    assert unescape(escaped) == typed


@given(awkward, st.integers(min_value=1, max_value=60))
def test_fit_markdown_cuts_whole_escapes(text: str, limit: int) -> None:
    fitted = fit_markdown(text, limit)
    assert len(fitted) <= max(limit, 1)
    body = fitted.removesuffix("…")
    check_inert(body)
    assert escape_markdown(text).startswith(body.rstrip()) or fitted.endswith("…")


def test_fit_markdown_is_quick_on_a_huge_text() -> None:
    fitted = fit_markdown("[a](b) " * 100_000, 300)
    assert len(fitted) <= 300 and fitted.endswith("…")
    assert fit_markdown("\n" * 100_000 + "x", 300) == "…"  # cut early: a blank head


@given(st.text(alphabet="ab*\\ _", max_size=80), st.integers(min_value=4, max_value=60))
def test_clip_markdown_keeps_bold_balanced_and_no_lone_backslash(words: str, limit: int) -> None:
    markup = "**" + escape_markdown(words) + "** and " + escape_markdown(words)
    clipped = clip_markdown(markup, limit)
    assert len(clipped) <= max(limit, len("…**"))
    check_inert(clipped.replace("…", ""))


def test_plain_is_one_line_cut_and_never_empty() -> None:
    assert plain("a\n b\t\x00c", 10) == "a b c"
    assert plain("x" * 50, 10) == "x" * 9 + "…"
    assert plain(" \n ", 10) == "—" and plain(None, 10, blank="?") == "?"


def test_catalogue_mrkdwn_becomes_card_markdown() -> None:
    assert from_mrkdwn("*Desk*\n{desk}") == "**Desk**\n\n{desk}"
    assert from_mrkdwn("Use `reopen 1` [x] _(no text)_") == (
        "Use **reopen 1** \\[x\\] _(no text)_")


def test_user_values_never_pair_with_catalogue_markup() -> None:
    line = tr("moved.line", ref=7, subject=escape_markdown("*a"), from_desk="*",
              to_desk=escape_markdown("b*"), by=escape_markdown("](x)"))
    assert line == "↪️ **#7** \\*a moved from ***** to **b\\*** by \\](x)."
    assert tr("card.earlier_requests", count=0) == "first request"
    assert tr("card.earlier_requests", count=2) == "2 earlier requests"
    assert tr("card.closed_note", ref=5) == "🔒 Closed. Reopen with **reopen 5**."  # teams.*


def test_dates_use_the_card_date_functions_in_utc() -> None:
    moment = datetime(2025, 3, 2, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert date_markdown(moment) == ("{{DATE(2025-03-02T09:30:00Z, SHORT)}} "
                                     "{{TIME(2025-03-02T09:30:00Z)}}")
    assert date_markdown(datetime(2025, 3, 2, 9, 30)) == date_markdown(
        datetime(2025, 3, 2, 9, 30, tzinfo=UTC))


@given(awkward, st.integers(min_value=64, max_value=400))
@example("a**\\\r******", 64)  # a lone carriage return costs a paragraph break
def test_split_for_cards_is_lossless_and_within_budget(text: str, budget: int) -> None:
    pieces = split_for_cards(text, budget)
    assert "".join(pieces) == text
    for piece in pieces:
        cost = len(json.dumps(escape_markdown(piece), ensure_ascii=False)[1:-1]
                   .encode("utf-16-le"))
        assert cost <= budget


def test_split_prefers_line_then_word_breaks() -> None:
    text = "aaaa bbbb cccc dddd\neeee ffff gggg hhhh iiii"
    pieces = split_for_cards(text, 64)
    assert pieces[0] == "aaaa bbbb cccc dddd\n" and "".join(pieces) == text
    assert all(piece.endswith(" ") for piece in pieces[1:-1])
    with pytest.raises(ValueError):
        split_for_cards("x", 10)


def test_teams_user_ids_and_payload_size() -> None:
    assert is_teams_user_id("29:1AbC-_x") and is_teams_user_id("8:orgid:1234-abcd")
    for bad in ("U0123", "29:", "29:a b", None, "", "x29:1"):
        assert not is_teams_user_id(bad)
    assert payload_size({"a": "é"}) == len('{"a":"é"}') * 2  # UTF-16, as Teams counts
    assert payload_size("😀") == 4 + 4  # two quotes, one surrogate pair
