"""What a feature declares for the staff console: its pages (routes with the permission each needs), its
dashboard panels and the folder of its templates. Plain values, so that bot/feature.py can name them
without importing the console's runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.console.web import Staff

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # inside /console
    handler: Handler
    permission: str | None  # None: public (sign-in pages)


@dataclass(frozen=True)
class Panel:
    """A feature's box on the dashboard: `load` returns its template's variables (None: nothing to show
    to this member)."""

    template: str
    load: Callable[[web.Request, Staff], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class ConsolePages:
    """What a feature adds to the console: its pages, its dashboard panels, the folder of its templates."""

    routes: tuple[Route, ...] = ()
    panels: tuple[Panel, ...] = ()
    templates: Path | None = None
