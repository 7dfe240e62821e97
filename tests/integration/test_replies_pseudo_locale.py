"""Every `/desk` answer comes through the catalogue: rendered in the pseudo-locale, no
English word is left outside ⟦ ⟧.

Every subcommand of `conversations.command_line.catalog` runs with good and bad
arguments, as an employee, an agent, a lead and an admin, on desks, people and requests
whose names are Hebrew. Each answer (replies, refusals, help, `admin show`) is rendered
for Slack and Teams in `cards.i18n.PSEUDO_LOCALE`, which wraps the catalogue's words in ⟦ ⟧; what
is left must hold no word of two Latin letters or more, but for the user data, the
commands (code spans and the words of their usage lines), product names and platform
tokens. An English sentence built in Python fails it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from cards import slack as slack_cards
from cards import teams as teams_cards
from cards.i18n import PSEUDO_LOCALE
from conversations.command_line import Caller, run_command
from conversations.view_models import DeskConfig, Help, Reply, Settled
from desks.directory import Profile, StaticDirectory
from storage.database import Database

ADA, DANA, LEE, NOA, ELI = "U_ADA", "U_DANA", "U_LEE", "U_NOA", "U_ELI"
PEOPLE = [Profile(ADA, "עדה", is_admin=True), Profile(DANA, "דנה"), Profile(LEE, "לי"),
          Profile(NOA, "נועה"), Profile(ELI, "אלי")]
NAMES = {p.external_id: p.display_name for p in PEOPLE}
IT, HR = "תמיכה", "משאבים"  # the desks: Hebrew names, so nothing English is user data


def at(user_id: str) -> str:
    return f"<@{user_id}|{NAMES[user_id]}>"


# What a person types as it is (command words, the arguments of the usage lines, day
# names and units of hours) and product names: never translated (HEBREW.md, 2.7).
PRODUCT_WORDS = {"SLA", "IT", "HR", "deskbot", "Slack", "Teams", "CSV", "DESKBOT", "ADMINS",
                 "IANA", "MB", "UTC", "Xq"}
TYPED_WORDS = {"on", "off", "add", "remove", "he", "en", "auto", "unassigned", "mine", "all",
               "waiting", "hold", "open", "resolved", "keywords", "autoassign", "always",
               "none", "to", "first", "response", "resolution", "warning", "priority",
               "agent", "requester", "silence", "tz", "force", "confirm", "mon", "tue", "wed",
               "thu", "fri", "sat", "sun"}
# A desk's ticket categories are the desk's own data, named in its language (an English
# desk's defaults: Incident, Service request, IMAC), shown alike to every reader.
CATEGORY_WORDS = {"incident", "service", "request", "imac"}
ALLOWED = {w.lower() for w in PRODUCT_WORDS} | TYPED_WORDS | CATEGORY_WORDS

SETUP = [
    (ADA, f"admin create {IT} <#C_IT|נציגי-תמיכה> מחשבים"),
    (ADA, f"admin create {HR} <#C_HR|נציגי-משאבים> חופשות"),
    (ADA, f"admin agents {IT} add {at(DANA)} {at(LEE)}"),
    (ADA, f"admin leads {IT} add {at(NOA)}"),
    (ADA, f"admin agents {HR} add {at(LEE)}"),
]

# (who, what they type): every subcommand, with good and bad arguments, by role.
COMMANDS = [
    # anyone
    (ELI, ""), (ELI, "help"), (DANA, "help"), (NOA, "help"), (ADA, "help"),
    (ELI, "Xq"), (ELI, "admin"), (ELI, "admin Xq"),
    (ELI, f"ask {IT} המחשב לא נדלק"), (ELI, "ask"), (ELI, f"ask {IT}"),
    (ELI, "ask משהו בלי דסק"), (ELI, "my"), (ELI, "my עוד"),
    (ELI, "language he"), (ELI, "language Xq"), (ELI, "language"), (ELI, "language auto"),
    # agents
    (DANA, "queue"), (DANA, "queue mine"), (DANA, f"queue all {IT}"), (DANA, "queue Xq"),
    (ELI, "queue"),
    (DANA, "claim 1001"), (DANA, "claim 1001"), (LEE, "claim 1001"), (DANA, "claim"),
    (DANA, "claim Xq"), (DANA, "claim 9999"), (ELI, "claim 1001"),
    (DANA, "pin 1001"), (DANA, "pin 1001"), (DANA, "unpin 1001"), (DANA, "unpin 1001"),
    (DANA, "unread 1001"), (DANA, "priority 1001 4"), (DANA, "priority 1001 4"),
    (DANA, "priority 1001 9"), (DANA, "priority 1001"),
    (DANA, "status 1001 waiting"), (DANA, "status 1001 waiting"), (DANA, "status 1001 Xq"),
    (DANA, "status 1001 open"), (DANA, "status 1001 open"), (DANA, "status 1001 hold"),
    (DANA, f"transfer 1001 {at(LEE)}"), (DANA, f"transfer 1001 {at(ELI)}"),
    (LEE, f"transfer 1001 {at(LEE)}"), (DANA, "transfer 1001"),
    (LEE, f"transfer 1001 {HR}"), (LEE, "transfer 1001 Xq"),
    (LEE, "unassign 1001"), (LEE, "unassign 1001"),
    (LEE, "close 1001 // נבדק"), (LEE, "close 1001"), (LEE, "reopen 1001"),
    (LEE, "reopen 1001"), (LEE, "status 1001 resolved"), (LEE, "claim 1001"),
    (DANA, f"new {at(ELI)} {IT} המחשב החדש מוכן"), (DANA, f"new {at(ELI)} {IT}"),
    (DANA, f"new {at(ELI)} {HR} שלום"), (DANA, "new"),
    (DANA, "available off"), (DANA, "available on"), (DANA, "available Xq"),
    (ELI, "available on"),
    (DANA, "ticket 1001"), (DANA, "escalate 1001"), (DANA, "report"),
    # leads and admins
    (NOA, f"admin show {IT}"), (DANA, f"admin show {IT}"), (ADA, "admin show"),
    (ADA, "admin show Xq"),
    (ADA, f"admin create {IT}"), (DANA, "admin create חדש"), (ADA, "admin create"),
    (ADA, "admin create #Xq"), (ADA, "admin create שלישי <#C_IT|נציגי-תמיכה>"),
    (NOA, f"admin agents {IT} add {at(ELI)}"), (NOA, f"admin agents {IT} add {at(ELI)}"),
    (NOA, f"admin agents {IT} remove {at(ELI)}"), (NOA, f"admin agents {IT} Xq {at(ELI)}"),
    (NOA, f"admin agents {IT} add Xq"), (NOA, f"admin agents {IT} add"),
    (ADA, f"admin leads {HR} add {at(LEE)}"), (ADA, f"admin leads {HR} remove {at(LEE)}"),
    (ADA, f"admin agents {HR} remove {at(LEE)}"),
    (ADA, f"admin channel {HR} <#C_HR2|משאבים-2>"), (ADA, f"admin channel {HR}"),
    (ADA, f"admin channel {HR} <#C_IT|נציגי-תמיכה>"),
    (ADA, f"admin intake {IT} <#C_ASK|שאלות>"), (ADA, f"admin intake {IT} off"),
    (ADA, f"admin intake {IT}"),
    (NOA, f"admin routing {IT} keywords מחשב,רשת"), (NOA, f"admin routing {IT} keywords none"),
    (NOA, f"admin routing {IT} autoassign"), (NOA, f"admin routing {IT} keywords"),
    (NOA, f"admin rename {IT} תמיכה טכנית"), (NOA, "admin rename תמיכה-טכנית"),
    (NOA, "admin rename \"תמיכה טכנית\" תמיכה"),
    (NOA, f"admin describe {IT} מחשבים ורשת"), (NOA, f"admin describe {IT}"),
    (NOA, f"admin hours {IT} \"sun-thu 08:00-18:00; fri 08:00-13:00\" tz Asia/Jerusalem"),
    (NOA, f"admin hours {IT} always"), (NOA, f"admin hours {IT} \"Xq 08:00-18:00\""),
    (NOA, f"admin hours {IT} \"sun 18:00-08:00\""), (NOA, f"admin hours {IT} tz Xq"),
    (NOA, f"admin hours {IT}"), (NOA, f"admin hours {IT} tz"),
    (NOA, f"admin holidays {IT} IL"), (NOA, f"admin holidays {IT} none"),
    (NOA, f"admin holidays {IT} add 2026-12-31"), (NOA, f"admin holidays {IT} remove 2026-12-31"),
    (NOA, f"admin holidays {IT} remove 2026-12-30"), (NOA, f"admin holidays {IT} add 2026-13-40"),
    (NOA, f"admin holidays {IT} Xq"), (NOA, f"admin holidays {IT} add"),
    (NOA, f"admin holidays {IT}"),
    (NOA, f"admin sla {IT} first-response 15m"), (NOA, f"admin sla {IT} resolution 2d priority 5"),
    (NOA, f"admin sla {IT} warning 80%"), (NOA, f"admin sla {IT} warning 120%"),
    (NOA, f"admin sla {IT} first-response 1.5h"), (NOA, f"admin sla {IT} first-response 15"),
    (NOA, f"admin sla {IT} first-response 2w"), (NOA, f"admin sla {IT} first-response -5m"),
    (NOA, f"admin sla {IT} resolution 2d p9"), (NOA, f"admin sla {IT} resolution 2d Xq"),
    (NOA, f"admin sla {IT} Xq 15m"),
    (NOA, f"admin stall {IT} unassigned 10m"), (NOA, f"admin stall {IT} agent-silence 2h"),
    (NOA, f"admin stall {IT} requester-silence 3d"), (NOA, f"admin stall {IT} Xq 3d"),
    (NOA, f"admin oncall {IT} add {at(DANA)}"), (NOA, f"admin oncall {IT} remove {at(DANA)}"),
    (NOA, f"admin oncall {IT} add {at(ELI)}"),
    (NOA, f"admin autoclose {IT} 7d"), (NOA, f"admin autoclose {IT} 0d"),
    (ADA, f"admin escalate {IT} to {HR}"), (ADA, f"admin escalate {HR} to {IT}"),
    (ADA, f"admin escalate {IT} to {IT}"), (ADA, f"admin escalate {IT} to"),
    (ADA, f"admin escalate {IT} off"), (ADA, f"admin escalate {IT} Xq"),
    (NOA, f"admin language {IT} he"), (NOA, f"admin language {IT} Xq"),
    (DANA, f"admin language {IT} en"), (NOA, f"admin language {IT} en"),
    (DANA, f"admin archive {HR}"), (ADA, "admin archive"), (ADA, f"admin archive {HR}"),
    (ELI, f"ask {HR} שלום"), (DANA, f"transfer 1001 {HR}"),
]

_TOKENS = re.compile(r"<[@#!][^<>]*>"  # Slack's mentions, channels and dates
                     r"|\b[A-Za-z_]+/[A-Za-z_/+-]+"  # a time zone (Asia/Jerusalem)
                     r"|\b[A-Z]{2}(?:-[A-Z0-9]{1,3})?\b")  # a holiday country (IL, US-CA)
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


def _unchecked(shown: str) -> str:
    """`shown` with the catalogue's words (inside ⟦ ⟧) and code spans blanked out; the
    two may cross (`⟦Usage: `⟧/desk claim REF`` when a code span holds a placeholder)."""
    kept, ours, code = [], False, False
    for char in shown:
        if char in "⟦⟧":
            ours = char == "⟦"
        elif char == "`":
            code = not code
        kept.append(" " if ours or code or char in "⟦⟧`" else char)
    return "".join(kept)


def english_left(shown: str) -> list[str]:
    """The words of two Latin letters or more in `shown` that did not come through the
    catalogue and are neither commands, product names nor tokens."""
    # Teams shows a code span in bold: `**` marks one there.
    rest = _unchecked(_TOKENS.sub(" ", shown.replace("**", "`")))
    return [word for word in _LATIN_WORD.findall(rest)
            if word.lower() not in ALLOWED and not re.fullmatch(r"U_[A-Z]+|C_[A-Z0-9]+", word)]


def texts(node: Any) -> list[str]:
    """Every `text` string in a rendered message or card."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(texts(item))
    return found


async def answers(db: Database) -> list[tuple[str, Any]]:
    directory = StaticDirectory(PEOPLE)
    seen = []
    for who, text in [*SETUP, *COMMANDS]:
        caller = Caller(platform="slack", workspace_external_id="T1", user_id=who,
                        channel="D_SELF", channel_is_dm=True)
        outcome = await run_command(db, caller, text, directory=directory)
        seen.append((text, outcome.view))
    return seen


async def test_every_answer_comes_through_the_catalogue(db: Database) -> None:
    problems = []
    kinds = set()
    for text, view in await answers(db):
        if not isinstance(view, Reply | Help | Settled | DeskConfig):
            continue  # queue and request lists: the cards' own catalogue lines
        kinds.add(getattr(view, "kind", "help"))
        for platform, rendered in (("slack", slack_cards.message(view, locale=PSEUDO_LOCALE)),
                                   ("teams", teams_cards.card(view, locale=PSEUDO_LOCALE))):
            for shown in texts(rendered):
                left = english_left(shown)
                if left:
                    problems.append(f"/desk {text} ({platform}): {left} in {shown!r}")
    assert kinds >= {"ok", "error", "help"}
    assert not problems, "\n".join(problems)


def test_the_check_finds_english_outside_the_catalogue() -> None:
    assert english_left("⟦Sent to ⟧\u2068תמיכה\u2069⟦ as #⟧1001⟦.⟧") == []
    assert english_left("⟦Run ⟧`/desk admin show IT`⟦.⟧ <@U_ADA|עדה>") == []
    assert english_left("#1001 is yours now.") == ["is", "yours", "now"]
    assert english_left("⟦Created⟧ the תמיכה desk") == ["the", "desk"]


@pytest.mark.parametrize("view", [Reply("#1001 is yours now."), Settled("Sent to IT.")])
def test_a_reply_built_in_english_fails_the_check(view: Any) -> None:
    shown = texts(slack_cards.message(view, locale=PSEUDO_LOCALE))
    assert any(english_left(text) for text in shown)
