"""Real Teams payloads (tests/data/fixtures/teams/) through deskbot's /api/messages.

Only the service URL (so answers reach the fake connector) and the thread root (so the
reply lands in a card's thread) are changed; everything else is as Teams sent it.
"""

from __future__ import annotations

import json

from storage.clock import FrozenClock
from storage.database import Database
from tests.data import FIXTURES as DATA_FIXTURES
from tests.fakes.bot_connector import FakeBotConnector
from tests.teams.harness import card_text, teams_world

FIXTURES = DATA_FIXTURES / "teams"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


async def test_a_real_thread_reply_with_a_mention_is_relayed_without_it(
        db: Database, clock: FrozenClock) -> None:
    reply = fixture("message_channel_thread_reply_with_mention.json")
    data = reply["channelData"]
    async with FakeBotConnector(tenant_id=data["tenant"]["id"]) as connector:
        rido = connector.add_person(reply["from"]["aadObjectId"], reply["from"]["name"],
                                    user_id=reply["from"]["id"])
        channel = connector.add_channel(data["team"]["id"], data["channel"]["id"],
                                        name="IT agents")
        async with teams_world(db, clock, connector=connector) as world:
            await world.say(world.ada, channel, "admin create IT")
            await world.say(world.ada, channel, "admin agents IT add {rido}",
                            mentions=(rido,))
            await world.dm(world.eli, "my VPN drops")  # the only desk: straight to IT
            await world.settled()
            [card] = [a for a in world.connector.top_level(channel.channel_id)
                      if a.get("attachments")]

            reply["serviceUrl"] = connector.base_url
            reply["conversation"]["id"] = f"{channel.channel_id};messageid={card['id']}"
            status, _ = await world.post(reply)
            assert status in (200, 201)
            await world.settled()
            relayed = world.chat_of(world.eli)[-1]
            assert "reply to thread" in card_text(relayed)
            assert "ridotest" not in card_text(relayed) and "<at>" not in card_text(relayed)
            assert "rido" in card_text(relayed)  # said by


async def test_a_real_card_action_without_a_known_verb_is_answered_not_failed(
        db: Database, clock: FrozenClock) -> None:
    invoke = fixture("invoke_adaptiveCard_action_personal.json")
    async with FakeBotConnector(tenant_id=invoke["conversation"]["tenantId"]) as connector:
        async with teams_world(db, clock, connector=connector) as world:
            invoke["serviceUrl"] = connector.base_url
            status, answer = await world.post(invoke)
            assert status == 200
            assert answer["statusCode"] == 200
            assert answer["type"] == "application/vnd.microsoft.activity.message"
            assert "not known" in answer["value"]

