"""HTTP API for news and announcements (bearer token, scopes from the configuration):

    POST /api/v1/news                            scope "news"            → 201 {"ok", "id"}
    POST /api/v1/announcements                   scope "announcements"   → 201 {"ok", "id", "status", "next_run_at"}
    GET  /api/v1/announcements/{id}              scope "announcements"   → the report (outcomes, by thôn, masked list)
    POST /api/v1/announcements/{id}/approve      scope "announcements_approve" {"approved_by"}
    POST /api/v1/announcements/{id}/cancel       scope "announcements"   {"cancelled_by"}
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api import authenticate, error, read_json
from bot.broadcasts import announcements, news
from bot.runtime import RUNTIME


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise error(404, f"announcement {raw!r} does not exist")
    return int(raw)


async def _call(coro: Any) -> dict[str, Any]:
    try:
        return await coro
    except announcements.InvalidInput as e:
        raise error(422, "invalid request", e.problems) from None
    except announcements.NotFound as e:
        raise error(404, str(e)) from None


async def post_news(request: web.Request) -> web.Response:
    authenticate(request, "news")
    spec = await read_json(request, news.NewsIn)
    rt = request.app[RUNTIME]
    try:
        article_id = await news.add(rt.engine, rt.config, spec, rt.clock())
    except announcements.InvalidInput as e:
        raise error(422, "invalid request body", e.problems) from None
    return web.json_response({"ok": True, "id": article_id}, status=201)


async def post_announcement(request: web.Request) -> web.Response:
    authenticate(request, "announcements")
    spec = await read_json(request, announcements.AnnouncementIn)
    rt = request.app[RUNTIME]
    result = await _call(announcements.create(rt.engine, rt.config, spec, rt.clock()))
    rt.wake("broadcasts")
    return web.json_response({"ok": True, **result}, status=201)


async def get_announcement(request: web.Request) -> web.Response:
    authenticate(request, "announcements")
    rt = request.app[RUNTIME]
    return web.json_response({"ok": True, **await _call(announcements.report(rt.engine, rt.config, _id(request)))})


async def approve_announcement(request: web.Request) -> web.Response:
    authenticate(request, "announcements_approve")
    body = await read_json(request, announcements.ApprovalIn)
    rt = request.app[RUNTIME]
    result = await _call(announcements.approve(rt.engine, rt.config, _id(request), body.approved_by, rt.clock()))
    rt.wake("broadcasts")
    return web.json_response({"ok": True, **result})


async def cancel_announcement(request: web.Request) -> web.Response:
    authenticate(request, "announcements")
    body = await read_json(request, announcements.CancelIn)
    rt = request.app[RUNTIME]
    result = await _call(announcements.cancel(rt.engine, _id(request), body.cancelled_by, rt.clock()))
    return web.json_response({"ok": True, **result})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/news", post_news)
    app.router.add_post("/api/v1/announcements", post_announcement)
    app.router.add_get("/api/v1/announcements/{id}", get_announcement)
    app.router.add_post("/api/v1/announcements/{id}/approve", approve_announcement)
    app.router.add_post("/api/v1/announcements/{id}/cancel", cancel_announcement)
