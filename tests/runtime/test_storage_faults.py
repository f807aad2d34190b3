"""SQLite files that become unwritable under a running service: a fatal signal (SIGBUS on the memory-mapped
-shm) is reported, not silent, and a refused write answers 503 until the database takes writes again."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.kit import BotHarness
from tests.processes import free_port, spawn

pytestmark = pytest.mark.slow


async def test_a_fatal_signal_is_reported_and_the_exit_is_not_zero(tmp_path: Path) -> None:
    """SIGBUS is what touching an immutable -shm file raised: the service died with no line at all."""
    config = tmp_path / "config.toml"
    config.write_text(f'log_level = "WARNING"\n[server]\nport = {free_port()}\n[database]\n'
                      f'url = "sqlite+aiosqlite:///{tmp_path}/motcua.sqlite3"\n[zalo]\napp_id = "a"\noa_id = "o"\n'
                      'oa_secret_key = "s"\napp_secret = "x"\naccess_token = "at"\nrefresh_token = "rt"\n',
                      encoding="utf-8")
    async with spawn("-m", "bot", "serve", "--config", str(config), stderr_to=tmp_path / "err.log") as svc:
        await svc.wait_for_line("listening")
        os.kill(svc.proc.pid, signal.SIGBUS)
        code = await svc.proc.wait()
    assert code != 0
    err = (tmp_path / "err.log").read_text()
    assert "Fatal Python error: Bus error" in err, err


async def refuse_writes(bot: BotHarness, refuse: bool) -> None:
    """SQLite's read-only switch on the service's one connection, set outside any transaction (root ignores
    file permissions, so a read-only file cannot stand in here)."""
    async with bot.runtime.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        raw.driver_connection._conn.execute(f"PRAGMA query_only = {'ON' if refuse else 'OFF'}")


async def test_a_database_that_refuses_writes_answers_503_then_recovers(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's read-only switch")
    async with BotHarness.start(db_url) as bot:
        raw, headers = bot.events.text("u1", "menu")
        await refuse_writes(bot, True)
        assert (await bot.post(raw, headers)).status == 503  # Zalo retries it
        async with bot.http.get(bot.server.make_url("/healthz")) as resp:
            assert resp.status == 503
        await refuse_writes(bot, False)
        replies = await bot.resident("u1").send(raw, headers)  # Zalo's retry
        assert replies and "Bạn cần giúp gì" in replies[0].text
        async with bot.http.get(bot.server.make_url("/healthz")) as resp:
            assert resp.status == 200
