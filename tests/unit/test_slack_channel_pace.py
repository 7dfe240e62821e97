"""Slack's pace per channel (bot/slack/channel_pace.py): bursts, bookings, 429 pauses."""

from __future__ import annotations

import pytest

from bot.slack.channel_pace import ChannelPacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_goes_at_once_then_one_a_second_each_booked_in_turn():
    clock = Clock()
    pacer = ChannelPacer(per_second=1, burst=5, clock=clock)
    assert [pacer.wait("C1", n) for n in range(5)] == [0.0] * 5
    assert [pacer.wait("C1", n) for n in range(5, 9)] == [1.0, 2.0, 3.0, 4.0]
    # Asked again, a notice keeps its booking (it does not go to the back).
    clock.now += 0.5
    assert pacer.wait("C1", 7) == 2.5
    assert pacer.wait("C1", 9) == 4.5  # a newcomer books after the others
    clock.now += 0.5
    assert pacer.wait("C1", 5) == 0.0  # its moment has come
    assert pacer.wait("C1", 6) == 1.0


def test_channels_are_paced_apart():
    clock = Clock()
    pacer = ChannelPacer(per_second=1, burst=2, clock=clock)
    assert [pacer.wait("CBUSY", n) for n in range(4)] == [0.0, 0.0, 1.0, 2.0]
    assert pacer.wait("CCALM", 10) == 0.0
    assert pacer.wait("DELI", 11) == 0.0


def test_take_counts_without_waiting():
    clock = Clock()
    pacer = ChannelPacer(per_second=1, burst=2, clock=clock)
    assert pacer.wait("C1", 1) == 0.0
    pacer.take("C1")
    pacer.take("C1")  # past the burst: counted all the same
    assert pacer.wait("C1", 2) == 2.0  # three went at once: the next one waits for two


def test_a_429_parks_the_channel_and_drops_its_bookings():
    clock = Clock()
    pacer = ChannelPacer(per_second=1, burst=5, clock=clock)
    assert pacer.wait("C1", 1) == 0.0
    pacer.park("C1", 30)
    assert pacer.wait("C1", 2) == 30.0
    clock.now += 30
    assert pacer.wait("C1", 2) == 0.0
    assert pacer.wait("C2", 3) == 0.0  # another channel never waited


def test_a_pace_must_be_a_pace():
    with pytest.raises(ValueError):
        ChannelPacer(per_second=0)
    with pytest.raises(ValueError):
        ChannelPacer(burst=0)
