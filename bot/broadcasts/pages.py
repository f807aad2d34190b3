"""The broadcasts feature's part of the console: its dashboard panel (approvals, next sends)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.console.pages import ConsolePages, Panel
from bot.console.web import Staff, engine_of, now_of
from storage.broadcasts import announcements as ann_store

LIST_SIZE = 50
RECENT_ANNOUNCEMENTS = 200
FIELDS = ("title", "summary", "body", "category", "link")


def visible(row: Any, scope: frozenset[str] | None) -> bool:
    """An announcement a member may see: everything, or for a thôn team those reaching its thôn."""
    return scope is None or not row.thon or bool(scope & set(row.thon))


async def dashboard_panel(request: web.Request, staff: Staff) -> dict[str, Any] | None:
    now, scope = now_of(request), staff.scope
    async with engine_of(request).connect() as conn:
        pending = [a for a in await ann_store.list_announcements(conn, RECENT_ANNOUNCEMENTS)
                   if a.status == "pending_approval" and visible(a, scope)]
        sends = [s for s in await ann_store.next_sends(conn, now, now + timedelta(hours=24)) if visible(s, scope)]
        waiting_here = await ann_store.handoffs_waiting_in(conn, now, staff.thon) if staff.thon else None
    return {"pending": pending, "sends": sends, "waiting_here": waiting_here}


PAGES = ConsolePages(
    panels=(Panel("broadcasts_panel.html", dashboard_panel),),
    templates=Path(__file__).with_name("templates"),
)
