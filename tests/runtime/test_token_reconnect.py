"""Two service processes on one PostgreSQL database, and a token refresh whose answer Zalo sends after the
client gave up: the spent refresh token is offered once, both processes say the OA must be reconnected,
and delivery resumes by itself once an admin stores a new pair with the CLI."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.testing.fakezalo import EventFactory
from tests.kit import APP_ID, APP_SECRET, OA_ID, OA_SECRET, write_config
from tests.processes import ROOT, free_port, service_sections, spawn

pytestmark = pytest.mark.slow


async def health(http: aiohttp.ClientSession, port: int) -> dict[str, Any]:
    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
        return dict(await resp.json())


async def wait_for_status(http: aiohttp.ClientSession, ports: list[int], status: str) -> None:
    async with asyncio.timeout(30):
        while [(await health(http, p))["status"] for p in ports] != [status] * len(ports):  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.1)


async def test_a_refresh_answered_after_the_timeout_stops_two_processes_until_reconnected(
        db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several service processes share one database on PostgreSQL only")
    events = EventFactory(APP_ID, OA_ID, OA_SECRET)
    fake_zalo = ("-m", "bot.testing.fakezalo", "--port", "0", "--app-id", APP_ID, "--app-secret", APP_SECRET)
    async with spawn(*fake_zalo) as fake, aiohttp.ClientSession() as http:
        zalo_url = (await fake.wait_for_line("FAKEZALO_READY")).split()[-1]
        ports = [free_port(), free_port()]
        configs = [tmp_path / f"config{i}.toml" for i in (1, 2)]
        for config, port in zip(configs, ports, strict=True):
            write_config(config, db_url, **service_sections(zalo_url, port, refresh_timeout_seconds=1))
        async with spawn("-m", "bot", "serve", "--config", str(configs[0]), stderr_to=tmp_path / "1.log") as one, \
                spawn("-m", "bot", "serve", "--config", str(configs[1]), stderr_to=tmp_path / "2.log") as two:
            await one.wait_for_line("listening")
            await two.wait_for_line("listening")
            async with http.post(f"{zalo_url}/_fake/expire_access_token"):
                pass
            async with http.post(f"{zalo_url}/_fake/inject", json={"late_ms": 3000, "route": "token"}) as resp:
                assert resp.status == 200
            for port, user in zip(ports, ("r1", "r2"), strict=True):  # each process gets a resident's message
                async with http.post(f"http://127.0.0.1:{port}/webhook/zalo",
                                     data=(signed := events.text(user, "menu"))[0], headers=signed[1]) as resp:
                    assert resp.status == 200

            await wait_for_status(http, ports, "degraded")
            for port in ports:
                assert "reconnect" in (await health(http, port))["zalo"]
            async with http.get(f"{zalo_url}/_fake/stats") as resp:
                stats = await resp.json()
            assert stats["refresh_calls"] == 1, f"the refresh token was offered again: {stats}"
            assert stats["received"] == 0
            async with http.get(f"http://127.0.0.1:{ports[1]}/metrics") as resp:
                assert "motcua_zalo_must_reconnect 1" in await resp.text()
            assert '"level": "critical"' in (tmp_path / "1.log").read_text() + (tmp_path / "2.log").read_text()

            async with http.get(f"{zalo_url}/_fake/tokens") as resp:  # the admin redoes the OA consent
                pair = await resp.json()
            cli = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "tokens", "set", "--config", str(configs[0]),
                "--access-token", pair["access_token"], "--refresh-token", pair["refresh_token"],
                cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await cli.communicate()
            assert cli.returncode == 0, err.decode()
            for user in ("r1", "r2"):  # the menu: two parts each
                async with http.get(f"{zalo_url}/_fake/wait",
                                    params={"count": "2", "user_id": user, "timeout": "30"}) as resp:
                    assert resp.status == 200, await resp.text()
            await wait_for_status(http, ports, "ok")
