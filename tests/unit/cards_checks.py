"""Validation shared by the cards tests: Slack's own models, Slack's limits, and escaping.

slack_sdk's Block Kit models enforce the documented limits (text lengths, element and
option counts); the rest (blocks per surface, the msg_blocks_too_long budget, `text`
under 40,000, only our own `<…>` tokens) is checked here.
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from cards.slack.render import block_text_length
from conversations import button_ids

MODAL_ACTIONS = {button_ids.ASK_DESK, button_ids.ASK_TEXT, button_ids.INCIDENT_TEXT}
# The only `<…>` tokens deskbot writes: mentions and channels from validated ids, dates.
OUR_TOKEN = re.compile(
    r"<(?:@[UW][A-Z0-9]{2,20}|#[CGD][A-Z0-9]{2,20}"
    r"|!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC)>")
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
# Strings a person never reads as text (ids, values, state, urls) are not display text.
NOT_SHOWN = {"value", "action_id", "block_id", "callback_id", "private_metadata",
             "initial_value", "url", "type", "style"}


def shown_strings(node: Any, key: str = "") -> list[str]:
    """Every string of a rendered surface a person may read."""
    if isinstance(node, dict):
        return [s for k, v in node.items() if k not in NOT_SHOWN for s in shown_strings(v, k)]
    if isinstance(node, list):
        return [s for item in node for s in shown_strings(item, key)]
    return [node] if isinstance(node, str) else []


def elements(blocks: list[dict]) -> list[dict]:
    """Every interactive element (actions, accessories, inputs)."""
    found = []
    for block in blocks:
        found += block.get("elements", []) if block["type"] == "actions" else []
        found += [block[k] for k in ("accessory", "element") if k in block]
    return found


def options(element: dict) -> list[dict]:
    groups = element.get("option_groups") or [{"options": element.get("options") or []}]
    return [option for group in groups for option in group["options"]]


def check_blocks(blocks: list[dict], max_blocks: int) -> None:
    assert 0 < len(blocks) <= max_blocks, len(blocks)
    parsed = Block.parse_all(blocks)
    assert None not in parsed  # every block is a known Block Kit type
    for block in parsed:
        block.validate_json()  # Slack's limits, as slack_sdk knows them
    for element in elements(blocks):
        assert element.get("action_id") in set(button_ids.ALL_ACTIONS) | MODAL_ACTIONS
        if "initial_option" in element:
            assert element["initial_option"] in options(element)
        if element["type"] == "button":
            assert 1 <= len(element["text"]["text"]) <= 75
            assert "value" not in element or len(element["value"]) <= 2000
        for option in options(element) if element["type"] == "static_select" else []:
            assert len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            for field in block.get("fields") or []:
                assert len(field["text"]) <= 2000
        if block["type"] == "context":
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
    check_escaped(blocks)


def check_escaped(node: Any) -> None:
    """No live token from user input and no bare `&`: only our own tokens survive; no
    bidi control but deskbot's own isolates, each closed on its line."""
    for text in shown_strings(node):
        without_isolates(text)
        # Our own block quotes (">" opening a line) are markup; a user's ">" is escaped.
        leftover = re.sub(r"(?m)^>", "", OUR_TOKEN.sub("", text))
        assert "<" not in leftover and ">" not in leftover, text[:300]
        assert not ENTITY.search(text), text[:300]


def check_message(message: dict[str, Any]) -> dict[str, Any]:
    assert set(message) == {"text", "blocks"}
    assert 0 < len(message["text"]) < 40_000
    check_blocks(message["blocks"], 50)
    assert block_text_length(message["blocks"]) < 12_000
    check_escaped(message["text"])
    return message


def check_home(view: dict[str, Any]) -> dict[str, Any]:
    assert view["type"] == "home"
    View(**view).validate_json()
    check_blocks(view["blocks"], 100)
    return view


def check_modal(view: dict[str, Any]) -> dict[str, Any]:
    assert view["type"] == "modal"
    assert view["callback_id"] in (button_ids.ASK_MODAL, button_ids.INCIDENT_MODAL)
    View(**view).validate_json()  # title/submit/close <= 24, private_metadata <= 3000
    check_blocks(view["blocks"], 100)
    return view


def texts(surface: dict[str, Any]) -> str:
    """All readable text of a surface, joined (for "is it shown" assertions), without
    the isolates around user text (checked by `without_isolates`: nobody sees them)."""
    return without_isolates("\n".join(shown_strings(surface.get("blocks") or [])))


FSI, PDI = "\u2068", "\u2069"
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_isolates(text: str) -> str:
    """`text` without deskbot's isolates, which must each close on their line (a cut
    may end the text inside one); no other bidi control may be left."""
    for line in text.split("\n"):
        depth = 0
        for char in line:
            if char == FSI:
                depth += 1
                assert depth == 1, f"nested isolate in {line!r}"
            elif char == PDI:
                depth -= 1
                assert depth == 0, f"PDI without FSI in {line!r}"
        assert depth == 0 or line.endswith("…") or line.endswith("…**"), \
            f"isolate left open in {line!r}"
    bare = text.replace(FSI, "").replace(PDI, "")
    assert not BIDI_CONTROL.search(bare), f"bidi control in {text!r}"
    return bare


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
