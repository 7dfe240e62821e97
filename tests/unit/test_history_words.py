"""Every event kind the journal records has words in the timeline (`history.<kind>`).

A new kind written anywhere in the core is noticed here: add it to
`conversations.history.WORDED` and its words to en.json and he.json (or it is shown by
the generic `history.other` line)."""

from __future__ import annotations

import ast
from pathlib import Path

from conversations.history import DESK_ONLY, WORDED, said
from desks.wording import known
from storage.models import Desk, Event

ROOT = Path(__file__).resolve().parents[2]
RECORDERS = {"record_event", "_event", "record", "event"}
# Kinds recorded about desks, people and incidents, never about one request: no
# timeline shows them (an incident's own events are on the incident's card).
NOT_ABOUT_A_REQUEST = ("desk.", "desks.", "agent.", "person.")
INCIDENTS_OWN = {"incident.opened", "incident.updated", "incident.resolved",
                 "incident.proposed"}
# The kinds the code builds from a variable (`f"{which}.changed"`, `f"due.{stage}"`),
# and those of changes on their way (automatic assignment, incidents: issue 17).
BUILT = {"impact.changed", "urgency.changed", "due.warning", "due.passed",
         "conversation.claimed", "conversation.taken_over", "conversation.unassigned",
         "conversation.transferred", "conversation.moved", "conversation.released",
         "sla.escalated", "conversation.escalated", "conversation.autoassigned",
         "incident.linked"}


def recorded_kinds() -> set[str]:
    """The literal kinds given to the journal's recorders in the core's source."""
    found: set[str] = set()
    for package in ("conversations", "scheduling", "desks"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in RECORDERS:
                    continue
                for arg in [*node.args, *(k.value for k in node.keywords if k.arg == "kind")]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                            and "." in arg.value:
                        found.add(arg.value)
    return {kind for kind in found
            if not kind.startswith(NOT_ABOUT_A_REQUEST) and kind not in INCIDENTS_OWN}


def test_every_kind_recorded_about_a_request_has_words() -> None:
    missing = (recorded_kinds() | BUILT) - WORDED
    assert not missing, f"add to conversations.history.WORDED and the catalogues: {missing}"
    assert DESK_ONLY <= WORDED


def test_every_worded_kind_is_in_the_catalogue() -> None:
    assert [kind for kind in sorted(WORDED) if not known(f"history.{kind}")] == []


def test_a_kind_without_words_gets_the_generic_line() -> None:
    desk = Desk(name="IT", language="en", settings={})
    words = said(Event(kind="problem.linked", data={}), {}, {}, desk)
    assert words.key == "history.other" and words.english == "Event: problem.linked"
    moved = said(Event(kind="conversation.moved", data={"from_desk_id": 1, "to_desk_id": 2}),
                 {}, {1: "IT", 2: "HR"}, desk)
    assert moved.english == "Moved from IT to HR"
    linked = said(Event(kind="incident.linked", data={"incident": 7}), {}, {}, desk)
    assert linked.english == "Linked to incident INC-7"
