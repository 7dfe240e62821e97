"""The similarity and burst rules of major incidents, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conversations.incident_rules import (
    Recent,
    burst,
    burst_setting,
    looks_alike,
    matches_incident,
    words,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def recent(ref: int, text: str, minutes: float, *, requester: int | None = None,
           **flags: bool) -> Recent:
    return Recent(ref, words(text), T0 + timedelta(minutes=minutes), **flags,
                  requester=ref if requester is None else requester)


def test_words_drop_stop_words_case_accents_and_hebrew_prefixes():
    assert words("My EMAIL is down!!") == {"email", "down"}
    assert words("Café down") == words("cafe DOWN")
    assert words("המייל לא עובד") == words("מייל")
    assert words("the is a") == frozenset()


def test_similar_requests_look_alike_and_unrelated_ones_do_not():
    assert looks_alike(words("Email is down"), words("my email is down since 9"))
    assert looks_alike(words("Outlook email down"), words("email down in outlook"))
    assert not looks_alike(words("Email is down"), words("printer jammed"))
    assert not looks_alike(words("Email is down"), words("email signature font"))
    assert not looks_alike(words(""), words("email"))
    assert looks_alike(words("המייל לא עובד"), words("מייל לא עובד אצלי מהבוקר"))
    assert not looks_alike(words("המייל לא עובד"), words("המדפסת תקועה"))


def test_an_incident_matches_its_title_or_a_linked_subject():
    assert matches_incident("email down again", ["Outage", "my email is down"])
    assert not matches_incident("vpn broken", ["Email is down"])


def test_three_similar_within_the_window_are_a_burst():
    earlier = [recent(1, "email is down", 0), recent(2, "outlook email down", 3)]
    assert burst(recent(3, "my email is down", 8), earlier, count=3, window=WINDOW) == [1, 2, 3]


def test_unrelated_or_too_few_or_too_old_are_not():
    unrelated = [recent(1, "printer jammed", 0), recent(2, "vpn broken", 1)]
    assert burst(recent(3, "email is down", 2), unrelated, count=3, window=WINDOW) is None
    one = [recent(1, "email is down", 0)]
    assert burst(recent(2, "email down", 1), one, count=3, window=WINDOW) is None
    old = [recent(1, "email is down", 0), recent(2, "email down", 1)]
    assert burst(recent(3, "email down", 11), old, count=3, window=WINDOW) is None


def test_one_person_repeating_themselves_is_no_burst():
    mine = [recent(1, "email is down", 0, requester=7), recent(2, "email down", 1, requester=7)]
    assert burst(recent(3, "email down", 2, requester=7), mine, count=3, window=WINDOW) is None
    two = [recent(1, "email is down", 0, requester=7), recent(2, "email down", 1, requester=8)]
    assert burst(recent(3, "email down", 2, requester=7), two, count=3, window=WINDOW) is None
    assert burst(recent(3, "email down", 2, requester=9), two, count=3, window=WINDOW) == [
        1, 2, 3]


def test_a_cluster_is_proposed_once_and_linked_requests_do_not_count():
    proposed = [recent(1, "email is down", 0, proposed=True),
                recent(2, "email down", 1, proposed=True),
                recent(3, "email down", 2, proposed=True)]
    assert burst(recent(4, "email is down", 3), proposed, count=3, window=WINDOW) is None
    linked = [recent(1, "email is down", 0, linked=True), recent(2, "email down", 1)]
    assert burst(recent(3, "email down", 2), linked, count=3, window=WINDOW) is None


def test_the_desk_setting_overrides_the_defaults():
    assert burst_setting({}) == (3, timedelta(minutes=10))
    assert burst_setting({"incident_burst": {"count": 5, "minutes": 30}}) == (
        5, timedelta(minutes=30))
    assert burst_setting({"incident_burst": {"count": "x"}}) == (3, timedelta(minutes=10))
