"""The incident card's controls: *Post update* and *Resolve incident* on Slack (each a
button opening a modal), *Post update…* and *Resolve…* panels on Teams (a text and its
Execute), shown while the incident is open and gone once it is resolved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cards import slack, teams
from conversations import button_ids
from conversations.view_models import IncidentCard, IncidentModal, PersonRef
from tests.unit.cards_checks import check_message, check_modal, elements, texts
from tests.unit.test_cards_teams import check_card

OPEN = IncidentCard(3, "Email is down", "open", "IT", 3, (1001, 1002, 1003),
                    opened_by=PersonRef("Dana", "UDANA"), latest_update="On it")
RESOLVED = IncidentCard(3, "Email is down", "resolved", "IT", 3, (1001, 1002, 1003),
                        resolution_note="Mail flows again")


def slack_controls(card: IncidentCard, locale: str = "en") -> dict[str, dict[str, Any]]:
    message = check_message(slack.message(card, locale=locale))
    return {e["action_id"]: e for e in elements(message["blocks"])}


def teams_panels(card: IncidentCard, locale: str = "en") -> list[dict[str, Any]]:
    rendered = check_card(teams.card(card, locale=locale))
    return [a for a in rendered.get("actions") or [] if a["type"] == "Action.ShowCard"]


@pytest.mark.parametrize("locale", ["en", "he"])
def test_an_open_incident_card_on_slack_has_post_update_and_resolve(locale: str) -> None:
    found = slack_controls(OPEN, locale)
    assert set(found) == {button_ids.INCIDENT_UPDATE, button_ids.INCIDENT_RESOLVE}
    assert {e["value"] for e in found.values()} == {"3"}  # the incident's number
    if locale == "en":
        assert found[button_ids.INCIDENT_UPDATE]["text"]["text"] == "Post update"
        assert found[button_ids.INCIDENT_RESOLVE]["text"]["text"] == "Resolve incident"


def test_a_resolved_incident_card_on_slack_has_no_controls() -> None:
    assert slack_controls(RESOLVED) == {}


@pytest.mark.parametrize("locale", ["en", "he"])
def test_an_open_incident_card_on_teams_has_the_two_panels(locale: str) -> None:
    panels = teams_panels(OPEN, locale)
    assert len(panels) == 2
    for panel, verb in zip(panels, button_ids.INCIDENT_ACTIONS, strict=True):
        body = [item for item in panel["card"]["body"]]
        [text_input] = [i for i in body if i["type"] == "Input.Text"]
        assert text_input["id"] == verb and text_input["isMultiline"] is True
        [execute] = [a for i in body if i["type"] == "ActionSet" for a in i["actions"]]
        assert execute["type"] == "Action.Execute" and execute["verb"] == verb
        # The incident rides as its own key, never `value`: an empty text must not fall
        # back to it (`cards.teams.verbs.value_of`).
        assert execute["data"] == {"incident": "3"}
    if locale == "en":
        assert [p["title"] for p in panels] == ["Post update…", "Resolve…"]


def test_a_resolved_incident_card_on_teams_has_no_panels() -> None:
    card = check_card(teams.card(RESOLVED))
    assert "actions" not in card or not card["actions"]
    assert button_ids.INCIDENT_UPDATE not in json.dumps(card)


@pytest.mark.parametrize("resolve", [False, True])
def test_the_slack_modal_asks_for_the_text_and_carries_its_state(resolve: bool) -> None:
    metadata = json.dumps({"incident": "3", "resolve": resolve, "channel": "C1"})
    modal = check_modal(slack.modal(IncidentModal(3, "Email <!here> is down", resolve=resolve,
                                                  private_metadata=metadata)))
    assert modal["callback_id"] == button_ids.INCIDENT_MODAL
    assert modal["private_metadata"] == metadata
    [field] = [b for b in modal["blocks"] if b.get("block_id") == button_ids.INCIDENT_TEXT_BLOCK]
    assert field["element"]["action_id"] == button_ids.INCIDENT_TEXT
    assert field["element"]["multiline"] is True
    shown = texts(modal)
    assert "INC-3" in shown and "<!here>" not in shown
    assert modal["title"]["text"] == ("Resolve INC-3" if resolve else "Update INC-3")


def test_a_modal_whose_state_is_too_long_is_refused() -> None:
    with pytest.raises(ValueError):
        slack.modal(IncidentModal(3, "x", private_metadata="x" * 3001))


# ---------------------------------------------------------------- saved replies


@pytest.mark.parametrize("locale", ["en", "he"])
def test_a_card_offers_the_desks_saved_replies_on_both_platforms(locale: str) -> None:
    from tests.unit.test_cards_slack import ticket

    offered = ticket("Dana", saved_replies=((7, "vpn"), (9, "Password reset")))
    [select] = [e for e in elements(check_message(slack.message(offered, locale=locale))["blocks"])
                if e.get("action_id") == button_ids.SAVED_REPLY]
    assert select["type"] == "static_select"
    assert [(o["text"]["text"], o["value"]) for o in select["options"]] == [
        ("vpn", "7"), ("Password reset", "9")]
    if locale == "en":
        assert select["placeholder"]["text"] == "Saved reply"
    card = check_card(teams.card(offered, locale=locale))
    [choices] = [i for i in card["body"] if i.get("id") == button_ids.SAVED_REPLY]
    assert [(c["title"], c["value"]) for c in choices["choices"]] == [
        ("vpn", "7"), ("Password reset", "9")]
    [send] = [a for i in card["body"] if i["type"] == "ActionSet" for a in i["actions"]
              if a.get("verb") == button_ids.SAVED_REPLY]
    assert send["type"] == "Action.Execute" and str(send["data"]["ref"]) == "1042"


def test_a_card_without_saved_replies_or_closed_has_no_control() -> None:
    from tests.unit.test_cards_slack import ticket

    for card in (ticket("Dana"), ticket("Dana", status="closed", saved_replies=((7, "vpn"),))):
        assert button_ids.SAVED_REPLY not in json.dumps(slack.message(card))
        assert button_ids.SAVED_REPLY not in json.dumps(teams.card(card))
