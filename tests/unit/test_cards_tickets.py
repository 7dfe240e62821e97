"""The ticket card's ticket parts (issue 17): category, Make ticket, impact × urgency.

Rendered for Slack and Teams from the same view model and checked against the platform
schemas (`check_message`, `check_card`).
"""

from __future__ import annotations

import dataclasses

from cards import slack, teams
from conversations import button_ids
from conversations.view_models import AskModal, DeskOption, QueueRow
from tests.unit.cards_checks import check_message, options
from tests.unit.test_cards_slack import NOW, ticket
from tests.unit.test_cards_teams import check_card
from tests.unit.test_cards_teams_cards import by_verb, facts, inputs, teams_ticket
from tests.unit.test_cards_ticket import controls, fields

CATEGORIES = ("Incident", "Service request", "IMAC")


def test_an_inquiry_of_a_desk_with_categories_offers_make_ticket_as_a_select() -> None:
    card = check_message(slack.message(ticket("VPN", categories=CATEGORIES)))
    found = controls(card)
    assert button_ids.MAKE_TICKET not in found
    select = found[button_ids.CATEGORY]
    assert select["placeholder"]["text"] == "🎫 Make ticket"
    assert [o["value"] for o in options(select)] == list(CATEGORIES)
    assert "initial_option" not in select
    assert "*Ticket*" not in fields(card) and "*Category*" not in fields(card)


def test_a_ticket_shows_its_category_and_offers_to_change_it() -> None:
    card = check_message(slack.message(ticket("VPN", kind="ticket", category="Incident",
                                              categories=CATEGORIES)))
    assert fields(card)["*Ticket*"] == "🎫 Incident"
    select = controls(card)[button_ids.CATEGORY]
    assert select["placeholder"]["text"] == "Category"
    assert select["initial_option"]["value"] == "Incident"
    # A filed inquiry says its category (and is still offered as one to make a ticket).
    filed = check_message(slack.message(ticket("VPN", category="IMAC", categories=CATEGORIES)))
    assert fields(filed)["*Category*"] == "IMAC"


def test_with_the_matrix_on_impact_and_urgency_replace_priority() -> None:
    card = check_message(slack.message(ticket("VPN", matrix=True, impact="high",
                                              urgency=None)))
    found = controls(card)
    assert button_ids.PRIORITY not in found
    assert [o["value"] for o in options(found[button_ids.IMPACT])] == ["high", "medium", "low"]
    assert found[button_ids.IMPACT]["initial_option"]["value"] == "high"
    assert "initial_option" not in found[button_ids.URGENCY]
    assert fields(card)["*Impact × urgency*"] == "High × not set"

    teams_card = check_card(teams.card(teams_ticket(matrix=True, impact="low", urgency="high",
                                                    categories=CATEGORIES)))
    assert facts(teams_card)["Impact × urgency"] == "Low × High"
    found_inputs = inputs(teams_card)
    assert button_ids.PRIORITY not in found_inputs
    assert found_inputs[button_ids.URGENCY]["value"] == "high"
    assert [c["value"] for c in found_inputs[button_ids.CATEGORY]["choices"]] == list(CATEGORIES)
    [make] = by_verb(teams_card, button_ids.CATEGORY)
    assert make["title"] == "🎫 Make ticket" and make["data"] == {"ref": "1042"}


def test_a_desk_without_categories_offers_a_make_ticket_button_on_teams() -> None:
    card = check_card(teams.card(teams_ticket()))
    [make] = by_verb(card, button_ids.MAKE_TICKET)
    assert make["data"]["ref"] == "1042"
    assert not by_verb(check_card(teams.card(teams_ticket(kind="ticket"))),
                       button_ids.MAKE_TICKET)


def test_queue_rows_name_the_category_and_the_ask_modal_asks_urgency() -> None:
    row = QueueRow(ref=7, subject="VPN", desk="IT", requester="Eli", assignee=None,
                   status="new", priority=3, opened_at=NOW, pinned=False, unread=False,
                   category="Incident")
    from conversations.view_models import QueueList
    message = check_message(slack.message(QueueList(view="all", rows=(row,), now=NOW)))
    assert "· 🎫 Incident" in str(message)
    modal = slack.modal(AskModal(text="x", desks=(DeskOption("it", "IT"),), urgency=True))
    [block] = [b for b in modal["blocks"] if b and b.get("block_id") == "ask_urgency"]
    assert block["optional"] is True
    assert block["element"]["initial_option"]["value"] == "medium"
    plain = slack.modal(dataclasses.replace(AskModal(text="x", desks=(DeskOption("it", "IT"),))))
    assert not [b for b in plain["blocks"] if b and b.get("block_id") == "ask_urgency"]
    card = teams.card(AskModal(text="x", desks=(DeskOption("it", "IT"),), urgency=True),
                      locale="he")
    assert inputs(card)[button_ids.ASK_URGENCY]["value"] == "medium"
