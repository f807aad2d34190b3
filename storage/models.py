"""SQLAlchemy models. Schema changes go through Alembic migrations in storage/migrations."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime, utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Priority(IntEnum):
    """Outbox order: lower goes first. Replies and lookup notifications are the reply sender's lane;
    broadcasts (URGENT_BROADCAST and up) are claimed by their own paced sender."""

    REPLY = 0  # a conversation's answer
    NOTIFICATION = 5  # a lookup record changed status: after replies, before broadcasts
    URGENT_BROADCAST = 10  # before other broadcasts, and sent during quiet hours too
    BROADCAST = 20


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON(),
    }
    # Every model here maps one Table (SQLAlchemy types it as any FromClause, which has no insert()).
    __table__: ClassVar[Table]


class Resident(Base):
    """A Zalo user who has talked to the OA. The row also serialises one resident's processing:
    the worker holds its row lock while it runs that resident's events."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    zalo_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime | None]
    is_follower: Mapped[bool] = mapped_column(Boolean, default=False)
    # Conversation state: {"flow": .., "state": .., "data": {..}}; state_version guards format changes.
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state_version: Mapped[int] = mapped_column(Integer, default=1)
    state_updated_at: Mapped[datetime | None]
    handoff_until: Mapped[datetime | None]
    # The language the resident writes in or chose ("vi", "en"); None: not known yet (Vietnamese).
    language: Mapped[str | None] = mapped_column(String(8))
    # Sliding abuse window: count of messages since window_started_at.
    window_started_at: Mapped[datetime | None]
    window_count: Mapped[int] = mapped_column(Integer, default=0)


class InboxEvent(Base):
    """Every accepted webhook event, stored before Zalo gets its 200."""

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_name: Mapped[str] = mapped_column(String(64))
    family: Mapped[str] = mapped_column(String(32))
    zalo_user_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed | ignored
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_inbox_pending", "status", "id"),)


class OutboxMessage(Base):
    """A reply or broadcast message waiting for, or done with, delivery to Zalo."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    zalo_user_id: Mapped[str] = mapped_column(String(64))
    # The replies of one flow step, kept together so they go out in order; parts_sent counts the
    # rendered Zalo messages already delivered, so a retry resumes instead of repeating them.
    replies: Mapped[list[Any]]
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(Integer, default=Priority.REPLY)  # see Priority
    source: Mapped[str] = mapped_column(String(32), default="reply")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    # Set when a sender died holding the claim: Zalo may or may not have the message. The next sender
    # asks Zalo's conversation history before sending again (bot/sender.py), so a crash sends nothing twice.
    in_doubt_since: Mapped[datetime | None]
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    zalo_msg_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "next_attempt_at"),
        # Finds a resident's older unsent message quickly (claims keep each resident's order).
        Index("ix_outbox_user_open", "zalo_user_id", "id",
              postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
        # Claims walk this in (priority, id) order and stop after a batch, however long the queue.
        Index("ix_outbox_claim", "status", "priority", "id"),
        # A broadcast run's messages (source "bc:<run>"): progress, cancel, "anything left to send?".
        Index("ix_outbox_source_status", "source", "status"),
    )


class ZaloToken(Base):
    """The OA's current token pair. Exactly one row (id = 1); refreshes lock it."""

    __tablename__ = "zalo_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    # Set (committed) before this pair's refresh token is offered to Zalo, cleared when the new pair is
    # stored: a refresh token is offered once, by one process.
    refresh_offered_at: Mapped[datetime | None]
    # Why the OA must be reconnected by an admin (the refresh token was refused, or spent with its answer
    # lost); None while refreshing works. A new pair from an admin clears it.
    reconnect_reason: Mapped[str | None] = mapped_column(Text)


class UnansweredMessage(Base):
    """A resident message the bot could not understand (kind "unanswered") or answered only with "did you
    mean…" buttons ("suggested"), kept (digits masked) for admins to teach the bot from."""

    __tablename__ = "unanswered_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="unanswered", server_default="unanswered")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcedureFeedback(Base):
    """A resident's answer to "was this useful?" after a procedure card (no resident id kept)."""

    __tablename__ = "procedure_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    procedure_slug: Mapped[str] = mapped_column(String(120), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """A named lease held by one process at a time (e.g. the scheduler)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class FlowVersion(Base):
    """One version of one kind. `status`: draft (being edited; one per kind), pending (waiting for a second
    admin's approval), published (was or is active), discarded."""

    __tablename__ = "flow_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(100))  # the file name, e.g. "texts.toml"
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per kind
    content: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of content
    base_number: Mapped[int | None] = mapped_column(Integer)  # the active version the draft was made from
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    requested_by: Mapped[str | None] = mapped_column(String(64))  # asked for publication (approval needed)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("kind", "number", name="uq_flow_versions_kind_number"),)


class FlowActive(Base):
    """The version of each kind the service runs; every process polls this small table."""

    __tablename__ = "flow_active"

    kind: Mapped[str] = mapped_column(String(100), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime]
