"""Delivering `requester.prompt`: the desk picker and "add to #ref or new request?".

The question is rendered from the pending request as it is now; if the employee has
answered meanwhile (the pending row is gone) there is nothing left to ask, and if the
employee is gone there is nobody to ask (Undeliverable).
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from cards import slack as slack_cards
from conversations import view_queries as views
from conversations.dispatch import Undeliverable
from storage.database import Database
from storage.models import PendingRequest, Person


async def prompt_message(db: Database, pending_id: int, question: str) -> tuple[
        PendingRequest, dict] | None:
    """(pending request, Slack message) for the question, or None when already answered."""
    async with db.unit_of_work(readonly=True) as uow:
        pending = await uow.session.get(PendingRequest, pending_id)
        if pending is None:
            return None
        view = await views.requester_prompt(uow, pending, question)
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
        if person is None:
            raise Undeliverable("the person to ask no longer exists")
        opened = await client.conversations_open(users=person.external_id)
        channel = opened["channel"]["id"]
    thread = pending.thread or pending.side_id
    kwargs = {"thread_ts": thread} if thread else {}
    await client.chat_postMessage(channel=channel, **message, **kwargs)
