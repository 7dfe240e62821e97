"""Answers offered before a request is sent, in the playground (without a browser): the
page shows the offer with its buttons, and *This solved it* clicked there settles it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.playground.run import Running
from bot.playground.workspace import ADA, ELI, IT_CHANNEL
from conversations import button_ids
from conversations.knowledge.indexing import index_article
from storage.models import Desk
from tests.playground.test_playground_server import act


async def _until(served: Running, found: Any) -> Any:
    async with asyncio.timeout(10):
        while not (result := found()):  # noqa: ASYNC110 - the page's state has no event
            await asyncio.sleep(0.02)
    return result


async def test_the_offer_shows_on_the_page_and_this_solved_it_settles_it(
        served: Running) -> None:
    for text in ("admin create IT #it-desk", "admin agents IT add @dana"):
        status, _ = await act(served, {"user": ADA, "kind": "command", "channel": IT_CHANNEL,
                                       "text": text})
        assert status == 200
    async with served.deps.db.unit_of_work() as uow:
        desk = (await uow.session.scalars(select(Desk).where(Desk.name == "IT"))).one()
        await index_article(uow, 1, desk.id, "Printer jams on floor 2",
                            "Open tray B and pull the paper out gently.")
        await uow.commit()

    status, asked = await act(served, {"user": ELI, "kind": "message", "channel": f"D{ELI}",
                                       "text": "the printer on floor 2 jams"})
    assert status == 200
    state = served.playground.state

    def offer() -> dict[str, Any] | None:
        return next((m for m in state.messages.get(f"D{ELI}", [])
                     if m.get("thread_ts") == asked["ts"]
                     and "These helped others" in str(m.get("blocks"))), None)

    shown = await _until(served, offer)
    assert "Printer jams on floor 2" in str(shown["blocks"])
    block = next(i for i, b in enumerate(shown["blocks"])
                 if (b.get("accessory") or {}).get("action_id")
                 == button_ids.SUGGESTION_SOLVED)
    status, _ = await act(served, {"user": ELI, "kind": "action", "where": "message",
                                   "channel": f"D{ELI}", "ts": shown["ts"], "block": block,
                                   "element": "accessory",
                                   "action_id": button_ids.SUGGESTION_SOLVED})
    assert status == 200
    await _until(served, lambda: "Glad it helped" in str(state.find(f"D{ELI}", shown["ts"])))
    assert not [m for m in state.messages.get(IT_CHANNEL, []) if not m.get("thread_ts")
                and "printer" in str(m.get("blocks"))]  # no card: no request
