"""The scheduler's cards (alerts, reminders, the digest) with hostile and oversize input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cards import slack
from conversations.view_models import Digest, PersonRef, SchedulerAlert
from tests.unit.cards_checks import check_message
from tests.unit.test_cards_slack import HOSTILE

WHATS = ("sla_warning", "sla_breach", "unassigned", "unassigned_leads", "agent_silent",
         "requester_reminder", "<!channel>")


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_alerts_and_digest_render_valid_and_inert(name: str) -> None:
    text = HOSTILE[name]
    people = tuple(PersonRef(text, external_id) for external_id in ("U123", text, None)) * 20
    for what in WHATS:
        for target in ("first_response", "resolution", text, None):
            view = SchedulerAlert(what=what, ref=1042, desk=text, subject=text, target=target,
                                  due_at=datetime(2026, 1, 11, 6, 10, tzinfo=UTC),
                                  mentions=people, link="https://acme.slack.com/archives/C1/p1")
            check_message(slack.message(view))
            check_message(slack.message(SchedulerAlert(what, 1, text, text, target)))
    check_message(slack.message(Digest(text, text, 1, 2, 3, 4, 10**9)))


def test_alert_text_says_what_and_who() -> None:
    view = SchedulerAlert("unassigned", 1042, "IT", "VPN",
                          mentions=(PersonRef("Dana", "U0DANA"),))
    message = slack.message(view)
    assert "<@U0DANA>" in message["text"] and "#1042" in message["text"]
    breach = slack.message(SchedulerAlert("sla_breach", 7, "IT", "VPN", "first_response"))
    assert "first response target breached" in breach["text"]
