"""The "Thử" pane: the service itself, on its own throw-away SQLite file and an in-process fake Zalo, run
with a draft's configuration. An admin chats with it as a resident; nothing reaches Zalo or the real
database. Opened at the first try, closed with the console."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import AppConfig
from bot.runtime import RUNTIME
from bot.services import Services

if TYPE_CHECKING:
    from bot.testing.sandbox import RunningSandbox


class Trial:
    def __init__(self, config: AppConfig) -> None:
        self._config = config
        self._sandbox: RunningSandbox | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._lock = asyncio.Lock()  # one turn at a time: each adopts its own draft

    async def _open(self) -> RunningSandbox:
        if self._sandbox is None:
            from bot.testing.sandbox import start_sandbox  # it builds an app, whose features list includes this one

            self._folder = tempfile.TemporaryDirectory(prefix="motcua-trial-")
            c = self._config
            cfg = c.model_copy(update={
                "server": c.server.model_copy(update={"host": "127.0.0.1", "port": 0}),
                "database": c.database.model_copy(
                    update={"url": f"sqlite+aiosqlite:///{Path(self._folder.name) / 'trial.sqlite3'}"}),
                "console": c.console.model_copy(update={"enabled": False}),
            })
            self._sandbox = await start_sandbox(cfg, background=False)
        return self._sandbox

    async def say(self, user_id: str, text: str, services: Services, shown: str | None = None) -> None:
        """`text` as the resident (`user_id`) typed it, answered by `services`' configuration."""
        async with self._lock:
            sandbox = await self._open()
            runtime = sandbox.runner.app[RUNTIME]
            runtime.services.adopt(services)
            await sandbox.client.say(user_id, text, shown)
            await runtime.drain()

    def conversation(self, user_id: str) -> list[dict[str, Any]]:
        return [] if self._sandbox is None else self._sandbox.client.conversation(user_id)

    async def close(self) -> None:
        if self._sandbox is not None:
            await self._sandbox.close()
            self._sandbox = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
