"""Saved replies in the playground: the card's *Saved reply* select is a Slack select
like any other, so the page shows it and picking an option there posts the reply."""

from __future__ import annotations

import json

from bot.playground.run import Running
from bot.playground.workspace import ADA, DANA, ELI, IT_CHANNEL
from conversations import button_ids
from tests.playground.test_playground_server import act


async def test_the_card_offers_saved_replies_and_a_pick_reaches_the_requester(
        served: Running) -> None:
    state = served.playground.state
    for text in ("admin create IT #it-desk", "admin agents IT add @dana",
                 "replies IT add vpn Hi {name}, reconnect the VPN please. ({ref})"):
        status, answer = await act(served, {"user": ADA, "kind": "command",
                                            "channel": IT_CHANNEL, "text": text})
        assert (status, answer["ok"]) == (200, True), answer
    assert "Added the saved reply vpn" in state.ephemerals[ADA][-1]["text"].replace(
        "\u2068", "").replace("\u2069", "")
    status, _ = await act(served, {"user": ELI, "kind": "message", "channel": f"D{ELI}",
                                   "text": "the VPN drops"})
    assert status == 200
    await served.playground.wait_for(lambda: state.messages.get(IT_CHANNEL))
    [card] = state.messages[IT_CHANNEL]
    [(block, element, select)] = [
        (b, e, element) for b, block in enumerate(card["blocks"])
        for e, element in enumerate(block.get("elements") or [])
        if element.get("action_id") == button_ids.SAVED_REPLY]
    assert select["type"] == "static_select"  # the page draws every static_select
    [option] = select["options"]
    assert option["text"]["text"] == "vpn"

    status, answer = await act(served, {
        "user": DANA, "kind": "action", "where": "message", "channel": IT_CHANNEL,
        "ts": card["ts"], "block": block, "element": element,
        "action_id": button_ids.SAVED_REPLY, "option": option["value"]})
    assert (status, answer["ok"]) == (200, True), answer

    def reply_in_dm() -> bool:
        return any("Hi Eli, reconnect the VPN please. (#1001)" in json.dumps(
            m, ensure_ascii=False) for m in state.messages.get(f"D{ELI}", []))

    await served.playground.wait_for(reply_in_dm)
    await served.playground.wait_for(lambda: any(
        "Hi Eli, reconnect the VPN please. (#1001)" in json.dumps(m, ensure_ascii=False)
        for m in state.messages[IT_CHANNEL] if m.get("thread_ts") == card["ts"]))
