"""Recommendations drawn from a period's figures, each with the numbers behind it.

One small function per rule: it reads the period's figures (and the previous
period's, and the period's requests) and returns what to say (`Words`, worded in
the reader's language by the renderers), or None when it has nothing to say.
`recommend` asks every rule in turn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from conversations.reports.figures import Figures, median
from conversations.reports.reading import RequestFacts
from desks.wording import Words

# Fewer cases than these say nothing worth advice.
MIN_BREACHES = 4
MIN_DONE = 10
MIN_CATEGORY_DONE = 3
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def breaches_cluster(figures: Figures, previous: Figures,
                     requests: Sequence[RequestFacts]) -> Words | None:
    """Fires when at least half of the period's first-response breaches (and at least
    `MIN_BREACHES` of them) were opened in the same two hours of the same weekday, in
    the desk's time: "21 of 29 first-response breaches were opened Sun 08:00–10:00",
    with the most agents that were available when one of those was opened."""
    breached = [r for r in requests if figures.period.contains(r.opened_at)
                and r.first_response_met is False]
    if len(breached) < MIN_BREACHES:
        return None
    def slot(r: RequestFacts) -> tuple[int, int]:
        local = r.opened_at.astimezone(ZoneInfo(r.time_zone))
        return local.weekday(), local.hour // 2 * 2

    (weekday, hour), found = Counter(map(slot, breached)).most_common(1)[0]
    if found * 2 < len(breached):
        return None
    available = max(r.agents_available for r in breached if slot(r) == (weekday, hour))
    return Words("report.advice.breaches_cluster", breached=found, total=len(breached),
                 day=Words(f"report.weekday.{WEEKDAYS[weekday]}"),
                 start=hour, end=hour + 2, available=available)


def slow_category(figures: Figures, previous: Figures,
                  requests: Sequence[RequestFacts]) -> Words | None:
    """Fires for the category with the slowest resolution when it is at least 10 % of
    the requests opened and its median resolution (of at least `MIN_CATEGORY_DONE`
    done) is at least twice the median of all requests done in the period."""
    overall = figures.resolution.median
    if not overall or not figures.opened:
        return None
    done = [r for r in requests if figures.period.contains(r.done_at)
            and r.resolution_seconds is not None and r.category]
    worst: tuple[float, str] | None = None
    for category in sorted({r.category for r in done if r.category}):
        times = [r.resolution_seconds for r in done
                 if r.category == category and r.resolution_seconds is not None]
        share = figures.by_category.get(category, 0) / figures.opened
        slow = median(times)
        if len(times) >= MIN_CATEGORY_DONE and share >= 0.1 and slow and slow >= 2 * overall:
            if worst is None or slow > worst[0]:
                worst = (slow, category)
    if worst is None:
        return None
    slow, category = worst
    return Words("report.advice.slow_category", label=category,
                 share=round(100 * figures.by_category[category] / figures.opened),
                 times=f"{slow / overall:.1f}".removesuffix(".0"))


def backlog_growing(figures: Figures, previous: Figures,
                    requests: Sequence[RequestFacts]) -> Words | None:
    """Fires when the backlog grew by at least 5 requests and by half over the period."""
    start, end = figures.backlog.start, figures.backlog.end
    if end - start >= 5 and end >= 1.5 * start:
        return Words("report.advice.backlog_growing", start=start, end=end)
    return None


def one_agent_carries(figures: Figures, previous: Figures,
                      requests: Sequence[RequestFacts]) -> Words | None:
    """Fires when, of at least `MIN_DONE` requests done by agents of a desk with more
    than one agent working in the period, one agent did 60 % or more."""
    working = [a for a in figures.agents if a.assigned or a.resolved]
    total = sum(a.resolved for a in working)
    if len(working) < 2 or total < MIN_DONE:
        return None
    busiest = max(working, key=lambda a: (a.resolved, -a.person_id))
    if busiest.resolved * 10 < total * 6:
        return None
    return Words("report.advice.one_agent_carries", agent=busiest.name,
                 resolved=busiest.resolved, total=total,
                 share=round(100 * busiest.resolved / total))


def first_response_slipping(figures: Figures, previous: Figures,
                            requests: Sequence[RequestFacts]) -> Words | None:
    """Fires when the share of first responses on time fell by 10 points or more
    against the previous period, with at least `MIN_DONE` decided in each."""
    now, before = figures.sla_first_response.overall, previous.sla_first_response.overall
    if now.percent is None or before.percent is None or min(now.decided,
                                                            before.decided) < MIN_DONE:
        return None
    if before.percent - now.percent < 10:
        return None
    return Words("report.advice.first_response_slipping", before=round(before.percent),
                 after=round(now.percent))


def few_ratings(figures: Figures, previous: Figures,
                requests: Sequence[RequestFacts]) -> Words | None:
    """Fires when fewer than a quarter of at least `MIN_DONE` requests done were rated."""
    satisfaction = figures.satisfaction
    if satisfaction.done < MIN_DONE or satisfaction.rated * 4 >= satisfaction.done:
        return None
    return Words("report.advice.few_ratings", rated=satisfaction.rated, done=satisfaction.done)


Rule = Callable[[Figures, Figures, Sequence[RequestFacts]], Words | None]
RULES: tuple[Rule, ...] = (breaches_cluster, slow_category, backlog_growing, one_agent_carries,
                           first_response_slipping, few_ratings)


def recommend(figures: Figures, previous: Figures,
              requests: Sequence[RequestFacts]) -> list[Words]:
    """What every rule has to say about the period, in the rules' order."""
    return [said for rule in RULES if (said := rule(figures, previous, requests)) is not None]
