"""The token pair across a refresh: another writer's lock met after Zalo has spent the old refresh token,
and an admin storing a pair while a refresh waits for Zalo."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta

import pytest

from bot.app import zalo_client
from bot.metrics import Metrics
from bot.tokens import TokenManager, TokenUnavailable
from storage import sqlite_driver
from storage.engine import create_engine
from tests.databases import SqliteDatabases
from tests.kit import BotHarness, until
from tests.runtime.test_sender import outbox_rows, queue_reply


async def test_a_refreshed_pair_is_stored_once_another_writer_lets_go(
        sqlite_databases: SqliteDatabases, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """SQLite only: there another writer (a CLI import) holds the one write lock the store needs."""
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT", 0.2)
    db_url = await sqlite_databases.create()
    async with BotHarness.start(db_url) as bot:
        tokens = bot.runtime.tokens
        bot.fake.expire_access_token()
        bot.fake.inject_delay(0.5, route="token")
        refreshing = asyncio.create_task(tokens.refresh("fake-access-0"))
        await until(lambda: bot.fake.delays_injected == 1)  # Zalo is answering...
        other = sqlite3.connect(db_url.split("///", 1)[1], isolation_level=None)  # ...when a CLI import begins
        other.execute("BEGIN IMMEDIATE")
        with caplog.at_level(logging.WARNING, logger="bot.tokens"):
            await until(lambda: "storing the new Zalo token pair failed" in caplog.text)
        other.execute("COMMIT")
        other.close()
        assert await refreshing == bot.fake.access_token
        stored = await tokens.read()
        assert stored is not None and stored.refresh_token == bot.fake.refresh_token, "the new pair was lost"


async def test_an_admins_pair_stored_during_a_refresh_wins_and_nothing_hangs(db_url: str) -> None:
    async with BotHarness.start(db_url) as bot:
        tokens = bot.runtime.tokens
        bot.fake.expire_access_token()
        bot.fake.inject_delay(0.5, route="token")
        refreshing = asyncio.create_task(tokens.refresh("fake-access-0"))
        await until(lambda: bot.fake.delays_injected == 1)
        # Short-lived, so a careless re-check would refresh again while holding the refresh lock.
        await tokens.set_pair("admin-access", "admin-refresh", timedelta(minutes=10))
        async with asyncio.timeout(5):
            await refreshing
        stored = await tokens.read()
        assert stored is not None and stored.refresh_token == "admin-refresh"


async def test_a_refresh_answered_after_the_timeout_is_not_offered_again_and_asks_for_reconnection(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Zalo spent the refresh token but its answer came after the client gave up: nobody can know the new
    pair, so no process offers the spent token again. The OA must be reconnected; /healthz, /metrics and a
    critical log line say so, messages wait without spending attempts, and a new pair resumes delivery."""
    async with BotHarness.start(db_url, zalo={"refresh_timeout_seconds": 0.3}) as bot:
        await queue_reply(bot, "u1")
        bot.fake.expire_access_token()
        bot.fake.inject_late_answer(2.0, route="token")
        with caplog.at_level(logging.CRITICAL, logger="bot.tokens"):
            await bot.runtime.sender.run_once()
        assert any(r.levelno == logging.CRITICAL and "reconnect" in r.getMessage() for r in caplog.records)
        other_process = create_engine(db_url)
        try:
            tokens = TokenManager(other_process, zalo_client(bot.runtime.http, bot.runtime.config.zalo), Metrics(),
                                  refresh_margin=timedelta(minutes=5))
            with pytest.raises(TokenUnavailable, match="reconnect"):
                await tokens.refresh("fake-access-0")
        finally:
            await other_process.dispose()
        await bot.runtime.sender.run_once()
        assert bot.fake.refresh_calls == 1, "a spent refresh token was offered again"
        [row] = await outbox_rows(bot)
        assert (row.status, row.attempts) == ("pending", 0)

        async with bot.http.get(bot.server.make_url("/healthz")) as resp:
            health = await resp.json()
        assert health["status"] == "degraded" and "reconnect" in health["zalo"], health
        async with bot.http.get(bot.server.make_url("/metrics")) as resp:
            assert "motcua_zalo_must_reconnect 1" in await resp.text()

        await bot.runtime.tokens.set_pair(bot.fake.access_token, bot.fake.refresh_token, timedelta(hours=25))
        await bot.runtime.sender.run_once()  # no clock moved: the waiting message is due again at once
        assert [r.status for r in await outbox_rows(bot)] == ["sent"] and len(bot.fake.messages_for("u1")) == 2
        async with bot.http.get(bot.server.make_url("/healthz")) as resp:
            assert (await resp.json())["status"] == "ok"
        async with bot.http.get(bot.server.make_url("/metrics")) as resp:
            assert "motcua_zalo_must_reconnect 0" in await resp.text()
