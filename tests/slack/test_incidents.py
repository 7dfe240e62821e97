"""Major incidents through the Slack path (both databases): one incident card with a
counter, one update reaching each of 20 requesters exactly once, resolving all 20, the
burst rule posting its proposal once, for similar requests only, and the card's own
*Post update* and *Resolve incident* modals."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import (
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

EMPLOYEES = [f"UEMP{n:02d}" for n in range(20)]
QUIET = {"sweep_seconds": 3600}


def add_employees(api: FakeSlackApi) -> None:
    for user in EMPLOYEES:
        api.add_user(user, f"Employee {user[-2:]}")


async def ask(world: SlackWorld, user: str, text: str) -> int:
    answer = await world.command(user, f"ask IT {text}")
    said = block_text(answer)
    assert "as #" in said, said
    return int(said.split("as #", 1)[1].split(".", 1)[0])


def incident_cards(world: SlackWorld) -> list[dict[str, Any]]:
    return [m for m in posts(world, IT_CHANNEL)
            if not m.get("thread_ts") and block_text(m).startswith("🚨 INC-")]


def postings_to(world: SlackWorld, fragment: str) -> Counter[str]:
    """chat.postMessage calls whose text holds `fragment`, counted by channel."""
    return Counter(call.params.get("channel") for call in world.api.calls_to("chat.postMessage")
                   if call.ok and fragment in block_text(call.params))


async def test_an_update_reaches_each_of_20_requesters_once_and_resolve_resolves_all(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=QUIET, api_setup=add_employees) as world:
        await world.set_up_desks_directly()
        answer = await world.command(DANA, 'incident open "Email is down"', channel=IT_CHANNEL)
        assert "INC-1 Email is down is open on IT" in block_text(answer)
        refs = [await ask(world, user, f"cannot send mail, number {n}")
                for n, user in enumerate(EMPLOYEES)]
        await world.settled()
        answer = await world.command(LEE, "incident link INC-1 " + " ".join(map(str, refs)),
                                     channel=IT_CHANNEL)
        assert "Linked 20 requests to INC-1" in block_text(answer)
        await world.settled()
        [card] = incident_cards(world)
        assert "Email is down" in block_text(card)
        assert "*Linked requests*\n20" in block_text(updates(world, IT_CHANNEL, card["ts"])[-1])

        answer = await world.command(DANA, "incident update inc-1 Mail servers restart at 10:30",
                                     channel=IT_CHANNEL)
        assert "goes to 20 requesters" in block_text(answer)
        await world.settled()
        told = postings_to(world, "Mail servers restart at 10:30")
        requester_channels = {}
        async with db.unit_of_work(readonly=True) as uow:
            for conversation in (await uow.session.execute(
                    Conversation.__table__.select())).all():
                requester_channels[conversation.ref] = conversation.requester_channel
        dm_channels = {requester_channels[ref] for ref in refs}
        assert len(dm_channels) == 20
        assert {channel: told[channel] for channel in dm_channels} == dict.fromkeys(
            dm_channels, 1)
        # And once in the incident card's thread, nowhere else.
        assert told[IT_CHANNEL] == 1
        assert sum(told.values()) == 21
        assert len(posts(world, IT_CHANNEL, thread_ts=card["ts"])) == 1
        assert "Mail servers restart" in block_text(updates(world, IT_CHANNEL, card["ts"])[-1])

        answer = await world.command(DANA, "incident resolve 1 Mail flows again",
                                     channel=IT_CHANNEL)
        assert "INC-1 is resolved, with 20 linked requests" in block_text(answer)
        await world.settled()
        resolved = postings_to(world, "Mail flows again")
        assert all(resolved[channel] == 1 for channel in dm_channels)
        asked = postings_to(world, "Did this solve it")
        assert all(asked[channel] == 1 for channel in dm_channels), asked
        async with db.unit_of_work(readonly=True) as uow:
            statuses = {c.ref: c.status for c in (await uow.session.execute(
                Conversation.__table__.select())).all()}
        assert {statuses[ref] for ref in refs} == {"resolved"}
        assert "Resolved" in block_text(updates(world, IT_CHANNEL, card["ts"])[-1])
        assert len(incident_cards(world)) == 1


async def test_the_burst_rule_proposes_once_for_similar_requests_only(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=QUIET, api_setup=add_employees) as world:
        await world.set_up_desks_directly()
        for user, text in ((ELI, "printer jammed on floor 2"), (MAYA, "vpn broken at home"),
                           (OMER, "need a new mouse")):
            await ask(world, user, text)
            clock.advance(minutes=1)
        await world.settled()
        assert postings_to(world, "Possible major incident") == Counter()
        similar = []
        for user in EMPLOYEES[:3]:
            similar.append(await ask(world, user, "outlook email is down"))
            clock.advance(minutes=2)
        await world.settled()
        proposals = [m for m in posts(world, IT_CHANNEL)
                     if "Possible major incident" in block_text(m)]
        assert len(proposals) == 1
        assert ", ".join(f"#{r}" for r in similar) in block_text(proposals[0])
        await ask(world, EMPLOYEES[3], "email is down in outlook too")  # the 4th
        await world.settled()
        assert postings_to(world, "Possible major incident") == Counter({IT_CHANNEL: 1})

        # Dana declares it from the proposal: one incident, the three linked.
        status, _ = await world.click(DANA, proposals[0], button_ids.DECLARE_INCIDENT)
        assert status == 200
        await world.settled()
        [card] = incident_cards(world)
        assert "outlook email is down" in block_text(card)
        # The proposal now says which incident it became: no button to click again.
        settled = updates(world, IT_CHANNEL, proposals[0]["ts"])
        assert settled and "INC-1" in block_text(settled[-1])
        assert "Declare incident" not in json.dumps(settled[-1])
        shown = block_text(updates(world, IT_CHANNEL, card["ts"])[-1])
        assert "*Linked requests*\n3" in shown
        assert ", ".join(f"#{r}" for r in similar) in shown

        # A ticket card's *Link to incident* links the 4th (its card, re-rendered since
        # the incident opened, offers it).
        await world.command(LEE, "pin 1007", channel=IT_CHANNEL)
        await world.settled()
        fourth = [m for m in posts(world, IT_CHANNEL)
                  if "#1007" in block_text(m) and not m.get("thread_ts")][0]
        changed = updates(world, IT_CHANNEL, fourth["ts"])
        now = changed[-1] if changed else fourth
        status, _ = await world.click(LEE, now, button_ids.LINK_INCIDENT, option="1007:1")
        assert status == 200
        await world.settled()
        assert "*Linked requests*\n4" in block_text(updates(world, IT_CHANNEL, card["ts"])[-1])


async def test_a_similar_request_is_offered_the_known_incident_and_joins_it_without_a_card(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await world.set_up_desks_directly()
        await world.command(DANA, 'incident open "Email is down"', channel=IT_CHANNEL)
        await world.settled()
        [card] = incident_cards(world)
        before = len(posts(world, IT_CHANNEL))

        # Eli writes; picks IT; IT has an open incident like it: the offer, not a card.
        asked = await world.dm(ELI, "my email is down since this morning")
        await world.settled()
        [picker] = posts(world, f"D{ELI}")
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        await world.click(ELI, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        [offer] = [m for m in posts(world, f"D{ELI}", thread_ts=asked)
                   if "known incident" in block_text(m)]
        assert "Email is down" in block_text(offer)
        assert len(posts(world, IT_CHANNEL)) == before  # no ticket card

        status, _ = await world.click(ELI, offer, button_ids.KNOWN_INCIDENT)
        assert status == 200
        await world.settled()
        assert len(posts(world, IT_CHANNEL)) == before  # still none: the counter went up
        assert "*Linked requests*\n1" in block_text(updates(world, IT_CHANNEL, card["ts"])[-1])
        async with db.unit_of_work(readonly=True) as uow:
            [conversation] = (await uow.session.execute(select(Conversation))).scalars().all()
        assert conversation.incident_id is not None and conversation.agent_thread is None

        # The incident's update reaches Eli; an unrelated request gets no offer.
        await world.command(DANA, "incident update 1 Restarting the mail server",
                            channel=IT_CHANNEL)
        await world.settled()
        assert postings_to(world, "Restarting the mail server")[f"D{ELI}"] == 1
        asked = await world.dm(MAYA, "printer jammed")
        await world.settled()
        [picker] = posts(world, f"D{MAYA}")
        pick = next(e for e in elements(picker)
                    if e.get("action_id") == button_ids.PICK_DESK and e["value"].endswith(":it"))
        await world.click(MAYA, picker, button_ids.PICK_DESK, value=pick["value"])
        await world.settled()
        assert not any("known incident" in block_text(m) for m in posts(world, f"D{MAYA}"))
        top = [m for m in posts(world, IT_CHANNEL) if not m.get("thread_ts")]
        assert len(top) == before + 1 and "printer jammed" in block_text(top[-1])


def submit(world: SlackWorld, user: str, modal: dict[str, Any], text: str,
           view_id: str) -> Any:
    """The incident modal submitted by `user` with `text` in its field."""
    return world.send(world.requests.interaction(world.requests.view_submission(
        {"id": user}, {**modal, "id": view_id},
        {button_ids.INCIDENT_TEXT_BLOCK: {button_ids.INCIDENT_TEXT: {
            "type": "plain_text_input", "value": text}}},
        trigger_id=f"t.{view_id}")))


async def open_modal(world: SlackWorld, user: str, card: dict[str, Any],
                     action_id: str) -> dict[str, Any]:
    """Click `action_id` on the incident card as it reads now; the modal it opened."""
    changed = updates(world, IT_CHANNEL, card["ts"])
    before = len(world.api.calls_to("views.open"))
    status, _ = await world.click(user, changed[-1] if changed else card, action_id)
    assert status == 200
    opened = world.api.calls_to("views.open")[before:]
    assert len(opened) == 1, "the click opened no modal"
    modal: dict[str, Any] = opened[0].params["view"]
    assert modal["callback_id"] == button_ids.INCIDENT_MODAL
    return modal


def field_error(body: str) -> str:
    answer = json.loads(body)
    assert answer["response_action"] == "errors", answer
    return str(answer["errors"][button_ids.INCIDENT_TEXT_BLOCK])


async def test_the_incident_cards_controls_update_and_resolve_from_modals(
        db: Database, clock: FrozenClock) -> None:
    async with slack_world(db, clock, settings_changes=QUIET) as world:
        await world.set_up_desks_directly()
        await world.command(DANA, 'incident open "Email is down"', channel=IT_CHANNEL)
        refs = [await ask(world, user, f"cannot send mail, number {n}")
                for n, user in enumerate((ELI, MAYA, OMER))]
        await world.settled()
        await world.command(LEE, "incident link INC-1 " + " ".join(map(str, refs)),
                            channel=IT_CHANNEL)
        await world.settled()
        [card] = incident_cards(world)
        dms = {f"D{user}" for user in (ELI, MAYA, OMER)}

        # *Post update*: its modal carries the incident; an empty text is refused in the
        # modal, and nothing is sent to anyone.
        modal = await open_modal(world, DANA, card, button_ids.INCIDENT_UPDATE)
        assert json.loads(modal["private_metadata"])["incident"] == "1"
        assert "Email is down" in block_text(modal)
        sent = len(world.api.calls_to("chat.postMessage"))
        status, body = await submit(world, DANA, modal, "   ", "V1")
        assert status == 200 and "Write the update first" in field_error(body)
        # A person who does not work the desk is refused the same way.
        status, body = await submit(world, ELI, modal, "I am not an agent", "V2")
        assert status == 200 and "INC-1 is on the IT desk, which you do not work" in \
            field_error(body)
        await world.settled()
        assert len(world.api.calls_to("chat.postMessage")) == sent
        assert postings_to(world, "I am not an agent") == Counter()

        # The update reaches each of the 3 requesters exactly once, and the card shows it.
        status, body = await submit(world, DANA, modal, "Mail servers restart at 10:30", "V3")
        assert (status, body) == (200, "")
        # The same submission delivered again does nothing more.
        status, _ = await submit(world, DANA, modal, "Mail servers restart at 10:30", "V3")
        assert status == 200
        await world.settled()
        told = postings_to(world, "Mail servers restart at 10:30")
        assert {channel: told[channel] for channel in dms} == dict.fromkeys(dms, 1)
        assert told[IT_CHANNEL] == 1 and sum(told.values()) == 4
        shown = block_text(updates(world, IT_CHANNEL, card["ts"])[-1])
        assert "*Latest update*\nMail servers restart at 10:30" in shown
        [said] = [c for c in world.api.calls_to("chat.postEphemeral")
                  if "goes to 3 requesters" in block_text(c.params)]
        assert said.params["user"] == DANA and said.params["channel"] == IT_CHANNEL

        # *Resolve incident*: all 3 resolved with the note; the card loses its controls.
        modal = await open_modal(world, DANA, card, button_ids.INCIDENT_RESOLVE)
        status, body = await submit(world, DANA, modal, "", "V4")
        assert "Write the resolution note first" in field_error(body)
        status, body = await submit(world, DANA, modal, "Mail flows again", "V5")
        assert (status, body) == (200, "")
        await world.settled()
        resolved = postings_to(world, "Mail flows again")
        assert {channel: resolved[channel] for channel in dms} == dict.fromkeys(dms, 1)
        async with db.unit_of_work(readonly=True) as uow:
            statuses = {c.ref: c.status for c in (await uow.session.execute(
                select(Conversation))).scalars().all()}
        assert statuses == dict.fromkeys(refs, "resolved")
        last = updates(world, IT_CHANNEL, card["ts"])[-1]
        assert "Resolved" in block_text(last) and "Mail flows again" in block_text(last)
        assert not [e for e in elements(last)
                    if e.get("action_id") in button_ids.INCIDENT_ACTIONS]

        # Resolved meanwhile: a modal still open is refused, and nothing is sent.
        status, body = await submit(world, DANA, modal, "Once more", "V6")
        assert "resolved already" in field_error(body)
        await world.settled()
        assert postings_to(world, "Once more") == Counter()
