"""SQLAlchemy 2 models: everything deskbot keeps.

One row per thing the helpdesk talks about: workspaces, people, desks and who works
them, conversations with their messages, the append-only event log, the outbox of
notices still to deliver, and the ledger of inbound deliveries already processed.
Every row belongs to one workspace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# Deterministic constraint names keep Alembic migrations identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only gives AUTOINCREMENT semantics to INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    # Every model here maps a plain table (SQLAlchemy types it as any FromClause).
    __table__: ClassVar[Table]
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Workspace(Base):
    """One Slack team or one Teams tenant."""

    __tablename__ = "workspace"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(200))
    # The last ref handed out; refs are short numbers unique per workspace.
    last_ref: Mapped[int] = mapped_column(Integer, default=1000, server_default=text("1000"))
    created_at: Mapped[datetime]


class Person(Base):
    """A platform identity inside a workspace."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    # The person's own choice (`/desk language`); None: follow `locale`.
    language: Mapped[str | None] = mapped_column(String(16))
    # As the platform reports it (Slack workspace admin/owner, Teams tenant admin).
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Desk(Base):
    """A topic queue with its agents, channels and (later) service window and SLA."""

    __tablename__ = "desk"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    agent_channel: Mapped[str | None] = mapped_column(String(255))
    intake_channel: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(16), default="en")
    routing_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Service window, SLA policy, stall thresholds: shaped by the scheduling issue.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # When the daily digest was last posted (set once per service day, conditionally).
    last_digest_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    members: Mapped[list[DeskMember]] = relationship(
        back_populates="desk", cascade="all, delete-orphan", lazy="raise"
    )


class DeskMember(Base):
    """A person who works a desk: `agent`, or `lead` (a lead is an agent too)."""

    __tablename__ = "desk_member"

    desk_id: Mapped[int] = mapped_column(
        ForeignKey("desk.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime]

    desk: Mapped[Desk] = relationship(back_populates="members", lazy="raise")


class Conversation(Base):
    """One employee request, from open to closed."""

    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("workspace_id", "ref"),
        Index("ix_conversation_desk_status", "desk_id", "status"),
        Index("ix_conversation_assignee_status", "assignee_id", "status"),
        Index("ix_conversation_requester", "requester_id", "opened_at"),
        # A desk's requests of the last minutes (the burst rule, on every open) and of a
        # report's period: a range of the desk's, not all of them (migration 0019).
        Index("ix_conversation_desk_opened", "desk_id", "opened_at"),
        # Inbound thread replies find their conversation by where its threads live.
        Index("ix_conversation_agent_thread", "agent_channel", "agent_thread"),
        Index("ix_conversation_requester_thread", "requester_channel", "requester_thread"),
        # No index covers a due time or a flag: the sweeps find due conversations in
        # `conversation_timer`, so setting a flag changes no indexed column and, on
        # PostgreSQL, can be a HOT update (migration 0009).
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    ref: Mapped[int] = mapped_column(Integer)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(16), default="inquiry")
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[int] = mapped_column(Integer, default=3)
    category: Mapped[str | None] = mapped_column(String(80))
    # Impact (set by an agent) and urgency (picked by the requester) when the desk's
    # impact × urgency matrix gives the priority: high | medium | low, or NULL.
    impact: Mapped[str | None] = mapped_column(String(8))
    urgency: Mapped[str | None] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    # The conversation this one follows (a reply after the reopen window ran out).
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_requester_message_at: Mapped[datetime]
    last_agent_message_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)
    # SLA clocks (conversations/sla.py): due times and their warning moments, in the
    # desk's business time; the sweeps' flags are set once, by a conditional update.
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_warn_at: Mapped[datetime | None]
    resolution_warn_at: Mapped[datetime | None]
    first_response_warned_at: Mapped[datetime | None]
    first_response_breached_at: Mapped[datetime | None]
    resolution_warned_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    # Set while the clocks stand still (waiting, on hold, resolved, closed); the
    # business time of finished pauses adds up in sla_paused_seconds.
    sla_paused_at: Mapped[datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Stall checks: each due time is set while its situation lasts, NULL otherwise.
    unassigned_due_at: Mapped[datetime | None]
    unassigned_flagged_at: Mapped[datetime | None]
    # Still unassigned one more `stall.unassigned` after the agents were pinged: the
    # leads are told (set by the unassigned sweep when it pings agents).
    unassigned_leads_due_at: Mapped[datetime | None]
    unassigned_leads_flagged_at: Mapped[datetime | None]
    agent_silence_due_at: Mapped[datetime | None]
    agent_nudged_at: Mapped[datetime | None]
    requester_silence_due_at: Mapped[datetime | None]
    requester_reminded_at: Mapped[datetime | None]
    auto_close_at: Mapped[datetime | None]
    # A due date an agent set (`/desk due`, conversations/due_dates.py): when it is due,
    # when the assignee is warned (the desk's SLA warning percent of the time from
    # setting to due), and the sweeps' flags, each set once.
    due_at: Mapped[datetime | None]
    due_warn_at: Mapped[datetime | None]
    due_warned_at: Mapped[datetime | None]
    due_flagged_at: Mapped[datetime | None]
    # Where each side of the conversation lives on the platform (set on delivery).
    requester_channel: Mapped[str | None] = mapped_column(String(255))
    requester_thread: Mapped[str | None] = mapped_column(String(255))
    agent_channel: Mapped[str | None] = mapped_column(String(255))
    agent_thread: Mapped[str | None] = mapped_column(String(255))
    # The major incident this request is linked to (conversations/incidents.py). No
    # foreign key: SQLite adds one only by copying the whole table; incidents are
    # never deleted.
    incident_id: Mapped[int | None] = mapped_column(BigId, index=True)


# Room left on each page of `conversation` (PostgreSQL) for the new versions of its rows:
# an update that changes no indexed column (a sweep's flag, a message's timestamps) is
# HOT, written on the same page with no index entry, only if the page has room. The
# default 100 packs pages full, so the first update of every row moved it to another
# page and wrote an entry in every index of the table. Rows opened together are
# flagged together, so a page needs room for several: with 80 a quarter of a sweep's
# flags still were not HOT, with 60 about one in twenty (migration 0013).
CONVERSATION_FILLFACTOR = 60
# (SQLAlchemy leaves DDL's constructor unannotated, hence the ignore; so below.)
event.listen(Conversation.__table__, "after_create", DDL(  # type: ignore[no-untyped-call]
    f"ALTER TABLE conversation SET (fillfactor = {CONVERSATION_FILLFACTOR})",
).execute_if(dialect="postgresql"))


class Incident(Base):
    """A major incident: one outage several requests are about (SPEC §1).

    Numbered per workspace (`INC-3`); its card lives in the desk's agent channel
    (`agent_channel`, `agent_thread`, set when it is delivered). Linked requests point
    to it with `conversation.incident_id`.
    """

    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("workspace_id", "number"),
                      Index("ix_incident_desk_status", "desk_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # The latest update posted on it (the card shows it).
    latest_update: Mapped[str | None] = mapped_column(Text)
    agent_channel: Mapped[str | None] = mapped_column(String(255))
    agent_thread: Mapped[str | None] = mapped_column(String(255))


class ConversationTimer(Base):
    """One armed check of a conversation: a sweep is due to act on it at `due_at`.

    A row exists exactly while the conversation's own columns arm the check (its due
    time set, its flag not yet, the status it applies to: see `conversations.timers`),
    with the same due time, and is written in the same transaction as they are. The
    due times stay on the conversation (the card and the queues read them there); this
    narrow table is what the sweeps' range queries read, so the conversation's flags
    and due times need no index of their own.
    """

    __tablename__ = "conversation_timer"
    __table_args__ = (Index("ix_conversation_timer_due", "kind", "due_at", "conversation_id"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime]


# A sweep reads at most a batch from the front of the index: on PostgreSQL a parallel
# worker (which a generic plan of the prepared statement chose, estimating a third
# of a kind's rows due) costs more to start than the whole read.
# (DDL's constructor is unannotated: see above.)
event.listen(ConversationTimer.__table__, "after_create", DDL(  # type: ignore[no-untyped-call]
    "ALTER TABLE conversation_timer SET (parallel_workers = 0)",
).execute_if(dialect="postgresql"))


class AgentMark(Base):
    """One agent's own marks on a conversation: pinned, and what they have read."""

    __tablename__ = "agent_mark"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    pinned_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    marked_unread: Mapped[bool] = mapped_column(Boolean, default=False)


class Message(Base):
    """One utterance: `requester`, `agent`, `note` (never shown to the requester) or `system`."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Platform ids of the message on each side, so edits and deletes can follow.
    requester_side_id: Mapped[str | None] = mapped_column(String(255))
    agent_side_id: Mapped[str | None] = mapped_column(String(255))


class MessageFile(Base):
    """A file shared with a message (or with a request still waiting for its desk).

    What the platform told of it: name, type, size, its id and where to download it.
    deskbot keeps no bytes: the sender fetches them from `url` when it relays the
    file to the other side. A file belongs to a message, or, while the employee
    picks a desk, to their pending request (`pending_id`; removed with it).
    """

    __tablename__ = "message_file"
    __table_args__ = (Index("ix_message_file_message", "message_id"),
                      Index("ix_message_file_pending", "pending_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"))
    pending_id: Mapped[int | None] = mapped_column(
        ForeignKey("pending_request.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


# No foreign keys on the two tables every command and sweep appends to (`event`,
# `outbox`). Each key is a trigger per inserted row on PostgreSQL (a lookup with a row
# lock in the parent) and a lookup on SQLite: for a sweep's thousand events and two
# thousand notices they cost more than the inserts themselves (PostgreSQL: ~34 of
# ~53 ms for the conversation, desk, person keys, migration 0010; then ~12 ms more for
# the workspace's, 0012). The ids refer to rows deskbot never deletes on their own
# (desks are archived, conversations closed, workspaces kept), so the keys checked
# what the writer had just read in the same transaction and cascaded deletes that
# never happen; an audit log should outlive what it tells of anyway, and a notice whose
# workspace was removed by hand is given up on as undeliverable (`conversations/delivery_views.py`).
# They stay indexed where they are read by.


class Event(Base):
    """Append-only audit record: who did what to which conversation or desk, when."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_conversation", "conversation_id", "id"),
        Index("ix_event_desk_time", "desk_id", "created_at"),
        Index("ix_event_kind_actor", "kind", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No foreign keys (see above): workspace.id, conversation.id, desk.id, person.id.
    workspace_id: Mapped[int] = mapped_column(BigId)
    conversation_id: Mapped[int | None] = mapped_column(BigId)
    desk_id: Mapped[int | None] = mapped_column(BigId)
    actor_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class OutboxNotice(Base):
    """A platform-neutral notice still to deliver ("post the card of #1042", "relay message 88").

    Rows sharing an `ordering_key` are delivered strictly in id order. A outbox worker
    leases rows (`lease_owner`, `lease_until`) before delivering them, so a replica
    that dies mid-batch releases them when the lease runs out.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The outbox worker's hot query: undelivered rows that are due, by key and id.
        Index("ix_outbox_pending", "ordering_key", "id", sqlite_where=text("done_at IS NULL"),
              postgresql_where=text("done_at IS NULL")),
        Index("ix_outbox_due", "available_at", sqlite_where=text("done_at IS NULL"),
              postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No foreign keys (see above Event): workspace.id, conversation.id, person.id.
    workspace_id: Mapped[int] = mapped_column(BigId)
    conversation_id: Mapped[int | None] = mapped_column(BigId)
    person_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ordering_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    # `delivered`, `coalesced` (a later card update made it redundant) or `failed`.
    outcome: Mapped[str | None] = mapped_column(String(16))
    done_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class PendingRequest(Base):
    """A request the employee wrote that waits for a choice (which desk, add or new).

    Kept until the employee answers the desk picker or the "add to #ref or new
    request?" question, so the text is never lost and buttons only carry its id.
    """

    __tablename__ = "pending_request"
    __table_args__ = (Index("ix_pending_request_person", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # Where the employee wrote it: the receipt and later updates go there.
    channel: Mapped[str | None] = mapped_column(String(255))
    thread: Mapped[str | None] = mapped_column(String(255))
    side_id: Mapped[str | None] = mapped_column(String(255))
    via: Mapped[str] = mapped_column(String(16), default="dm")
    created_at: Mapped[datetime]


class InboundEvent(Base):
    """A platform delivery kept before it is acknowledged, and processed after.

    Acknowledging only what is stored means nothing acknowledged is ever lost; the
    unique (platform, delivery_id) makes a redelivery (Slack retry, Teams resend) a
    no-op. `processed_at` is set in the same transaction as the command it caused.
    """

    __tablename__ = "inbound_event"
    __table_args__ = (
        UniqueConstraint("platform", "delivery_id"),
        # Each platform's inbox asks for its own waiting deliveries (storage/inbox.py).
        Index("ix_inbound_event_waiting", "platform", "id",
              sqlite_where=text("processed_at IS NULL"),
              postgresql_where=text("processed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(255))
    workspace_external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None]
    # `done`, or `failed` after the last attempt (kept for a person to look at).
    outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)


class ChatAddress(Base):
    """How to reach a chat on a platform whose ids alone are not enough (Teams).

    A Teams message goes to a service URL of the tenant's region, with the bot's and
    the conversation's ids: the conversation reference Teams sent with an activity.
    `key` is the platform's conversation id (a channel, a personal chat), or
    `person:<user id>` for the personal chat deskbot has with that person. Rows are
    written when an activity shows something new, and read by the platform's sender.
    """

    __tablename__ = "chat_address"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace_external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class ProcessedInbound(Base):
    """Inbound platform deliveries already processed (Slack event_id, Teams activity id)."""

    __tablename__ = "processed_inbound"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class ReportRun(Base):
    """A scheduled report claimed for one desk and period (`2026-11`, `2026-Q4`, a week's
    `FROM..TO`): unique, so however many sweepers race, one posts it. Written in the
    same transaction as the report's notice (conversations/reports/schedule.py)."""

    __tablename__ = "report_run"
    __table_args__ = (UniqueConstraint("desk_id", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class SavedReply(Base):
    """A desk's saved reply: a named text an agent posts to a requester from the card.

    Names are unique per desk whatever their case (`desks/saved_replies.py` checks it;
    the constraint keeps two writers from storing the same spelling twice). `text` may
    hold the placeholders `desks.saved_replies.PLACEHOLDERS` fills when it is posted.
    """

    __tablename__ = "saved_reply"
    __table_args__ = (UniqueConstraint("desk_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class KbArticle(Base):
    """A desk's knowledge-base article: a title and a text agents wrote, often from a
    request's resolution (`source_conversation_id`). Numbered KB-N per workspace, as
    incidents are INC-N; a removed article keeps its number (`removed_at` set).
    Every write goes through `conversations/knowledge/articles.py`.
    """

    __tablename__ = "kb_article"
    __table_args__ = (UniqueConstraint("workspace_id", "number"),
                      Index("ix_kb_article_desk", "desk_id", "number"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    source_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class SearchDocument(Base):
    """One searchable thing: a request (`kind` "request") or an article ("article").

    `body` holds the words already normalised by the core (`conversations.knowledge.search_words`),
    space-separated; the full-text index is built over it (storage/search.py): an FTS5
    table kept in step by triggers on SQLite, a generated tsvector column with a GIN
    index on PostgreSQL (migration 0020). `requester_id` is who may see a request
    besides its desk's agents; `solved_count` how often it was "this solved it".
    """

    __tablename__ = "search_document"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),
                      Index("ix_search_document_desk", "desk_id", "kind", "resolved"),
                      # A desk's newest documents first (storage/search.py, migration 0025).
                      Index("ix_search_document_desk_newest", "desk_id", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # conversation.id or the article's id (no foreign key: two tables, one column).
    ref_id: Mapped[int] = mapped_column(BigId)
    workspace_id: Mapped[int] = mapped_column(BigId)
    desk_id: Mapped[int] = mapped_column(BigId)
    requester_id: Mapped[int | None] = mapped_column(BigId)
    # The request's ref (#1042) for showing it; None for an article.
    ref: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # Resolved or closed by an agent: an answer to show as a similar request.
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolver_id: Mapped[int | None] = mapped_column(BigId)
    title: Mapped[str] = mapped_column(String(200))
    # The first line of the resolution note (the card shows it).
    answer: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    solved_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # A request's similar resolved requests (their conversation ids, best first), found
    # once when it opened: its card shows them on every render without searching again.
    similar: Mapped[list[int] | None] = mapped_column(JSON)


# The full-text index of `search_document` (the same DDL as migration 0020).
# What is indexed of a document: each of its words behind its desk, d<desk id>x<word>
# (storage/search.py `desk_terms`): a desk's query reads posting lists of the desk's
# size, not every desk's matches of a common word.
_TERMS_SQLITE = ("'d' || {row}.desk_id || 'x' || "
                 "replace({row}.body, ' ', ' d' || {row}.desk_id || 'x')")
SEARCH_FTS_SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    f"INSERT INTO search_fts(rowid, terms) VALUES (new.id, {_TERMS_SQLITE.format(row='new')}); "
    "END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES "
    f"('delete', old.id, {_TERMS_SQLITE.format(row='old')}); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE OF body, desk_id ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES "
    f"('delete', old.id, {_TERMS_SQLITE.format(row='old')}); "
    f"INSERT INTO search_fts(rowid, terms) VALUES (new.id, {_TERMS_SQLITE.format(row='new')}); "
    "END",
)
# The words as they are (array_to_tsvector: no parser; they are normalised already).
SEARCH_FTS_POSTGRESQL = (
    "ALTER TABLE search_document ADD COLUMN words tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_remove(string_to_array('d' || desk_id::text || 'x' || "
    "replace(body, ' ', ' d' || desk_id::text || 'x'), ' '), 'd' || desk_id::text || 'x'))) "
    "STORED",
    "CREATE INDEX ix_search_document_words ON search_document USING gin (words)",
)
# Tables and columns of the index that the models do not map (autogenerate leaves them).
SEARCH_FTS_TABLE_PREFIX = "search_fts"
SEARCH_FTS_COLUMN = "words"
for _statement in SEARCH_FTS_SQLITE:
    event.listen(SearchDocument.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]
for _statement in SEARCH_FTS_POSTGRESQL:
    event.listen(SearchDocument.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
