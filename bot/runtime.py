"""The running service's parts, shared by the webhook, the API routes, the CLI and the tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AppConfig
from bot.inbox import InboxWriter
from bot.metrics import Metrics
from bot.sender import Sender
from bot.services import Services
from bot.tokens import TokenManager
from bot.worker import Worker
from flows.registry import FlowRegistry


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
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def drain(self, max_passes: int = 1000) -> None:
        """Process every pending event and deliver every due message (tests and the terminal chat)."""
        for _ in range(max_passes):
            if not (await self.worker.run_once() + await self.sender.run_once()):
                return
        raise RuntimeError("queues did not drain")


RUNTIME = web.AppKey("runtime", Runtime)
