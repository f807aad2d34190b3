"""Handoff cases kept in step with the residents' handoff pause, and what staff do with a case: reply
through the outbox as the OA, close it (the bot comes back and tells the resident so)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.background import PollingLoop
from flows.handoff import HANDOFF_PAUSE
from flows.replies import Text
from storage.console import handoffs as repo
from storage.models import Priority
from storage.queues import enqueue

# Zalo accepts a consultation message up to 7 days after the resident's last message (error -230 after).
REPLY_WINDOW = timedelta(days=7)
REPLY_LIMIT = 2000  # characters in one Zalo text message


def window_left(last_message_at: datetime | None, now: datetime) -> timedelta | None:
    """How long staff may still answer; None when the window is closed."""
    if last_message_at is None:
        return None
    left = last_message_at + REPLY_WINDOW - now
    return left if left > timedelta(0) else None


def outbox_row(zalo_user_id: str, key: str, text: str, now: datetime) -> dict[str, Any]:
    return {"idempotency_key": key, "zalo_user_id": zalo_user_id, "replies": [Text(text).to_dict()],
            "parts_sent": 0, "priority": Priority.REPLY, "source": "handoff", "status": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": now}


async def send(conn: AsyncConnection, case_id: int, zalo_user_id: str, text: str, now: datetime) -> None:
    row = outbox_row(zalo_user_id, f"handoff:{case_id}:{secrets.token_hex(8)}", text, now)
    await conn.run_sync(enqueue, [row])


async def close(conn: AsyncConnection, case: Any, by: str, farewell: str, now: datetime) -> bool:
    """Hand the resident back to the bot and tell them; False when the case was already closed."""
    if not await repo.close(conn, case.id, now, by, "staff"):
        return False
    await repo.end_pause(conn, case.zalo_user_id)
    await send(conn, case.id, case.zalo_user_id, farewell, now)
    return True


class CaseSyncFailed(Exception):
    """A sync pass failed; only the error's class is kept (a statement's message may quote Zalo ids)."""


class CaseSync(PollingLoop):
    """Background work: opens a case when a resident asks for staff and closes it when the pause ends.
    Pages run the same pass before they read, so a case shows up at once."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.engine, self.clock = engine, clock

    async def run_once(self) -> int:
        try:
            async with self.engine.begin() as conn:
                opened, closed = await repo.sync(conn, self.clock(), HANDOFF_PAUSE)
        except SQLAlchemyError as e:
            raise CaseSyncFailed(type(e).__name__) from None
        return opened + closed

    def may_have_more(self, busy: int) -> bool:
        return False  # one pass finds every case to open or close

    def start(self, poll_interval_seconds: float) -> list[asyncio.Task[Any]]:
        return [asyncio.create_task(self.run_forever(max(poll_interval_seconds, 1.0)), name="handoff-cases")]
