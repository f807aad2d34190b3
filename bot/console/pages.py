"""What a feature declares for the staff console: its pages (routes with the permission each needs), its
dashboard panels and the folder of its templates. Plain values, so that bot/feature.py can name them
without importing the console's runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
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
class NavItem:
    permission: str
    path: str  # inside /console
    label: str


@dataclass(frozen=True)
class ConsolePages:
    """What a feature adds to the console: its permissions (name → the roles that have it), pages, menu
    entries, dashboard panels and the folder of its templates."""

    permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    nav: tuple[NavItem, ...] = ()
    panels: tuple[Panel, ...] = ()
    templates: Path | None = None

    @classmethod
    def joined(cls, *parts: ConsolePages) -> ConsolePages:
        """Several modules' pages as one feature's (templates: the console's own folder)."""
        return cls(permissions={k: v for p in parts for k, v in p.permissions.items()},
                   routes=tuple(r for p in parts for r in p.routes), nav=tuple(i for p in parts for i in p.nav),
                   panels=tuple(x for p in parts for x in p.panels))
