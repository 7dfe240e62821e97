"""Each recommendation rule fires on the world built to trigger it, and on no other.

The worlds are plain `RequestFacts` (no database): a quiet month where nothing is
worth saying, and four variations of it, one per rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cards.i18n import say
from conversations.reports import recommendations
from conversations.reports.figures import figures
from conversations.reports.periods import Period
from conversations.reports.reading import RequestFacts
from desks.wording import Words

ZONE = "Asia/Jerusalem"
NOVEMBER = Period("month", date(2026, 11, 1), date(2026, 11, 30), ZONE)
AGENTS = {1: "Dana", 2: "Lee"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def request(i: int, opened: datetime, *, agent: int | None = None, minutes: int = 60,
            category: str | None = None, answered: bool = True, done: bool = True,
            first_met: bool | None = True, available: int = 2) -> RequestFacts:
    """A request answered in 10 minutes (on time), done `minutes` after opening and
    rated 4, opened while `available` agents were."""
    agent = agent if agent is not None else (1 if i % 2 == 0 else 2)
    done_at = opened + timedelta(minutes=minutes) if done else None
    return RequestFacts(
        conversation_id=i, ref=1000 + i, desk="IT", desk_id=1, time_zone=ZONE,
        kind="inquiry", category=category, priority=3, status="resolved" if done else "open",
        way_in="dm", platform="slack", opened_at=opened,
        first_response_at=opened + timedelta(minutes=10) if answered else None,
        done_at=done_at, resolved_at=done_at, closed_at=None,
        assignee_id=agent if answered else None,
        assignee=AGENTS.get(agent) if answered else None, rating=4 if done else None,
        first_response_seconds=600.0 if answered else None,
        resolution_seconds=60.0 * minutes if done else None,
        first_response_met=first_met, resolution_met=True if done else None,
        first_response_due_at=opened + timedelta(minutes=15), first_response_breached_at=None,
        resolution_due_at=None, resolution_breached_at=None, agent_replies=1, reopened_at=(),
        agents_available=available)


def quiet() -> list[RequestFacts]:
    """20 requests on weekdays 10:00–15:00, all on time, two agents sharing the work,
    two categories alike."""
    return [request(i, at(2 + i % 4 + 7 * (i // 8), 10 + i % 6),
                    category="VPN" if i % 2 else "Email") for i in range(20)]


def breaches_on_sunday_mornings() -> list[RequestFacts]:
    """6 of 8 first-response breaches opened Sundays 08:00–10:00 (1, 8, 15 November),
    with one agent available (none for the first)."""
    sundays = [request(100 + n, at((1, 8, 15)[n % 3], 8, 10 * n), first_met=False,
                       category="Email", available=min(n, 1)) for n in range(6)]
    others = [request(200 + n, at(3 + n, 14), first_met=False, category="VPN")
              for n in range(2)]
    return quiet() + sundays + others


def slow_printers() -> list[RequestFacts]:
    """5 of 20 requests are Printers, done in 3 hours; the others in one."""
    return [replace(r, category="Printers", resolution_seconds=3 * 3600.0) if r.ref % 4 == 0
            else r for r in quiet()]


def growing_backlog() -> list[RequestFacts]:
    """8 requests opened in the last week and not answered yet."""
    return quiet() + [request(300 + n, at(25 + n % 4, 11), answered=False, done=False,
                              first_met=None) for n in range(8)]


def dana_does_it_all() -> list[RequestFacts]:
    """Dana did 18 of the 20 requests (Lee kept #1005 and #1015)."""
    return [replace(r, assignee_id=1, assignee="Dana") if r.ref % 5 else r for r in quiet()]


def late_after_a_good_october() -> list[RequestFacts]:
    """October: the quiet month a month earlier, all on time; November: 12 of 20 late,
    spread over the days and hours."""
    october = [replace(r, ref=r.ref + 500, opened_at=r.opened_at - timedelta(days=31))
               for r in quiet()]
    return october + [replace(r, first_response_met=False) if r.ref % 5 < 3 else r
                      for r in quiet()]


def hardly_rated() -> list[RequestFacts]:
    """4 of the 20 requests rated."""
    return [r if r.ref % 5 == 0 else replace(r, rating=None) for r in quiet()]


WORLDS: dict[str, Callable[[], list[RequestFacts]]] = {
    "breaches_cluster": breaches_on_sunday_mornings,
    "slow_category": slow_printers,
    "backlog_growing": growing_backlog,
    "one_agent_carries": dana_does_it_all,
    "first_response_slipping": late_after_a_good_october,
    "few_ratings": hardly_rated,
}


def said(world: list[RequestFacts]) -> list[Words]:
    return recommendations.recommend(figures(world, NOVEMBER),
                                     figures(world, NOVEMBER.previous()), world)


def test_a_quiet_month_has_nothing_to_say() -> None:
    assert said(quiet()) == []


@pytest.mark.parametrize("rule", sorted(WORLDS))
def test_each_rule_fires_on_its_world_only(rule: str) -> None:
    keys = [words.key for words in said(WORLDS[rule]())]

    assert keys == [f"report.advice.{rule}"]


def test_the_breaches_cluster_names_the_day_the_hours_and_the_numbers() -> None:
    (words,) = said(breaches_on_sunday_mornings())

    assert words.values == {"breached": 6, "total": 8, "day": Words("report.weekday.sun"),
                            "start": 8, "end": 10, "available": 1}
    assert words.english.startswith("6 of 8 first-response breaches were of requests "
                                    "opened on Sunday between 8:00 and 10:00")


def test_the_slow_category_says_its_share_and_how_much_slower() -> None:
    (words,) = said(slow_printers())

    assert words.values == {"label": "Printers", "share": 25, "times": "3"}
    assert words.english == "Printers: 25% of requests, resolution median 3× the desk's."


def test_the_backlog_and_the_busiest_agent_say_their_numbers() -> None:
    (backlog,) = said(growing_backlog())
    assert backlog.values == {"start": 0, "end": 8}
    (agent,) = said(dana_does_it_all())
    assert agent.values == {"agent": "Dana", "resolved": 18, "total": 20, "share": 90}
    (slipping,) = said(late_after_a_good_october())
    assert slipping.values == {"before": 100, "after": 40}
    (ratings,) = said(hardly_rated())
    assert ratings.values == {"rated": 4, "done": 20}


def test_a_rule_keeps_quiet_below_its_threshold() -> None:
    # Three Sunday breaches are too few to call a pattern.
    few = quiet() + [request(100 + n, at(1, 8, n), first_met=False) for n in range(3)]
    assert said(few) == []
    # 4 open requests more is not a growing backlog.
    assert said(quiet() + growing_backlog()[20:24]) == []


def test_a_recommendation_reads_in_hebrew_too() -> None:
    (words,) = said(breaches_on_sunday_mornings())

    hebrew = say(words, "he")
    assert hebrew.startswith("מתוך 8 חריגות מיעד המענה הראשון, 6 היו בפניות")
    assert "ביום \u2068ראשון\u2069 בשעות 8:00 עד 10:00 (נציגים זמינים באותה עת: 1 לכל" in hebrew
