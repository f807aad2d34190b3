"""Followers from before the bot went live: Zalo sent no follow event for them, so `followers sync` reads
the OA's follower list and makes them an audience."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.broadcasts.kit import announce, received, sections
from tests.kit import BotHarness


def cli_config(path: Path, bot: BotHarness) -> Path:
    zalo = bot.runtime.config.zalo
    path.write_text(f"[database]\nurl = {json.dumps(bot.runtime.config.database.url)}\n[zalo]\n"
                    f"api_base_url = {json.dumps(zalo.api_base_url)}\n"
                    f"oauth_base_url = {json.dumps(zalo.oauth_base_url)}\n", encoding="utf-8")
    return path


async def test_followers_from_before_the_bot_become_its_audience(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with BotHarness.start(db_url, **sections(quiet_hours="")) as bot:
        await bot.resident("new").follow()  # followed since: the bot saw it
        bot.fake.followers = ["new", *(f"old{i}" for i in range(120))]  # three pages of 50
        for payload in ("#onboard:thon:vong-nhi", "#onboard:topics:all", "#onboard:contact:no"):
            await bot.resident("old7").say(payload)  # an old follower sets their thôn and topics
        await announce(bot, title="Trước khi đồng bộ")
        await bot.runtime.drain()
        assert "old7" not in received(bot, "Trước khi đồng bộ")

        args = ["followers", "sync", "--config", str(cli_config(tmp_path / "c.toml", bot))]
        assert await asyncio.to_thread(main, args) == 0
        assert "121 followers listed by Zalo; 120 newly marked as followers" in capsys.readouterr().out
        await announce(bot, title="Sau khi đồng bộ")
        await bot.runtime.drain()
        assert received(bot, "Sau khi đồng bộ")["old7"] == 1

        assert await asyncio.to_thread(main, args) == 0  # again: nothing new
        assert "121 followers listed by Zalo; 0 newly marked as followers" in capsys.readouterr().out
