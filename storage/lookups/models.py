"""Dossier and căn cước records residents may look up, their opt-ins and the lookup audit.

Personal values are never stored in clear: số định danh, date of birth and the dossier's verification
secret (last four phone digits) are keyed hashes (HMAC-SHA256, key from the configuration); only the
last four digits of the số định danh are kept for masked answers. Names and addresses are never read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId
from storage.types import utcnow

HASH_LEN = 64  # hex SHA-256
# Section 3.2 of the facts sheet: the normalised dossier statuses.
DOSSIER_STATUSES = ("submitted", "received", "processing", "need_more", "awaiting_payment", "rejected",
                    "result_ready", "returned", "overdue", "withdrawn")
ID_CARD_STATUSES = ("processing", "ready", "collected", "mailed")
# Statuses after which a record is kept only for the retention period.
FINISHED = {"dossier": frozenset({"returned", "withdrawn", "rejected"}),
            "id_card": frozenset({"collected", "mailed"})}


class Dossier(Base):
    """A one-stop dossier (hồ sơ TTHC), keyed by its code."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(24))
    received_on: Mapped[date | None]
    due_on: Mapped[date | None]
    result_on: Mapped[date | None]
    missing_papers: Mapped[str] = mapped_column(Text, default="")  # one paper per line
    pickup_place: Mapped[str] = mapped_column(String(300), default="")
    secret_hash: Mapped[str] = mapped_column(String(HASH_LEN))
    source: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the status became a finished one (returned, withdrawn, rejected): retention counts from here.
    finished_at: Mapped[datetime | None] = mapped_column(index=True)


class IdCardResult(Base):
    """A căn cước application's result as the police export it, keyed by the receipt number."""

    __tablename__ = "id_card_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    receipt_no: Mapped[str] = mapped_column(String(64), unique=True)
    id_hash: Mapped[str] = mapped_column(String(HASH_LEN), index=True)
    id_last4: Mapped[str] = mapped_column(String(4))
    birth_date_hash: Mapped[str] = mapped_column(String(HASH_LEN))
    status: Mapped[str] = mapped_column(String(24))
    pickup_place: Mapped[str] = mapped_column(String(300), default="")
    ready_on: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(index=True)  # collected or mailed


class LookupOptIn(Base):
    """A resident asked to be told when a record they verified changes status."""

    __tablename__ = "lookup_optins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    zalo_user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # dossier | id_card
    record_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("zalo_user_id", "kind", "record_id", name="uq_lookup_optins_user_record"),
        Index("ix_lookup_optins_record", "kind", "record_id"),
    )


class LookupAudit(Base):
    """One lookup attempt, consent or erasure. `key_hash` is the keyed hash of what was looked up (for a
    số định danh the same hash as `id_card_results.id_hash`, so staff can see who asked about a number).
    `user_ref` (a keyed hash of the Zalo user id) survives an erasure request so the failure limit and
    the trail still hold; `zalo_user_id` is then cleared."""

    __tablename__ = "lookup_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    zalo_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    user_ref: Mapped[str] = mapped_column(String(HASH_LEN))
    kind: Mapped[str] = mapped_column(String(16))  # dossier | id_card | privacy
    key_hash: Mapped[str | None] = mapped_column(String(HASH_LEN))
    outcome: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (Index("ix_lookup_audit_user_at", "user_ref", "at"), Index("ix_lookup_audit_at", "at"))


# Audit outcomes. Failures count towards the per-resident lock.
FOUND, NOT_FOUND, MISMATCH, LOCKED, CONSENT, ERASED = "found", "not_found", "mismatch", "locked", "consent", "erased"
FAILURES = (NOT_FOUND, MISMATCH)
