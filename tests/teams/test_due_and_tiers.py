"""Issue 17 (due dates, tiers) through the Teams path with a moved clock, both databases,
as tests/slack/test_due_and_tiers.py does through Slack: the real deskbot (the real
CloudAdapter) against the fake Bot Framework connector."""

from __future__ import annotations

from sqlalchemy import select, update

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from tests.teams.harness import TeamsWorld, card_of, card_text, executes, teams_world
from tests.teams.test_sla_flow import (
    QUIET,
    Desk,
    due,
    local,
    said_back,
    text_of,
    urls,
    with_maya,
)

MONDAY_9 = local(2026, 12, 7, 9)  # Jerusalem; IT opens Sun-Thu 08:00-18:00
TOMORROW_12 = local(2026, 12, 8, 12)


async def test_a_due_date_shows_warns_once_and_flags_once(db: Database,
                                                          clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        await desk.command(world.ada, "admin sla IT first-response 1d")
        card, _ = await desk.open_by_chat(world.eli, "my laptop will not start")
        card2, _ = await desk.open_by_chat(desk.maya, "printer jammed")
        await desk.command(world.dana, "claim 1001")

        # Dana sets a due date: the answer in the desk's zone; the card and Eli's chat
        # show it as the reader's DATE/TIME.
        answer = await desk.command(world.dana, "due 1001 tomorrow 12:00")
        assert "#1001 is due 2026-12-08 12:00 Asia/Jerusalem" in answer
        assert f"📅 due {due(TOMORROW_12)}" in desk.card_now(card)
        [told] = [t for t in desk.chat(world.eli) if "is due" in t]
        assert f"#1001 is due {due(TOMORROW_12)}" in told
        # Malformed and past: answered with the right form.
        wrong = await desk.command(world.dana, "due 1002 next week")
        assert "tomorrow 12:00" in wrong and "/desk due REF" in wrong
        assert "has already passed" in await desk.command(world.dana,
                                                          "due 1002 2026-12-07 08:30")
        await desk.command(world.lee, "due 1002 +2h")  # 11:00

        # The queue lists #1002 (due sooner) before #1001.
        queue = await desk.command(world.lee, "queue all")
        assert queue.index("#1002") < queue.index("#1001")
        assert "📅 due" in queue.split("#1001", 1)[1]

        # 10:30 (75 % of #1002's two hours): its card's thread is told, once.
        clock.set(local(2026, 12, 7, 10, 29))
        await desk.sweep()
        assert desk.thread(card2) == []
        clock.set(local(2026, 12, 7, 10, 30))
        await desk.sweep()
        await desk.sweep()
        [warning] = desk.thread(card2)
        assert "#1002" in warning and "is due soon" in warning
        assert "⚠️ due soon" in desk.card_now(card2)
        clock.set(local(2026, 12, 7, 11, 0))
        await desk.sweep()
        await desk.sweep()
        warning_again, passed = desk.thread(card2)
        assert warning_again == warning and "past its due date" in passed
        assert "🔴 was due" in desk.card_now(card2)

        # Dana's #1001: told in her chat, with a link to the card; then once it passed.
        before = len(desk.chat(world.dana))
        clock.set(local(2026, 12, 8, 8, 0))
        await desk.sweep()
        await desk.sweep()
        [to_dana] = [t for t in desk.chat(world.dana)[before:] if "due" in t]
        assert "#1001" in to_dana and "is due soon" in to_dana
        assert urls(world.chat_of(world.dana)[-1])
        clock.set(TOMORROW_12)
        await desk.sweep()
        clock.advance(hours=2)
        await desk.sweep()
        late = [t for t in desk.chat(world.dana)[before:] if "due" in t]
        assert len(late) == 2 and "past its due date" in late[1]
        assert desk.thread(card) == []
        assert "🔴 was due" in card_text(desk.updates(card)[-1])
        assert text_of(card)  # (posted before any of this)


async def make_tickets(world: TeamsWorld) -> None:
    """What `/desk ticket` does to the kind (built elsewhere), set in the database."""
    async with world.db.unit_of_work() as uow:
        await uow.session.execute(update(Conversation).values(kind="ticket"))
        await uow.commit()


async def test_escalation_moves_a_ticket_up_and_tells_both_desks_and_the_requester(
        db: Database, clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        card, _ = await desk.open_by_chat(world.eli, "the VPN server is down")
        card2, _ = await desk.open_by_chat(desk.maya, "printer jammed")
        said = await world.say(world.ada, world.hr_channel, 'admin create "IT Tier 2"')
        await world.settled()
        assert "Created the IT Tier 2 desk" in said_back(world, said["conversation"]["id"])
        await world.say(world.ada, world.hr_channel, 'admin agents "IT Tier 2" add {Omer}',
                        mentions=(world.omer,))
        await world.settled()

        assert "/desk ticket 1001 CATEGORY" in await desk.command(world.dana, "escalate 1001")
        await make_tickets(world)
        assert "/desk admin escalate IT to NEXTDESK" in await desk.command(world.dana,
                                                                           "escalate 1001")
        await desk.command(world.ada, 'admin escalate IT to "IT Tier 2"')
        assert "IT: IT → IT Tier 2" in await desk.command(world.ada, "admin tiers")

        await desk.command(world.dana, "claim 1001")
        answer = await desk.command(world.dana, "escalate 1001 the core switch needs Omer")
        assert "#1001 moved up a tier, from IT to IT Tier 2" in answer
        # The new desk's card carries the note; the old card says where it went; Eli is told.
        [moved] = [a for a in world.threads_in(world.hr_channel)
                   if a.get("attachments") and "#1001" in card_text(a)]
        assert "the VPN server is down" in card_text(moved)
        assert "the core switch needs Omer" in card_text(moved)
        assert "Escalated from" in card_text(moved)
        assert "IT Tier 2" in desk.card_now(card)
        assert any("#1001 was moved up a tier" in t and "IT Tier 2" in t
                   for t in desk.chat(world.eli))

        # The card's Escalate control (under Transfer) does the same for #1002.
        await desk.command(world.lee, "claim 1002")
        current = {**card2, "attachments": desk.updates(card2)[-1]["attachments"]}
        assert executes(card_of(current), button_ids.ESCALATE)
        status, _ = await world.click(world.lee, current, button_ids.ESCALATE)
        assert status == 200
        await world.settled()
        assert [a for a in world.threads_in(world.hr_channel)
                if a.get("attachments") and "#1002" in card_text(a)]
        assert any("#1002 was moved up a tier" in t for t in desk.chat(desk.maya))


INVOKE = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


async def stored_due(world: TeamsWorld, ref: int) -> object:
    async with world.db.unit_of_work() as uow:
        return (await uow.session.execute(
            select(Conversation.due_at).where(Conversation.ref == ref))).scalar_one()


def due_inputs(card: dict) -> dict[str, dict]:
    found: dict[str, dict] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("id") in (button_ids.DUE, button_ids.DUE_TIME):
                found[node["id"]] = node
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(card)
    return found


async def test_an_agent_sets_and_clears_the_due_date_on_the_card(db: Database,
                                                                  clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    async with with_maya() as connector, teams_world(db, clock, settings_changes=QUIET,
                                                    connector=connector) as world:
        desk = Desk(world)
        await desk.set_up_it()
        card, _ = await desk.open_by_chat(world.eli, "my laptop will not start")
        await desk.command(world.dana, "claim 1001")
        current = {**card, "attachments": desk.updates(card)[-1]["attachments"]}
        assert set(due_inputs(card_of(current))) == {button_ids.DUE, button_ids.DUE_TIME}
        assert not executes(card_of(current), button_ids.DUE_CLEAR)

        # Dana fills the date and time (the desk's wall time) and sets it.
        status, answer = await world.click(
            world.dana, current, button_ids.DUE, choice="2026-12-08",
            inputs={button_ids.DUE_TIME: "12:00"}, channel=world.it_channel)
        assert status == 200 and answer["type"] == INVOKE, answer
        await world.settled()
        assert await stored_due(world, 1001) == TOMORROW_12  # 12:00 in Jerusalem
        assert f"📅 due {due(TOMORROW_12)}" in desk.card_now(card)
        assert f"📅 due {due(TOMORROW_12)}" in card_text({"attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive",
             "content": answer["value"]}]})
        shown = due_inputs(answer["value"])
        assert shown[button_ids.DUE]["value"] == "2026-12-08"
        assert shown[button_ids.DUE_TIME]["value"] == "12:00"
        [told] = [t for t in desk.chat(world.eli) if "is due" in t]
        assert f"#1001 is due {due(TOMORROW_12)}" in told

        # A moment already past: answered to Dana alone; nothing changes.
        edits = len(desk.updates(card))
        current = {**card, "attachments": desk.updates(card)[-1]["attachments"]}
        status, answer = await world.click(
            world.dana, current, button_ids.DUE, choice="2026-12-07",
            inputs={button_ids.DUE_TIME: "08:30"}, channel=world.it_channel)
        assert status == 200 and answer["type"] == MESSAGE
        assert "2026-12-07 08:30 Asia/Jerusalem has already passed" in answer["value"]
        await world.settled()
        assert await stored_due(world, 1001) == TOMORROW_12
        assert len(desk.updates(card)) == edits
        # Eli, who is not an agent of IT: refused too.
        status, answer = await world.click(
            world.eli, current, button_ids.DUE, choice="2026-12-09",
            inputs={button_ids.DUE_TIME: "09:00"}, channel=world.it_channel)
        assert status == 200 and answer["type"] == MESSAGE
        assert await stored_due(world, 1001) == TOMORROW_12

        # Clear due date: gone; Eli is told.
        status, answer = await world.click(world.lee, current, button_ids.DUE_CLEAR,
                                           channel=world.it_channel)
        assert status == 200 and answer["type"] == INVOKE, answer
        await world.settled()
        assert await stored_due(world, 1001) is None
        assert "📅 due" not in desk.card_now(card)
        assert not executes(answer["value"], button_ids.DUE_CLEAR)
        assert any("#1001 no longer has a due date" in t for t in desk.chat(world.eli))
