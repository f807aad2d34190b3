"""Staff accounts for admins: who has which roles and thôn, whether their authenticator is enrolled, and
blocking or unblocking an account (blocking ends its sessions). Accounts and passwords are created and
reset with `python -m bot users`, so no password ever passes through a page."""

from __future__ import annotations

from aiohttp import web

from bot.console import users
from bot.console.pages import ConsolePages, Route
from bot.console.web import PREFIX, client_ip, engine_of, now_of, render, staff_of
from bot.errors import NotFound


async def users_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.StreamResponse:
    return await render(request, "users.html", status=status, title="Tài khoản nhân viên",
                        accounts=await users.list_all(engine_of(request)), error=error)


async def users_list(request: web.Request) -> web.StreamResponse:
    return await users_page(request)


async def set_blocked(request: web.Request) -> web.StreamResponse:
    staff = staff_of(request)
    name = request.match_info["name"]
    block = (await request.post()).get("disabled") == "1"
    if block and users.login_name(name) == staff.name:
        return await users_page(request, status=422, error="name: you cannot block your own account")
    try:
        await users.set_disabled(engine_of(request), name, block, now_of(request), staff.name, ip=client_ip(request))
    except NotFound as e:
        raise web.HTTPNotFound(text=str(e)) from None
    raise web.HTTPFound(f"{PREFIX}/users")


PAGES = ConsolePages(routes=(Route("GET", "/users", users_list, "users.manage"),
                             Route("POST", "/users/{name}/disabled", set_blocked, "users.manage")))
