"""The audit log page: newest first, filtered by who, what and when (dates in the commune's time)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import engine_of, render, state
from storage.console import repo

PAGE_SIZE = 50


def _day(raw: str, tz: ZoneInfo) -> tuple[datetime | None, str | None]:
    if not raw:
        return None, None
    try:
        return datetime.combine(date.fromisoformat(raw), time(), tz), None
    except ValueError:
        return None, f"{raw!r} không phải ngày dạng 2026-12-05"


async def audit_page(request: web.Request) -> web.StreamResponse:
    q = request.query
    tz = ZoneInfo(state(request).config.commune.timezone)
    since, since_error = _day(q.get("from", ""), tz)
    until, until_error = _day(q.get("to", ""), tz)
    page = int(q["page"]) if q.get("page", "").isdigit() and int(q["page"]) > 0 else 1
    async with engine_of(request).connect() as conn:
        rows = await repo.audit_entries(conn, actor=q.get("actor", "").strip() or None,
                                        action=q.get("action", "").strip() or None, since=since,
                                        until=until + timedelta(days=1) if until else None,
                                        limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        actions = await repo.audit_actions(conn)
    errors = {k: v for k, v in (("from", since_error), ("to", until_error)) if v}
    return await render(request, "audit.html", status=400 if errors else 200, rows=rows[:PAGE_SIZE],
                        more=len(rows) > PAGE_SIZE, page=page, actions=actions, errors=errors,
                        filters={k: q.get(k, "") for k in ("actor", "action", "from", "to")})


PAGES = ConsolePages(routes=(Route("GET", "/audit", audit_page, "audit.view"),))
