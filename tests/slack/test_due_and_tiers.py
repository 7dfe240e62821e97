"""Issue 17 (due dates, tiers) through the Slack path with a moved clock, both databases.

The real deskbot against the fake Slack Web API: an agent types `/desk due`, the card
and the requester's DM show it, the queue sorts by it; the sweeps warn once and flag
once as the clock moves; `/desk escalate` moves a ticket to the desk's next tier.
"""

from __future__ import annotations

from sqlalchemy import select, update

from conversations import button_ids
from scheduling.sweeps import sweep_all
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from tests.slack.harness import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    LEE,
    MAYA,
    OMER,
    SlackWorld,
    block_text,
    slack_world,
)
from tests.slack.test_sla_flow import (
    QUIET,
    card_now,
    dms,
    local,
    open_by_dm,
    row,
    set_up_it,
    thread,
    token,
)
from tests.slack.test_story import elements, posts, updates

MONDAY_9 = local(2026, 12, 7, 9)  # Jerusalem; IT opens Sun-Thu 08:00-18:00
DUE = local(2026, 12, 8, 12)  # "tomorrow 12:00"


async def sweep(world: SlackWorld) -> None:
    done = await sweep_all(world.db, world.clock)
    assert all(n >= 0 for n in done.values()), done
    await world.settled()


async def test_a_due_date_shows_warns_once_and_flags_once(db: Database,
                                                          clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        await world.command(ADA, "admin sla IT first-response 1d")
        asked, card, _ = await open_by_dm(world, ELI, "my laptop will not start")
        _, card2, _ = await open_by_dm(world, MAYA, "printer jammed")
        await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
        await world.settled()

        # Dana sets a due date; the answer says it in the desk's zone, privately.
        answer = await world.command(DANA, "due 1001 tomorrow 12:00", channel=IT_CHANNEL)
        assert answer["response_type"] == "ephemeral"
        assert "#1001 is due 2026-12-08 12:00 Asia/Jerusalem" in block_text(answer)
        await world.settled()
        # The card shows it as a date token (each reader's own zone and language).
        assert f"📅 due \u2068{token(DUE)}" in card_now(world, card)
        # Eli is told in his request's DM thread, as a date token too.
        [told] = [m for m in dms(world, ELI) if "is due" in m]
        assert f"#1001 is due \u2068{token(DUE)}" in told
        # Malformed: privately, with the right form.
        wrong = await world.command(DANA, "due 1002 yesterday", channel=IT_CHANNEL)
        assert wrong["response_type"] == "ephemeral"
        assert "tomorrow 12:00" in block_text(wrong) and "/desk due REF" in block_text(wrong)
        past = await world.command(DANA, "due 1002 2026-12-07 08:00", channel=IT_CHANNEL)
        assert "has already passed" in block_text(past)
        await world.command(LEE, "due 1002 +2h", channel=IT_CHANNEL)  # 11:00
        await world.settled()

        # The queue: due dates first, soonest first.
        queue = await world.command(LEE, "queue all")
        text = block_text(queue)
        assert text.index("*#1002*") < text.index("*#1001*")
        assert "📅 due" in row(queue, 1001) and "📅 due" in row(queue, 1002)

        # 10:29: under 75 % of #1002's two hours; nobody is told.
        clock.set(local(2026, 12, 7, 10, 29))
        await sweep(world)
        assert thread(world, card2) == []
        # 10:30: #1002 (nobody holds it) is warned in its card's thread, once.
        clock.set(local(2026, 12, 7, 10, 30))
        await sweep(world)
        await sweep(world)
        [warning] = thread(world, card2)
        assert "#1002" in warning and "is due soon" in warning
        assert "⚠️ due soon" in card_now(world, card2)
        # 11:00: passed: told once, the card shows it.
        clock.set(local(2026, 12, 7, 11, 0))
        await sweep(world)
        await sweep(world)
        warning_again, passed = thread(world, card2)
        assert warning_again == warning
        assert "#1002" in passed and "past its due date" in passed
        assert "🔴 was due" in card_now(world, card2)

        # #1001 is Dana's: she is told by DM, at 75 % of the 27 hours (05:15, but IT
        # opens at 08:00: told then, like an SLA warning) and at the due time.
        before = len(dms(world, DANA))
        clock.set(local(2026, 12, 8, 5, 15))
        await sweep(world)
        assert [m for m in dms(world, DANA)[before:] if "due" in m] == []
        clock.set(local(2026, 12, 8, 8, 0))
        await sweep(world)
        await sweep(world)
        [to_dana] = [m for m in dms(world, DANA)[before:] if "due" in m]
        assert "#1001" in to_dana and "is due soon" in to_dana
        assert any(e.get("url") for e in elements(posts(world, f"D{DANA}")[-1]))  # the card
        clock.set(DUE)
        await sweep(world)
        await sweep(world)
        clock.advance(hours=3)
        await sweep(world)
        late = [m for m in dms(world, DANA)[before:] if "due" in m]
        assert len(late) == 2 and "past its due date" in late[1]
        assert thread(world, card) == []  # hers went to her, not the channel
        assert asked  # (the DM thread Eli asked in)


async def make_tickets(world: SlackWorld) -> None:
    """What `/desk ticket` does to the kind (built elsewhere), set in the database."""
    async with world.db.unit_of_work() as uow:
        await uow.session.execute(update(Conversation).values(kind="ticket"))
        await uow.commit()


async def test_escalation_moves_a_ticket_up_and_tells_both_desks_and_the_requester(
        db: Database, clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        asked, card, _ = await open_by_dm(world, ELI, "the VPN server is down")
        _, card2, _ = await open_by_dm(world, MAYA, "printer jammed")
        await world.command(ADA, f'admin create "IT Tier 2" <#{HR_CHANNEL}|it-tier-2>')
        await world.command(ADA, f"admin agents \"IT Tier 2\" add <@{OMER}|omer>")

        # An inquiry is refused, privately, with how to make it a ticket.
        refused = await world.command(DANA, "escalate 1001", channel=IT_CHANNEL)
        assert refused["response_type"] == "ephemeral"
        assert "/desk ticket 1001 CATEGORY" in block_text(refused)
        await make_tickets(world)
        # IT has no next tier yet: refused with how to set one.
        refused = await world.command(DANA, "escalate 1001", channel=IT_CHANNEL)
        assert "/desk admin escalate IT to NEXTDESK" in block_text(refused)
        assert "IT Tier 2" in block_text(await world.command(
            ADA, 'admin escalate IT to "IT Tier 2"'))
        assert "IT: IT → IT Tier 2" in block_text(await world.command(ADA, "admin tiers IT"))

        await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
        await world.settled()
        # A ticket, at a desk with a next tier: the card offers Escalate.
        assert button_ids.ESCALATE in [e.get("action_id") for e in elements(
            updates(world, IT_CHANNEL, card["ts"])[-1])]
        answer = await world.command(DANA, "escalate 1001 the core switch needs Omer",
                                     channel=IT_CHANNEL)
        assert "#1001 moved up a tier, from IT to IT Tier 2" in block_text(answer)
        await world.settled()
        # The old card says where it went and by whom; the new desk gets the card with
        # the note; Eli is told.
        assert "IT Tier 2" in card_now(world, card) and "Dana" in card_now(world, card)
        [moved] = [m for m in posts(world, HR_CHANNEL) if "#1001" in block_text(m)]
        assert "the VPN server is down" in block_text(moved)
        assert "Escalated from \u2068IT\u2069 by \u2068Dana\u2069" in block_text(moved)
        assert "the core switch needs Omer" in block_text(moved)
        # IT Tier 2 has no next tier: no Escalate there.
        assert button_ids.ESCALATE not in [e.get("action_id") for e in elements(moved)]
        assert any("#1001 was moved up a tier, to *\u2068IT Tier 2\u2069*" in t
                   for t in dms(world, ELI))
        assert asked

        # The card's Escalate button does the same for #1002 (Lee clicks it).
        await world.command(LEE, "claim 1002", channel=IT_CHANNEL)
        await world.settled()
        current = updates(world, IT_CHANNEL, card2["ts"])[-1]
        status, _ = await world.click(LEE, {**current, "channel": IT_CHANNEL},
                                      button_ids.ESCALATE, value="1002")
        assert status == 200
        await world.settled()
        assert [m for m in posts(world, HR_CHANNEL) if "#1002" in block_text(m)]
        assert any("#1002 was moved up a tier" in t for t in dms(world, MAYA))


def picker(message: dict) -> dict:
    """The card's due date picker (or clear button) elements by action id."""
    return {e.get("action_id"): e for e in elements(message)
            if e.get("action_id") in (button_ids.DUE, button_ids.DUE_CLEAR)}


async def stored_due(world: SlackWorld, ref: int) -> object:
    async with world.db.unit_of_work() as uow:
        return (await uow.session.execute(
            select(Conversation.due_at).where(Conversation.ref == ref))).scalar_one()


async def test_an_agent_sets_and_clears_the_due_date_on_the_card(db: Database,
                                                                  clock: FrozenClock) -> None:
    clock.set(MONDAY_9)
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await set_up_it(world)
        _, card, _ = await open_by_dm(world, ELI, "my laptop will not start")
        await world.command(DANA, "claim 1001", channel=IT_CHANNEL)
        await world.settled()
        current = {**updates(world, IT_CHANNEL, card["ts"])[-1], "channel": IT_CHANNEL}
        assert set(picker(current)) == {button_ids.DUE}  # nothing to clear yet

        # Dana picks tomorrow 12:00 (Slack sends the moment): stored, shown, Eli told.
        status, _ = await world.click(DANA, current, button_ids.DUE,
                                      option=str(int(DUE.timestamp())))
        assert status == 200
        await world.settled()
        assert await stored_due(world, 1001) == DUE
        assert f"📅 due \u2068{token(DUE)}" in card_now(world, card)
        current = {**updates(world, IT_CHANNEL, card["ts"])[-1], "channel": IT_CHANNEL}
        shown = picker(current)
        assert shown[button_ids.DUE]["initial_date_time"] == int(DUE.timestamp())
        assert button_ids.DUE_CLEAR in shown
        [told] = [m for m in dms(world, ELI) if "is due" in m]
        assert f"#1001 is due \u2068{token(DUE)}" in told

        # A moment already past: refused to Dana privately; nothing changes.
        edits = len(updates(world, IT_CHANNEL, card["ts"]))
        before = len(world.api.calls_to("chat.postEphemeral"))
        status, _ = await world.click(DANA, current, button_ids.DUE,
                                      option=str(int(local(2026, 12, 7, 8).timestamp())))
        assert status == 200
        await world.settled()
        [refusal] = world.api.calls_to("chat.postEphemeral")[before:]
        assert refusal.params["user"] == DANA
        assert "2026-12-07 08:00 Asia/Jerusalem has already passed" in block_text(
            refusal.params)
        assert await stored_due(world, 1001) == DUE
        assert len(updates(world, IT_CHANNEL, card["ts"])) == edits
        # Eli, who is not an agent of IT: refused privately too.
        status, _ = await world.click(ELI, current, button_ids.DUE,
                                      option=str(int(local(2026, 12, 9, 9).timestamp())))
        await world.settled()
        [refusal] = world.api.calls_to("chat.postEphemeral")[before + 1:]
        assert refusal.params["user"] == ELI
        assert await stored_due(world, 1001) == DUE

        # Clear due date: gone from the card and the database; Eli is told.
        status, _ = await world.click(LEE, current, button_ids.DUE_CLEAR, value="1001")
        assert status == 200
        await world.settled()
        assert await stored_due(world, 1001) is None
        assert "📅 due" not in card_now(world, card)
        current = updates(world, IT_CHANNEL, card["ts"])[-1]
        assert set(picker(current)) == {button_ids.DUE}
        assert "initial_date_time" not in picker(current)[button_ids.DUE]
        assert any("#1001 no longer has a due date" in m for m in dms(world, ELI))
