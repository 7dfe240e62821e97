"""Major incidents through the Teams path (both databases): one incident card, one
update reaching each of 20 requesters' chats exactly once, resolving all 20, the burst
rule proposing once for similar requests only, and the card's own *Post update…* and
*Resolve…* panels."""

from __future__ import annotations

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from tests.fakes.bot_connector import FakeBotConnector
from tests.teams.harness import TeamsWorld, card_text, teams_world
from tests.teams.test_story import last_text

QUIET = {"sweep_seconds": 3600}


def with_employees(count: int) -> FakeBotConnector:
    connector = FakeBotConnector()
    for n in range(count):
        connector.add_person(f"aad-emp{n:02d}", f"Employee {n:02d}")
    return connector


async def drained(world: TeamsWorld) -> None:
    """Everything delivered: the fake Teams limits sends per channel, and the outbox's
    retries come due as the clock moves (seconds at a time)."""
    for _ in range(6):
        await world.settled()
        world.clock.advance(seconds=5)
    await world.settled()


async def command(world: TeamsWorld, text: str, person=None) -> str:  # type: ignore[no-untyped-def]
    said = await world.say(person or world.dana, world.it_channel, text)
    await drained(world)
    return last_text(world, said["conversation"]["id"])


async def set_up_it(world: TeamsWorld) -> None:
    """IT, the only desk: a personal message opens a request there at once."""
    await world.say(world.ada, world.it_channel, "admin create IT Laptops, VPN")
    await world.say(world.ada, world.it_channel, "admin agents IT add {Dana} {Lee}",
                    mentions=(world.dana, world.lee))
    await world.settled()


def told(world: TeamsWorld, person, fragment: str) -> int:  # type: ignore[no-untyped-def]
    """How many of the bot's messages in `person`'s chat say `fragment`."""
    return sum(fragment in (card_text(a) if a.get("attachments") else a.get("text") or "")
               for a in world.chat_of(person))


def incident_cards(world: TeamsWorld) -> list[dict]:
    return [a for a in world.threads_in(world.it_channel)
            if a.get("attachments") and card_text(a).startswith("🚨 INC-")]


def card_now(world: TeamsWorld, card: dict) -> str:
    updates = [c for c in world.connector.calls_to("update", ok=True)
               if c.activity_id == card["id"]]
    return card_text(updates[-1].body) if updates else card_text(card)


async def test_an_update_reaches_each_of_20_requesters_once_and_resolve_resolves_all(
        db: Database, clock: FrozenClock) -> None:
    async with with_employees(20) as connector, teams_world(
            db, clock, settings_changes=QUIET, connector=connector) as world:
        await set_up_it(world)
        assert "INC-1 Email is down is open on IT" in await command(
            world, 'incident open "Email is down"')
        employees = [connector.person(f"aad-emp{n:02d}") for n in range(20)]
        for n, person in enumerate(employees):
            await world.dm(person, f"cannot send mail, number {n}")
            await world.settled()
            clock.advance(seconds=3)
        await drained(world)
        async with db.unit_of_work(readonly=True) as uow:
            refs = list((await uow.session.execute(
                select(Conversation.ref).order_by(Conversation.ref))).scalars())
        assert len(refs) == 20
        answer = await command(world, "incident link INC-1 " + " ".join(map(str, refs)),
                               person=world.lee)
        assert "Linked 20 requests to INC-1" in answer
        [card] = incident_cards(world)
        assert "20" in card_now(world, card)

        answer = await command(world, "incident update inc-1 Mail servers restart at 10:30")
        assert "goes to 20 requesters" in answer
        assert [told(world, p, "Mail servers restart at 10:30") for p in employees] == [1] * 20
        thread = world.thread(world.it_channel, card["id"])
        assert sum("Mail servers restart" in card_text(a) for a in thread
                   if a.get("attachments")) == 1

        answer = await command(world, "incident resolve 1 Mail flows again")
        assert "INC-1 is resolved, with 20 linked requests" in answer
        assert [told(world, p, "Mail flows again") for p in employees] == [1] * 20
        assert [told(world, p, "Did this solve it") for p in employees] == [1] * 20
        async with db.unit_of_work(readonly=True) as uow:
            statuses = set((await uow.session.execute(select(Conversation.status))).scalars())
        assert statuses == {"resolved"}
        assert "Resolved" in card_now(world, card)
        assert len(incident_cards(world)) == 1


async def test_the_burst_rule_proposes_once_for_similar_requests_only(
        db: Database, clock: FrozenClock) -> None:
    async with with_employees(7) as connector, teams_world(
            db, clock, settings_changes=QUIET, connector=connector) as world:
        await set_up_it(world)
        employees = [connector.person(f"aad-emp{n:02d}") for n in range(7)]

        def proposals() -> int:
            return sum("Possible major incident" in card_text(a)
                       for a in world.threads_in(world.it_channel) if a.get("attachments"))

        for person, text in zip(employees[:3], ("printer jammed on floor 2",
                                                "vpn broken at home", "need a new mouse"),
                                strict=True):
            await world.dm(person, text)
            clock.advance(minutes=1)
            await world.settled()
        assert proposals() == 0
        for person in employees[3:6]:
            await world.dm(person, "outlook email is down")
            clock.advance(minutes=2)
            await world.settled()
        await drained(world)
        assert proposals() == 1
        await world.dm(employees[6], "email is down in outlook too")  # the 4th
        await drained(world)
        assert proposals() == 1

        # Dana declares it from the proposal: one incident card, the three linked.
        [proposal] = [a for a in world.threads_in(world.it_channel)
                      if a.get("attachments") and "Possible major incident" in card_text(a)]
        status, answer = await world.click(world.dana, proposal, button_ids.DECLARE_INCIDENT,
                                           channel=world.it_channel)
        assert status == 200, answer
        assert "Declared as INC-1" in card_text(answer["value"])  # the proposal says so
        await drained(world)
        [card] = incident_cards(world)
        assert "outlook email is down" in card_text(card)
        shown = card_now(world, card)
        assert "#1004, #1005, #1006" in shown and "#1007" not in shown


async def test_a_similar_request_is_offered_the_known_incident_and_joins_it_without_a_card(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await command(world, 'incident open "Email is down"')
        [card] = incident_cards(world)
        before = len(world.threads_in(world.it_channel))

        await world.dm(world.eli, "my email is down since this morning")
        await drained(world)
        [offer] = [a for a in world.chat_of(world.eli)
                   if a.get("attachments") and "known incident" in card_text(a)]
        assert "Email is down" in card_text(offer)
        assert len(world.threads_in(world.it_channel)) == before

        status, answer = await world.click(world.eli, offer, button_ids.KNOWN_INCIDENT)
        assert status == 200, answer
        await drained(world)
        assert len(world.threads_in(world.it_channel)) == before  # no ticket card
        assert "Linked requests" in card_now(world, card) and "#1001" in card_now(world, card)
        async with db.unit_of_work(readonly=True) as uow:
            [conversation] = (await uow.session.execute(select(Conversation))).scalars().all()
        assert conversation.incident_id is not None and conversation.agent_thread is None

        await command(world, "incident update 1 Restarting the mail server")
        assert told(world, world.eli, "Restarting the mail server") == 1
        await world.dm(world.omer, "printer jammed")
        await drained(world)
        assert not any("known incident" in card_text(a) for a in world.chat_of(world.omer)
                       if a.get("attachments"))
        assert len(world.threads_in(world.it_channel)) == before + 1


def card_as_now(world: TeamsWorld, card: dict) -> dict:
    """The incident card's activity as it reads after its last update."""
    updates = [c for c in world.connector.calls_to("update", ok=True)
               if c.activity_id == card["id"]]
    return {**card, "attachments": updates[-1].body["attachments"]} if updates else card


async def test_the_incident_cards_panels_update_and_resolve(
        db: Database, clock: FrozenClock) -> None:
    async with with_employees(3) as connector, teams_world(
            db, clock, settings_changes=QUIET, connector=connector) as world:
        await set_up_it(world)
        await command(world, 'incident open "Email is down"')
        employees = [connector.person(f"aad-emp{n:02d}") for n in range(3)]
        for n, person in enumerate(employees):
            await world.dm(person, f"cannot send mail, number {n}")
            await world.settled()
            clock.advance(seconds=3)
        await drained(world)
        answer = await command(world, "incident link INC-1 1001 1002 1003", person=world.lee)
        assert "Linked 3 requests to INC-1" in answer
        [card] = incident_cards(world)
        thread_before = len(world.thread(world.it_channel, card["id"]))

        # An empty update is refused to Dana alone; nothing is sent, the card stays.
        status, answer = await world.click(world.dana, card_as_now(world, card),
                                           button_ids.INCIDENT_UPDATE, choice="",
                                           channel=world.it_channel)
        assert status == 200, answer
        assert answer["type"] == "application/vnd.microsoft.activity.message"
        assert "Write the update first" in answer["value"]
        # Someone who does not work the desk is refused too.
        status, answer = await world.click(world.eli, card_as_now(world, card),
                                           button_ids.INCIDENT_UPDATE, choice="Not an agent",
                                           channel=world.it_channel)
        assert "which you do not work" in answer["value"]
        await drained(world)
        assert [told(world, p, "📣") for p in employees] == [0, 0, 0]
        assert len(world.thread(world.it_channel, card["id"])) == thread_before

        # *Post update…*: each of the 3 requesters gets it once (the same invoke sent
        # again only gets the card); the card shows it.
        invoke = world.teams.card_action(
            world.dana, button_ids.INCIDENT_UPDATE,
            {"incident": "1", button_ids.INCIDENT_UPDATE: "Mail servers restart at 10:30"},
            reply_to_id=card["id"], channel=world.it_channel)
        for _ in range(2):
            status, answer = await world.post(invoke)
            assert status == 200, answer
            assert "Mail servers restart at 10:30" in card_text(answer["value"])  # refreshed
        await drained(world)
        assert [told(world, p, "Mail servers restart at 10:30") for p in employees] == [1] * 3
        assert "Mail servers restart at 10:30" in card_now(world, card)

        # *Resolve…*: all 3 resolved with the note; the card has no panels left.
        status, answer = await world.click(world.dana, card_as_now(world, card),
                                           button_ids.INCIDENT_RESOLVE,
                                           choice="Mail flows again", channel=world.it_channel)
        assert status == 200, answer
        shown = answer["value"]
        assert "Resolved" in card_text(shown) and "Mail flows again" in card_text(shown)
        assert button_ids.INCIDENT_UPDATE not in str(shown)
        await drained(world)
        assert [told(world, p, "Mail flows again") for p in employees] == [1] * 3
        async with db.unit_of_work(readonly=True) as uow:
            statuses = set((await uow.session.execute(select(Conversation.status))).scalars())
        assert statuses == {"resolved"}
        assert "Resolved" in card_now(world, card)
