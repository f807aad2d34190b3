"""The broadcasts feature's console pages: news (list, write, edit, with a preview as residents see it in
Zalo) and its dashboard panel. Forms validate with the same models and services as the CLI and the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ValidationError

from bot.broadcasts import announcement_pages, news
from bot.broadcasts.announcement_pages import visible
from bot.console import audit
from bot.console.pages import ConsolePages, NavItem, Panel, Route
from bot.console.roles import EVERYONE
from bot.console.web import (
    PREFIX,
    Staff,
    client_ip,
    engine_of,
    form_error_lines,
    now_of,
    path_id,
    render,
    staff_of,
    state,
)
from bot.errors import InvalidInput, NotFound
from bot.runtime import RUNTIME
from flows.problems import problem_lines
from storage.broadcasts import announcements as ann_store
from storage.broadcasts import news as store

LIST_SIZE = 50
RECENT_ANNOUNCEMENTS = 200
FIELDS = ("title", "summary", "body", "category", "link")


def _preview(request: web.Request, values: dict[str, Any], published: Any) -> dict[str, str]:
    """The list entry and the article as the resident's Zalo shows them."""
    rt = request.config_dict[RUNTIME]
    tz = ZoneInfo(rt.config.commune.timezone)
    when = published.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    article = rt.services.texts.get("news_article", title=values.get("title", ""), published=when,
                                    body=values.get("body", ""))
    return {"title": values.get("title", ""), "summary": values.get("summary", ""), "article": article}


async def news_list(request: web.Request) -> web.StreamResponse:
    async with engine_of(request).connect() as conn:
        rows = await store.latest(conn, offset=0, limit=LIST_SIZE)
    topics = {t.slug: t.name for t in state(request).config.topics}
    return await render(request, "news_list.html", title="Tin tức", rows=rows[:LIST_SIZE], topics=topics,
                        can_edit=staff_of(request).can("news.edit"))


async def _form(request: web.Request, values: dict[str, Any], *, article: int | None, status: int = 200,
                errors: dict[str, list[str]] | None = None, preview: dict[str, str] | None = None
                ) -> web.StreamResponse:
    return await render(request, "news_form.html", status=status, title="Sửa tin" if article else "Viết tin",
                        values=values, article=article, errors=errors or {}, preview=preview,
                        topics=state(request).config.topics, saved=request.query.get("saved") == "1")


async def new_form(request: web.Request) -> web.StreamResponse:
    return await _form(request, dict.fromkeys(FIELDS, ""), article=None)


async def edit_form(request: web.Request) -> web.StreamResponse:
    aid = path_id(request, "news article")
    async with engine_of(request).connect() as conn:
        row = await store.get_article(conn, aid)
    if row is None:
        raise web.HTTPNotFound(text=f"news article {aid} does not exist")
    values = {k: getattr(row, k) or "" for k in FIELDS}
    return await _form(request, values, article=aid, preview=_preview(request, values, row.published_at))


async def save(request: web.Request) -> web.StreamResponse:
    aid = path_id(request, "news article") if "id" in request.match_info else None
    staff, now = staff_of(request), now_of(request)
    form = await request.post()
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    data = {**values, "link": values["link"] or None, "created_by": staff.name}
    try:
        spec = news.NewsIn.model_validate(data)
        news.check_category(spec, state(request).config)
    except (ValidationError, InvalidInput) as e:
        problems = e.problems if isinstance(e, InvalidInput) else problem_lines(e, empty="(form)")
        return await _form(request, values, article=aid, status=422, errors=form_error_lines(problems))
    if form.get("action") == "preview":
        return await _form(request, values, article=aid, preview=_preview(request, values, now))
    engine, config = engine_of(request), state(request).config
    try:
        if aid is None:
            aid = await news.add(engine, config, spec, now)
            before = None
        else:
            before = await news.update(engine, config, aid, spec)
    except NotFound as e:
        raise web.HTTPNotFound(text=str(e)) from None
    async with engine.begin() as conn:
        await audit.record(conn, actor=staff.name, action="news.add" if before is None else "news.edit",
                           target=f"news:{aid}", at=now, ip=client_ip(request), before=before,
                           after=spec.model_dump(exclude={"created_by"}))
    raise web.HTTPFound(f"{PREFIX}/news/{aid}?saved=1")



async def dashboard_panel(request: web.Request, staff: Staff) -> dict[str, Any] | None:
    now, scope = now_of(request), staff.scope
    async with engine_of(request).connect() as conn:
        pending = [a for a in await ann_store.list_announcements(conn, RECENT_ANNOUNCEMENTS)
                   if a.status == "pending_approval" and visible(a, scope)]
        sends = [s for s in await ann_store.next_sends(conn, now, now + timedelta(hours=24)) if visible(s, scope)]
        waiting_here = await ann_store.handoffs_waiting_in(conn, now, staff.thon) if staff.thon else None
    return {"pending": pending, "sends": sends, "waiting_here": waiting_here}


PERMISSIONS = {
    "news.view": frozenset({"admin", "editor", "approver", "desk", "auditor"}),
    "news.edit": frozenset({"admin", "editor"}),
    "announcements.view": EVERYONE,  # a thôn team: only those reaching its thôn
    "announcements.create": frozenset({"admin", "editor", "thon_team"}),
    "announcements.approve": frozenset({"admin", "approver"}),
    "announcements.cancel": frozenset({"admin", "editor", "approver"}),
    "announcements.unreachable": frozenset({"admin", "thon_team"}),  # names and phones, for other channels
}

PAGES = ConsolePages(
    permissions=PERMISSIONS,
    nav=(NavItem("news.view", "/news", "Tin tức"), NavItem("announcements.view", "/announcements", "Thông báo")),
    routes=(
        *announcement_pages.ROUTES,
        Route("GET", "/news", news_list, "news.view"),
        Route("GET", "/news/new", new_form, "news.edit"),
        Route("POST", "/news/new", save, "news.edit"),
        Route("GET", "/news/{id}", edit_form, "news.edit"),
        Route("POST", "/news/{id}", save, "news.edit"),
    ),
    panels=(Panel("broadcasts_panel.html", dashboard_panel),),
    templates=Path(__file__).with_name("templates"),
)
