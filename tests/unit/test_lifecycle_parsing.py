"""Parsing of refs, priorities and statuses, including fuzzed input that must never crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.lifecycle import Status, parse_priority, parse_ref, parse_status
from desks.errors import InvalidInput
from desks.service import slugify


@pytest.mark.parametrize("text,ref", [("#1042", 1042), ("1042", 1042), (" #7 ", 7), (12, 12)])
def test_refs(text, ref):
    assert parse_ref(text) == ref


@pytest.mark.parametrize("text", ["", "#", "abc", "10 42", "#-1", "١٢٣", "1e3", "9" * 10])
def test_bad_refs_are_refused_with_the_right_form(text):
    with pytest.raises(InvalidInput, match="Write it like #1042"):
        parse_ref(text)


@given(st.text(max_size=30))
def test_any_text_is_a_ref_or_a_clear_refusal(text):
    try:
        assert parse_ref(text) >= 0
    except InvalidInput as refusal:
        assert "#1042" in refusal.message


@given(st.text(max_size=10))
def test_any_text_is_a_priority_or_a_clear_refusal(text):
    try:
        assert 1 <= parse_priority(text) <= 5
    except InvalidInput as refusal:
        assert "from 1 (informational) to 5 (critical)" in refusal.message


@given(st.text(max_size=12))
def test_any_text_is_a_status_or_a_clear_refusal(text):
    try:
        assert parse_status(text) in Status
    except InvalidInput as refusal:
        assert "waiting, hold, open, resolved" in refusal.message


def test_slugs():
    assert slugify("IT Support") == "it-support"
    assert slugify("#HR") == "hr"
    assert slugify("Pay/Roll!!") == "pay-roll"
    assert slugify("!!!") == ""
