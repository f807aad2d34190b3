"""The lookups feature's part of the console: imports with a dry run, and the dashboard's "last import" panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from bot.console.pages import ConsolePages, NavItem, Panel
from bot.console.web import Staff, engine_of
from bot.lookups.import_pages import ROUTES
from storage.lookups.repo import last_import_times


async def dashboard_panel(request: web.Request, staff: Staff) -> dict[str, Any] | None:
    async with engine_of(request).connect() as conn:
        return await last_import_times(conn)


PAGES = ConsolePages(permissions={"imports.run": frozenset({"admin", "desk"})},
                     nav=(NavItem("imports.run", "/imports", "Nhập dữ liệu"),),
                     routes=ROUTES, panels=(Panel("imports_panel.html", dashboard_panel),),
                     templates=Path(__file__).with_name("templates"))
