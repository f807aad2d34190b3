"""The running service's parts, shared by the webhook, the API routes, the CLI and the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AppConfig
from bot.conversations_first import ConversationsFirst
from bot.feature import Background
from bot.flowconfig import FlowConfigWatch
from bot.inbox import InboxWriter
from bot.metrics import Metrics
from bot.sender import Sender
from bot.services import Services
from bot.tokens import TokenManager
from bot.worker import Worker
from flows.registry import FlowRegistry
from storage.types import utcnow


@dataclass
class Runtime:
    config: AppConfig
    engine: AsyncEngine
    metrics: Metrics
    services: Services
    flows: FlowRegistry
    inbox: InboxWriter
    worker: Worker
    sender: Sender
    tokens: TokenManager
    http: aiohttp.ClientSession
    flow_config: FlowConfigWatch  # follows the published flow configuration
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    background: dict[str, Background] = field(default_factory=dict)  # each feature's, by feature name
    conversations: ConversationsFirst = field(default_factory=ConversationsFirst)  # residents-first gate
    clock: Callable[[], datetime] = utcnow

    async def drain(self, max_passes: int = 1000) -> None:
        """Process every pending event and deliver every due message (tests and the terminal chat), and
        run the features' background work (e.g. fire due announcements and deliver them) until idle."""
        for _ in range(max_passes):
            work = await self.worker.run_once() + await self.sender.run_once()
            for feature_work in self.background.values():
                work += await feature_work.run_once()
            if not work:
                return
        raise RuntimeError("queues did not drain")

    def wake(self, feature: str) -> None:
        """New work for a feature's background loop (e.g. an announcement created through the API)."""
        work = self.background.get(feature)
        if work is not None:
            work.wake()


RUNTIME = web.AppKey("runtime", Runtime)
