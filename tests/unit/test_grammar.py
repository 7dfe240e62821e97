"""The words of `/desk`: tokens with their places, and the argument readers' refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desks.errors import InvalidInput
from desks.grammar import Args, ChannelRef, Mention, UsageError, Word, shown, tokenize


def args(text: str, command: str = "claim", usage: str = "/desk claim REF") -> Args:
    return Args(text, tokenize(text), command, usage)


def refusal(read, *what) -> UsageError:  # noqa: ANN001
    with pytest.raises(UsageError) as info:
        read(*what)
    return info.value


# ---------------------------------------------------------------- tokenize


def test_words_keep_their_places():
    assert tokenize("claim  #1001") == [Word("claim", 0, 5), Word("#1001", 7, 12)]


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", None])
def test_nothing_is_no_tokens(text):
    assert tokenize(text) == []


def test_mentions_with_and_without_labels():
    text = "<@U1|dana> <@U2> <@U3|> <@29:1abc-d_e.f|Dana Cohen>"
    assert tokenize(text) == [
        Mention("U1", "dana", 0, 10),
        Mention("U2", None, 11, 16),
        Mention("U3", None, 17, 23),  # an empty label is no label
        Mention("29:1abc-d_e.f", "Dana Cohen", 24, 51),  # Teams ids, labels with spaces
    ]


def test_channels_with_and_without_labels():
    text = "<#C1|it-help> <#C2> <#19:abc@thread.tacv2|General>"
    assert tokenize(text) == [
        ChannelRef("C1", "it-help", 0, 13),
        ChannelRef("C2", None, 14, 19),
        ChannelRef("19:abc@thread.tacv2", "General", 20, 50),
    ]


def test_mentions_glued_to_punctuation_are_still_people():
    tokens = tokenize("<@U1|dana>,<@U2|lee> and<@U3>")
    assert [type(t).__name__ for t in tokens] == ["Mention", "Word", "Mention", "Word",
                                                   "Mention"]
    assert [t.user_id for t in tokens if isinstance(t, Mention)] == ["U1", "U2", "U3"]


@pytest.mark.parametrize("text", ["<@", "<@U1", "<@U1|dana", "<!here>", "<#", "<@ U1>",
                                  "<@U1|a<b>", "<>", "<@" + "U" * 200 + ">"])
def test_broken_or_foreign_markup_is_a_plain_word(text):
    tokens = tokenize(text)
    assert tokens and all(isinstance(t, Word) for t in tokens)
    assert "".join(t.text for t in tokens) == text.replace(" ", "")


def test_quoted_phrases_are_one_word_in_both_styles():
    assert tokenize('create "Payroll team" <#C1|pay>') == [
        Word("create", 0, 6), Word("Payroll team", 7, 21), ChannelRef("C1", "pay", 22, 31)]
    assert tokenize("create “Payroll team” x") == [
        Word("create", 0, 6), Word("Payroll team", 7, 21), Word("x", 22, 23)]
    assert tokenize('""') == [Word("", 0, 2)]


@pytest.mark.parametrize(("text", "words"), [
    ('"abc', ['"abc']),
    ('a "b c', ["a", '"b', "c"]),
    ('foo"bar baz"', ['foo"bar', 'baz"']),
    ("“open ended", ["“open", "ended"]),
    ("closed” only", ["closed”", "only"]),
    ('"one" "two', ["one", '"two']),
])
def test_unbalanced_quotes_are_ordinary_characters(text, words):
    assert [t.text for t in tokenize(text)] == words


def test_right_to_left_and_other_scripts():
    text = "ask משאבי-אנוש <@U1|דנה> 我的电脑 🙂 “חופשה שנתית”"
    tokens = tokenize(text)
    assert [shown(t) for t in tokens] == ["ask", "משאבי-אנוש", "@דנה", "我的电脑", "🙂",
                                          "חופשה שנתית"]
    for token in tokens:
        assert text[token.start:token.end] in text


def test_shown_reads_tokens_back():
    assert shown(Word("x", 0, 1)) == "x"
    assert shown(Mention("U1", "dana", 0, 1)) == "@dana"
    assert shown(Mention("U1", None, 0, 1)) == "@U1"
    assert shown(ChannelRef("C1", "it", 0, 1)) == "#it"
    assert shown(ChannelRef("C1", None, 0, 1)) == "#C1"


@pytest.mark.parametrize("text", [
    "“ " * 5000,
    "<@a|x " * 5000,
    "<@a" * 5000,
    '" ' * 5000,
])
def test_hostile_text_is_read_in_linear_time(text):
    import time

    started = time.perf_counter()
    tokenize(text)
    assert time.perf_counter() - started < 1.0


# ---------------------------------------------------------------- properties

markup = st.sampled_from(["<@U1|dana>", "<@U2>", "<#C1|it>", "<#C2>", '"', "“", "”", "<@",
                          "<#", "<", ">", "|", " ", "\n", "claim", "#1001", ",", "שלום"])
texts = st.one_of(st.text(), st.lists(st.one_of(markup, st.text(max_size=5))).map("".join))


@given(texts)
def test_tokenize_never_raises_and_tokens_slice_the_text(text):
    tokens = tokenize(text)
    end = 0
    for token in tokens:
        assert end <= token.start < token.end <= len(text)  # in order, never overlapping
        piece = text[token.start:token.end]
        if isinstance(token, Mention):
            assert piece.startswith("<@" + token.user_id) and piece.endswith(">")
        elif isinstance(token, ChannelRef):
            assert piece.startswith("<#" + token.channel_id) and piece.endswith(">")
        elif piece != token.text:  # a quoted phrase: its text is inside the quotes
            assert piece[1:-1] == token.text and piece[0] + piece[-1] in ('""', "“”")
        # Nothing but whitespace is skipped.
        assert not text[end:token.start].strip()
        end = token.end
    assert not text[end:].strip()


@given(texts, st.integers(min_value=0, max_value=8))
def test_rest_is_the_original_text_from_the_current_token(text, skip):
    reader = args(text)
    tokens = reader.tokens
    for _ in range(skip):
        reader.take()
    at = min(skip, len(tokens))
    expected = text[tokens[at].start:].strip() if at < len(tokens) else ""
    assert reader.rest() == expected
    assert not reader.more() and reader.rest() == ""


# ---------------------------------------------------------------- readers


def test_usage_error_is_invalid_input_with_the_usage():
    error = args("").fail("No.")
    assert isinstance(error, InvalidInput)
    assert (error.message, error.usage, error.kind) == ("No.", "/desk claim REF",
                                                        "invalid_input")


def test_word_reads_words_and_refuses_the_rest():
    reader = args('1001 "two words" <@U1|dana>')
    assert reader.word("a ref") == "1001"
    assert reader.word("a ref") == "two words"
    error = refusal(reader.word, "a request number, e.g. 1042")
    assert error.message == "`/desk claim` needs a request number, e.g. 1042, not @dana."
    assert error.usage == "/desk claim REF"
    error = refusal(reader.word, "a request number")
    assert error.message == "`/desk claim` needs a request number."


def test_optional_word_takes_only_a_word():
    reader = args("<#C1|it> x")
    assert reader.optional_word() is None
    assert reader.channel() == ChannelRef("C1", "it", 0, 8)
    assert reader.optional_word() == "x"
    assert reader.optional_word() is None


def test_choice_is_case_insensitive_and_names_the_options():
    reader = args("ON maybe", command="available", usage="/desk available on|off")
    assert reader.choice("on or off", ("on", "off")) == "on"
    error = refusal(reader.choice, "on or off", ("on", "off"))
    assert error.message == "`/desk available` takes on or off here, not “maybe”."
    assert error.usage == "/desk available on|off"
    error = refusal(reader.choice, "on or off", ("on", "off"))
    assert error.message == "`/desk available` needs on or off."


def test_mention_reads_one_person():
    reader = args("<@U1|dana> lee", command="new")
    assert reader.mention("the employee").user_id == "U1"
    error = refusal(reader.mention, "the employee")
    assert error.message == "`/desk new` needs the employee (an @mention), not lee."
    assert refusal(reader.mention, "the employee").message == (
        "`/desk new` needs the employee (an @mention).")


def test_mentions_reads_everyone_left_with_separators():
    reader = args("<@U1|dana>, <@U2|lee> and <@U3>", command="admin agents")
    assert [m.user_id for m in reader.mentions("people")] == ["U1", "U2", "U3"]
    assert not reader.more()


def test_mentions_refuses_a_word_and_nothing():
    error = refusal(args("<@U1|dana> lee", command="admin agents").mentions, "people")
    assert error.message == "“lee” is not a person: name each one with @, like @dana."
    error = refusal(args("<#C1|it>", command="admin agents").mentions, "people")
    assert "“#it” is not a person" in error.message
    error = refusal(args("", command="admin agents").mentions, "at least one @person")
    assert error.message == "`/desk admin agents` needs at least one @person."
    error = refusal(args(",", command="admin agents").mentions, "at least one @person")
    assert error.message == "`/desk admin agents` needs at least one @person."


def test_channel_takes_only_a_channel():
    reader = args("x <#C1>")
    assert reader.channel() is None
    assert reader.take() == Word("x", 0, 1)
    assert reader.channel() == ChannelRef("C1", None, 2, 7)
    assert reader.channel() is None


def test_rest_keeps_formatting_and_phrase_drops_lone_quotes():
    reader = args('IT  "Tech   Support"  ')
    reader.take()
    assert reader.rest() == '"Tech   Support"'
    reader = args('IT  "Tech   Support"  ')
    reader.take()
    assert reader.phrase() == "Tech   Support"
    reader = args("IT Tech  *Support*\nline two <@U1|x>")
    reader.take()
    assert reader.phrase() == "Tech  *Support*\nline two <@U1|x>"
    assert reader.phrase() == ""


def test_done_refuses_leftovers_with_what_was_left():
    reader = args("1001 and more", command="claim")
    reader.word("a ref")
    error = refusal(reader.done)
    assert error.message == "I did not understand “and more” after `/desk claim`."
    assert error.usage == "/desk claim REF"
    reader = args("1001")
    reader.word("a ref")
    reader.done()
    reader = args('1001 <@U1|dana> "two words" <#C1>', command="claim")
    reader.word("a ref")
    assert refusal(reader.done).message == (
        "I did not understand “@dana two words #C1” after `/desk claim`.")
