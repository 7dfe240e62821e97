"""What every platform's sender reads before it delivers a notice about a conversation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from conversations.dispatch import Notice, Undeliverable
from storage.database import Database
from storage.models import Conversation, Desk, Person, Workspace


async def read_notice(db: Database, notice: Notice,
                      build: Callable[..., Awaitable[Any]] | None = None,
                      *args: Any) -> tuple[Conversation, Desk, Person, Any]:
    """The notice's conversation, desk and requester as they are now, and the view
    `build(uow, conversation, *args)` makes of them (None without `build`).

    Raises Undeliverable when the notice names no conversation or it is gone.
    """
    if notice.conversation_id is None:
        raise Undeliverable(f"{notice.kind} names no conversation")
    async with db.unit_of_work(readonly=True) as uow:
        conversation = await uow.session.get(Conversation, notice.conversation_id)
        if conversation is None:
            raise Undeliverable("the conversation no longer exists")
        desk = await uow.session.get(Desk, conversation.desk_id)
        requester = await uow.session.get(Person, conversation.requester_id)
        view = await build(uow, conversation, *args) if build else None
    assert desk is not None and requester is not None  # foreign keys
    return conversation, desk, requester, view


async def workspace_of(db: Database, notice: Notice) -> Workspace:
    """The workspace `notice` is for; Undeliverable when it is gone."""
    async with db.unit_of_work(readonly=True) as uow:
        workspace = await uow.session.get(Workspace, notice.workspace_id)
    if workspace is None:
        raise Undeliverable(f"workspace {notice.workspace_id} no longer exists")
    return workspace
