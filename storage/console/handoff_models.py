"""A handoff case (a resident who asked for a member of staff) and the staff's internal notes on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class HandoffCase(Base):
    """Open while the resident waits for staff. `open_key` holds the resident's Zalo id while the case is
    open and NULL after: the unique constraint allows one open case per resident, any number of closed."""

    __tablename__ = "handoff_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    zalo_user_id: Mapped[str] = mapped_column(String(64), index=True)
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    thon_slug: Mapped[str | None] = mapped_column(String(64), index=True)  # None: the desk
    opened_at: Mapped[datetime]
    assigned_to: Mapped[str | None] = mapped_column(String(64))  # a console user's name
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))  # a console user's name, or "bot"
    close_reason: Mapped[str | None] = mapped_column(String(16))  # staff | resident | timeout


class HandoffNote(Base):
    """An internal note on a case: staff only, never sent to the resident."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("handoff_cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
