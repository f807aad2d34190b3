"""The console as a sub-application mounted at /console: templates, static files, middlewares, routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.config import AppConfig
from bot.console import audit_pages, dashboard, roles, signin, users_pages
from bot.console.pages import ConsolePages, Route
from bot.console.passwords import Passwords
from bot.console.web import (
    CONSOLE,
    PREFIX,
    ConsoleState,
    guarded,
    protection_middleware,
    security_headers,
    sessions_middleware,
)

HERE = Path(__file__).parent
FRAME = (signin.PAGES, dashboard.PAGES, audit_pages.PAGES, users_pages.PAGES)  # the console's own pages


def all_routes(features: Sequence[ConsolePages]) -> list[Route]:
    return [r for pages in (*FRAME, *features) for r in pages.routes]


def _local_time(config: AppConfig) -> Callable[[datetime | str | None], str]:
    tz = ZoneInfo(config.commune.timezone)

    def show(value: datetime | str | None) -> str:
        if not value:
            return "-"
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    return show


def build_console(config: AppConfig, features: Sequence[ConsolePages]) -> web.Application:
    """The console with each feature's pages, dashboard panels and templates."""
    console = web.Application(middlewares=[sessions_middleware, protection_middleware])
    passwords = Passwords(config.console.hash_workers)
    permissions = roles.permission_table(f.permissions for f in (*FRAME, *features))
    unknown = sorted({r.permission for r in all_routes(features) if r.permission} - set(permissions))
    if unknown:
        raise ValueError(f"console routes need undeclared permissions: {unknown}")
    console[CONSOLE] = ConsoleState(config, passwords, permissions, tuple(p for f in features for p in f.panels),
                                    tuple(i for f in features for i in f.nav))
    folders = [HERE / "templates", *(f.templates for f in features if f.templates is not None)]
    env = aiohttp_jinja2.setup(console, loader=jinja2.FileSystemLoader(folders),
                               autoescape=jinja2.select_autoescape(default=True), undefined=jinja2.StrictUndefined)
    env.filters["local"] = _local_time(config)
    env.globals["prefix"] = PREFIX
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    console.on_response_prepare.append(security_headers)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        passwords.close()

    console.cleanup_ctx.append(lifecycle)
    for route in all_routes(features):
        handler = route.handler if route.permission is None else guarded(route.permission, route.handler)
        console.router.add_route(route.method, route.path, handler)
    console.router.add_static("/static/", HERE / "static", name="static")
    return console


CONSOLE_APP = web.AppKey("console_app", web.Application)


def add_console(app: web.Application, config: AppConfig, features: Sequence[ConsolePages]) -> None:
    async def to_console(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{PREFIX}/")

    app.router.add_get(PREFIX, to_console)
    console = build_console(config, features)
    app[CONSOLE_APP] = console
    app.add_subapp(PREFIX, console)
