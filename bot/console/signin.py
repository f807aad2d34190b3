"""Signing in and out: password (argon2id), lockout by name and address, the TOTP second factor for the
roles that need it, session renewal at sign-in, and signing out everywhere."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pyotp
import segno
from aiohttp import web
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console import audit
from bot.console.pages import ConsolePages, Route
from bot.console.users import login_name
from bot.console.web import (
    PREFIX,
    SESSION_COOKIE,
    STAFF,
    clear_cookie,
    client_ip,
    engine_of,
    now_of,
    redirect,
    render,
    session_id,
    set_cookie,
    staff_of,
    start_session,
    state,
)
from storage.console import repo

BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."
LOCKED = "Đăng nhập sai quá nhiều lần. Tài khoản hoặc máy này tạm bị khóa {minutes} phút; hãy thử lại sau."
UNKNOWN_NAME = "(tên không có)"
BAD_CODE = "Mã xác thực không đúng hoặc đã dùng. Hãy nhập mã mới trong ứng dụng xác thực."
TOTP_ISSUER = "motcua"


def _safe_next(raw: str | None) -> str:
    """Only a path inside the console (no other site, no scheme-relative //host)."""
    if raw and raw.startswith(f"{PREFIX}/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return f"{PREFIX}/"


def attempt_key(name: str) -> str:
    """What attempts are counted under: a hash, since a mistyped name is sometimes the password."""
    return hashlib.sha256(name.encode()).hexdigest()


async def _locked(conn: AsyncConnection, request: web.Request, name: str, now: datetime) -> bool:
    cfg = state(request).config.console
    since = now - timedelta(minutes=cfg.lockout_minutes)
    if len(await repo.failures_since(conn, since, name=attempt_key(name))) >= cfg.max_failures:
        return True
    return len(await repo.failures_since(conn, since, ip=client_ip(request))) >= cfg.ip_max_failures


async def _fail(request: web.Request, name: str, known: bool, action: str, now: datetime) -> None:
    """A failed attempt, counted for the lockout; the audit names the account only when it exists."""
    async with engine_of(request).begin() as conn:
        await repo.record_attempt(conn, attempt_key(name), client_ip(request), False, now)
        await audit.record(conn, actor=name if known else UNKNOWN_NAME, action=action, at=now, ip=client_ip(request))


def _minutes(request: web.Request) -> int:
    return state(request).config.console.lockout_minutes


async def login_page(request: web.Request) -> web.StreamResponse:
    staff = request.get(STAFF)
    if staff is not None and staff.stage == "full":
        raise web.HTTPFound(_safe_next(request.query.get("next")))
    return await render(request, "login.html", next=_safe_next(request.query.get("next")), name="", error=None)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name, password = login_name(str(form.get("name", ""))), str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "")))
    now = now_of(request)
    console = state(request)

    async def again(message: str, status: int) -> web.StreamResponse:
        return await render(request, "login.html", status=status, next=nxt, name=name, error=message)

    if not name or not password:
        return await again("Hãy nhập tên đăng nhập (name) và mật khẩu (password).", 400)
    async with engine_of(request).begin() as conn:
        # Housekeeping at each sign-in: attempts older than any lockout window, sessions past their expiry.
        await repo.delete_attempts_before(conn, now - timedelta(days=1))
        idle = timedelta(minutes=console.config.console.session_idle_minutes)
        await repo.delete_expired_sessions(conn, now, now - idle)
        locked = await _locked(conn, request, name, now)
        user = await repo.user_by_name(conn, name)
    if locked:
        await _fail(request, name, user is not None, "login.locked", now)
        return await again(LOCKED.format(minutes=_minutes(request)), 429)
    ok = await console.passwords.verify(user.password_hash if user is not None else None, password)
    if user is None or not ok or user.disabled:
        await _fail(request, name, user is not None, "login.failed", now)
        return await again(BAD_LOGIN, 401)
    needs_totp = any(r in console.config.console.require_totp_for for r in user.roles)
    async with engine_of(request).begin() as conn:
        await repo.record_attempt(conn, attempt_key(name), client_ip(request), True, now)
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await repo.delete_session(conn, session_id(old))
        token = await start_session(conn, request, user.id, "totp" if needs_totp else "full")
        if not needs_totp:
            await audit.record(conn, actor=name, action="login", at=now, ip=client_ip(request))
    response = redirect(f"{PREFIX}/totp?next={nxt}" if needs_totp else nxt)
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


def _qr_svg(uri: str) -> Markup:
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff", omitsize=True)
    return Markup(svg)  # segno's own SVG for a URI we built: nothing from the user


async def _second_factor_user(request: web.Request) -> Any:
    staff = request.get(STAFF)
    if staff is None or staff.stage != "totp":
        raise web.HTTPFound(f"{PREFIX}/login")
    async with engine_of(request).begin() as conn:
        user = await repo.user_by_id(conn, staff.user_id)
        assert user is not None, "a session's user is deleted with it (ON DELETE CASCADE)"
        if user.totp_secret is None:  # first sign-in: enrol an authenticator
            await repo.set_user(conn, user.id, totp_secret=pyotp.random_base32())
            user = await repo.user_by_id(conn, staff.user_id)
    return user


async def _totp_page(request: web.Request, user: Any, status: int = 200, error: str | None = None
                     ) -> web.StreamResponse:
    enrolling = user.totp_confirmed_at is None
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.name, issuer_name=TOTP_ISSUER)
    return await render(request, "totp.html", status=status, enrolling=enrolling, error=error,
                        qr=_qr_svg(uri) if enrolling else None, secret=user.totp_secret if enrolling else None,
                        next=_safe_next(request.query.get("next")))


async def totp_page(request: web.Request) -> web.StreamResponse:
    return await _totp_page(request, await _second_factor_user(request))


async def totp(request: web.Request) -> web.StreamResponse:
    user = await _second_factor_user(request)
    staff = staff_of(request)
    form = await request.post()
    code = "".join(str(form.get("code", "")).split())
    now = now_of(request)
    totp_ = pyotp.TOTP(user.totp_secret)
    step = totp_.timecode(now)
    matched = next((s for s in (step, step - 1, step + 1)
                    if code.isdigit() and totp_.generate_otp(s) == code and s > (user.totp_last_step or -1)), None)
    if matched is None:
        await _fail(request, user.name, True, "login.totp_failed", now)
        async with engine_of(request).begin() as conn:
            locked = await _locked(conn, request, user.name, now)
            if locked:
                await repo.delete_session(conn, staff.session_id)
        if locked:
            response = await render(request, "login.html", status=429, next=f"{PREFIX}/", name=user.name,
                                    error=LOCKED.format(minutes=_minutes(request)))
            clear_cookie(request, response, SESSION_COOKIE)
            return response
        return await _totp_page(request, user, status=401, error=BAD_CODE)
    async with engine_of(request).begin() as conn:
        values: dict[str, Any] = {"totp_last_step": matched}
        if user.totp_confirmed_at is None:
            values["totp_confirmed_at"] = now
            await audit.record(conn, actor=user.name, action="user.totp_enrolled", target=f"user:{user.name}",
                               at=now, ip=client_ip(request))
        await repo.set_user(conn, user.id, **values)
        await repo.record_attempt(conn, attempt_key(user.name), client_ip(request), True, now)
        await repo.delete_session(conn, staff.session_id)
        token = await start_session(conn, request, user.id, "full")
        await audit.record(conn, actor=user.name, action="login", at=now, ip=client_ip(request))
    response = redirect(_safe_next(str(form.get("next", ""))))
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    staff = request.get(STAFF)
    everywhere = (await request.post()).get("everywhere") == "1"
    if staff is not None:
        async with engine_of(request).begin() as conn:
            if everywhere:
                await repo.delete_user_sessions(conn, staff.user_id)
            else:
                await repo.delete_session(conn, staff.session_id)
            await audit.record(conn, actor=staff.name, action="logout.everywhere" if everywhere else "logout",
                               at=now_of(request), ip=client_ip(request))
    response = redirect(f"{PREFIX}/login")
    clear_cookie(request, response, SESSION_COOKIE)
    return response


async def account(request: web.Request) -> web.StreamResponse:
    staff = staff_of(request)
    async with engine_of(request).connect() as conn:
        sessions = await repo.count_user_sessions(conn, staff.user_id)
    return await render(request, "account.html", sessions=sessions)


PAGES = ConsolePages(routes=(
    Route("GET", "/login", login_page, None),
    Route("POST", "/login", login, None),
    Route("GET", "/totp", totp_page, None),
    Route("POST", "/totp", totp, None),
    Route("POST", "/logout", logout, None),
    Route("GET", "/account", account, "dashboard"),
))
