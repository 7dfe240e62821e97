"""Every Teams card, rendered with hostile and oversize input, validated like Teams would.

Each view type is built with the same awkward text in every user slot (markdown links
and emphasis, HTML, `<at>` mentions, DATE functions, entities, emoji, RTL Hebrew, empty
strings, 500-character names, 100,000-character messages) and must render to an
Adaptive Card that the Adaptive Card 1.5 JSON schema accepts, within Teams' payload
limit, whose buttons all speak our verbs and whose markdown carries nothing live.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards import teams
from cards.teams import relay
from cards.teams.markdown import payload_size
from cards.teams.render import ACTIVITY_BUDGET, CARD_BUDGET, CHOICE_TEXT, TITLE_TEXT
from conversations import button_ids
from conversations.view_models import AskModal, PersonRef, RelayToAgents, Settled
from tests.data import SCHEMAS
from tests.unit.cards_checks import without_isolates
from tests.unit.test_cards_slack import HOSTILE, desks, every_message_view, homes, ticket

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = SCHEMAS / "adaptive-card-1.5.json"

TEAMS_HOSTILE = {
    **HOSTILE,
    "md_link": "[Your bank](https://evil.example) ![img](https://evil.example/x.png)",
    "md_emphasis": ("**bold** __b__ *it* _it_ ~~s~~ `code` # Heading\n- item\n+ item\n"
                    "1. one\n2) two"),
    "html": "<b>bold</b> <a href='https://evil'>x</a> <script>alert(1)</script> &lt;at&gt;",
    "at": "<at>Everyone</at> <at id=\"0\">Dana</at> @channel @General",
    "date": "{{DATE(2017-02-14T06:08:39Z, SHORT)}} {{TIME(2017-02-14T06:08:39Z)}} ${name}",
    "backslashes": "\\\\\\* \\[x\\](y) \\",
    "controls": "bell\x07 null\x00 esc\x1b[31m rlo\u202egnp.exe zwj\u200d tab\t end",
    "rtl": "שלום [לחץ כאן](https://evil.example) **מודגש** <at>כולם</at>",
    "huge_markup": ("[a](b) *" * 20_000)[:100_000],
}
# Strings a person never reads as markdown: ids, verbs, data, urls, enums.
NOT_SHOWN = {"type", "id", "verb", "data", "url", "style", "size", "weight", "color",
             "version", "$schema", "userIds", "value", "mode", "spacing"}
PLAIN_KEYS = {"title", "label", "placeholder"}  # plain strings, never markdown
OUR_FUNCTION = re.compile(r"\{\{(?:DATE\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, SHORT\)"
                          r"|TIME\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\))\}\}")
OUR_ITALIC = re.compile(r"_\((?:no text|empty message)\)_")
ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
LIST_START = re.compile(r"(?m)^[ \t]*(?:[-+*][ \t]|\d{1,9}[.)]|#{1,6}(?:[ \t]|$))")


@cache
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(card: dict[str, Any]) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message[:200]}"
            for error in validator().iter_errors(card)]


def walk(node: Any, key: str = "", parent: dict | None = None):
    """(key, value, parent dict) for every value of a card, depth first."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield name, value, node
            yield from walk(value, name, node)
    elif isinstance(node, list):
        for item in node:  # an item counts as a value of the list's key
            yield key, item, parent
            yield from walk(item, key, parent)


def markdown_strings(card: dict[str, Any]) -> list[str]:
    """Every string Teams renders as markdown: TextBlock text, Fact title and value."""
    found = [card["fallbackText"]]
    for key, value, parent in walk(card):
        if parent.get("type") == "TextBlock" and key == "text":
            found.append(value)
        if key == "facts" and isinstance(value, list):
            found += [part for fact in value for part in (fact["title"], fact["value"])]
    return found


def plain_strings(card: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key, value, parent in walk(card):
        if key == "facts" and isinstance(value, list):
            found += [("fact", fact["title"]) for fact in value]  # markdown, but one line
        if key in PLAIN_KEYS and isinstance(value, str) and parent.get("type") != "Fact" \
                and not (key == "title" and "value" in parent and "type" not in parent):
            found.append((key, value))
        if key == "choices" and isinstance(value, list):
            found += [("choice", choice["title"]) for choice in value]
    return found


def check_inert(markup: str) -> None:
    """No markdown, mention, HTML or text function from user input survives unescaped."""
    # A line that starts with an isolate (FSI) starts no list: checked before they go.
    for line in markup.split("\n"):
        assert not LIST_START.match(line) or line.startswith("- **"), markup[:300]
    markup = without_isolates(markup)
    bare = OUR_ITALIC.sub("", OUR_FUNCTION.sub("", ESCAPED.sub("", markup)))
    for char in "[]<>{}&`~\\":
        assert char not in bare, (char, markup[:300])
    assert "*" not in bare.replace("**", ""), markup[:300]
    assert "_" not in bare, markup[:300]
    assert bare.count("**") % 2 == 0, markup[:300]
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", markup)


def executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = [value for key, value, parent in walk(card)
             if isinstance(value, dict) and value.get("type") == "Action.Execute"]
    return found


def check_card(card: dict[str, Any]) -> dict[str, Any]:
    """A card Teams accepts: valid 1.5, within budget, our verbs only, nothing live."""
    errors = schema_errors(card)
    assert not errors, errors[:3]
    assert card["version"] == "1.5" and card["body"]
    assert payload_size(card) <= CARD_BUDGET
    for action in executes(card):
        assert action["verb"] in teams.VERBS, action["verb"]
        assert isinstance(action["data"], dict)
        assert all(isinstance(v, str) for v in action["data"].values())
    ids = [value for key, value, parent in walk(card)
           if key == "id" and parent.get("type", "").startswith("Input.")]
    assert len(ids) == len(set(ids))
    for key, value, parent in walk(card):
        if parent.get("type") == "Input.ChoiceSet" and key == "choices" \
                and isinstance(value, list):
            assert parent["id"] in teams.VERBS | {button_ids.ASK_DESK}
            assert len({choice["value"] for choice in value}) == len(value)
            if "value" in parent:
                assert parent["value"] in {choice["value"] for choice in value}
        if key == "url":
            assert value.startswith(("https://", "http://")) and " " not in value
    for markup in markdown_strings(card):
        assert markup.strip()
        check_inert(markup)
    for key, text in plain_strings(card):
        assert text.strip() and "\n" not in text, (key, text)
        assert len(text) <= {"title": TITLE_TEXT, "choice": CHOICE_TEXT, "fact": 300}.get(key, 100)
    return card


def check_activity(activity: dict[str, Any]) -> dict[str, Any]:
    assert set(activity) == {"type", "text", "attachments"} and activity["type"] == "message"
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    check_card(attachment["content"])
    assert activity["text"] == attachment["content"]["fallbackText"]
    assert payload_size(activity) <= ACTIVITY_BUDGET < teams.PAYLOAD_LIMIT
    return activity


def check_view(view: Any, locale: str = "en") -> list[dict[str, Any]]:
    found = teams.activities(view, locale=locale)
    assert found
    for activity in found:
        check_activity(activity)
    assert teams.card(view, locale=locale) == found[0]["attachments"][0]["content"]
    return found


def every_view(text: str, n: int = 3) -> list[Any]:
    return [*every_message_view(text, n), *homes(text, n),
            AskModal(text, desks(text, n), private_metadata='{"c": "19:abc@thread.tacv2"}')]


def shown_text(card: dict[str, Any]) -> str:
    return "\n".join(markdown_strings(card))


# ---------------------------------------------------------------- every view, every input


@pytest.mark.parametrize("name", sorted(TEAMS_HOSTILE))
def test_every_view_renders_valid_and_inert(name: str) -> None:
    for view in every_view(TEAMS_HOSTILE[name]):
        check_view(view)


@pytest.mark.parametrize("count", [0, 1, 30, 300])
def test_long_lists_stay_within_limits(count: int) -> None:
    for view in every_view(TEAMS_HOSTILE["long_name"], count):
        check_view(view)


def test_huge_markup_in_every_list_still_fits() -> None:
    for view in every_view(TEAMS_HOSTILE["huge_markup"], 120):
        check_view(view)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600)
       | st.sampled_from(sorted(TEAMS_HOSTILE.values())).map(lambda s: s[:600]),
       st.integers(min_value=0, max_value=12))
def test_any_text_in_any_view_renders_valid(text: str, count: int) -> None:
    for view in every_view(text, count):
        check_view(view)


def test_a_right_to_left_locale_marks_the_card() -> None:
    card = check_card(teams.card(Settled("שלום"), locale="he"))
    assert card["rtl"] is True
    assert "rtl" not in teams.card(Settled("x"))


def test_an_unknown_view_is_refused() -> None:
    with pytest.raises(TypeError):
        teams.card(object())
    with pytest.raises(ValueError):
        teams.card(AskModal("x", desks("D", 1), private_metadata="x" * 3001))


# ---------------------------------------------------------------- the check itself can fail


def test_the_schema_rejects_a_broken_card() -> None:
    card = teams.card(ticket("x"))
    broken = json.loads(json.dumps(card))
    broken["body"][0]["colour"] = "red"  # no such property
    assert schema_errors(broken)
    broken = json.loads(json.dumps(card))
    broken["actions"][0]["type"] = "Action.Run"
    assert schema_errors(broken)


@pytest.mark.parametrize("markup", [
    "[Your bank](https://evil)", "**x*", "<at>Dana</at>", "{{DATE(x)}}", "_x_", "- item", "# h",
    "1. one", "&lt;", "a\\", "rlo\u202e"])
def test_the_inertness_check_catches_live_markup(markup: str) -> None:
    with pytest.raises(AssertionError):
        check_inert(markup)


def test_user_markup_is_shown_as_typed_not_live() -> None:
    text = "[Your bank](https://evil) **now** <at>Everyone</at>"
    card = check_card(teams.card(ticket(text)))
    shown = shown_text(card)
    assert "\\[Your bank\\](https://evil) \\*\\*now\\*\\* \\<at\\>Everyone\\</at\\>" in shown
    assert "[Your bank](" not in ESCAPED.sub("", shown)


def test_a_relay_is_never_lost() -> None:
    text = "".join(f"line {n} with [a](b) and *stars*\n" for n in range(1200))  # ~40,000
    found = check_view(RelayToAgents(1042, PersonRef("Eli"), text))
    assert 1 < len(found) <= relay.MAX_CARDS
    bodies = [shown_text(activity["attachments"][0]["content"]) for activity in found]
    assert without_isolates(bodies[0]).startswith("**Eli**:")
    assert "line 0 with \\[a\\](b)" in bodies[0]
    assert f"(continued 2/{len(found)})" in bodies[1]
    assert "line 1199 with \\[a\\](b) and \\*stars\\*" in bodies[-1]
    assert "not shown" not in bodies[-1]
    cards = [activity["attachments"][0]["content"] for activity in found]
    shown = [shown_text({**card, "fallbackText": ""}) for card in cards]  # bodies only
    for n in (0, 600, 1199):  # every line arrives, once
        assert sum(body.count(f"\nline {n} with") for body in shown) == 1


def test_a_relay_past_the_cap_says_what_was_cut() -> None:
    text = "\\" * 400_000  # every character costs the most it can
    found = check_view(RelayToAgents(1042, PersonRef("Eli"), text))
    assert len(found) == relay.MAX_CARDS
    last = shown_text(found[-1]["attachments"][0]["content"])
    assert re.search(r"the last \d+ characters were not shown", last)


def test_an_empty_relay_still_shows_who_wrote() -> None:
    [activity] = check_view(RelayToAgents(1042, PersonRef(""), " \n "))
    assert "?" in activity["text"] and "(empty message)" in activity["text"]
