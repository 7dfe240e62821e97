"""The same Teams invoke delivered twice runs once, and both get the card (issue 15.4).

Card actions are answered in their HTTP response, so they are worked on before it;
the inbound policy records them with the work they cause (`storage.inbound.first`).
"""

from __future__ import annotations

from sqlalchemy import func, select

from conversations import button_ids
from storage.clock import FrozenClock
from storage.database import Database
from storage.models import Conversation, Event
from tests.teams.harness import card_of, card_text, desk_choice, find_action, teams_world
from tests.teams.test_story import INVOKE, eli_asks_it, set_up_desks


async def count(db: Database, model: type, *where: object) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(
            select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_the_same_claim_twice_runs_once(db: Database, clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await eli_asks_it(world, "printer on fire")
        [card] = world.threads_in(world.it_channel)
        data = dict(find_action(card_of(card), button_ids.CLAIM)["data"])
        invoke = world.teams.card_action(world.dana, button_ids.CLAIM, data, reply_to_id=card["id"],
                                         channel=world.it_channel,
                                         conversation_id=card["conversation"]["id"])
        answers = [await world.post(invoke) for _ in range(2)]
        for status, answer in answers:
            # Both answered with the card (a second run would refuse: hers already).
            assert status == 200 and answer["type"] == INVOKE, answer
            assert "Dana" in card_text(answer["value"])
        assert await count(db, Event, Event.kind == "conversation.claimed") == 1


async def test_the_same_desk_pick_twice_opens_one_request(db: Database,
                                                         clock: FrozenClock) -> None:
    async with teams_world(db, clock) as world:
        await set_up_desks(world)
        await world.dm(world.eli, "the printer is on fire")
        await world.settled()
        [picker] = world.chat_of(world.eli)
        choice = desk_choice(picker, "it")["value"]
        data = dict(find_action(card_of(picker), button_ids.PICK_DESK, choice)["data"])
        invoke = world.teams.card_action(world.eli, button_ids.PICK_DESK, data,
                                         reply_to_id=picker["id"],
                                         conversation_id=picker["conversation"]["id"])
        for _ in range(2):
            status, answer = await world.post(invoke)
            assert status == 200 and answer["type"] == INVOKE, answer
        await world.settled()
        assert await count(db, Conversation) == 1
        assert len(world.threads_in(world.it_channel)) == 1
