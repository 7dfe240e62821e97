"""The ticket card of a long request: its start, and a word that the thread has it all.

conversations.view_queries cuts the opening message at the core's CARD_EXCERPT characters before the
card escapes it, so escaping never hides more of it (issue 20.3).
"""

from __future__ import annotations

from cards import slack, teams
from cards.teams.markdown import escape_markdown
from conversations.commands import CARD_EXCERPT
from conversations.view_models import clip
from tests.unit.cards_checks import check_message, unescape
from tests.unit.test_cards_slack import ticket
from tests.unit.test_cards_teams import check_card, shown_text

NOTE = "The whole message follows in this thread."


def test_a_cut_opening_says_the_thread_has_it_all_on_both_platforms() -> None:
    text = "w " * 2000
    card = ticket("VPN", first_message=clip(text, CARD_EXCERPT), whole_in_thread=True)
    slack_card = check_message(slack.message(card))
    assert NOTE in str(slack_card["blocks"])
    assert NOTE in shown_text(check_card(teams.card(card)))


def test_a_whole_opening_full_of_escapes_is_shown_whole() -> None:
    text = ("a&b<c>d" * 100)[:CARD_EXCERPT - 40]  # two in three characters grow escaped
    card = ticket("VPN", first_message=text)
    slack_card = check_message(slack.message(card))
    sections = [b["text"]["text"] for b in slack_card["blocks"]
                if b["type"] == "section" and "First message" in b.get("text", {}).get("text", "")]
    assert unescape(sections[0].split("\n", 1)[1]) == text
    assert NOTE not in str(slack_card["blocks"])
    shown = shown_text(check_card(teams.card(card)))
    assert shown.count(escape_markdown("a&b<c>d")) == len(text) // 7 and NOTE not in shown
