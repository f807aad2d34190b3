"""The dashboard: the service's health and what residents asked, plus each feature's panels (approvals
and next sends, the last import, …)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import engine_of, now_of, render, staff_of, state
from bot.runtime import RUNTIME
from bot.zalo.errors import Disposition, codes_of
from storage.console import dashboard as figures

UNANSWERED_SHOWN = 10


async def dashboard(request: web.Request) -> web.StreamResponse:
    staff, now = staff_of(request), now_of(request)
    rt = request.config_dict[RUNTIME]
    async with engine_of(request).connect() as conn:
        waiting = await figures.handoffs_waiting(conn, now)
        token = await figures.token_row(conn)
        backlog = await figures.outbox_backlog(conn)
        quota = await figures.quota_refusals(conn, now - timedelta(hours=24), codes_of(Disposition.QUOTA))
        unanswered_total, unanswered = await figures.unanswered_since(conn, now - timedelta(days=7), UNANSWERED_SHOWN)
        ratings = await figures.helpfulness(conn)
    panels: list[tuple[str, dict[str, Any]]] = []
    for panel in state(request).panels:
        data = await panel.load(request, staff)
        if data is not None:
            panels.append((panel.template, data))
    return await render(request, "dashboard.html", title="Tổng quan", waiting=waiting, panels=panels, token=token,
                        token_expired=token is not None and token.expires_at <= now,
                        backlog=backlog, quota=quota,
                        unanswered_total=unanswered_total, unanswered=unanswered, ratings=ratings,
                        procedure_names={p.slug: p.short_name for p in rt.services.catalog.procedures})


PAGES = ConsolePages(routes=(Route("GET", "/", dashboard, "dashboard"),))
