"""What a feature adds to the service, declared in one value (after aiogram's `include_router`).

A feature is a package in each layer it needs (`flows/<name>/`, `storage/<name>/`, `bot/<name>/`) and a
`Feature` in `bot/<name>/feature.py`; listing it in `bot/features.py` wires it in: its flows and the
intents they answer, its HTTP routes, console pages, CLI commands and background work. Its configuration sections and
tables are declared here too; they are defined statically (`bot.config.AppConfig`, `storage.schema`) so
that type checking and migrations see them, and a test holds the declarations and definitions together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import Command
from bot.config import AppConfig
from bot.console.pages import ConsolePages
from bot.conversations_first import ConversationsFirst
from bot.lookups.config import PrivacyConfig
from bot.metrics import Metrics
from bot.services import Services
from bot.tokens import TokenManager
from bot.zalo.client import ZaloClient
from flows.base import Flow
from storage.models import Base


@dataclass(frozen=True)
class RuntimeParts:
    """The shared runtime a feature's background work is built from."""

    config: AppConfig
    engine: AsyncEngine
    client: ZaloClient
    tokens: TokenManager
    metrics: Metrics
    http: aiohttp.ClientSession
    services: Services
    clock: Callable[[], datetime]
    conversations: ConversationsFirst  # the residents-first gate background sends wait on


class Background(Protocol):
    """A feature's background work: started with the service, run pass by pass when tests drain queues."""

    async def run_once(self) -> int: ...  # one pass; how much work it did
    def start(self, poll_interval_seconds: float) -> list[asyncio.Task[Any]]: ...
    def wake(self) -> None: ...  # new work was queued: don't wait for the next poll


# A feature's part of the retention purge (`[privacy]` periods, the folder of exported files, the moment it
# purges at): how many of each kind of its data it deleted or archived.
Purge = Callable[[AsyncEngine, PrivacyConfig, Path, datetime], Awaitable[dict[str, int]]]


@dataclass(frozen=True)
class Feature:
    name: str
    flows: tuple[Flow, ...] = ()
    # Understood intent → the command (button payload) that answers it; the argument is the resident's text.
    intents: Mapping[str, str] = field(default_factory=dict)
    add_routes: Callable[[web.Application], None] | None = None
    console: ConsolePages | None = None  # its pages and dashboard panels in the staff console
    commands: tuple[Command, ...] = ()
    background: Callable[[RuntimeParts], Background] | None = None
    retention: Purge | None = None
    config_sections: tuple[str, ...] = ()  # its fields of AppConfig
    tables: tuple[type[Base], ...] = ()  # its models (storage.schema imports them for migrations)
