"""The scheduler's work through the Teams path on a moved clock, as tests/slack/test_sla_flow.py
does through Slack: warnings, breaches, stalls (unassigned, agent silent, requester
silent), escalation to the next tier, auto-close and the daily digest.

The real deskbot (bootstrap.build, the real CloudAdapter) against the fake Bot Framework
connector, on both databases. Nobody sleeps: the FrozenClock is moved, the sweeps run
once (`scheduling.sweeps.sweep_all`, as the scheduler's job does), and every step is
checked on what the connector received: new threads, replies, card updates, chats.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from conversations import button_ids
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Message
from tests.fakes.bot_connector import FakeBotConnector, Person
from tests.teams.harness import TeamsWorld, card_of, card_text, desk_choice, teams_world

JERUSALEM = ZoneInfo("Asia/Jerusalem")
HOURS = 'admin hours IT "sun-thu 08:00-18:00; fri 08:00-13:00" tz Asia/Jerusalem'
# The scheduler's own job must not run during a test: the test sweeps when it means to.
QUIET = {"sweep_seconds": 3600}


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Jerusalem wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=JERUSALEM).astimezone(UTC)


def due(moment: datetime, minutes: int = 0) -> str:
    """A due time as the Teams cards write it: the reader's DATE and TIME of `moment`."""
    stamp = (moment + timedelta(minutes=minutes)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"\u2068{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}\u2069"  # isolated


SUNDAY_9 = local(2026, 11, 29, 9)  # a working day: no Israeli holiday near it
MONDAY_8 = local(2026, 11, 30, 8)


class Desk:
    """The Teams world with Maya (IT's lead) besides the harness's people."""

    def __init__(self, world: TeamsWorld) -> None:
        self.world = world
        self.connector = world.connector
        maya = world.connector.person("aad-maya")
        assert maya is not None
        self.maya: Person = maya

    # ------------------------------------------------------------ doing

    async def command(self, person: Person, text: str, **kwargs: Any) -> str:
        """`person` writes a command to the bot in IT's channel; the bot's answer."""
        said = await self.world.say(person, self.world.it_channel, text, **kwargs)
        await self.world.settled()
        return said_back(self.world, said["conversation"]["id"])

    async def set_up_it(self) -> None:
        """Ada makes IT (Dana and Lee agents, Maya lead) and its policy from Teams."""
        world = self.world
        assert "Created the IT desk" in await self.command(world.ada,
                                                           "admin create IT Laptops, VPN")
        await self.command(world.ada, "admin agents IT add {Dana} {Lee}",
                           mentions=(world.dana, world.lee))
        await self.command(world.ada, "admin leads IT add {Maya}", mentions=(self.maya,))
        for text, said in [
            (HOURS, "sun-thu 08:00-18:00; fri 08:00-13:00"),
            ("admin holidays IT IL", "IL public holidays"),
            ("admin sla IT first-response 15m", "15m"),
            ("admin stall IT requester-silence 1h", "1h"),
            ("admin stall IT unassigned 1d", "1d"),
        ]:
            answer = await self.command(world.ada, text)
            assert said in answer, (text, answer)
        shown = await self.command(world.ada, "admin show IT")
        assert "Asia/Jerusalem" in shown and "15m" in shown and "Maya" in shown

    async def sweep(self) -> dict[str, int]:
        """One run of every sweep at the world's clock, and its notices delivered."""
        done = await sweep_all(self.world.db, self.world.clock)
        await self.world.settled()
        return done

    async def open_by_chat(self, person: Person, text: str
                           ) -> tuple[dict[str, Any], dict[str, Any]]:
        """`person` writes to the bot: (the card's new thread in IT's channel, the receipt)."""
        before = len(self.world.threads_in(self.world.it_channel))
        await self.world.dm(person, text)
        await self.world.settled()
        [card] = self.world.threads_in(self.world.it_channel)[before:]
        receipt = self.world.chat_of(person)[-1]
        return card, receipt

    # ------------------------------------------------------------ looking

    def thread(self, card: dict[str, Any]) -> list[str]:
        """The texts posted in the card's thread (the card aside)."""
        return [text_of(a) for a in self.world.thread(self.world.it_channel, card["id"])
                if a["id"] != card["id"]]

    def card_now(self, card: dict[str, Any]) -> str:
        """The card's text as it shows now (after its last update)."""
        changed = self.updates(card)
        return card_text(changed[-1] if changed else card)

    def updates(self, card: dict[str, Any]) -> list[dict[str, Any]]:
        return [c.body for c in self.connector.calls_to("update", ok=True)
                if c.activity_id == card["id"]]

    def chat(self, person: Person) -> list[str]:
        """Texts of what the bot sent into `person`'s personal chat."""
        return [text_of(a) for a in self.world.chat_of(person)]

    def digests(self) -> list[dict[str, Any]]:
        """The digest cards posted at the top of IT's channel."""
        return [card_of(a) for a in self.world.threads_in(self.world.it_channel)
                if a.get("attachments") and "today (" in card_text(a)]


def text_of(activity: dict[str, Any]) -> str:
    """What a person reads in an activity: its card's text and its own text."""
    shown = card_text(activity) if any(a.get("contentType", "").endswith("card.adaptive")
                                       for a in activity.get("attachments") or []) else ""
    return f"{shown}\n{activity.get('text') or ''}".strip()


def said_back(world: TeamsWorld, conversation_id: str) -> str:
    """The bot's last message in a chat or thread."""
    sent = [a for a in world.connector.activities_in(conversation_id)
            if a.get("from", {}).get("id") == world.connector.bot["id"]]
    assert sent, f"the bot said nothing in {conversation_id}"
    return text_of(sent[-1])


def urls(activity_text_or_card: dict[str, Any]) -> list[str]:
    """Every Action.OpenUrl address in an activity's card."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.OpenUrl":
                found.append(node.get("url"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(activity_text_or_card)
    return found


def facts(card: dict[str, Any]) -> dict[str, str]:
    """The title → value pairs of a card's FactSets."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                found.update({f["title"]: f["value"] for f in node["facts"] if f})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body") or [])
    return found


def with_maya() -> FakeBotConnector:
    connector = FakeBotConnector()
    connector.add_person("aad-maya", "Maya")
    return connector


async def test_unanswered_warns_then_breaches_once_and_a_reply_stops_it(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()

        # Eli writes; the receipt promises the desk's first-response target.
        card, receipt = await desk.open_by_chat(world.eli, "my laptop will not start")
        assert "#1001" in text_of(receipt) and "within 15 minutes" in text_of(receipt)
        # The card writes the due time as the reader's DATE/TIME, never "in 15 min".
        assert f"🟢 first response due {due(SUNDAY_9, minutes=15)}" in card_text(card)
        # Maya (the lead) opens a second one; Dana will answer it in time.
        card2, _ = await desk.open_by_chat(desk.maya, "printer jammed")
        # Omer's is claimed by Lee, who does not answer: Lee is the one told.
        card3, _ = await desk.open_by_chat(world.omer, "monitor flickers")
        await desk.command(world.lee, "claim 1003")
        assert "Lee" in desk.card_now(card3)

        # 10 minutes: under 75 % of 15; the sweep (and its first digest) tells nobody.
        clock.advance(minutes=10)
        await desk.sweep()
        assert desk.thread(card) == [] and desk.thread(card2) == []
        await world.say(world.dana, world.it_channel, "Looking at the printer now",
                        thread_root=card2["id"], mention=False)
        await world.settled()
        assert any("Looking at the printer now" in t for t in desk.chat(desk.maya))

        # 12 minutes: past 75 %: the cards show ⚠; the thread of the unassigned one is
        # told, and Lee (in his chat, with a link to the card) of his; once.
        clock.advance(minutes=2)
        sends = len(connector.calls_to("send", ok=True))
        await desk.sweep()
        await desk.sweep()
        assert f"⚠️ first response due {due(SUNDAY_9, minutes=15)}" in desk.card_now(card)
        [warning] = desk.thread(card)
        assert "#1001" in warning and "first response due" in warning
        assert desk.thread(card2) == []  # answered: no warning
        assert "⚠️ first response due \u2068{{DATE(" in desk.card_now(card3)
        assert desk.thread(card3) == []
        [to_lee] = world.chat_of(world.lee)[-1:]
        assert "#1003" in text_of(to_lee) and "first response due" in text_of(to_lee)
        assert urls(to_lee)  # jump to the card
        assert len(connector.calls_to("send", ok=True)) - sends == 2  # nobody else told

        # 16 minutes: the breach, on the card, in the thread and to the lead, once.
        clock.advance(minutes=4)
        updates_before = len(desk.updates(card))
        await desk.sweep()
        await desk.sweep()
        assert f"🔴 first response was due {due(SUNDAY_9, minutes=15)}" in desk.card_now(card)
        assert len(desk.updates(card)) == updates_before + 1
        warning_again, breach = desk.thread(card)
        assert warning_again == warning
        assert "#1001" in breach and "breached" in breach
        lead = [t for t in desk.chat(desk.maya) if "breached" in t]
        assert sorted(ref for t in lead for ref in ("#1001", "#1002", "#1003")
                      if ref in t) == ["#1001", "#1003"]
        lee = [t for t in desk.chat(world.lee) if "breached" in t]
        assert len(lee) == 1 and "#1003" in lee[0]

        # Much later: still one warning and one breach; the answered one never breached.
        told = len(desk.chat(world.lee))
        clock.advance(hours=3)
        await desk.sweep()
        assert len(desk.thread(card)) == 2 and len(desk.chat(world.lee)) == told
        assert desk.thread(card2) == []
        assert "was due" not in desk.card_now(card2)

        # The queue shows the breach next to #1001 only.
        queue = await desk.command(world.lee, "queue all")
        assert "🔴" in queue.split("#1001", 1)[1].split("#1002", 1)[0]
        assert "🔴" not in queue.split("#1002", 1)[1].split("#1003", 1)[0]


async def test_requester_silence_reminds_then_resolves_then_closes(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        card, _ = await desk.open_by_chat(world.eli, "VPN asks for a token")
        clock.advance(minutes=5)
        await world.say(world.dana, world.it_channel, "Which VPN client version?",
                        thread_root=card["id"], mention=False)
        await world.settled()
        await desk.command(world.dana, "status 1001 waiting")
        assert "waiting" in desk.card_now(card).lower()

        # 59 business minutes: nothing yet.
        clock.advance(minutes=59)
        before = len(desk.chat(world.eli))
        await desk.sweep()
        assert desk.chat(world.eli)[before:] == []

        # An hour: the reminder, in Eli's chat, once.
        clock.advance(minutes=1)
        await desk.sweep()
        await desk.sweep()
        [reminder] = desk.chat(world.eli)[before:]
        assert "#1001" in reminder and "waiting on you" in reminder

        # A second hour without an answer: resolved with a note, card and prompt.
        clock.advance(minutes=59)
        await desk.sweep()
        assert len(desk.chat(world.eli)[before:]) == 1
        clock.advance(minutes=1)
        await desk.sweep()
        await desk.sweep()
        assert "Resolved" in desk.card_now(card)
        after = world.chat_of(world.eli)[before + 1:]
        [prompt] = [a for a in after if "#1001" in text_of(a) and any(
            action.get("verb") == button_ids.RATE for action in _executes(a))]
        async with db.unit_of_work(readonly=True) as uow:
            conversation = (await uow.session.scalars(select(Conversation))).one()
            notes = (await uow.session.scalars(
                select(Message.body).where(Message.kind == "system"))).all()
        assert conversation.status == "resolved"
        assert len(notes) == 1 and "did not answer" in notes[0]

        # Resolved for the desk's auto-close period (7 days): closed, card and Eli told.
        clock.advance(days=7)
        await desk.sweep()
        await desk.sweep()
        assert "Closed" in desk.card_now(card)
        closed = [t for t in desk.chat(world.eli)[before:] if "closed" in t]
        assert len(closed) == 1 and "#1001" in closed[0]


def _executes(activity: dict[str, Any]) -> list[dict[str, Any]]:
    from tests.teams.harness import executes

    return executes(card_of(activity)) if activity.get("attachments") else []


async def test_stalled_requests_ping_the_desk_and_nudge_the_assignee(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        await desk.command(world.ada, "admin stall IT unassigned 30m")
        await desk.command(world.ada, "admin stall IT agent-silence 1h")
        await world.dm(world.dana, "available on")
        await world.settled()

        # Nobody takes #1001 for 30 business minutes: the available agents are pinged in
        # the card's thread (Dana, not Lee, mentioned), once.
        card, _ = await desk.open_by_chat(world.eli, "laptop will not start")
        clock.advance(minutes=29)
        await desk.sweep()
        assert [t for t in desk.thread(card) if "waited too long" in t] == []
        clock.advance(minutes=1)
        await desk.sweep()
        await desk.sweep()
        pings = [a for a in world.thread(world.it_channel, card["id"])
                 if "waited too long" in text_of(a)]
        assert len(pings) == 1
        # The available agents are named (Teams: by name in the text, no @mention yet).
        assert "Dana" in text_of(pings[0]) and "Lee" not in text_of(pings[0])

        # Dana answers Maya; Maya writes back; Dana stays silent for an hour: nudged in
        # her chat, once.
        card2, _ = await desk.open_by_chat(desk.maya, "printer jammed")
        await world.say(world.dana, world.it_channel, "Which printer?",
                        thread_root=card2["id"], mention=False)
        await world.settled()
        clock.advance(minutes=3)
        await world.dm(desk.maya, "the one on floor 2")
        await world.settled()
        question = world.chat_of(desk.maya)[-1]
        if _executes(question):  # "add to #1002 or a new request?": add to it
            await world.click(desk.maya, question, button_ids.ADD_TO)
            await world.settled()
        assert any("the one on floor 2" in t for t in desk.thread(card2))
        nudges_before = [t for t in desk.chat(world.dana) if "waiting for your answer" in t]
        clock.advance(minutes=59)
        await desk.sweep()
        assert [t for t in desk.chat(world.dana)
                if "waiting for your answer" in t] == nudges_before
        clock.advance(minutes=1)
        await desk.sweep()
        await desk.sweep()
        nudges = [t for t in desk.chat(world.dana) if "waiting for your answer" in t]
        assert len(nudges) == len(nudges_before) + 1 and "#1002" in nudges[-1]

        # #1001 is still nobody's 30 business minutes after the ping: Maya, the lead, is
        # told in her chat, once.
        [told] = [t for t in desk.chat(desk.maya) if "still unassigned" in t]
        assert "#1001" in told
        clock.advance(hours=1)
        await desk.sweep()
        assert len([t for t in desk.chat(desk.maya) if "still unassigned" in t]) == 1


async def test_a_resolution_breach_escalates_to_the_next_tier(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        await desk.command(world.ada, "admin sla IT resolution 1h")
        said = await world.say(world.ada, world.hr_channel, "admin create Tier2 Hard cases")
        await world.settled()
        assert "Created the Tier2 desk" in said_back(world, said["conversation"]["id"])
        await world.say(world.ada, world.hr_channel, "admin agents Tier2 add {Omer}",
                        mentions=(world.omer,))
        await world.settled()
        assert "Tier2" in await desk.command(world.ada, "admin escalate IT to Tier2")

        # Two desks now: Eli picks IT in the picker.
        await world.dm(world.eli, "the server room is hot")
        await world.settled()
        picker = world.chat_of(world.eli)[-1]
        await world.click(world.eli, picker, button_ids.PICK_DESK,
                          value=desk_choice(picker, "it")["value"])
        await world.settled()
        [card] = [a for a in world.threads_in(world.it_channel)
                  if "the server room is hot" in text_of(a)]
        await world.say(world.dana, world.it_channel, "Looking", thread_root=card["id"],
                        mention=False)
        await world.settled()
        clock.advance(minutes=59)
        await desk.sweep()
        assert not any("#1001" in text_of(a) for a in world.threads_in(world.hr_channel))

        # An hour: breached and moved to Tier2, once: a new card in Tier2's channel, the
        # old card says where it went, Eli is told.
        clock.advance(minutes=2)
        await desk.sweep()
        await desk.sweep()
        [moved] = [a for a in world.threads_in(world.hr_channel)
                   if a.get("attachments") and "#1001" in card_text(a)]
        assert "the server room is hot" in card_text(moved)
        assert "Tier2" in desk.card_now(card)
        assert any("#1001" in t and "Tier2" in t for t in desk.chat(world.eli))
        assert any("#1001" in t and "breached" in t for t in desk.chat(world.dana))
        clock.advance(days=3)
        await desk.sweep()
        assert len([a for a in world.threads_in(world.hr_channel)
                    if a.get("attachments") and "#1001" in card_text(a)]) == 1


async def test_the_digest_counts_at_the_start_of_the_next_service_day(
        db: Database, clock: FrozenClock) -> None:
    clock.set(SUNDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        # Sunday's first sweep posts Sunday's digest: nothing open yet.
        await desk.sweep()
        [sunday] = desk.digests()
        assert "2026-11-29" in card_text(sunday)
        # #1001 breaches and is pinned; #1002 is taken and answered; #1003 comes in at
        # 17:55, so its first response is due Monday 08:10.
        card1, _ = await desk.open_by_chat(world.eli, "laptop will not start")
        card2, _ = await desk.open_by_chat(desk.maya, "printer jammed")
        await world.say(world.dana, world.it_channel, "On it", thread_root=card2["id"],
                        mention=False)
        await world.settled()
        clock.advance(minutes=20)
        await desk.sweep()
        assert "was due" in desk.card_now(card1)
        await desk.command(world.lee, "pin 1001")
        clock.set(local(2026, 11, 29, 17, 55))
        await desk.open_by_chat(world.omer, "monitor flickers")
        await desk.sweep()
        assert len(desk.digests()) == 1  # one per service day

        # Night: no digest. Monday 08:00: the digest with the right counts.
        clock.set(local(2026, 11, 30, 2))
        await desk.sweep()
        assert len(desk.digests()) == 1
        clock.set(MONDAY_8)
        await desk.sweep()
        await desk.sweep()
        _, monday = desk.digests()
        assert "2026-11-30" in card_text(monday)
        # Open: all three; unassigned: #1001 and #1003; breached: #1001; due today:
        # #1003's first response (resolution targets are the default 3 days away).
        counts = {"Open": "3", "Unassigned": "2", "Breached": "1", "Due today": "1",
                  "Pinned": "1"}
        shown = {title.strip("*"): value for title, value in facts(monday).items()}
        assert shown == counts, shown
