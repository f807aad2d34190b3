"""Residents' unanswered and "did you mean" messages (digits masked when stored), for the editor's
teaching page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import UnansweredMessage

unanswered = UnansweredMessage.__table__


async def since(conn: AsyncConnection, start: datetime, limit: int) -> list[Any]:
    """The newest `limit` messages stored from `start` on: rows of (text, kind, created_at)."""
    q = (select(unanswered.c.text, unanswered.c.kind, unanswered.c.created_at)
         .where(unanswered.c.created_at >= start).order_by(unanswered.c.id.desc()).limit(limit))
    return list((await conn.execute(q)).all())
