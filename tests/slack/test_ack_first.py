"""Every inbound kind is stored, then acknowledged, then worked on (issue 20.4, 20.8).

The fake Web API holds a call for as long as the test wants (`hold_next`): the home
tab's event and clicks and `/desk` commands must be answered while it holds, and what
they cause (the published home view, the command's answer) must follow through the
outbox, once, after a 429's Retry-After.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from conversations import button_ids
from desks.notices import NoticeKind
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, InboundEvent, OutboxNotice
from tests.fakes.slack_api import RESPONSE_URL
from tests.slack.harness import (
    DANA,
    ELI,
    IT_CHANNEL,
    SlackWorld,
    block_text,
    find_element,
    slack_world,
)

# A bound for a wait that a broken build never ends (it is not a speed threshold).
HANGS = 10


async def notices_of(world: SlackWorld, kind: str) -> list[OutboxNotice]:
    async with world.db.unit_of_work(readonly=True) as uow:
        return list(await uow.session.scalars(
            select(OutboxNotice).where(OutboxNotice.kind == kind).order_by(OutboxNotice.id)))


async def until_retry_is_scheduled(world: SlackWorld, kind: str) -> OutboxNotice:
    """The notice of `kind` once its failed attempt is recorded (due again later)."""
    async with asyncio.timeout(HANGS):
        while True:
            found = [n for n in await notices_of(world, kind) if n.attempts >= 1]
            if found:
                return found[0]
            await asyncio.sleep(0.01)  # noqa: ASYNC110 - the outbox has no event to wait on


# ---------------------------------------------------------------- the home tab


async def test_home_event_is_acknowledged_while_views_publish_is_slow(db: Database,
                                                                     clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        slow = asyncio.Event()
        world.api.hold_next("views.publish", slow)
        try:
            async with asyncio.timeout(HANGS):  # a broken build answers only after publish
                status, _ = await world.event(world.requests.home_opened_event(
                    DANA, world.new_ts()))
            assert status == 200
            # Answered before the Web API answered views.publish (none was answered yet).
            assert world.api.calls_to("views.publish") == []
            # The publish goes out after the ack, through the outbox, and is held there.
            await world.api.wait_for(lambda: "views.publish" in world.api.holding)
        finally:
            slow.set()
        await world.settled()
        [published] = world.api.calls_to("views.publish", ok=True)
        assert published.params["user_id"] == DANA
        assert "IT" in block_text(published.params["view"])  # Dana's agent home


async def test_a_retried_home_event_publishes_once(db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        event = world.requests.home_opened_event(ELI, world.new_ts())
        assert (await world.event(event, event_id="EvHOME1"))[0] == 200
        assert (await world.event(event, event_id="EvHOME1", retry_num=1))[0] == 200
        assert (await world.event(event, event_id="EvHOME1", retry_num=2))[0] == 200
        await world.settled()
        assert len(world.api.calls_to("views.publish")) == 1


async def test_a_rate_limited_views_publish_is_no_500_and_waits_for_retry_after(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        world.api.fail_next("views.publish", status=429, retry_after=30)
        status, body = await world.event(world.requests.home_opened_event(
            ELI, world.new_ts()))
        assert status == 200, body
        notice = await until_retry_is_scheduled(world, NoticeKind.HOME_PUBLISH)
        assert notice.available_at == clock.now() + timedelta(seconds=30)
        [limited] = world.api.calls_to("views.publish")
        assert limited.status == 429

        clock.advance(seconds=29)
        assert await world.deps.outbox_worker.drain() == 0  # not before Retry-After
        assert len(world.api.calls_to("views.publish")) == 1
        clock.advance(seconds=1)
        world.deps.outbox_worker.wake()
        await world.settled()
        assert len(world.api.calls_to("views.publish", ok=True)) == 1
        assert world.api.published_home(ELI) is not None


async def test_a_home_click_is_acknowledged_while_views_publish_is_slow(db: Database,
                                                                       clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        home = await world.open_home(DANA)
        slow = asyncio.Event()
        world.api.hold_next("views.publish", slow)
        block_id, element = next(
            (block.get("block_id"), e) for block in home["blocks"]
            for e in block.get("elements") or [] if e.get("action_id") == button_ids.HOME_VIEW)
        option = (element.get("options") or [{}])[-1].get("value")
        action = world.requests.action(element, block_id, world.new_ts(), value=option,
                                       option=option)
        try:
            async with asyncio.timeout(HANGS):
                status, _ = await world.interact(world.requests.view_actions(
                    {"id": DANA}, {**home, "id": "V1", "type": "home"}, action,
                    trigger_id="trigger.home.1"))
            assert status == 200
            assert len(world.api.calls_to("views.publish")) == 1  # only the first opening
            await world.api.wait_for(lambda: "views.publish" in world.api.holding)
        finally:
            slow.set()
        await world.settled()
        assert len(world.api.calls_to("views.publish", ok=True)) == 2


# ---------------------------------------------------------------- /desk


async def test_a_command_is_stored_and_acknowledged_before_it_runs(db: Database,
                                                                  clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        world.deps.slack.context.answer_wait = 0.05
        # A person deskbot has not met: running the command asks users.info first.
        world.api.add_user("UNEW", "Noa")
        slow = asyncio.Event()
        world.api.hold_next("users.info", slow)
        request = world.requests.command(
            "UNEW", "noa", "ask IT my screen flickers", channel="DUNEW",
            channel_name="directmessage", response_url=f"{world.api.base_url}response/77",
            trigger_id="trigger.77")
        try:
            async with asyncio.timeout(HANGS):  # a broken build runs it before the ack
                status, body = await world.send(request)
            assert status == 200 and body == "", body
            # Kept before it ran: nothing acknowledged can be lost.
            async with db.unit_of_work(readonly=True) as uow:
                [stored] = await uow.session.scalars(
                    select(InboundEvent).where(InboundEvent.kind == "command"))
            assert stored.payload["command"]["text"] == "ask IT my screen flickers"
            assert "token" not in stored.payload["command"]  # the legacy token is not kept
        finally:
            slow.set()
        await world.settled()
        [answer] = world.api.calls_to(RESPONSE_URL)
        assert answer.params["response_id"] == "77"
        assert "#1001" in block_text(answer.params)
        assert answer.params["response_type"] == "ephemeral"


async def test_a_burst_of_commands_is_acknowledged_while_none_can_run(db: Database,
                                                                     clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        # The acks could wait a minute for their answers; in a burst none does.
        world.deps.slack.context.answer_wait = 60
        people = [f"UB{n:03d}" for n in range(40)]
        for person in people:
            world.api.add_user(person, person.lower())
        slow = asyncio.Event()
        world.api.hold_next("users.info", slow)  # the first one to run waits

        async def ask(n: int, person: str) -> tuple[int, str]:
            return await world.send(world.requests.command(
                person, person.lower(), f"ask IT printer {n}", channel=f"D{person}",
                channel_name="directmessage",
                response_url=f"{world.api.base_url}response/b{n}", trigger_id=f"burst.{n}"))

        try:
            async with asyncio.timeout(HANGS):
                acks = await asyncio.gather(*(ask(n, p) for n, p in enumerate(people)))
            assert all(status == 200 for status, _ in acks)
        finally:
            slow.set()
        await world.settled(30)
        answered = {c.params["response_id"] for c in world.api.calls_to(RESPONSE_URL)}
        # Every one answered once: in its ack or at its response_url.
        in_ack = sum(1 for _, body in acks if body)
        assert len(answered) + in_ack == len(people)
        posted = [c for c in world.api.calls_to("chat.postMessage")
                  if c.params.get("channel") == IT_CHANNEL]
        # 40 "printer N" requests at once look like a major incident: proposed once.
        proposals = [c for c in posted if "Possible major incident" in c.params.get("text", "")]
        assert len(proposals) == 1
        assert len(posted) - len(proposals) == len(people)


async def _late_answer(world: SlackWorld, text: str, response_id: str) -> None:
    """`/desk text` from Eli in a DM, acknowledged before its answer is ready."""
    world.deps.slack.context.answer_wait = 0  # the answer always follows the ack
    status, body = await world.send(world.requests.command(
        ELI, "eli", text, channel=f"D{ELI}", channel_name="directmessage",
        response_url=f"{world.api.base_url}response/{response_id}",
        trigger_id=f"trigger.{response_id}"))
    assert status == 200 and body == "", body


async def test_a_late_answer_is_retried_after_a_429_at_its_response_url(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        world.api.fail_next(RESPONSE_URL, status=429, retry_after=20)
        await _late_answer(world, "my", "r1")
        await until_retry_is_scheduled(world, NoticeKind.COMMAND_ANSWER)
        clock.advance(seconds=20)
        world.deps.outbox_worker.wake()
        await world.settled()
        answers = world.api.calls_to(RESPONSE_URL)
        assert [a.status for a in answers] == [429, 200]
        assert all(a.params["response_id"] == "r1" for a in answers)


async def test_a_late_answer_whose_response_url_expired_is_shown_privately(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        world.api.fail_next(RESPONSE_URL, "expired_url")
        await _late_answer(world, "ask IT my mouse is gone", "r2")
        await world.settled()
        [expired] = world.api.calls_to(RESPONSE_URL)
        assert expired.status == 404
        [shown] = world.api.ephemerals(ELI)
        assert "#1001" in block_text(shown)


async def test_a_command_that_only_reads_is_answered_while_others_queue(db: Database,
                                                                       clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        await world.command(DANA, "ask IT the projector flickers")
        world.deps.slack.context.answer_wait = 0  # the asks' acks do not wait
        people = [f"UQ{n:02d}" for n in range(5)]
        for person in people:
            world.api.add_user(person, person.lower())
        slow = asyncio.Event()
        world.api.hold_next("users.info", slow)  # the first ask blocks the queue
        try:
            for n, person in enumerate(people):
                status, body = await world.send(world.requests.command(
                    person, person.lower(), f"ask IT printer {n}", channel=f"D{person}",
                    channel_name="directmessage",
                    response_url=f"{world.api.base_url}response/q{n}", trigger_id=f"q.{n}"))
                assert status == 200
            await world.api.wait_for(lambda: "users.info" in world.api.holding)
            world.deps.slack.context.answer_wait = 5  # a bound, not a threshold
            async with asyncio.timeout(HANGS):
                status, body = await world.send(world.requests.command(
                    DANA, "dana", "my", channel=f"D{DANA}", channel_name="directmessage",
                    response_url=f"{world.api.base_url}response/my", trigger_id="my.1"))
            # Answered in its ack, while the asks before it still wait.
            assert status == 200 and "#1001" in body, body
            assert "users.info" in world.api.holding
        finally:
            slow.set()
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            opened = await uow.session.scalars(select(Conversation.ref))
        assert sorted(opened) == list(range(1001, 1002 + len(people)))


async def test_a_forged_page_in_the_home_tab_s_metadata_is_published_anyway(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        home = await world.open_home(DANA)
        forged = {**home, "private_metadata": json.dumps(
            {"view": "all", "page": "9" * 20, "desk": "x" * 5000})}
        block_id, element = find_element(home, button_ids.HOME_AVAILABLE)
        value = element.get("value") or "off"
        action = world.requests.action(element, block_id, world.new_ts(), value=value)
        status, _ = await world.interact(world.requests.view_actions(
            {"id": DANA}, {**forged, "id": "V1", "type": "home"}, action,
            trigger_id="trigger.forged"))
        assert status == 200
        await world.settled()
        assert len(world.api.calls_to("views.publish", ok=True)) == 2


async def test_home_publishes_queued_behind_a_slow_one_are_one(db: Database,
                                                               clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        slow = asyncio.Event()
        world.api.hold_next("views.publish", slow)
        try:
            for _ in range(5):  # the person flips to the tab again and again
                status, _ = await world.event(world.requests.home_opened_event(
                    DANA, world.new_ts()))
                assert status == 200
            await world.api.wait_for(lambda: "views.publish" in world.api.holding)
            async with asyncio.timeout(HANGS):
                while await world.deps.slack.inbox.waiting():  # noqa: ASYNC110 - no event
                    await asyncio.sleep(0.01)
        finally:
            slow.set()
        await world.settled()
        # The held one, then one for those that waited behind it. Which notice was held
        # depends on how many were stored when the outbox worker first looked (on
        # PostgreSQL the inbox's round may take the first two together): the held one
        # stands for those stored by then.
        assert len(world.api.calls_to("views.publish", ok=True)) == 2
        outcomes = [n.outcome for n in await notices_of(world, NoticeKind.HOME_PUBLISH)]
        assert outcomes.count("delivered") == 2 and outcomes.count("coalesced") == 3
        assert outcomes[-1] == "delivered"


async def test_a_command_that_fails_changes_nothing_and_says_so(
        db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch):
    from conversations.command_line import catalog
    from storage.models import Person

    async def broken(ctx, args):  # noqa: ANN001, ANN202 - a subcommand with a bug
        person = await ctx.uow.session.get(Person, ctx.actor.id)
        person.display_name = "half-done"
        await ctx.uow.session.flush()
        raise RuntimeError("a bug")

    monkeypatch.setitem(catalog.TOP, "queue",
                        dataclasses.replace(catalog.TOP["queue"], run=broken))
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        answer = await world.command(DANA, "queue")
        assert "Something went wrong" in block_text(answer)
        await world.settled()
        async with db.unit_of_work(readonly=True) as uow:
            names = set(await uow.session.scalars(select(Person.display_name)))
            [stored] = await uow.session.scalars(
                select(InboundEvent).where(InboundEvent.kind == "command"))
        assert "half-done" not in names
        assert stored.outcome == "done"


async def test_an_answer_whose_commit_outlasts_the_ack_follows_at_the_response_url(
        db: Database, clock: FrozenClock):
    async with slack_world(db, clock) as world:
        await world.set_up_desks_directly()
        # Long enough for the command to run (and claim the waiting ack) first.
        world.deps.slack.context.answer_wait = 1.5
        slow_commit, committing = asyncio.Event(), asyncio.Event()

        async def hold_the_command_s_commit(uow) -> None:  # noqa: ANN001
            if any(isinstance(o, InboundEvent) and o.kind == "command" and o.processed_at
                   for o in uow.session.identity_map.values()):
                committing.set()
                await slow_commit.wait()

        remove = db.on_before_commit(hold_the_command_s_commit)
        try:
            status, body = await world.send(world.requests.command(
                ELI, "eli", "ask IT the badge reader beeps", channel=f"D{ELI}",
                channel_name="directmessage",
                response_url=f"{world.api.base_url}response/slow", trigger_id="slow.1"))
            assert status == 200 and body == "", body  # the ack did not wait for the commit
            assert committing.is_set()  # the command had run; only its commit was slow
        finally:
            slow_commit.set()
            remove()
        await world.settled()
        [answer] = world.api.calls_to(RESPONSE_URL)
        assert answer.params["response_id"] == "slow"
        assert "#1001" in block_text(answer.params)
