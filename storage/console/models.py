"""Staff users, their database-held sessions, login attempts (for lockout) and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId
from storage.types import utcnow


class ConsoleUser(Base):
    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # lower case: the login name
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    roles: Mapped[list[Any]]
    thon: Mapped[list[Any]]  # thôn slugs a thon_team member works for
    zalo_user_id: Mapped[str | None] = mapped_column(String(64))  # for test sends to oneself
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # a code is accepted once
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsoleSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's token is stored. `stage` is "totp" between a
    correct password and the second factor, "full" after."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(8))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # absolute expiry
    ip: Mapped[str | None] = mapped_column(String(64))


class ConsoleLoginAttempt(Base):
    """Every sign-in attempt; failures in a window lock the name and the address. `name` holds the SHA-256
    of the name typed (a mistyped name is sometimes the password), never the name itself."""

    __tablename__ = "console_login_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]

    __table_args__ = (Index("ix_console_attempts_name", "name", "at"), Index("ix_console_attempts_ip", "ip", "at"))


class ConsoleAudit(Base):
    """Who did what, when, from where, with the values before and after (personal data masked).
    Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
