"""The ticket card's similar resolved requests (issue 19), on Slack and Teams, en and he."""

from __future__ import annotations

import pytest

from cards import slack
from conversations.view_models import SimilarRequest
from tests.unit.cards_checks import check_message, texts, without_isolates
from tests.unit.test_cards_slack import ticket
from tests.unit.test_cards_teams import check_view, shown_text

FOUND = (SimilarRequest(987, "Wi-Fi drops on floor 3", "Dana", "Replaced the access point"),
         SimilarRequest(955, "הוויפי לא מתחבר", None, None))


def test_an_open_card_lists_the_similar_resolved_requests() -> None:
    card = check_message(slack.message(ticket("VPN drops", similar=FOUND)))
    shown = without_isolates(texts(card))
    assert "Similar resolved requests:" in shown
    assert "#987 Wi-Fi drops on floor 3, resolved by Dana" in shown
    assert "↳ Replaced the access point" in shown
    assert "#955 הוויפי לא מתחבר, resolved by Nobody" in shown
    [teams_card] = [a["attachments"][0]["content"] for a in check_view(
        ticket("VPN drops", similar=FOUND))]
    text = without_isolates(shown_text(teams_card))
    assert "#987 Wi-Fi drops on floor 3, resolved by Dana" in text
    assert "Replaced the access point" in text


def test_in_hebrew_and_not_once_it_is_done() -> None:
    [hebrew] = [a["attachments"][0]["content"] for a in check_view(
        ticket("VPN", similar=FOUND), locale="he")]
    assert "פניות דומות שנפתרו:" in shown_text(hebrew)
    assert "נפתרה על ידי \u2068Dana\u2069" in shown_text(hebrew)
    for status in ("resolved", "closed"):
        card = check_message(slack.message(ticket("x", status=status, similar=FOUND)))
        assert "Similar resolved" not in texts(card)


@pytest.mark.parametrize("text", ["*bold* <!here> _x_ `y` & > <", "ש" * 400, ""])
def test_odd_titles_and_notes_never_break_the_card(text: str) -> None:
    odd = tuple(SimilarRequest(i, text, text or None, text or None) for i in (1, 2, 3))
    check_message(slack.message(ticket("x", similar=odd)))
    check_view(ticket("x", similar=odd))
    check_view(ticket("x", similar=odd), locale="he")


def test_a_similar_request_with_a_link_opens_its_thread() -> None:
    """Slack: an *Open the thread* button to the permalink (the rest stay plain lines);
    Teams: the entry opens the deep link when tapped. A link that is no http(s) URL
    is left out."""
    linked = (SimilarRequest(987, "Wi-Fi drops", "Dana", "Replaced the AP",
                             link="https://acme.slack.com/archives/CIT/p1700000000000100"),
              SimilarRequest(955, "VPN", None, None, link="javascript:alert(1)"))
    card = check_message(slack.message(ticket("VPN drops", similar=linked)))
    [button] = [block["accessory"] for block in card["blocks"]
                if block.get("accessory", {}).get("url")]
    assert button["url"] == "https://acme.slack.com/archives/CIT/p1700000000000100"
    assert button["text"]["text"] == "Open the thread"
    assert "javascript" not in str(card)
    shown = without_isolates(texts(card))
    assert "#987 Wi-Fi drops, resolved by Dana" in shown and "#955 VPN" in shown
    [teams_card] = [a["attachments"][0]["content"] for a in check_view(
        ticket("VPN drops", similar=linked))]
    opens = [item["selectAction"]["url"] for item in _walk(teams_card)
             if isinstance(item, dict) and "selectAction" in item]
    assert opens == ["https://acme.slack.com/archives/CIT/p1700000000000100"]
    assert "javascript" not in str(teams_card)


def _walk(node: object) -> list[object]:
    """Every dict and list inside `node`, `node` first."""
    found = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found += _walk(child)
    return found
