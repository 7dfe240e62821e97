"""The whole story of SPEC §2–3 through Teams, as the Slack issue tells it.

Real activities go to deskbot's /api/messages over loopback, through botbuilder's real
CloudAdapter; every step is asserted on what the fake Bot Framework connector
recorded (new threads, replies, card updates) and on the invoke answers.
"""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Desk
from tests.teams.harness import (
    TeamsWorld,
    card_of,
    card_text,
    desk_choice,
    executes,
    find_action,
    teams_world,
)

INVOKE = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


def last_text(world: TeamsWorld, conversation_id: str) -> str:
    """The text of the bot's last message in a chat or thread, card or not."""
    sent = [a for a in world.connector.activities_in(conversation_id)
            if a.get("from", {}).get("id") == world.connector.bot["id"]]
    assert sent, f"the bot said nothing in {conversation_id}"
    last = sent[-1]
    return (card_text(last) if last.get("attachments") else "") + "\n" + (last.get("text") or "")


async def set_up_desks(world: TeamsWorld) -> None:
    """Ada creates IT and HR from their channels and adds their agents, by text commands."""
    said = await world.say(world.ada, world.it_channel, "admin create IT Laptops, VPN")
    await world.settled()
    answer = last_text(world, said["conversation"]["id"])
    assert "Created the IT desk" in answer and "this channel" in answer
    said = await world.say(world.ada, world.it_channel, "admin agents IT add {Dana} {Lee}",
                           mentions=(world.dana, world.lee))
    await world.settled()
    assert "Dana and Lee added" in last_text(world, said["conversation"]["id"])
    await world.say(world.ada, world.hr_channel, "admin create HR Leave and payroll")
    said = await world.say(world.ada, world.hr_channel, "admin agents HR add {Omer}",
                           mentions=(world.omer,))
    await world.settled()
    assert "Omer added" in last_text(world, said["conversation"]["id"])
    said = await world.say(world.ada, world.it_channel, "admin show IT")
    await world.settled()
    shown = last_text(world, said["conversation"]["id"])
    assert "Dana" in shown and "Lee" in shown
    async with world.db.unit_of_work(readonly=True) as uow:
        desks = {d.name: d.agent_channel for d in await uow.session.scalars(select(Desk))}
    assert desks == {"IT": world.it_channel.channel_id, "HR": world.hr_channel.channel_id}


async def eli_asks_it(world: TeamsWorld, text: str) -> None:
    """Eli writes `text` to the bot and picks IT in the desk picker."""
    await world.dm(world.eli, text)
    await world.settled()
    [picker] = world.chat_of(world.eli)
    await world.click(world.eli, picker, button_ids.PICK_DESK,
                      value=desk_choice(picker, "it")["value"])
    await world.settled()


async def test_the_whole_story(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)

        # Eli writes to the bot; two desks and no keyword: the desk picker.
        await world.dm(world.eli, "my VPN drops")
        await world.settled()
        [picker] = world.chat_of(world.eli)
        assert "IT" in card_text(picker) and "HR" in card_text(picker)

        # Eli picks IT: the picker is replaced; a new thread with the card in IT's channel.
        status, answer = await world.click(world.eli, picker, button_ids.PICK_DESK,
                                           value=desk_choice(picker, "it")["value"])
        assert status == 200 and answer["type"] == INVOKE, answer
        assert "Sent to IT as #1001" in card_text(answer["value"])
        await world.settled()
        [card] = world.threads_in(world.it_channel)
        assert "#1001" in card_text(card) and "my VPN drops" in card_text(card)
        receipt = world.chat_of(world.eli)[-1]
        assert "#1001" in card_text(receipt) and "IT" in card_text(receipt)

        # Eli adds to it: asked "add to #1001 or a new request?", adds; it reaches the thread.
        await world.dm(world.eli, "it happens every hour")
        await world.settled()
        question = world.chat_of(world.eli)[-1]
        status, answer = await world.click(world.eli, question, button_ids.ADD_TO)
        assert status == 200 and "Added to #1001" in card_text(answer["value"])
        await world.settled()
        thread = world.thread(world.it_channel, card["id"])
        assert "it happens every hour" in card_text(thread[-1])

        # Dana answers in the thread, no @mention (RSC): relayed to Eli with her name.
        await world.say(world.dana, world.it_channel, "Try the new profile, please",
                        thread_root=card["id"], mention=False)
        await world.settled()
        relayed = world.chat_of(world.eli)[-1]
        assert "Try the new profile" in card_text(relayed) and "Dana" in card_text(relayed)
        updated = world.connector.calls_to("update", ok=True)
        assert updated and "Dana" in card_text(updated[-1].body)

        # A note stays among the agents.
        before = len(world.chat_of(world.eli))
        await world.say(world.dana, world.it_channel, "// checked the VPN logs",
                        thread_root=card["id"], mention=False)
        await world.settled()
        assert len(world.chat_of(world.eli)) == before

        # The card names Dana and offers Take over, not Claim; Lee presses Claim on the
        # card as an older client still shows it: refused, to Lee only, naming Dana; the card stays.
        current = world.connector.activity(card["conversation"]["id"], card["id"]) or card
        verbs = json.dumps(current)
        assert f'"{button_ids.TAKE_OVER}"' in verbs and f'"{button_ids.CLAIM}"' not in verbs
        stale = json.loads(verbs.replace(f'"{button_ids.TAKE_OVER}"', f'"{button_ids.CLAIM}"'))
        status, answer = await world.click(world.lee, stale, button_ids.CLAIM,
                                           channel=world.it_channel)
        assert status == 200 and answer["type"] == MESSAGE
        assert "already claimed by Dana" in answer["value"]

        # Dana transfers to Lee with the choice set: the answer is the new card.
        status, answer = await world.click(world.dana, current, button_ids.TRANSFER_AGENT,
                                           choice=world.lee.user_id, channel=world.it_channel)
        assert status == 200 and answer["type"] == INVOKE, answer
        assert "Lee" in card_text(answer["value"])
        assert answer["value"]["refresh"]["action"]["verb"]
        await world.settled()
        assert "Lee" in card_text(card_update(world, card))  # everyone's copy too
        assert any("#1001" in card_text(a) for a in world.chat_of(world.lee))  # Lee is told

        # Lee pins it, sets priority 4, and closes it.
        status, answer = await world.click(world.lee, current, button_ids.PIN,
                                           channel=world.it_channel)
        assert status == 200 and find_action(answer["value"], button_ids.UNPIN)
        await world.settled()
        assert find_action(card_of_update(world, card), button_ids.UNPIN)
        status, answer = await world.click(world.lee, current, button_ids.PRIORITY, choice="4",
                                           channel=world.it_channel)
        assert status == 200 and "★★★★☆" in card_text(answer["value"])
        await world.settled()
        assert "★★★★☆" in card_text(card_update(world, card))
        told_before = len(world.chat_of(world.eli))
        status, answer = await world.click(world.lee, current, button_ids.CLOSE,
                                           channel=world.it_channel)
        assert status == 200 and "losed" in card_text(answer["value"])
        await world.settled()
        closed = card_text(card_update(world, card))
        assert "losed" in closed and "reopen 1001" in closed and "SLA" not in closed

        # Eli gets one message, in the final state: closed, did this solve it? (14.7)
        [prompt] = world.chat_of(world.eli)[told_before:]
        assert "was closed" in card_text(prompt) and "resolved" not in card_text(prompt)
        assert executes(card_of(prompt), button_ids.RATE)
        status, answer = await world.click(world.eli, prompt, button_ids.SOLVED_YES, value="1001")
        assert status == 200 and answer["type"] == INVOKE
        assert not executes(answer["value"], button_ids.SOLVED_YES)  # the answer replaced them
        assert executes(answer["value"], button_ids.RATE)
        status, answer = await world.click(world.eli, prompt, button_ids.RATE, value="1001:5")
        assert status == 200 and answer["type"] == INVOKE
        assert not executes(answer["value"], button_ids.RATE)
        async with db.unit_of_work(readonly=True) as uow:
            conversation = (await uow.session.scalars(select(Conversation))).one()
            assert (conversation.status, conversation.rating, conversation.agent_thread) == (
                "closed", 5, card["id"])

        # Text commands mirror /desk: Eli's requests; Lee's queues in his personal chat.
        await world.dm(world.eli, "my")
        await world.settled()
        assert "#1001" in card_text(world.chat_of(world.eli)[-1])
        await world.dm(world.lee, "queue all")
        await world.settled()
        assert "#1001" not in card_text(world.chat_of(world.lee)[-1])  # closed: off the queue


async def test_a_transfer_to_another_desk_moves_the_card(db: Database,
                                                          clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, "my payslip is wrong")
        [card] = world.threads_in(world.it_channel)
        # The desk choice set offers HR; Dana moves it there.
        status, answer = await world.click(world.dana, card, button_ids.TRANSFER_DESK, choice="hr",
                                           channel=world.it_channel)
        assert status == 200, answer
        await world.settled()
        [moved] = world.threads_in(world.hr_channel)
        assert "#1001" in card_text(moved) and "payslip" in card_text(moved)
        assert "HR" in card_text(card_update(world, card))  # the old card says where it went
        # An agent of HR answers in the new thread, mentioning the bot: mention stripped.
        await world.say(world.omer, world.hr_channel, "Sending a corrected one today",
                        thread_root=moved["id"], mention=True)
        await world.settled()
        relayed = world.chat_of(world.eli)[-1]
        assert "Sending a corrected one today" in card_text(relayed)
        assert "deskbot" not in card_text(relayed)
        # Someone who is no agent of HR is refused, privately, and nothing reaches Eli.
        before = len(world.chat_of(world.eli))
        await world.say(world.lee, world.hr_channel, "I can help too",
                        thread_root=moved["id"], mention=False)
        await world.settled()
        assert len(world.chat_of(world.eli)) == before
        assert any("Only agents of this desk" in card_text(a) or
                   "Only agents of this desk" in (a.get("text") or "")
                   for a in world.connector.activities_in(
                       f"{world.hr_channel.channel_id};messageid={moved['id']}")
                   + world.chat_of(world.lee))


async def test_admin_channel_moves_a_desks_cards_to_this_channel(
        db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        general = world.connector.channels[world.team]
        said = await world.say(world.ada, general, "admin channel IT")
        await world.settled()
        assert "IT" in last_text(world, said["conversation"]["id"])
        await eli_asks_it(world, "laptop broken")
        assert any("laptop broken" in card_text(a) for a in world.threads_in(general)
                   if a.get("attachments"))
        assert world.threads_in(world.it_channel) == []


def card_update(world: TeamsWorld, card: dict) -> dict:
    """The last update the bot made to `card` (its root activity), as recorded."""
    updates = [c for c in world.connector.calls_to("update", ok=True)
               if c.activity_id == card["id"]]
    assert updates, f"card {card['id']} was never updated"
    return updates[-1].body


def card_of_update(world: TeamsWorld, card: dict) -> dict:
    return card_of(card_update(world, card))


async def test_two_agents_claiming_at_once_one_wins(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, "printer on fire")
        [card] = world.threads_in(world.it_channel)
        answers = await asyncio.gather(*(
            world.click(who, card, button_ids.CLAIM, channel=world.it_channel)
            for who in (world.dana, world.lee)))
        assert [status for status, _ in answers] == [200, 200]
        kinds = sorted(answer["type"] for _, answer in answers)
        assert kinds == sorted([INVOKE, MESSAGE])
        refusal = next(answer for _, answer in answers if answer["type"] == MESSAGE)
        assert "already claimed by" in refusal["value"]


async def test_installing_the_bot_says_hello_once(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        for who in (world.eli, world.dana):
            installed = world.teams.bot_installed_personal(who)
            for _ in range(2):  # Teams may send it again: one hello
                status, _ = await world.post(installed)
                assert status in (200, 201)
        team = world.teams.bot_installed_team(world.ada, team_id=world.team)
        assert (await world.post(team))[0] in (200, 201)
        await world.settled()
        [hello] = world.chat_of(world.eli)
        assert "request" in card_text(hello).lower()
        [queues] = world.chat_of(world.dana)  # an agent: the queues, with their views
        assert find_action(card_of(queues), button_ids.HOME_VIEW)
        status, answer = await world.click(world.dana, queues, button_ids.HOME_VIEW, value="mine")
        assert status == 200 and answer["type"] == INVOKE
        [general] = [a for a in world.threads_in(world.connector.channels[world.team])
                     if a.get("from", {}).get("id") == world.connector.bot["id"]]
        assert "admin create" in card_text(general)
