"""The inbound policy: every kind of delivery the adapters take has its one written rule.

The entries are read from the adapters themselves (what Slack listeners are attached
to, which DeskBot handlers and card verbs exist), so adding a listener, a handler or a
verb without a rule fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.slack import actions, home, listeners, slash
from bot.teams import handler, invoke
from cards.teams.verbs import VERBS
from storage import inbound
from storage.inbound import RULES, Answered, delivery_id, rule_of


class Recorder:
    """Stands in for bolt's AsyncApp: records what each listener is attached to."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def _on(self, what: str) -> Callable[..., Any]:
        def attach(key: str) -> Callable[[Any], Any]:
            self.entries.append((what, key))
            return lambda listener: listener
        return attach

    def __getattr__(self, what: str) -> Callable[..., Any]:
        if what in ("event", "action", "command", "shortcut", "view", "message",
                    "options", "view_closed", "view_submission", "block_action",
                    "global_shortcut", "message_shortcut", "attachment_action",
                    "dialog_submission", "dialog_cancellation", "function", "use"):
            return self._on(what)
        raise AttributeError(what)


def slack_entries() -> list[tuple[str, str]]:
    recorder = Recorder()
    listeners.register(recorder, None)  # type: ignore[arg-type]
    return recorder.entries


def teams_handlers() -> list[str]:
    return sorted(name for name in vars(handler.DeskBot)
                  if name.startswith("on_") and name != "on_turn")


def every_kind() -> set[tuple[str, str]]:
    kinds = {("slack", kind) for kind in listeners.ENTRIES.values()}
    for entry in handler.ENTRIES.values():
        for kind in (entry.values() if isinstance(entry, dict) else [entry]):
            kinds.add(("teams", kind))
    return kinds


def test_every_slack_listener_is_an_entry_with_a_kind() -> None:
    attached = slack_entries()
    assert attached, "no listener attached"
    assert len(attached) == len(set(attached))
    assert set(attached) == set(listeners.ENTRIES), (
        "a listener without an entry (and so without an inbound rule), or an entry "
        "no listener serves")


def test_every_teams_handler_and_card_verb_has_a_kind() -> None:
    assert teams_handlers() == sorted(handler.ENTRIES)
    assert set(invoke.KINDS) == set(VERBS), "a card verb without an inbound kind"


@pytest.mark.parametrize("platform_kind", sorted(every_kind()), ids="/".join)
def test_every_inbound_kind_has_a_written_rule(platform_kind: tuple[str, str]) -> None:
    rule = rule_of(*platform_kind)
    assert rule.what and rule.identity and all(rule.identity)
    assert isinstance(rule.answered, Answered)


def test_no_rule_is_left_without_its_kind_and_none_twice() -> None:
    kinds = [(rule.platform, rule.kind) for rule in RULES]
    assert len(kinds) == len(set(kinds))
    assert set(kinds) == every_kind()


def test_kinds_answered_in_the_response_are_exactly_those_that_must_be() -> None:
    in_response = {(r.platform, r.kind) for r in RULES if r.answered is Answered.IN_RESPONSE}
    # Teams waits for the card in the invoke's answer; a modal opens with a trigger_id
    # that lives 3 s; a modal's field errors go in the answer. Everything else is acked first.
    assert in_response == {("slack", actions.SHORTCUT_KIND), ("slack", actions.ASK_SUBMITTED),
                           ("slack", actions.INCIDENT_MODAL_KIND),
                           ("slack", actions.INCIDENT_SUBMITTED),
                           ("slack", actions.KB_SUBMITTED),
                           *{("teams", kind) for kind in invoke.KINDS.values()}}
    assert ("slack", home.ACTION) not in in_response and ("slack", slash.KIND) not in in_response


def test_a_kind_without_a_rule_is_refused() -> None:
    with pytest.raises(inbound.UnknownKind):
        rule_of("slack", "reaction_added")


@pytest.mark.parametrize(("platform", "kind", "delivery", "expected"), [
    ("slack", "message", {"event_id": "Ev1", "event": {"channel": "D1", "ts": "1.2"}}, "Ev1"),
    ("slack", "message", {"event": {"channel": "D1", "ts": "1.2"}}, "D1:1.2"),
    ("slack", "command", {"trigger_id": "t.1"}, "command:t.1"),
    ("slack", "ticket_action", {"user": {"id": "U1"}, "actions": [{"action_ts": "5.5"}],
                                "trigger_id": "t.2"}, "ticket-action:U1:5.5"),
    ("slack", "ticket_action", {"user": {"id": "U1"}, "actions": [{}], "trigger_id": "t.2"},
     "ticket-action:t.2"),
    ("slack", "home_action", {"user": {"id": "U1"}, "actions": []}, None),
    ("slack", "ask_submitted", {"view": {"id": "V1"}, "trigger_id": "t"}, "ask-modal:V1"),
    ("teams", "message", {"id": "1", "conversation": {"id": "a:b"}}, "a:b:1"),
    ("teams", "message", {"id": "1", "conversation": {}}, None),
])
def test_the_id_each_rule_reads(platform: str, kind: str, delivery: dict[str, Any],
                                expected: str | None) -> None:
    assert delivery_id(rule_of(platform, kind), delivery) == expected


def test_a_long_id_is_kept_unique_within_the_column() -> None:
    rule = rule_of("teams", "message")
    one = delivery_id(rule, {"id": "1", "conversation": {"id": "a:" + "x" * 400}})
    two = delivery_id(rule, {"id": "2", "conversation": {"id": "a:" + "x" * 400}})
    assert one and two and len(one) <= 255 and len(two) <= 255 and one != two
