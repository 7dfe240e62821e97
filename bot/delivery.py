"""What every platform's sender reads before it delivers a notice about a conversation."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from conversations import view_queries as views
from conversations.dispatch import Notice, Undeliverable
from desks.notices import NoticeKind
from storage.database import Database
from storage.models import Conversation, Desk, Message, Person, Workspace


@dataclasses.dataclass
class NoticeContext:
    """A notice being delivered in one platform workspace, and what a log line says of
    it (never tokens or message bodies)."""

    workspace: str  # the platform's id of the workspace: a Slack team, a Teams tenant
    notice: Notice
    label: str = "workspace"  # what the platform calls a workspace, for the log
    ref: int | None = None  # the conversation's, once read

    def __str__(self) -> str:
        ref = f" #{self.ref}" if self.ref is not None else ""
        return f"{self.notice.kind}{ref} (notice {self.notice.id}, {self.label} {self.workspace})"

    async def read(self, db: Database, build: Callable[..., Awaitable[Any]] | None = None,
                   *args: Any) -> tuple[Conversation, Desk, Person, Any]:
        """`read_notice` for this notice; the log names the conversation from then on."""
        found = await read_notice(db, self.notice, build, *args)
        self.ref = found[0].ref
        return found

    async def requester_view(self, db: Database) -> tuple[Conversation, Person, Any]:
        """The conversation, its requester, and the view a notice to the requester shows
        (receipt, reminder, update or the resolve prompt)."""
        kind, payload = self.notice.kind, self.notice.payload
        if kind == NoticeKind.RECEIPT:
            conversation, _, requester, view = await self.read(db, views.receipt, payload)
        elif kind == NoticeKind.REQUESTER_REMINDER:
            conversation, _, requester, view = await self.read(db, views.scheduler_alert,
                                                               kind, payload)
        elif kind == NoticeKind.REQUESTER_UPDATE:
            conversation, _, requester, view = await self.read(db, views.requester_update,
                                                               payload)
        else:
            conversation, _, requester, view = await self.read(db, views.resolve_prompt)
        return conversation, requester, view


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


async def already_relayed(db: Database, message_id: int, side: str) -> bool:
    """Whether the message was relayed to `side` ("agent_side_id", "requester_side_id").

    Set only by an earlier delivery of this relay (a crash before it was recorded).
    """
    async with db.unit_of_work(readonly=True) as uow:
        message = await uow.session.get(Message, message_id)
    return message is not None and getattr(message, side) is not None
