"""When an acknowledgement waits for its command's answer, and when a burst stops that."""

from __future__ import annotations

from bot.slack.answers import Answers


async def test_acks_wait_until_a_crowd_waits_already():
    answers = Answers(crowd=2)
    assert answers.expect("a") and answers.expect("b")
    assert not answers.expect("c")  # the third would wait behind two: a burst


async def test_a_burst_outlasts_the_waiters_that_gave_up():
    answers = Answers(crowd=2)
    answers.expect("a")
    answers.expect("b")
    assert not answers.expect("c")
    # The two waiters give up (the burst told them to); their commands are still queued.
    assert await answers.wait("a", 60) is None
    assert await answers.wait("b", 60) is None
    # So one arriving now would wait in vain behind them: it does not wait either.
    assert not answers.expect("d")


async def test_a_burst_ends_when_the_processor_answers_with_nobody_waiting():
    answers = Answers(crowd=1)
    answers.expect("a")
    assert not answers.expect("b")
    assert await answers.wait("a", 60) is None
    assert answers.claim("a") is None  # processed; its ack went out without it
    assert answers.expect("c")  # the queue moves again: acks wait for answers again


async def test_a_command_run_out_of_its_turn_does_not_end_a_burst():
    answers = Answers(crowd=1)
    answers.expect("a")
    assert not answers.expect("b")
    assert await answers.wait("a", 60) is None
    assert answers.expect("quick", always=True)  # `/desk my` runs at once, and waits
    assert answers.claim("quick") is not None
    assert not answers.expect("c")  # the burst's commands are still queued
