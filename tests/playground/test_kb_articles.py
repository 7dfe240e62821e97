"""Articles in the playground: `/desk kb add REF` opens the article modal for the agent
who typed it, as Slack does (title and text prefilled), and saving it from the page
stores the article; `/desk kb list` then shows it."""

from __future__ import annotations

from sqlalchemy import select

from bot.playground.run import Running
from bot.playground.workspace import ADA, DANA, ELI, IT_CHANNEL
from conversations import button_ids
from storage.models import KbArticle
from tests.playground.test_playground_server import act


def unisolated(text: str) -> str:
    return text.replace("\u2068", "").replace("\u2069", "")


async def test_kb_add_opens_the_modal_on_the_page_and_saving_stores_it(
        served: Running) -> None:
    state = served.playground.state
    for text in ("admin create IT #it-desk", "admin agents IT add @dana"):
        status, answer = await act(served, {"user": ADA, "kind": "command",
                                            "channel": IT_CHANNEL, "text": text})
        assert (status, answer["ok"]) == (200, True), answer
    status, _ = await act(served, {"user": ELI, "kind": "message", "channel": f"D{ELI}",
                                   "text": "the VPN drops"})
    assert status == 200
    await served.playground.wait_for(lambda: state.messages.get(IT_CHANNEL))

    status, answer = await act(served, {"user": DANA, "kind": "command",
                                        "channel": IT_CHANNEL, "text": "kb add 1001"})
    assert (status, answer["ok"]) == (200, True), answer
    await served.playground.wait_for(lambda: any(
        owner == DANA for owner in state.view_owners.values()))
    [view_id] = [v for v, owner in state.view_owners.items() if owner == DANA]
    modal = state.views[view_id]
    assert modal["callback_id"] == button_ids.KB_MODAL
    [title] = [b for b in modal["blocks"] if b.get("block_id") == button_ids.KB_TITLE_BLOCK]
    assert title["element"]["initial_value"] == "the VPN drops"

    values = {button_ids.KB_TITLE_BLOCK: {button_ids.KB_TITLE: {
                  "type": "plain_text_input", "value": "VPN drops"}},
              button_ids.KB_TEXT_BLOCK: {button_ids.KB_TEXT: {
                  "type": "plain_text_input", "value": ""}}}
    status, answer = await act(served, {"user": DANA, "kind": "submit", "view_id": view_id,
                                        "values": values})
    assert status == 200 and button_ids.KB_TEXT_BLOCK in answer["errors"], answer
    values[button_ids.KB_TEXT_BLOCK][button_ids.KB_TEXT]["value"] = "Reconnect the VPN."
    status, answer = await act(served, {"user": DANA, "kind": "submit", "view_id": view_id,
                                        "values": values})
    assert (status, answer["ok"]) == (200, True), answer
    assert view_id not in state.views  # the modal closed
    async with served.deps.db.unit_of_work(readonly=True) as uow:
        [article] = (await uow.session.scalars(select(KbArticle))).all()
    assert (article.number, article.title) == (1, "VPN drops")

    status, answer = await act(served, {"user": ELI, "kind": "command",
                                        "channel": f"D{ELI}", "text": "kb list IT"})
    assert status == 200
    assert "KB-1 VPN drops (IT)" in unisolated(state.ephemerals[ELI][-1]["text"])
