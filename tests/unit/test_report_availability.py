"""A desk's agents-available count, looked up from its change times, is the rule's sum."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from conversations.reports.reading import Availability, DeskAvailability

START = datetime(2026, 7, 1, tzinfo=UTC)


def _agent(rng: random.Random, person_id: int) -> Availability:
    moments = sorted(START + timedelta(hours=rng.randrange(0, 24 * 30))
                     for _ in range(rng.randrange(0, 6)))
    return Availability(person_id, tuple((at, rng.random() < 0.5) for at in moments),
                        rng.random() < 0.5)


def test_count_at_is_the_sum_of_each_agents_state() -> None:
    rng = random.Random(18)
    for _ in range(50):
        agents = [_agent(rng, n) for n in range(rng.randrange(0, 6))]
        desk = DeskAvailability(agents)
        moments = [START - timedelta(days=1), START + timedelta(days=40)]
        moments += [START + timedelta(minutes=rng.randrange(0, 60 * 24 * 31)) for _ in range(40)]
        moments += [at for agent in agents for at in agent.times]  # exactly at a change
        for moment in moments:
            assert desk.count_at(moment) == sum(a.available_at(moment) for a in agents)


def test_changes_at_the_same_moment_count_once_each() -> None:
    at = START + timedelta(hours=3)
    agents = [Availability(1, ((at, True),), False), Availability(2, ((at, True),), False),
              Availability(3, (), True)]
    desk = DeskAvailability(agents)
    # Before its first change an agent was in the opposite state; with none, as now.
    assert desk.count_at(at - timedelta(seconds=1)) == 1
    assert desk.count_at(at) == 3
