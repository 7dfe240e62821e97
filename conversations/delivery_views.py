"""What every platform's sender shares to carry out a delivery plan.

The plan (conversations/delivery_plan.py) decides what to do and names each view;
`build_view` builds a named view from the conversation as it is now, `NoticeContext`
is what a log line says of the notice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from conversations import incident_views, view_queries
from conversations.delivery_plan import View
from conversations.knowledge import deflection
from conversations.outbox_worker import Notice, Undeliverable
from storage.database import Database
from storage.models import Conversation, PendingRequest


@dataclasses.dataclass
class NoticeContext:
    """A notice being delivered in one platform workspace, and what a log line says of
    it (never tokens or message bodies)."""

    workspace: str  # the platform's id of the workspace: a Slack team, a Teams tenant
    notice: Notice
    label: str = "workspace"  # what the platform calls a workspace, for the log
    ref: int | None = None  # the conversation's, once read
    locale: str = "en"  # the language of the step being carried out (its reader's)

    def __str__(self) -> str:
        ref = f" #{self.ref}" if self.ref is not None else ""
        return f"{self.notice.kind}{ref} (notice {self.notice.id}, {self.label} {self.workspace})"


# The views of conversations/view_queries.py a plan may name, and whether they show a conversation
# (built as `builder(uow, conversation, *args)`) or not (`builder(uow, *args)`).
VIEWS: dict[str, tuple[Callable[..., Awaitable[Any]], bool]] = {
    "ticket_card": (view_queries.ticket_card, True),
    "card_moved": (view_queries.card_moved, True),
    "relay_to_agents": (view_queries.relay_to_agents, True),
    "relay_to_requester": (view_queries.relay_to_requester, True),
    "agent_notification": (view_queries.agent_notification, True),
    "scheduler_alert": (view_queries.scheduler_alert, True),
    "receipt": (view_queries.receipt, True),
    "requester_update": (view_queries.requester_update, True),
    "resolve_prompt": (view_queries.resolve_prompt, True),
    "digest": (view_queries.digest, False),
    "desk_not_ready": (view_queries.desk_not_ready, False),
    "requester_prompt": (view_queries.requester_prompt, False),
    "incident_card": (incident_views.incident_card, False),
    "incident_thread": (incident_views.incident_thread, False),
    "incident_news": (incident_views.incident_news, True),
    "incident_proposal": (incident_views.incident_proposal, False),
}


async def build_view(db: Database, conversation_id: int | None, view: View) -> Any:
    """The view a plan's step names, built as things are now.

    Raises Undeliverable when what it shows is gone; None for a pending request's
    question that was answered meanwhile.
    """
    builder, of_conversation = VIEWS[view.name]
    async with db.unit_of_work(readonly=True) as uow:
        if of_conversation:
            conversation = await uow.session.get(Conversation, conversation_id or 0)
            if conversation is None:
                raise Undeliverable("the conversation no longer exists")
            return await builder(uow, conversation, *view.args)
        if view.name == "requester_prompt":
            pending_id, question = view.args
            pending = await uow.session.get(PendingRequest, int(pending_id))
            if pending is not None and str(question).startswith("incident:"):
                offer = await incident_views.incident_offer(uow, pending, str(question))
                if offer is not None:
                    return offer
                question = "desk"  # the incident is over: which desk, then
            if pending is not None and str(question).startswith(deflection.PREFIX):
                suggested = await deflection.suggestion_offer(uow, pending, str(question))
                if suggested is not None:
                    return suggested
                question = "desk"  # the answers are gone: which desk, then
            return await builder(uow, pending, question) if pending is not None else None
        built = await builder(uow, *view.args)
    if view.name == "digest":
        return built[1]
    if built is None:
        raise Undeliverable("the desk or incident no longer exists")
    return built
