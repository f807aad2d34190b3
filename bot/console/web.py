"""The console's HTTP plumbing: who is signed in (sessions in the database), the CSRF token and Origin
check on every state change, security headers, permission checks and page rendering."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import AppConfig
from bot.console import roles
from bot.console.pages import Handler, NavItem, Panel
from bot.console.passwords import Passwords
from bot.runtime import RUNTIME
from storage.console import repo

SESSION_COOKIE = "motcua_console"
LOGIN_CSRF_COOKIE = "motcua_console_csrf"  # before sign-in: a double-submitted token
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
PREFIX = "/console"
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session
SECOND_FACTOR_MINUTES = 10  # between a correct password and the TOTP code
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass
class ConsoleState:
    config: AppConfig
    passwords: Passwords
    permissions: Mapping[str, frozenset[str]]  # permission → the roles that have it
    panels: tuple[Panel, ...] = ()
    nav: tuple[NavItem, ...] = ()


CONSOLE = web.AppKey("console", ConsoleState)


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str
    roles: tuple[str, ...]
    thon: tuple[str, ...]
    zalo_user_id: str | None
    session_id: str
    csrf_token: str
    stage: str  # "totp" (password given, code awaited) | "full"
    permissions: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def can(self, permission: str) -> bool:
        return any(r in self.permissions[permission] for r in self.roles)

    @property
    def scope(self) -> frozenset[str] | None:
        """None: the whole commune; otherwise the thôn this member may see."""
        return roles.thon_scope(self.roles, self.thon)


STAFF: web.RequestKey[Staff | None] = web.RequestKey("staff")
NEW_LOGIN_CSRF = web.RequestKey("new_login_csrf", str)


def state(request: web.Request) -> ConsoleState:
    return request.config_dict[CONSOLE]


def engine_of(request: web.Request) -> AsyncEngine:
    return request.config_dict[RUNTIME].engine


def now_of(request: web.Request) -> datetime:
    return request.config_dict[RUNTIME].clock()


def path_id(request: web.Request, what: str) -> int:
    """The numeric `{id}` of a page's path; anything else is a 404 naming `what` is missing."""
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise web.HTTPNotFound(text=f"{what} {raw!r} does not exist")
    return int(raw)


def client_ip(request: web.Request) -> str:
    return request.remote or "-"


def staff_of(request: web.Request) -> Staff:
    staff = request.get(STAFF)
    assert isinstance(staff, Staff), "a guarded handler runs only with a signed-in member"
    return staff


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_https(request: web.Request) -> bool:
    return request.secure or state(request).config.server.public_base_url.startswith("https://")


def redirect(location: str) -> web.Response:
    """A 302 to return (not raise) when cookies go with it."""
    return web.Response(status=302, headers={"Location": location})


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(name, value, path=PREFIX, httponly=True, samesite="Lax", secure=is_https(request))


def clear_cookie(request: web.Request, response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=PREFIX, secure=is_https(request), httponly=True, samesite="Lax")


# --- sessions ----------------------------------------------------------------------------------------

async def start_session(conn: AsyncConnection, request: web.Request, user_id: int, stage: str) -> str:
    """A new session (a new id every time: sign-in renews it); returns the cookie's token."""
    config, now = state(request).config.console, now_of(request)
    token = secrets.token_urlsafe(32)
    lifetime = (timedelta(minutes=SECOND_FACTOR_MINUTES) if stage == "totp"
                else timedelta(hours=config.session_absolute_hours))
    await repo.add_session(conn, {"id": session_id(token), "user_id": user_id, "stage": stage,
                                  "csrf_token": secrets.token_urlsafe(32), "created_at": now, "last_seen_at": now,
                                  "expires_at": now + lifetime, "ip": client_ip(request)})
    return token


async def load_staff(request: web.Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    config, now = state(request).config.console, now_of(request)
    sid = session_id(token)
    async with engine_of(request).begin() as conn:
        row = await repo.session_with_user(conn, sid)
        if row is None:
            return None
        idle_limit = row.last_seen_at + timedelta(minutes=config.session_idle_minutes)
        if row.disabled or row.expires_at <= now or idle_limit <= now:
            await repo.delete_session(conn, sid)
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            await repo.touch_session(conn, sid, now)
    return Staff(row.user_id, row.name, tuple(row.roles), tuple(row.thon), row.zalo_user_id, sid, row.csrf_token,
                 row.stage, state(request).permissions)


@web.middleware
async def sessions_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[STAFF] = await load_staff(request)
    return await handler(request)


# --- request protection ------------------------------------------------------------------------------

def expected_origins(request: web.Request) -> set[str]:
    origins = {f"{request.scheme}://{request.host}"}
    public = urlsplit(state(request).config.server.public_base_url)
    if public.scheme and public.netloc:
        origins.add(f"{public.scheme}://{public.netloc}")
    return origins


def _origin_problem(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    if origin is None and "Referer" in request.headers:
        ref = urlsplit(request.headers["Referer"])
        origin = f"{ref.scheme}://{ref.netloc}"
    if origin is not None and origin not in expected_origins(request):
        return f"Origin {origin} is not this site"
    return None


def login_csrf_token(request: web.Request) -> str:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or request.get(NEW_LOGIN_CSRF)
    if not token:
        token = request[NEW_LOGIN_CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_token(request: web.Request) -> str:
    staff = request.get(STAFF)
    return staff.csrf_token if staff is not None else login_csrf_token(request)


@web.middleware
async def protection_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """State changes need this site's Origin (when the browser sends one) and the session's CSRF token,
    as the form field `csrf_token` or the `X-CSRF-Token` header."""
    if request.method not in SAFE_METHODS:
        problem = _origin_problem(request)
        if problem is None:
            given: object = request.headers.get(CSRF_HEADER)
            if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                given = (await request.post()).get(CSRF_FIELD)
            staff = request.get(STAFF)
            expected = staff.csrf_token if staff is not None else request.cookies.get(LOGIN_CSRF_COOKIE)
            if not isinstance(given, str) or not expected or not hmac.compare_digest(given, expected):
                problem = "the form's csrf_token is missing or out of date"
        if problem is not None:
            return await render(request, "error.html", status=403, title="Yêu cầu bị từ chối",
                                message="Biểu mẫu đã hết hạn hoặc không đến từ trang này. Hãy tải lại trang "
                                        "và thử lại.", detail=problem)
    response = await handler(request)
    new_token = request.get(NEW_LOGIN_CSRF)
    if new_token:
        set_cookie(request, response, LOGIN_CSRF_COOKIE, new_token)
    return response


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if request.path.startswith(f"{PREFIX}/static/"):
        headers["Cache-Control"] = "public, max-age=3600"
    else:  # pages carry personal data: never stored by the browser or a proxy
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"


# --- permission checks and pages ---------------------------------------------------------------------

def login_url(request: web.Request) -> str:
    target = request.path_qs if request.method == "GET" else f"{PREFIX}/"
    return f"{PREFIX}/login?next={quote(target, safe='')}"


def guarded(permission: str, handler: Handler) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        staff = request.get(STAFF)
        if staff is None or staff.stage != "full":
            raise web.HTTPFound(login_url(request))
        if not staff.can(permission):
            return await render(request, "error.html", status=403, title="Không có quyền",
                                message="Tài khoản của bạn không có quyền mở trang này.", detail=permission)
        return await handler(request)
    return checked


def nav(request: web.Request, staff: Staff | None) -> list[tuple[str, str]]:
    """The menu: the dashboard, each feature's entries, the audit log and the account, as far as allowed."""
    if staff is None or staff.stage != "full":
        return []
    items = (NavItem("dashboard", "/", "Tổng quan"), *state(request).nav, NavItem("audit.view", "/audit", "Nhật ký"),
             NavItem("users.manage", "/users", "Nhân viên"), NavItem("dashboard", "/account", "Tài khoản"))
    return [(PREFIX + i.path, i.label) for i in items if staff.can(i.permission)]


async def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    staff = request.get(STAFF)
    cfg = state(request).config
    context.update(staff=staff, csrf_token=csrf_token(request), nav=nav(request, staff), commune=cfg.commune.name,
                   role_names=roles.ROLE_NAMES, path=request.path,
                   staff_thon=[next((t.name for t in cfg.commune.thon if t.slug == s), s) for s in staff.thon]
                   if staff else [])
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def form_error_lines(problems: list[str]) -> dict[str, list[str]]:
    """"field: reason" lines (from the shared pydantic models and services) grouped by field."""
    by_field: dict[str, list[str]] = {}
    for line in problems:
        field, _, reason = line.partition(": ")
        by_field.setdefault(field.split(".")[0], []).append(reason or line)
    return by_field
