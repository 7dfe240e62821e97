"""Delivering `requester.prompt`: the desk picker and "add to #ref or new request?".

The question is rendered from the pending request as it is now; if the employee has
answered meanwhile (the pending row is gone) there is nothing left to ask.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from cards import slack as slack_cards
from cards.views import AddOrNew, DeskOption, DeskPicker, OpenRequest
from conversations import intake
from storage.database import Database
from storage.models import Desk, PendingRequest, Person


async def prompt_message(db: Database, pending_id: int, question: str) -> tuple[
        PendingRequest, dict] | None:
    """(pending request, Slack message) for the question, or None when already answered."""
    async with db.unit_of_work(readonly=True) as uow:
        pending = await uow.session.get(PendingRequest, pending_id)
        if pending is None:
            return None
        if question == "add_or_new":
            person = await uow.session.get(Person, pending.person_id)
            open_requests = []
            for conversation in await intake.active_requests(uow, person):
                desk = await uow.session.get(Desk, conversation.desk_id)
                open_requests.append(OpenRequest(conversation.ref, conversation.subject,
                                                 desk.name if desk else ""))
            if open_requests:
                view = AddOrNew(pending_id=pending.id, text=pending.text,
                                open_requests=tuple(open_requests[:5]))
                return pending, slack_cards.message(view)
        desks = await intake.open_desks(uow, pending.workspace_id)
        view = DeskPicker(pending_id=pending.id, text=pending.text,
                          desks=tuple(DeskOption(d.slug, d.name, d.description) for d in desks))
        return pending, slack_cards.message(view)


async def deliver_prompt(db: Database, client: AsyncWebClient, payload: dict) -> None:
    """Post the question in the thread of the employee's message (errors go to the caller)."""
    found = await prompt_message(db, int(payload["pending_id"]),
                                 str(payload.get("question") or "desk"))
    if found is None:
        return
    pending, message = found
    channel = pending.channel
    if channel is None:
        async with db.unit_of_work(readonly=True) as uow:
            person = await uow.session.get(Person, pending.person_id)
        opened = await client.conversations_open(users=person.external_id)
        channel = opened["channel"]["id"]
    thread = pending.thread or pending.side_id
    kwargs = {"thread_ts": thread} if thread else {}
    await client.chat_postMessage(channel=channel, **message, **kwargs)
