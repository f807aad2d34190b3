"""The token pair across a refresh: another writer's lock met after Zalo has spent the old refresh token,
and an admin storing a pair while a refresh waits for Zalo."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta

import pytest

from storage import sqlite_driver
from tests.databases import SqliteDatabases
from tests.kit import BotHarness
from tests.runtime.test_sender import until


async def test_a_refreshed_pair_is_stored_once_another_writer_lets_go(
        sqlite_databases: SqliteDatabases, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """SQLite only: PostgreSQL stores the pair under the row lock it took before the exchange."""
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
