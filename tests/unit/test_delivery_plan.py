"""The delivery plan's rules, without a database: what each notice kind comes to, the
skips both platforms share, and that every kind and every step has a handling on
Slack and on Teams."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from bot.slack.sender import SlackSender
from bot.teams.sender import TeamsSender
from conversations.delivery_plan import (
    PLANNED,
    STEP_KINDS,
    AnswerCommand,
    Ask,
    Facts,
    FileFailed,
    Pin,
    Place,
    PostCard,
    PostInChannel,
    PostInThread,
    PostReport,
    PublishHome,
    RelayFile,
    RequesterChat,
    Skip,
    Tell,
    ToRequester,
    Update,
    View,
    decide,
)
from conversations.delivery_views import VIEWS
from conversations.outbox_worker import Notice, Undeliverable
from desks.notices import NoticeKind
from storage.models import Conversation, Desk, Incident, MessageFile, PendingRequest, Person

CARD = Place("C-AGENTS", "111.1")


def notice(kind: str, *, person_id: int | None = None, **payload: Any) -> Notice:
    return Notice(id=1, workspace_id=1, kind=kind, conversation_id=7, person_id=person_id,
                  payload=payload, attempts=0)


def facts(*, posted: bool = True, status: str = "new", assignee_id: int | None = None,
          channel: str | None = "C-AGENTS", requester_channel: str | None = "D-REQ",
          requester_thread: str | None = "222.2", **more: Any) -> Facts:
    conversation = Conversation(
        id=7, ref=1042, desk_id=3, requester_id=5, status=status, assignee_id=assignee_id,
        agent_channel="C-AGENTS" if posted else None, agent_thread="111.1" if posted else None,
        requester_channel=requester_channel, requester_thread=requester_thread)
    found = Facts(conversation=conversation, desk=Desk(id=3, name="IT", agent_channel=channel),
                  requester=Person(id=5, external_id="U-REQ"),
                  person=Person(id=9, external_id="U-AGENT"))
    for key, value in more.items():
        setattr(found, key, value)
    return found


def steps(kind: str, found: Facts | None = None, **kwargs: Any) -> tuple[Any, ...]:
    return decide(notice(kind, **kwargs), found if found is not None else facts()).steps


# ---------------------------------------------------------------- the card


def test_a_card_is_posted_in_the_desk_channel_and_updated_if_it_was_posted_before() -> None:
    assert steps(NoticeKind.CARD_POST, facts(posted=False)) == (
        PostCard("C-AGENTS", View("ticket_card")),)
    # A process died after posting, before recording it: update, do not post twice.
    assert steps(NoticeKind.CARD_POST) == (Update(CARD, View("ticket_card")),)
    # Moved to another desk's channel since: a new card there.
    assert steps(NoticeKind.CARD_POST, facts(channel="C-OTHER")) == (
        PostCard("C-OTHER", View("ticket_card")),)


def test_a_desk_without_agent_channel_cannot_take_its_card() -> None:
    with pytest.raises(Undeliverable, match="IT desk has no agent channel"):
        decide(notice(NoticeKind.CARD_POST), facts(posted=False, channel=None))


@pytest.mark.parametrize("kind", [NoticeKind.CARD_UPDATE, NoticeKind.CARD_PIN,
                                  NoticeKind.CARD_UNPIN])
def test_a_card_that_is_not_posted_is_neither_updated_nor_pinned(kind: str) -> None:
    assert steps(kind, facts(posted=False)) == (Skip("the card is not posted"),)


def test_a_posted_card_is_updated_pinned_and_unpinned_in_place() -> None:
    assert steps(NoticeKind.CARD_UPDATE) == (Update(CARD, View("ticket_card")),)
    assert steps(NoticeKind.CARD_PIN) == (Pin(CARD, on=True, card=True),)
    assert steps(NoticeKind.CARD_UNPIN) == (Pin(CARD, on=False, card=True),)


def test_a_moved_card_is_replaced_where_it_was_and_its_pin_taken_off() -> None:
    old = {"old_channel": "C-OLD", "old_thread": "9.9"}
    assert steps(NoticeKind.CARD_MOVED, **old) == (
        Update(Place("C-OLD", "9.9"), View("card_moved", (old,))),)
    pinned = {**old, "was_pinned": True}
    assert steps(NoticeKind.CARD_MOVED, **pinned) == (
        Update(Place("C-OLD", "9.9"), View("card_moved", (pinned,))),
        Pin(Place("C-OLD", "9.9"), on=False, card=False))
    assert steps(NoticeKind.CARD_MOVED) == (Skip("the old card was never posted"),)


# ---------------------------------------------------------------- relays


def test_a_message_relayed_before_is_not_relayed_again() -> None:
    for kind in (NoticeKind.RELAY_TO_AGENTS, NoticeKind.RELAY_TO_REQUESTER):
        assert steps(kind, facts(relayed=True), message_id=88) == (Skip("relayed already"),)


def test_a_relay_goes_into_the_card_thread_and_to_the_requester_chat() -> None:
    assert steps(NoticeKind.RELAY_TO_AGENTS, message_id=88) == (
        PostInThread(CARD, View("relay_to_agents", (88,)), relayed=88),)
    assert steps(NoticeKind.RELAY_TO_REQUESTER, facts(requester_channel=None,
                                                      requester_thread=None),
                 message_id=88) == (
        ToRequester(RequesterChat("U-REQ", None, None), View("relay_to_requester", (88,)),
                    relayed=88),)


def test_a_relay_to_a_card_that_was_never_posted_is_undeliverable() -> None:
    for kind in (NoticeKind.RELAY_TO_AGENTS, NoticeKind.FILE_TO_AGENTS):
        with pytest.raises(Undeliverable, match="card was never posted"):
            decide(notice(kind, message_id=88, file_id=4), facts(posted=False))


# ---------------------------------------------------------------- people


def test_a_new_request_already_taken_is_not_announced() -> None:
    for found in (facts(assignee_id=9), facts(status="resolved"), facts(status="closed")):
        assert steps(NoticeKind.AGENT_NEW_REQUEST, found, person_id=9) == (
            Skip("already taken"),)
    # Being given it is told whatever the state.
    assert steps(NoticeKind.AGENT_ASSIGNED, facts(assignee_id=9), person_id=9, by_id=2) == (
        Tell("U-AGENT", View("agent_notification", ("assigned", 2)), True, CARD),)
    assert steps(NoticeKind.AGENT_NEW_REQUEST, person_id=9) == (
        Tell("U-AGENT", View("agent_notification", ("new_request", None)), True, CARD),)


def test_an_alert_goes_to_its_person_else_into_the_card_thread() -> None:
    payload = {"target": "first_response"}
    view = View("scheduler_alert", (NoticeKind.SLA_BREACH, payload))
    assert steps(NoticeKind.SLA_BREACH, **payload) == (PostInThread(CARD, view),)
    assert steps(NoticeKind.SLA_BREACH, facts(posted=False), **payload) == (
        Skip("the card is not posted"),)
    # A DM still goes when the card is not posted: without a link to it.
    assert steps(NoticeKind.SLA_BREACH, facts(posted=False), person_id=9, **payload) == (
        Tell("U-AGENT", view, True, None),)
    with pytest.raises(Undeliverable, match="person to tell no longer exists"):
        decide(notice(NoticeKind.SLA_BREACH, person_id=9), facts(person=None))


def test_the_requester_is_written_to_in_their_chat() -> None:
    chat = RequesterChat("U-REQ", "D-REQ", "222.2")
    assert steps(NoticeKind.RECEIPT, what="x") == (
        ToRequester(chat, View("receipt", ({"what": "x"},))),)
    assert steps(NoticeKind.RESOLVE_PROMPT) == (ToRequester(chat, View("resolve_prompt")),)
    assert steps(NoticeKind.REQUESTER_REMINDER) == (
        ToRequester(chat, View("scheduler_alert", (NoticeKind.REQUESTER_REMINDER, {}))),)


def test_a_digest_needs_its_desk_and_a_not_ready_desk_is_told_to_a_person() -> None:
    desk = Desk(id=3, name="IT", agent_channel="C-AGENTS")
    assert steps(NoticeKind.DESK_DIGEST, facts(desk=desk), desk_id=3) == (
        PostInChannel("C-AGENTS", View("digest", ({"desk_id": 3},))),)
    with pytest.raises(Undeliverable, match="agent channel no longer exists"):
        decide(notice(NoticeKind.DESK_DIGEST, desk_id=3), facts(desk=None))
    assert steps(NoticeKind.DESK_NOT_READY, person_id=9, desk_id=3) == (
        Tell("U-AGENT", View("desk_not_ready", ({"desk_id": 3},))),)


def test_a_prompt_is_asked_where_the_employee_wrote_unless_answered() -> None:
    pending = PendingRequest(id=6, person_id=5, channel="C-GENERAL", thread=None,
                             side_id="333.3")
    assert steps(NoticeKind.REQUESTER_PROMPT, facts(pending=pending), pending_id=6,
                 question="add_or_new") == (
        Ask(View("requester_prompt", (6, "add_or_new")), "C-GENERAL", "333.3", None),)
    assert steps(NoticeKind.REQUESTER_PROMPT, facts(pending=None), pending_id=6) == (
        Skip("answered meanwhile: nothing left to ask"),)
    alone = PendingRequest(id=6, person_id=5, channel=None, thread=None, side_id=None)
    with pytest.raises(Undeliverable, match="the person to ask no longer exists"):
        decide(notice(NoticeKind.REQUESTER_PROMPT, pending_id=6), facts(pending=alone))


def test_a_failed_file_is_told_to_its_author_on_their_side() -> None:
    file = MessageFile(id=4, name="log.txt")
    agent = Person(id=9, external_id="U-AGENT")
    requester = Person(id=5, external_id="U-REQ")
    assert steps(NoticeKind.FILE_FAILED, facts(file=file, author=agent),
                 relay=NoticeKind.FILE_TO_REQUESTER) == (
        FileFailed("log.txt", "U-AGENT", False, card=CARD),)
    assert steps(NoticeKind.FILE_FAILED, facts(file=file, author=requester),
                 relay=NoticeKind.FILE_TO_AGENTS) == (
        FileFailed("log.txt", "U-REQ", True, chat=RequesterChat("U-REQ", "D-REQ", "222.2")),)
    assert steps(NoticeKind.FILE_FAILED, facts(file=None)) == (
        Skip("the file or its author is gone"),)


def test_files_homes_and_command_answers() -> None:
    assert steps(NoticeKind.FILE_TO_AGENTS, file_id=4) == (RelayFile(place=CARD),)
    assert steps(NoticeKind.FILE_TO_REQUESTER, file_id=4) == (
        RelayFile(chat=RequesterChat("U-REQ", "D-REQ", "222.2")),)
    assert steps(NoticeKind.HOME_PUBLISH, Facts(), person_id=9) == (PublishHome(),)
    assert steps(NoticeKind.COMMAND_ANSWER, Facts(), person_id=9) == (AnswerCommand(),)


def test_a_kind_without_a_plan_is_undeliverable() -> None:
    with pytest.raises(Undeliverable, match="no delivery for 'carrier.pigeon'"):
        decide(notice("carrier.pigeon"), facts())


# ---------------------------------------------------------------- completeness


def rich_facts() -> list[Facts]:
    """Facts that between them lead every kind down each of its ways."""
    file = MessageFile(id=4, name="log.txt")
    pending = PendingRequest(id=6, person_id=5, channel=None, thread=None, side_id=None)
    return [facts(file=file, author=Person(id=9, external_id="U-AGENT"), pending=pending,
                  pending_person=Person(id=5, external_id="U-REQ")),
            facts(posted=False, status="closed", file=None, pending=None),
            facts(relayed=True),
            # A major incident's card: not posted yet, and posted.
            facts(incident=Incident(id=11, number=3, desk_id=3)),
            facts(incident=Incident(id=11, number=3, desk_id=3, agent_channel="C-AGENTS",
                                    agent_thread="333.3"))]


def test_every_notice_kind_has_a_plan() -> None:
    """A new NoticeKind fails here until conversations/delivery_plan.py plans it."""
    assert set(NoticeKind) - set(PLANNED) == set()
    assert set(PLANNED) - set(NoticeKind) == set()


@pytest.mark.parametrize("sender", ["slack", "teams"])
def test_both_senders_carry_out_every_step_a_plan_may_hold(sender: str) -> None:
    """A new step kind fails here until Slack and Teams each say how they carry it out."""
    if sender == "slack":
        steps_of = SlackSender(None, None)._steps  # type: ignore[arg-type]
    else:
        steps_of = TeamsSender(None, None, None, bot_id_fallback="28:x")._steps  # type: ignore[arg-type]
    assert set(STEP_KINDS) - set(steps_of) == set()
    assert all(callable(handler) for handler in steps_of.values())


@pytest.mark.parametrize("kind", sorted(NoticeKind))
def test_each_kind_plans_only_steps_and_views_both_platforms_know(kind: str) -> None:
    payload = {"message_id": 88, "file_id": 4, "pending_id": 6, "desk_id": 3,
               "old_channel": "C-OLD", "old_thread": "9.9", "was_pinned": True}
    planned_once = False
    for found in rich_facts():
        for person_id in (None, 9):
            try:
                planned = decide(notice(kind, person_id=person_id, **payload), found)
            except Undeliverable:
                continue
            planned_once = True
            assert planned.steps, f"{kind} planned nothing (a Skip says why)"
            for step in planned.steps:
                assert isinstance(step, STEP_KINDS)
                view = getattr(step, "view", None)
                assert view is None or view.name in VIEWS, (kind, view)
    assert planned_once, f"{kind} is never delivered"


# ---------------------------------------------------------------- languages

LOCALIZED = tuple(kind for kind in STEP_KINDS if kind is not Skip)
# Who a step speaks to: a desk's channel, or one person (which one, by step kind).
TO_CHANNEL = (PostCard, PostInChannel, Update, Pin, PostInThread)
PARTIES = ("desk", "old_desk", "requester", "person", "pending_person", "author")


def test_every_step_but_a_skip_carries_a_locale() -> None:
    """A new step kind fails here until it says which language it is rendered in."""
    for kind in LOCALIZED:
        assert "locale" in {f.name for f in fields(kind)}, kind.__name__
    assert "locale" not in {f.name for f in fields(Skip)}  # nothing is rendered


def party_of(kind: str, step: Any) -> str:
    """Whose language `step` of a `kind` notice should speak (the rule of issue 16)."""
    if isinstance(step, RelayFile):
        return "desk" if step.place is not None else "requester"
    if isinstance(step, TO_CHANNEL):
        return "old_desk" if kind == NoticeKind.CARD_MOVED else "desk"
    if isinstance(step, ToRequester):
        return "requester"
    if isinstance(step, Ask):
        return "pending_person"
    if isinstance(step, FileFailed):
        return "author"
    # The notices here name no `desk_ids`: a report of every desk, in its reader's
    # language (one desk's speaks the desk's: test_a_desk_report_speaks_its_desk_language).
    assert isinstance(step, Tell | PublishHome | AnswerCommand | PostReport), step
    return "person"


def one_speaks_hebrew(hebrew: str, **changes: Any) -> Facts:
    """Facts whose parties are all different people and desks; only `hebrew` speaks he
    (a desk by its language, a person by their own choice or their platform's locale)."""
    def desk(id_: int, party: str) -> Desk:
        return Desk(id=id_, name="IT", agent_channel="C-AGENTS",
                    language="he" if party == hebrew else None)

    def person(id_: int, external_id: str, party: str) -> Person:
        he = party == hebrew
        # The requester's Hebrew comes from Slack/Teams, the others' from /desk language.
        return Person(id=id_, external_id=external_id,
                      locale="he-IL" if he and party == "requester" else "en-US",
                      language="he" if he and party != "requester" else None)

    found = facts(file=MessageFile(id=4, name="log.txt"),
                  pending=PendingRequest(id=6, person_id=11, channel=None, thread=None,
                                         side_id=None),
                  incident=Incident(id=11, number=3, desk_id=3, agent_channel="C-AGENTS",
                                    agent_thread="333.3"),
                  **changes)
    found.desk = desk(3, "desk")
    found.old_desk = desk(2, "old_desk")
    found.requester = person(5, "U-REQ", "requester")
    found.person = person(9, "U-AGENT", "person")
    found.pending_person = person(11, "U-ASKED", "pending_person")
    found.author = person(12, "U-AUTHOR", "author")
    return found


@pytest.mark.parametrize("kind", sorted(NoticeKind))
def test_a_step_speaks_the_language_of_whom_it_writes_to(kind: str) -> None:
    """To one person: their language; in a desk's channel: the desk's (the old desk's
    for the line a moved card leaves behind)."""
    payload = {"message_id": 88, "file_id": 4, "pending_id": 6, "desk_id": 3,
               "old_channel": "C-OLD", "old_thread": "9.9", "was_pinned": True}
    relays = ({"relay": NoticeKind.FILE_TO_AGENTS}, {"relay": NoticeKind.FILE_TO_REQUESTER})
    checked = 0
    for hebrew in PARTIES:
        for person_id in (None, 9):
            for relay in relays:
                try:
                    planned = decide(notice(kind, person_id=person_id, **payload, **relay),
                                     one_speaks_hebrew(hebrew))
                except Undeliverable:
                    continue
                for step in planned.steps:
                    if isinstance(step, Skip):
                        continue
                    party = party_of(kind, step)
                    assert step.locale == ("he" if party == hebrew else "en"), (
                        kind, type(step).__name__, party, hebrew)
                    checked += 1
    assert checked, f"{kind} planned no step to check"


def test_the_requester_hears_in_their_language_the_desk_channel_in_the_desks() -> None:
    hebrew_requester = one_speaks_hebrew("requester")
    receipt, = steps(NoticeKind.RECEIPT, hebrew_requester)
    card, = steps(NoticeKind.CARD_UPDATE, hebrew_requester)
    assert (receipt.locale, card.locale) == ("he", "en")
    hebrew_desk = one_speaks_hebrew("desk")
    receipt, = steps(NoticeKind.RECEIPT, hebrew_desk)
    card, = steps(NoticeKind.CARD_UPDATE, hebrew_desk)
    assert (receipt.locale, card.locale) == ("en", "he")


def test_a_sweeps_alert_and_digest_speak_to_whom_they_go() -> None:
    """The digest in the desk's channel: the desk's language. An alert in the card's
    thread: the desk's; the same alert DM'd to an agent: theirs."""
    hebrew_desk = one_speaks_hebrew("desk")
    digest, = steps(NoticeKind.DESK_DIGEST, hebrew_desk, desk_id=3)
    in_thread, = steps(NoticeKind.SLA_BREACH, hebrew_desk, target="resolution")
    dm, = steps(NoticeKind.SLA_BREACH, hebrew_desk, person_id=9, target="resolution")
    assert (digest.locale, in_thread.locale, dm.locale) == ("he", "he", "en")
    hebrew_agent = one_speaks_hebrew("person")
    dm, = steps(NoticeKind.SLA_WARNING, hebrew_agent, person_id=9)
    reminder, = steps(NoticeKind.REQUESTER_REMINDER, hebrew_agent)
    assert (dm.locale, reminder.locale) == ("he", "en")


def test_a_desk_report_speaks_its_desk_language() -> None:
    found = one_speaks_hebrew("desk")
    asked = notice(NoticeKind.REPORT_POST, person_id=9, desk_ids=[3], channel="C-IT",
                   period="2026-11")
    [step] = decide(asked, found).steps
    assert step == PostReport("C-IT", "U-AGENT", locale="he")
    every = notice(NoticeKind.REPORT_POST, person_id=9, desk_ids=[], channel=None,
                   period="2026-11")
    [step] = decide(every, found).steps
    assert step == PostReport(None, "U-AGENT", locale="en")
    found.desk = None  # the one desk it names is gone
    with pytest.raises(Undeliverable):
        decide(asked, found)
