"""Issue 4 through the Slack path with a moved clock: service window, SLA and stalls.

The real deskbot against the fake Slack Web API (both databases). Nobody sleeps: the
FrozenClock is moved, the sweeps run once (`scheduling.sweeps.sweep_all`, as the
scheduler's job does), and every step is checked on the recorded Web API calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from conversations import button_ids
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    IT_CHANNEL,
    LEE,
    MAYA,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_story import elements, posts, updates

JERUSALEM = ZoneInfo("Asia/Jerusalem")
HOURS = 'admin hours IT "sun-thu 08:00-18:00; fri 08:00-13:00" tz Asia/Jerusalem'
# The scheduler's own job must not run during a test: the test sweeps when it means to.
QUIET = {"sweep_seconds": 3600}


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Jerusalem wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=JERUSALEM).astimezone(UTC)


def token(moment: datetime, minutes: int = 0) -> str:
    """The start of Slack's date token for `moment` (+ `minutes`), as the cards write it."""
    return f"<!date^{int(moment.timestamp()) + 60 * minutes}^{{date_short_pretty}} {{time}}|"


SUNDAY_9 = local(2026, 11, 29, 9)  # a working day: no Israeli holiday near it
MONDAY_8 = local(2026, 11, 30, 8)
FRIDAY_14 = local(2026, 12, 4, 14)  # Friday's window closed at 13:00


async def set_up_it(world: SlackWorld) -> None:
    """Ada makes IT (Dana and Lee agents, Maya lead) and its policy from chat: the docs
    example, and stall thresholds short enough to watch."""
    await world.command(ADA, f"admin create IT <#{IT_CHANNEL}|it-desk> Laptops, VPN")
    await world.command(ADA, f"admin agents IT add <@{DANA}|dana> <@{LEE}|lee>")
    await world.command(ADA, f"admin leads IT add <@{MAYA}|maya>")
    for text, said in [
        (HOURS, "sun-thu 08:00-18:00; fri 08:00-13:00"),
        ("admin holidays IT IL", "IL public holidays"),
        ("admin sla IT first-response 15m", "15m"),
        ("admin stall IT requester-silence 1h", "1h"),
        ("admin stall IT unassigned 1d", "1d"),
    ]:
        answer = await world.command(ADA, text)
        assert answer["response_type"] == "ephemeral"
        assert said in block_text(answer), (text, block_text(answer))
    shown = block_text(await world.command(ADA, "admin show IT"))
    assert "Asia/Jerusalem" in shown and "15m" in shown


async def sweep(world: SlackWorld) -> dict[str, int]:
    """One run of every sweep at the world's clock, and its notices delivered."""
    done = await sweep_all(world.db, world.clock)
    assert all(n >= 0 for n in done.values()), done
    await world.settled()
    return done


async def open_by_dm(world: SlackWorld, user: str, text: str
                     ) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """`user` DMs the bot: (their message ts, the card in IT's channel, the receipt)."""
    before = len(posts(world, IT_CHANNEL))
    asked = await world.dm(user, text)
    await world.settled()
    [card] = posts(world, IT_CHANNEL)[before:]
    [receipt] = posts(world, f"D{user}", thread_ts=asked)
    return asked, card, receipt


def thread(world: SlackWorld, card: dict[str, Any]) -> list[str]:
    """The texts posted in the card's thread."""
    return [block_text(m) for m in posts(world, IT_CHANNEL, thread_ts=card["ts"])]


def card_now(world: SlackWorld, card: dict[str, Any]) -> str:
    """The card's text as it shows now (after its last chat.update)."""
    changed = updates(world, IT_CHANNEL, card["ts"])
    return block_text(changed[-1] if changed else card)


def dms(world: SlackWorld, user: str) -> list[str]:
    """Texts of the messages the bot posted in `user`'s DM (any thread)."""
    return [block_text(m) for m in posts(world, f"D{user}")]


def row(message_or_view: dict[str, Any], ref: int) -> str:
    """The text of the one section (queue row) about #ref."""
    [found] = [block_text({"blocks": [b]}) for b in message_or_view["blocks"]
               if b.get("type") == "section" and f"*#{ref}*" in block_text({"blocks": [b]})]
    return found


def digests(world: SlackWorld) -> list[str]:
    """Top-level digest posts in IT's channel."""
    return [block_text(m) for m in posts(world, IT_CHANNEL)
            if not m.get("thread_ts") and "today (" in block_text(m)]


async def test_unanswered_warns_then_breaches_once_and_a_reply_stops_it(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)

        # Eli DMs; the receipt promises the desk's first-response target.
        _, card, receipt = await open_by_dm(world, ELI, "my laptop will not start")
        assert "#1001" in block_text(receipt)
        assert "within 15 minutes" in block_text(receipt)
        # The card writes the due time as a date token (the reader's zone), not "in 15 min".
        assert f"🟢 first response due \u2068{token(SUNDAY_9, minutes=15)}" in block_text(card)
        # Maya (the lead) opens a second one; Dana will answer it in time.
        _, card2, _ = await open_by_dm(world, MAYA, "printer jammed")
        # Omer's is claimed by Lee, who does not answer: Lee is the one told.
        _, card3, _ = await open_by_dm(world, OMER, "monitor flickers")
        await world.command(LEE, "claim 1003", channel=IT_CHANNEL)
        await world.settled()
        assert "Lee" in card_now(world, card3)

        # 10 minutes: under 75 % of 15; the sweep (and its first digest) tells nobody.
        clock.advance(minutes=10)
        await sweep(world)
        assert thread(world, card) == [] and thread(world, card2) == []
        await world.say(DANA, IT_CHANNEL, "Looking at the printer now", thread_ts=card2["ts"])
        await world.settled()
        assert any("Looking at the printer now" in t for t in dms(world, MAYA))

        # 12 minutes: past 75 %: the cards show ⚠; the channel thread of the unassigned
        # one is told, and Lee (by DM, with a link to the card) of his; once.
        clock.advance(minutes=2)
        alerts = len(world.api.calls_to("chat.postMessage"))
        await sweep(world)
        await sweep(world)
        assert f"⚠️ first response due \u2068{token(SUNDAY_9, minutes=15)}" in card_now(world,
                                                                                 card)
        [warning] = thread(world, card)
        assert "#1001" in warning and "first response due" in warning
        assert thread(world, card2) == []  # answered: no warning
        assert "⚠️ first response due \u2068<!date^" in card_now(world, card3)
        assert thread(world, card3) == []
        [to_lee] = posts(world, f"D{LEE}")
        assert "#1003" in block_text(to_lee) and "first response due" in block_text(to_lee)
        assert any(e.get("url") for e in elements(to_lee))  # jump to the card
        new_posts = world.api.calls_to("chat.postMessage")[alerts:]
        assert len(new_posts) == 2  # nobody else was told anything

        # 16 minutes: the breach, on the card, in the thread and to the lead, once.
        clock.advance(minutes=4)
        updates_before = len(updates(world, IT_CHANNEL, card["ts"]))
        await sweep(world)
        await sweep(world)
        assert f"🔴 first response was due \u2068{token(SUNDAY_9, minutes=15)}" in card_now(
            world, card)
        assert len(updates(world, IT_CHANNEL, card["ts"])) == updates_before + 1
        warning_again, breach = thread(world, card)
        assert warning_again == warning
        assert "#1001" in breach and "breached" in breach
        lead_dms = [t for t in dms(world, MAYA) if "breached" in t]
        assert sorted(t.split("*")[1] for t in lead_dms) == ["#1001", "#1003"]
        assert [t for t in dms(world, LEE) if "breached" in t and "#1003" in t]
        assert len(dms(world, LEE)) == 2

        # Much later: still one warning and one breach; the answered one never breached.
        clock.advance(hours=3)
        await sweep(world)
        assert len(thread(world, card)) == 2 and len(dms(world, LEE)) == 2
        assert thread(world, card2) == []
        assert "was due" not in card_now(world, card2)
        assert not any("#1002" in t and "breached" in t for t in dms(world, MAYA))

        # The home tab and /desk queue show the breach next to #1001 only.
        home = await world.open_home(LEE)
        assert "🔴 SLA breached first response was due" in row(home, 1001)
        queue = await world.command(LEE, "queue all")
        assert "🔴 SLA breached" in row(queue, 1001)
        assert "🟢 resolution due" in row(queue, 1002)
        mine = await world.home_click(LEE, home, button_ids.HOME_VIEW, value="mine")
        assert "🔴 SLA breached" in row(mine, 1003)


async def test_requester_silence_reminds_then_resolves(db: Database,
                                                       clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        asked, card, _ = await open_by_dm(world, ELI, "VPN asks for a token")
        clock.advance(minutes=5)
        await world.say(DANA, IT_CHANNEL, "Which VPN client version?", thread_ts=card["ts"])
        await world.settled()
        await world.command(DANA, "status 1001 waiting", channel=IT_CHANNEL)
        await world.settled()
        assert "Waiting" in card_now(world, card) or "waiting" in card_now(world, card)

        # 59 business minutes: nothing yet.
        clock.advance(minutes=59)
        before = len(posts(world, f"D{ELI}"))
        await sweep(world)
        assert posts(world, f"D{ELI}")[before:] == []

        # An hour: the reminder, in Eli's DM thread, once.
        clock.advance(minutes=1)
        await sweep(world)
        await sweep(world)
        [reminder] = posts(world, f"D{ELI}")[before:]
        assert reminder["thread_ts"] == asked
        assert "#1001" in block_text(reminder) and "waiting on you" in block_text(reminder)

        # A second hour without an answer: resolved with a note, card and prompt.
        clock.advance(minutes=59)
        await sweep(world)
        assert len(posts(world, f"D{ELI}")[before:]) == 1
        clock.advance(minutes=1)
        await sweep(world)
        await sweep(world)
        assert "Resolved" in card_now(world, card)
        after = posts(world, f"D{ELI}")[before:][1:]
        [prompt] = [m for m in after if any(e.get("action_id") == button_ids.RATE
                                             for e in elements(m))]
        assert prompt["thread_ts"] == asked and "#1001" in block_text(prompt)
        from sqlalchemy import select

        from storage.models import Conversation, Message

        async with db.unit_of_work(readonly=True) as uow:
            conversation = (await uow.session.scalars(select(Conversation))).one()
            notes = (await uow.session.scalars(
                select(Message.body).where(Message.kind == "system"))).all()
        assert conversation.status == "resolved"
        assert len(notes) == 1 and "did not answer" in notes[0]

        # Resolved for the desk's auto-close period (7 days): closed, card and Eli told.
        clock.advance(days=7)
        await sweep(world)
        await sweep(world)
        assert "Closed" in card_now(world, card)
        closed = [m for m in posts(world, f"D{ELI}")[before:] if "closed" in block_text(m)]
        assert len(closed) == 1 and closed[0]["thread_ts"] == asked


async def test_stalled_requests_ping_the_desk_and_nudge_the_assignee(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await world.command(ADA, "admin stall IT unassigned 30m")
        await world.command(ADA, "admin stall IT agent-silence 1h")
        await world.command(DANA, "available on")
        await world.settled()

        # Nobody takes #1001 for 30 business minutes: the available agents are pinged in
        # the card's thread, once.
        _, card, _ = await open_by_dm(world, ELI, "laptop will not start")
        clock.advance(minutes=29)
        await sweep(world)
        assert [t for t in thread(world, card) if "waited too long" in t] == []
        clock.advance(minutes=1)
        await sweep(world)
        await sweep(world)
        [ping] = [t for t in thread(world, card) if "waited too long" in t]
        assert f"<@{DANA}>" in ping and f"<@{LEE}>" not in ping

        # Dana answers; Eli writes back; Dana stays silent for an hour: nudged by DM, once.
        asked, card2, _ = await open_by_dm(world, MAYA, "printer jammed")
        await world.say(DANA, IT_CHANNEL, "Which printer?", thread_ts=card2["ts"])
        await world.settled()
        clock.advance(minutes=3)
        await world.dm(MAYA, "the one on floor 2", thread_ts=asked)
        await world.settled()
        nudges_before = [t for t in dms(world, DANA) if "waiting for your answer" in t]
        clock.advance(minutes=59)
        await sweep(world)
        assert [t for t in dms(world, DANA) if "waiting for your answer" in t] == nudges_before
        clock.advance(minutes=1)
        await sweep(world)
        await sweep(world)
        nudges = [t for t in dms(world, DANA) if "waiting for your answer" in t]
        assert len(nudges) == len(nudges_before) + 1 and "#1002" in nudges[-1]

        # #1001 is still nobody's 30 business minutes after the ping: Maya, the lead, is
        # told by DM, once (the hour above has passed it).
        [told] = [t for t in dms(world, MAYA) if "still unassigned" in t]
        assert "#1001" in told
        clock.advance(hours=1)
        await sweep(world)
        assert len([t for t in dms(world, MAYA) if "still unassigned" in t]) == 1


async def test_the_digest_counts_at_the_start_of_the_next_service_day(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        # Sunday's first sweep posts Sunday's digest: nothing open yet.
        await sweep(world)
        [sunday] = digests(world)
        assert "2026-11-29" in sunday
        # #1001 breaches and is pinned; #1002 is taken and answered; #1003 comes in at
        # 17:55, so its first response is due Monday 08:10.
        _, card1, _ = await open_by_dm(world, ELI, "laptop will not start")
        _, card2, _ = await open_by_dm(world, MAYA, "printer jammed")
        await world.say(DANA, IT_CHANNEL, "On it", thread_ts=card2["ts"])
        await world.settled()
        clock.advance(minutes=20)
        await sweep(world)
        assert "first response was due" in card_now(world, card1)
        await world.command(LEE, "pin 1001", channel=IT_CHANNEL)
        clock.set(local(2026, 11, 29, 17, 55))
        await open_by_dm(world, OMER, "monitor flickers")
        await sweep(world)
        assert len(digests(world)) == 1  # one per service day

        # Night: no digest. Monday 08:00: the digest with the right counts.
        clock.set(local(2026, 11, 30, 2))
        await sweep(world)
        assert len(digests(world)) == 1
        clock.set(MONDAY_8)
        await sweep(world)
        await sweep(world)
        _, monday = digests(world)
        assert "2026-11-30" in monday
        # Open: all three; unassigned: #1001 and #1003; breached: #1001; due today:
        # #1003's first response (resolution targets are the default 3 days away).
        counts = {"Open": 3, "Unassigned": 2, "Breached": 1, "Due today": 1, "Pinned": 1}
        for name, count in counts.items():
            assert f"*{name}*\n{count}" in monday, (name, monday)


async def test_opened_outside_the_window_waits_for_it(db: Database,
                                                      clock: FrozenClock) -> None:
    clock.set(FRIDAY_14)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        _, card, receipt = await open_by_dm(world, ELI, "cannot log in")
        assert "when the desk opens Sunday 08:00" in block_text(receipt)

        # Friday evening, Saturday, Sunday 08:10: the clock has not reached 75 %.
        for moment in (local(2026, 12, 4, 18), local(2026, 12, 5, 12),
                       local(2026, 12, 6, 7, 59), local(2026, 12, 6, 8, 10)):
            clock.set(moment)
            await sweep(world)
            assert thread(world, card) == [], moment
            assert "first response due" in card_now(world, card)
        # While closed the card and the queue give the due time (Sunday 08:15, shown in
        # the reader's zone), not "due in 42 h 15 min".
        sunday = token(local(2026, 12, 6, 8, 15))
        assert f"first response due \u2068{sunday}" in block_text(card)
        clock.set(local(2026, 12, 5, 12))
        queue = await world.command(DANA, "queue all")
        assert f"first response due \u2068{sunday}" in row(queue, 1001)
        clock.set(local(2026, 12, 6, 8, 12))
        await sweep(world)
        [warning] = thread(world, card)
        assert "first response due" in warning
        clock.set(local(2026, 12, 6, 8, 15))
        await sweep(world)
        assert len(thread(world, card)) == 2 and "breached" in thread(world, card)[1]
        assert f"🔴 first response was due \u2068{sunday}" in card_now(world, card)
