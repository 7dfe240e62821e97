"""Every view, on Slack and Teams, in the pseudo-locale: no English outside the catalogue.

`cards.i18n.PSEUDO_LOCALE` wraps each run of the catalogue's own words in ⟦ ⟧. Every
view the renderers take is rendered with Hebrew user text (no Latin letters), and what a
person sees (Block Kit texts, alt texts, placeholders, options; Adaptive Card texts,
titles, labels, placeholders, choices, facts; fallbacks) must hold no word of two Latin
letters or more outside ⟦ ⟧ but the view's own data (ids, slugs, links), the platforms'
tokens and a few product words. A word found here was built in Python or a template
instead of coming through `t()`. The same views in Hebrew must show no English word
but the product words and the commands of the catalogue's code spans.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cards import slack
from cards.i18n import PSEUDO_LOCALE
from conversations.view_models import (
    AgentHome,
    AskModal,
    Digest,
    IncidentModal,
    PersonRef,
    QueueList,
    QueueRow,
    Receipt,
    RelayToAgents,
    RelayToRequester,
    ResolvePrompt,
    SchedulerAlert,
    SlaState,
)
from tests.unit import test_cards_teams
from tests.unit.cards_checks import (
    check_home,
    check_message,
    check_modal,
    shown_strings,
)
from tests.unit.test_cards_slack import HOSTILE, desks, every_message_view, homes
from tests.unit.test_cards_teams import (
    TEAMS_HOSTILE,
    check_view,
    markdown_strings,
    plain_strings,
)

HEBREW = "המדפסת בקומה שלוש לא מדפיסה"
NOW = datetime(2026, 12, 13, 8, 5, tzinfo=UTC)
# Words deskbot writes in Latin letters in every language (HEBREW.md §2.7).
PRODUCT_WORDS = {"SLA", "IT", "HR", "deskbot", "Slack", "Teams", "CSV", "IMAC", "UTC"}
TOKENS = re.compile(
    r"<[@#][A-Z0-9]+>|<!date\^[^>]*>"  # Slack mentions, channels, dates
    r"|\{\{(?:DATE|TIME)\([^)]*\)\}\}"  # Teams' card functions
    r"|https?://\S+")
PSEUDO = re.compile("⟦[^⟧]*(?:⟧|$)")  # a cut may end the text inside one
WORD = re.compile(r"[A-Za-z]{2,}")
LOCALES = Path(__file__).resolve().parents[2] / "cards" / "locales"


def data_words(node: Any) -> set[str]:
    """Latin words in a view's own data (ids, slugs, links): user data, not ours."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return {w for f in dataclasses.fields(node) for w in data_words(getattr(node, f.name))}
    if isinstance(node, tuple | list):
        return {word for item in node for word in data_words(item)}
    if isinstance(node, dict):
        return {word for pair in node.items() for word in data_words(pair)}
    return set(WORD.findall(node)) if isinstance(node, str) else set()


def scheduler_views(text: str) -> list[Any]:
    mentions = (PersonRef(text, "U0DANA"), PersonRef(text, None))
    found: list[Any] = [Digest(text, "2026-12-13", 1, 2, 3, 4, 5)]
    for what in ("sla_warning", "sla_breach", "unassigned", "unassigned_leads",
                 "agent_silent", "requester_reminder", "something_else"):
        for target in ("first_response", "resolution", None):
            found.append(SchedulerAlert(what, 1042, text, text, target, NOW, mentions,
                                        link="https://acme.slack.com/archives/C1/p1"))
    found.append(SchedulerAlert("unassigned", 7, text, text))
    return found


def aged_rows(text: str) -> tuple[QueueRow, ...]:
    """Rows opened now, minutes, hours and days ago, in every SLA state."""
    ages = (timedelta(0), timedelta(minutes=5), timedelta(hours=2), timedelta(hours=5),
            timedelta(days=1), timedelta(days=3))
    states = ("ok", "warning", "breached", "paused", "none")
    return tuple(QueueRow(ref=1000 + n, subject=text, desk=text, requester=text,
                          assignee=PersonRef(text) if n % 2 else None, status="open",
                          priority=3, opened_at=NOW - age, pinned=n == 0, unread=n == 1,
                          sla=SlaState(states[n % 5], due_at=NOW + timedelta(hours=1),
                                       target=("first_response", "resolution")[n % 2]))
                 for n, age in enumerate(ages))


def every_view(text: str) -> list[Any]:
    line = text[:200] + "\n"
    long_text = line * (25_000 // len(line) + 1)  # split in several messages and cards
    person = PersonRef(text, "not-an-id")
    return [
        *every_message_view(text),
        *scheduler_views(text),
        QueueList("unassigned", aged_rows(text), now=NOW),
        AgentHome(text, True, "all", {"all": 6}, aged_rows(text), page=1, pages=2,
                  desks=desks(text, 2), now=NOW),
        RelayToAgents(1042, person, long_text),
        RelayToRequester(1042, person, text, long_text),
        RelayToAgents(1042, person, ""),
        *homes(text, 3),
        AskModal(text, desks(text, 3), private_metadata='{"c": "D1"}'),
        AskModal(text, ()),
        IncidentModal(3, text, private_metadata='{"incident": "3"}'),  # Slack only
        IncidentModal(3, text, resolve=True),
    ]


def teams_views(view: Any, locale: str) -> list[dict[str, Any]]:
    """The Teams activities of `view`; none for a Slack-only modal (Teams puts the
    incident's text in its card's panels)."""
    return [] if type(view).__name__ == "IncidentModal" else check_view(view, locale)


def slack_surfaces(view: Any, locale: str) -> Iterator[dict[str, Any]]:
    name = type(view).__name__
    if name in ("AgentHome", "EmployeeHome"):
        yield check_home(slack.home(view, locale=locale))
    elif name in ("AskModal", "IncidentModal"):
        yield check_modal(slack.modal(view, locale=locale))
    else:
        for message in slack.messages(view, locale=locale):
            yield check_message(message)


def slack_texts(surface: dict[str, Any]) -> list[str]:
    return shown_strings(surface)


def teams_texts(activity: dict[str, Any]) -> list[str]:
    card = activity["attachments"][0]["content"]
    return [activity["text"], *markdown_strings(card),
            *(text for _, text in plain_strings(card))]


def rendered(view: Any, locale: str) -> Iterator[tuple[str, str]]:
    """(platform, text) for every string a person sees of `view` on both platforms."""
    for surface in slack_surfaces(view, locale):
        for text in slack_texts(surface):
            yield "slack", text
    for activity in teams_views(view, locale):
        for text in teams_texts(activity):
            yield "teams", text


def stray_words(text: str, allowed: set[str]) -> list[str]:
    bare = PSEUDO.sub(" ", TOKENS.sub(" ", text))
    return [word for word in WORD.findall(bare) if word not in allowed]


def view_id(view: Any) -> str:
    return type(view).__name__


@pytest.mark.parametrize("view", every_view(HEBREW), ids=view_id)
def test_every_view_in_the_pseudo_locale_says_only_catalogue_words(view: Any) -> None:
    allowed = PRODUCT_WORDS | data_words(view)
    for platform, text in rendered(view, PSEUDO_LOCALE):
        assert not stray_words(text, allowed), (platform, stray_words(text, allowed), text)


def code_words() -> set[str]:
    """Words of the Hebrew catalogue's own code spans and kept names (commands and their
    arguments, *Send to helpdesk*: HEBREW.md §2.7)."""
    he = json.loads((LOCALES / "he.json").read_text(encoding="utf-8"))
    kept = " ".join(span for value in he.values() for span in value.split("`")[1::2])
    kept += " " + " ".join(re.findall(r"\*([A-Za-z][^*]*)\*", " ".join(he.values())))
    return set(WORD.findall(kept))


def our_italics() -> re.Pattern[str]:
    """The italic lines of every catalogue ("_(no text)_", "_(ללא טקסט)_"), which the
    Teams checks allow as deskbot's own markup."""
    found = []
    for path in sorted(LOCALES.glob("*.json")):
        catalogue = json.loads(path.read_text(encoding="utf-8"))
        found += [re.escape(catalogue[key][2:-2]) for key in ("card.no_text", "relay.empty")]
    return re.compile(r"_\((?:" + "|".join(found) + r")\)_")


@pytest.mark.parametrize("view", every_view(HEBREW), ids=view_id)
def test_every_view_in_hebrew_has_no_english_but_product_words_and_commands(
        view: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_cards_teams, "OUR_ITALIC", our_italics())
    allowed = PRODUCT_WORDS | data_words(view) | code_words()
    for platform, text in rendered(view, "he"):
        assert not stray_words(text, allowed), (platform, stray_words(text, allowed), text)
    for activity in teams_views(view, "he"):  # and every Teams card reads right to left
        assert activity["attachments"][0]["content"]["rtl"] is True


def test_the_check_finds_english_that_skipped_the_catalogue() -> None:
    """The check itself can fail: a built-in English word outside ⟦ ⟧ is caught."""
    assert stray_words("⟦Opened:⟧ 5m ago <@U123> {{DATE(2026-12-13T08:05:00Z, SHORT)}}",
                       PRODUCT_WORDS) == ["ago"]
    assert stray_words("⟦and 3 more desks, na…", PRODUCT_WORDS) == []
    assert stray_words("now · ⟦SLA⟧", PRODUCT_WORDS) == ["now"]


def test_hebrew_views_are_hebrew_valid_and_right_to_left_on_both_platforms() -> None:
    """A ticket card, receipt, SLA alert, digest and resolve prompt in Hebrew: Block Kit
    and Adaptive Card 1.5 valid, Teams cards `rtl`, the sentences HEBREW.md gives."""
    views = {
        "ticket": every_message_view("משאבי אנוש")[0],
        "receipt": Receipt(1042, "משאבי אנוש", expected_response="תוך 15 דקות"),
        "alert": SchedulerAlert("sla_breach", 1042, "IT", "VPN", "first_response", NOW),
        "digest": Digest("IT", "2026-12-13", 4, 1, 0, 2, 1),
        "prompt": ResolvePrompt(1042, "IT"),
    }
    expected = {
        "ticket": "העברה לדסק אחר",
        "receipt": "קיבלנו! הפנייה שלכם היא *#1042* בדסק *\u2068משאבי אנוש\u2069*.",
        "alert": "🔴 פנייה *#1042* (\u2068IT\u2069): חריגה מיעד \u2068מענה ראשון\u2069 (המועד היה",
        "digest": "☀️ דסק *\u2068IT\u2069* היום (\u2068יום ראשון, 13 בדצמבר 2026\u2069)",
        "prompt": "הפנייה #1042 (\u2068IT\u2069) סומנה כפתורה. *האם הבעיה נפתרה?*",
    }
    for name, view in views.items():
        [message] = list(slack_surfaces(view, "he"))
        assert expected[name] in "\n".join(slack_texts(message)), name
        for activity in check_view(view, "he"):
            card = activity["attachments"][0]["content"]
            assert card["rtl"] is True, name
            shown = "\n".join(teams_texts(activity))
            assert expected[name].replace("*", "**") in shown or name == "ticket", name
        english = check_view(view, "en")[0]["attachments"][0]["content"]
        assert "rtl" not in english or name == "ticket"  # the Hebrew desk name turns it


@pytest.mark.parametrize("name", sorted(TEAMS_HOSTILE))
def test_hostile_text_in_hebrew_views_renders_valid_and_inert(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hebrew catalogue's own isolates hold whatever a user typed: several lines,
    blank lines, bidi controls, markup (each line isolated on its own, none nested)."""
    monkeypatch.setattr(test_cards_teams, "OUR_ITALIC", our_italics())
    text = TEAMS_HOSTILE[name][:3000]
    for view in every_view(text):
        if name in HOSTILE:  # the Slack checks know Slack's hostile set
            list(slack_surfaces(view, "he"))
        teams_views(view, "he")


# ---------------------------------------------------------------- built outside views


def test_the_slack_home_desk_list_reads_each_line_in_its_language() -> None:
    """The employee home's desk list: English exactly as before; a Hebrew line starts
    with a Hebrew word (דסק), so the home reads it right to left."""
    from conversations.view_models import DeskOption, EmployeeHome

    view = EmployeeHome(name="Eli", requests=(), desks=(
        DeskOption("it", "IT", "VPN and laptops"), DeskOption("hr", "HR")))

    def desk_list(locale: str) -> str:
        [found] = [text for text in slack_texts(check_home(slack.home(view, locale=locale)))
                   if "IT" in text and "HR" in text]
        return found

    assert "• *IT*: VPN and laptops\n• *HR*" in desk_list("en")
    assert "• דסק *\u2068IT\u2069*: VPN and laptops\n• דסק *\u2068HR\u2069*" in desk_list("he")
    assert stray_words(desk_list(PSEUDO_LOCALE), {"IT", "HR", "VPN", "and", "laptops"}) == []


FILE_FAILURES = [({"reason": "too_big", "size": 3 * 1024 * 1024, "limit_mb": 1}, True),
                 ({"reason": "too_big", "limit_mb": 1}, False),
                 ({"reason": "unfetchable"}, True), ({"reason": "unfetchable"}, False),
                 ({"reason": "gone"}, True), ({"reason": "gone"}, False)]


@pytest.mark.parametrize(("payload", "to_desk"), FILE_FAILURES)
def test_what_a_files_author_is_told_comes_from_the_catalogue(payload: dict[str, Any],
                                                              to_desk: bool) -> None:
    from bot.file_relay import failure_words

    assert stray_words(failure_words(payload, HEBREW, to_desk=to_desk, locale=PSEUDO_LOCALE),
                       {"MB"}) == []
    hebrew = failure_words(payload, "report.pdf", to_desk=to_desk, locale="he")
    assert hebrew.startswith(("הקובץ", "לא הצלחנו")), hebrew
    assert stray_words(hebrew, {"MB", "report", "pdf"}) == []
    english = failure_words(payload, "report.pdf", to_desk=to_desk)
    assert "report.pdf" in english and ("MB" in english or "again" in english), english


def test_a_relayed_files_caption_comes_from_the_catalogue() -> None:
    from bot.file_relay import caption

    assert caption("Eli", "report.pdf") == "Eli shared \u2068report.pdf\u2069"
    assert caption(None, "report.pdf") == "Someone shared \u2068report.pdf\u2069"
    for author in (HEBREW, None):
        assert stray_words(caption(author, HEBREW, PSEUDO_LOCALE), set()) == []
        hebrew = caption(author, "report.pdf", "he")
        assert hebrew.startswith("הקובץ") and stray_words(hebrew, {"report", "pdf"}) == []
