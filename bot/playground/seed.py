"""`deskbot playground --seed`: desks IT and HR, their agents, and three weeks of requests
(among them a ticket of each IT category, one with a due date), and an email outage
declared a major incident with the three requests it caused linked; and אחזקה, a desk
that speaks Hebrew, with Noa (נועה מזרחי, Slack in Hebrew) asking it.

Everything goes through deskbot's own paths: the desks are set up by Ada's `/desk admin`
commands (`conversations.command_line.run_command`), the history by the core commands
(`conversations.commands`) on a clock moved back to each moment. The notices they
write are delivered by the running outbox worker, so the cards, relays and prompts land in
the playground's channels as they would in Slack; the sweeps then flag what is late.
The Hebrew desk's language is set on the desk itself (`Desk.language`), as an admin's
language setting would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.playground.workspace import (
    ADA,
    DANA,
    ELI,
    HR_CHANNEL,
    IT_CHANNEL,
    LEE,
    MAINTENANCE_CHANNEL,
    NOA,
    PEOPLE,
    TEAM_ID,
    as_slack_sends,
)
from bot.slack.typed_text import typed
from conversations import commands, due_dates, incidents, tickets
from conversations.command_line import Caller, run_command
from conversations.lifecycle import Status
from desks.people import ensure_person
from desks.permissions import Actor
from desks.service import find_desk
from scheduling.desk_calendar import DeskCalendar
from storage.clock import FrozenClock
from storage.database import Database

log = logging.getLogger(__name__)

WINDOW = '"sun-thu 08:00-18:00; fri 08:00-13:00" tz Asia/Jerusalem'
SETUP = (
    (IT_CHANNEL, "admin create IT #it-desk Laptops, VPN, accounts, printers"),
    (IT_CHANNEL, "admin agents IT add @dana @lee"),
    (IT_CHANNEL, "admin leads IT add @dana"),
    (IT_CHANNEL, "admin routing IT keywords vpn,wifi,laptop,printer,password,account"),
    (IT_CHANNEL, f"admin hours IT {WINDOW}"),
    (IT_CHANNEL, "admin holidays IT IL"),
    (IT_CHANNEL, "admin sla IT first-response 15m"),
    # Ticket categories: the defaults (Incident, Service request, IMAC); an outage is
    # answered faster than the desk's 15 minutes.
    (IT_CHANNEL, "admin categories IT add Incident sla first-response 10m resolution 4h"),
    (HR_CHANNEL, "admin create HR #hr-desk Payroll, leave, benefits"),
    (HR_CHANNEL, "admin agents HR add @lee"),
    (HR_CHANNEL, "admin routing HR keywords payroll,payslip,leave,salary,benefits"),
    (HR_CHANNEL, f"admin hours HR {WINDOW}"),
    (HR_CHANNEL, "admin holidays HR IL"),
    (HR_CHANNEL, "admin sla HR first-response 15m"),
    (MAINTENANCE_CHANNEL, "admin create אחזקה #maintenance-desk מיזוג, חניה, מטבחונים ותיקונים"),
    (MAINTENANCE_CHANNEL, "admin agents אחזקה add @lee @dana"),
    (MAINTENANCE_CHANNEL, "admin routing אחזקה keywords מזגן,חניה,מטבחון,נורה,מעלית"),
    (MAINTENANCE_CHANNEL, f"admin hours אחזקה {WINDOW}"),
    (MAINTENANCE_CHANNEL, "admin holidays אחזקה IL"),
    (MAINTENANCE_CHANNEL, "admin sla אחזקה first-response 30m"),
)
# The desk whose channel speaks Hebrew: its cards, alerts and digests (desk_locale).
HEBREW_DESK = "אחזקה"
# What each person's Slack says their language is (users.info's locale).
LOCALES = {p.id: p.locale for p in PEOPLE}
# Then the agents say they are available (each in their DM), as a new agent would.
AVAILABLE = ((DANA, "available on"), (LEE, "available on"))


@dataclass(frozen=True)
class Story:
    """One request of the history: who asked which desk what, how long ago, what followed."""

    days_ago: float
    requester: str
    desk: str
    text: str
    steps: tuple[tuple[str, ...], ...] = ()


HISTORY = (
    Story(20, ADA, "IT", "My laptop stopped charging after the update",
          (("claim", DANA), ("reply", DANA, "Swapped the charger at the desk; try it now"),
           ("status", DANA, "resolved"), ("solved",), ("rate", "5"))),
    Story(18, ELI, "HR", "When is payroll this month?",
          (("reply", LEE, "On the 10th, as every month"), ("close", LEE))),
    Story(15, ELI, "IT", "The Wi-Fi in meeting room 2 keeps dropping",
          (("claim", LEE), ("ticket", LEE, "Incident"),
           ("reply", LEE, "A new access point is in; better now?"),
           ("status", LEE, "resolved"), ("solved",), ("rate", "4"))),
    Story(12, LEE, "IT", "VPN asks for my password twice",
          (("claim", DANA), ("reply", DANA, "Which VPN client version do you have?"),
           ("status", DANA, "waiting"))),
    Story(9, DANA, "HR", "Where is the parental leave form?",
          (("claim", LEE), ("pin", LEE), ("priority", LEE, "4"))),
    Story(5, ADA, "IT", "A new hire needs an account by Sunday",
          (("claim", LEE), ("ticket", LEE, "Service request"), ("priority", LEE, "5"),
           ("reply", LEE, "Account is made; the laptop is on its way"))),
    Story(2, ADA, "IT", "The printer on the third floor jams on every page"),
    Story(1.5, ELI, "IT", "Please move my desk phone to room 4.12 before Sunday",
          (("claim", DANA), ("ticket", DANA, "IMAC"), ("due", DANA, "+4d"))),
    Story(1, LEE, "HR", "My payslip shows my old address"),
    Story(0.1, DANA, "IT", "המקלדת שלי לא עובדת אחרי שנשפך עליה קפה",
          (("claim", LEE), ("reply", LEE, "אני מביא לך מקלדת חדשה"))),
)
# Noa writes in Hebrew: to the Hebrew desk, and once to IT (a Hebrew title in an English card).
HEBREW_HISTORY = (
    Story(16, NOA, HEBREW_DESK, "המזגן בחדר הישיבות בקומה 3 לא מקרר",
          (("claim", LEE), ("reply", LEE, "הטכנאי יגיע מחר בבוקר ויחליף את המסנן"),
           ("status", LEE, "resolved"), ("solved",), ("rate", "5"))),
    Story(6, NOA, HEBREW_DESK, "צריך שני מקומות חניה לאורחים ביום חמישי",
          (("claim", DANA), ("reply", DANA, "שמרנו לכם שני מקומות בחניון B"),
           ("close", DANA))),
    Story(3, NOA, "IT", "ה-VPN מתנתק לי כל כמה דקות כשאני עובדת מהבית",
          (("claim", DANA), ("reply", DANA, "לאיזו רשת Wi-Fi את מחוברת בבית?"),
           ("status", DANA, "waiting"))),
    Story(0.05, NOA, HEBREW_DESK, "הנורה במטבחון בקומה 2 מהבהבת כל הזמן"),
)

# An outage three people report within minutes: the burst rule proposes a major incident
# in #it-desk; Dana declares it, links the three and tells them what is being done.
OUTAGE = (
    Story(0.030, ELI, "IT", "Outlook cannot connect to the mail server"),
    Story(0.028, LEE, "IT", "Outlook says it cannot connect to the mail server"),
    Story(0.026, ADA, "IT", "Outlook can't connect to the mail server since this morning"),
)
OUTAGE_INCIDENT = "Email is down"
OUTAGE_UPDATE = "The mail servers are being restarted; mail should flow again within the hour."


class SeedRefused(RuntimeError):
    """A setup command was refused (the message says why)."""


async def seed(served: Any) -> str:
    """Seed the running playground `served` (a `bot.playground.run.Running`); a summary.

    Does nothing when the playground's workspace has desks already.
    """
    deps, playground = served.deps, served.playground
    async with deps.db.unit_of_work(readonly=True) as uow:
        workspace = await _workspace(uow)
        if workspace is not None and await find_desk(uow, workspace.id, "IT") is not None:
            return "desks exist already; nothing seeded"
    directory = deps.slack.context.people.directory
    for channel, text in SETUP:
        caller = Caller(platform="slack", workspace_external_id=TEAM_ID, user_id=ADA,
                        channel=channel, channel_is_dm=False)
        # As the /desk listener gets it: typed in Slack (mentions as ids), then read back.
        words = typed(as_slack_sends(text, playground.state))
        outcome = await run_command(deps.db, caller, words, directory=directory,
                                    extra_admins=served.settings.admins)
        if getattr(outcome.view, "kind", "") == "error":
            raise SeedRefused(f"/desk {text}: {getattr(outcome.view, 'text', outcome.view)}")

    async with deps.db.unit_of_work() as uow:
        workspace = await _workspace(uow)
        (await find_desk(uow, workspace.id, HEBREW_DESK)).language = "he"
        await uow.commit()

    now = datetime.now(UTC)
    clock = FrozenClock(now)
    history = Database(served.settings.database_url, clock=clock)
    history.business_time = DeskCalendar()
    try:
        # One history in time order: Noa's Hebrew requests among the others.
        for story in sorted(HISTORY + HEBREW_HISTORY, key=lambda s: -s.days_ago):
            # Requests arrive in the working day: 09:30 Jerusalem (07:30 UTC) on that date.
            moment = (now - timedelta(days=story.days_ago))
            if story.days_ago >= 1:
                moment = moment.replace(hour=7, minute=30, second=0, microsecond=0)
            clock.set(min(moment, now))
            await _tell(history, clock, playground, story)
        outage = []
        for story in OUTAGE:
            clock.set(now - timedelta(days=story.days_ago))
            outage.append(await _tell(history, clock, playground, story))
        await _declare_outage(history, clock, outage)
    finally:
        await history.dispose()
    # Agents start available: new requests reach them, and they can be auto-assigned.
    for user, text in AVAILABLE:
        caller = Caller(platform="slack", workspace_external_id=TEAM_ID, user_id=user,
                        channel=f"D{user}", channel_is_dm=True)
        outcome = await run_command(deps.db, caller, typed(text), directory=directory,
                                    extra_admins=served.settings.admins)
        if getattr(outcome.view, "kind", "") == "error":
            raise SeedRefused(f"/desk {text}: {getattr(outcome.view, 'text', outcome.view)}")
    if deps.outbox_worker is not None:
        deps.outbox_worker.wake()
    return (f"seeded desks IT and HR (agents Dana and Lee, available, lead Dana; "
            f"Sun–Thu 08:00–18:00, "
            f"Fri 08:00–13:00 Asia/Jerusalem, Israeli holidays, first response 15m) and "
            f"{len(HISTORY)} requests over three weeks (a ticket of each IT category among "
            f"them); the desk {HEBREW_DESK} speaks Hebrew, "
            f"and Noa (Slack in Hebrew) wrote {len(HEBREW_HISTORY)} more in Hebrew; "
            f"{OUTAGE_INCIDENT!r} is an open major incident with {len(OUTAGE)} requests linked")


async def _workspace(uow: Any) -> Any:
    from sqlalchemy import select

    from storage.models import Workspace

    return (await uow.session.scalars(select(Workspace).where(
        Workspace.platform == "slack", Workspace.external_id == TEAM_ID))).first()


async def _tell(db: Database, clock: FrozenClock, playground: Any, story: Story) -> int:
    """Open one request at the clock's time, then play its steps a few minutes apart; its
    ref."""
    dm = f"D{story.requester}"
    ts = f"{int(clock.now().timestamp())}.{int(story.days_ago * 1000) % 1_000_000:06d}"
    playground.state.add_person_message(dm, story.text, user=story.requester, ts=ts)
    async with db.unit_of_work() as uow:
        workspace = await _workspace(uow)
        requester = await ensure_person(uow, workspace, story.requester,
                                        locale=LOCALES.get(story.requester))
        desk = await find_desk(uow, workspace.id, story.desk)
        posted = await commands.open_conversation(uow, requester, desk, story.text,
                                                  requester_channel=dm, requester_thread=ts,
                                                  requester_side_id=ts, via="dm")
        ref = posted.conversation.ref
        await uow.commit()
    for step in story.steps:
        clock.advance(minutes=12)
        async with db.unit_of_work() as uow:
            workspace = await _workspace(uow)
            requester = await ensure_person(uow, workspace, story.requester)
            await _step(uow, workspace, requester, ref, step)
            await uow.commit()
    return ref


async def _declare_outage(db: Database, clock: FrozenClock, refs: list[int]) -> None:
    """Dana declares the outage a major incident, links its requests, posts an update."""
    clock.advance(minutes=4)
    async with db.unit_of_work() as uow:
        workspace = await _workspace(uow)
        dana = Actor(await ensure_person(uow, workspace, DANA))
        incident = await incidents.open_incident(uow, dana, OUTAGE_INCIDENT,
                                                 await find_desk(uow, workspace.id, "IT"))
        await incidents.link(uow, dana, incident.number, refs)
        await uow.commit()
    clock.advance(minutes=3)
    async with db.unit_of_work() as uow:
        workspace = await _workspace(uow)
        dana = Actor(await ensure_person(uow, workspace, DANA))
        await incidents.post_update(uow, dana, incident.number, OUTAGE_UPDATE)
        await uow.commit()


async def _step(uow: Any, workspace: Any, requester: Any, ref: int,
                step: tuple[str, ...]) -> None:
    what = step[0]
    if what == "solved":
        await commands.answer_resolved(uow, requester, ref, True)
        return
    if what == "rate":
        await commands.rate(uow, requester, ref, int(step[1]))
        return
    agent = Actor(await ensure_person(uow, workspace, step[1]))
    if what == "claim":
        await commands.claim(uow, agent, ref)
    elif what == "reply":
        await commands.agent_reply(uow, agent, ref, step[2])
    elif what == "status":
        await commands.set_status(uow, agent, ref, Status(step[2]))
    elif what == "pin":
        await commands.pin(uow, agent, ref)
    elif what == "priority":
        await commands.set_priority(uow, agent, ref, step[2])
    elif what == "close":
        await commands.close(uow, agent, ref)
    elif what == "ticket":
        await tickets.convert(uow, agent, ref, step[2])
    elif what == "due":
        await due_dates.set_due(uow, agent, ref, step[2])
    else:
        raise ValueError(f"unknown seed step {what!r}")
