"""Queries for the console's users, sessions, login attempts and audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.console.models import ConsoleAudit, ConsoleLoginAttempt, ConsoleSession, ConsoleUser

users = ConsoleUser.__table__
sessions = ConsoleSession.__table__
attempts = ConsoleLoginAttempt.__table__
audit = ConsoleAudit.__table__


# --- users -------------------------------------------------------------------------------------------

async def add_user(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return int((await conn.execute(users.insert().values(**values).returning(users.c.id))).scalar_one())


async def user_by_name(conn: AsyncConnection, name: str) -> Any | None:
    return (await conn.execute(select(users).where(users.c.name == name))).first()


async def user_by_id(conn: AsyncConnection, user_id: int) -> Any | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).first()


async def list_users(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(users).order_by(users.c.name))).all())


async def set_user(conn: AsyncConnection, user_id: int, **values: Any) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(**values))


# --- sessions ----------------------------------------------------------------------------------------

async def add_session(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(sessions.insert().values(**values))


async def session_with_user(conn: AsyncConnection, session_id: str) -> Any | None:
    q = (select(sessions, users.c.name, users.c.roles, users.c.thon, users.c.disabled, users.c.zalo_user_id)
         .join(users, users.c.id == sessions.c.user_id).where(sessions.c.id == session_id))
    return (await conn.execute(q)).first()


async def touch_session(conn: AsyncConnection, session_id: str, now: datetime) -> None:
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now))


async def delete_session(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.id == session_id))


async def delete_user_sessions(conn: AsyncConnection, user_id: int) -> int:
    return (await conn.execute(delete(sessions).where(sessions.c.user_id == user_id))).rowcount


async def count_user_sessions(conn: AsyncConnection, user_id: int) -> int:
    q = select(func.count()).select_from(sessions).where(sessions.c.user_id == user_id)
    return int((await conn.execute(q)).scalar_one())


async def delete_expired_sessions(conn: AsyncConnection, now: datetime, idle_before: datetime) -> int:
    q = delete(sessions).where((sessions.c.expires_at <= now) | (sessions.c.last_seen_at < idle_before))
    return (await conn.execute(q)).rowcount


# --- login attempts ----------------------------------------------------------------------------------

async def record_attempt(conn: AsyncConnection, name: str, ip: str, ok: bool, at: datetime) -> None:
    await conn.execute(attempts.insert().values(name=name, ip=ip, ok=ok, at=at))


async def failures_since(conn: AsyncConnection, since: datetime, *, name: str | None = None,
                         ip: str | None = None) -> list[datetime]:
    """Times of failed attempts since `since` for a name or an address, newest first."""
    q = select(attempts.c.at).where(attempts.c.ok.is_(False), attempts.c.at >= since)
    q = q.where(attempts.c.name == name) if name is not None else q.where(attempts.c.ip == ip)
    return [r[0] for r in (await conn.execute(q.order_by(attempts.c.at.desc()))).all()]


async def delete_attempts_before(conn: AsyncConnection, before: datetime) -> None:
    await conn.execute(delete(attempts).where(attempts.c.at < before))


# --- audit -------------------------------------------------------------------------------------------

async def append_audit(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(audit.insert().values(**values))


async def audit_entries(conn: AsyncConnection, *, actor: str | None, action: str | None, since: datetime | None,
                        until: datetime | None, limit: int, offset: int) -> Sequence[Any]:
    q = select(audit)
    if actor:
        q = q.where(audit.c.actor == actor)
    if action:
        q = q.where(audit.c.action.startswith(action, autoescape=True))
    if since:
        q = q.where(audit.c.at >= since)
    if until:
        q = q.where(audit.c.at < until)
    return list((await conn.execute(q.order_by(audit.c.id.desc()).offset(offset).limit(limit))).all())


async def audit_actions(conn: AsyncConnection) -> list[str]:
    return [r[0] for r in (await conn.execute(select(audit.c.action).distinct().order_by(audit.c.action))).all()]
