"""The retention purge deletes in batches, each its own transaction, so residents are answered while a
large backlog is purged (on SQLite the one connection would otherwise be held, and the event loop
blocked, for the whole delete)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.retention import purge_expired
from storage.models import InboxEvent, OutboxMessage
from tests.kit import BotHarness, Clock, texts

OLD_MESSAGES = 300


async def add_old_conversations(engine: AsyncEngine, n: int, at: datetime) -> None:
    """`n` messages residents sent long ago, each answered."""
    async with engine.begin() as conn:
        await conn.execute(insert(InboxEvent), [
            {"event_key": f"old-{i}", "event_name": "user_send_text", "family": "text", "zalo_user_id": f"old{i}",
             "body": "{}", "received_at": at, "status": "done", "processed_at": at} for i in range(n)])
        await conn.execute(insert(OutboxMessage), [
            {"idempotency_key": f"in:old-{i}", "zalo_user_id": f"old{i}", "replies": [], "source": "reply",
             "status": "sent", "parts_sent": 1, "next_attempt_at": at, "created_at": at} for i in range(n)])


async def users_with(engine: AsyncEngine, table: type[InboxEvent] | type[OutboxMessage]) -> set[str | None]:
    async with engine.connect() as conn:
        return set((await conn.execute(select(table.zalo_user_id))).scalars())


async def test_a_resident_is_answered_while_a_backlog_is_purged(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    async with BotHarness.start(db_url, clock=clock) as bot:
        engine = bot.runtime.engine
        await add_old_conversations(engine, OLD_MESSAGES, clock.now - timedelta(days=400))

        purge = asyncio.create_task(purge_expired(engine, bot.runtime.config.privacy, tmp_path, clock.now, batch=1))
        replies = await bot.resident("u1").say("menu")
        assert "Bạn cần giúp gì?" in texts(replies)
        assert not purge.done(), "the resident was answered only after the whole purge"

        counts = await purge
        assert (counts["inbox"], counts["replies"]) == (OLD_MESSAGES, OLD_MESSAGES)
        # What is within its retention period stays: the message just answered, and its reply.
        assert await users_with(engine, InboxEvent) == {"u1"}
        assert await users_with(engine, OutboxMessage) == {"u1"}
