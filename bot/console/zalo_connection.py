"""The Zalo connection page: an admin connects or reconnects the OA through Zalo's OAuth v4 consent with
PKCE, instead of pasting tokens in a shell. The verifier and state wait in an HttpOnly cookie of this
browser; the callback checks the state, exchanges the code and stores the pair through the token manager
(which also releases the messages that waited for a token)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from aiohttp import web

from bot.console import audit
from bot.console.pages import ConsolePages, NavItem, Route
from bot.console.web import (
    PREFIX,
    clear_cookie,
    client_ip,
    engine_of,
    now_of,
    redirect,
    render,
    set_cookie,
    staff_of,
    state,
)
from bot.runtime import RUNTIME
from bot.zalo.client import TokenRefreshError
from storage.console import dashboard as figures

OAUTH_COOKIE = "motcua_zalo_oauth"
NOTICES = {"connected": "Đã kết nối OA: token mới đã được lưu."}


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def callback_url(request: web.Request) -> str:
    """Where Zalo sends the admin back: under the public address when one is set (the one registered with
    the Zalo app), else the address this page was opened at."""
    base = state(request).config.server.public_base_url.rstrip("/") or f"{request.scheme}://{request.host}"
    return f"{base}{PREFIX}/zalo/callback"


async def page(request: web.Request, status: int = 200, problem: str | None = None) -> web.Response:
    config = state(request).config.zalo
    async with engine_of(request).connect() as conn:
        token = await figures.token_row(conn)
    return await render(request, "zalo_connection.html", status=status, title="Kết nối Zalo", token=token,
                        now=now_of(request), problem=problem, callback=callback_url(request),
                        configured=bool(config.app_id and config.app_secret),
                        notice=NOTICES.get(request.query.get("done", "")))


async def show(request: web.Request) -> web.StreamResponse:
    return await page(request)


async def connect(request: web.Request) -> web.StreamResponse:
    """Off to Zalo's consent page with a fresh PKCE challenge and state. A link (GET), not a form: the
    console's CSP allows forms to submit only to itself, redirects included. Nothing is stored here, and
    the callback stores a pair only for the state this browser was given."""
    config = state(request).config.zalo
    if not (config.app_id and config.app_secret):
        return await page(request, 409, "zalo.app_id / zalo.app_secret: not configured (MOTCUA_ZALO__APP_SECRET)")
    from bot.app import zalo_client  # the app module wires the console: imported when used

    verifier, flow_state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    client = zalo_client(request.config_dict[RUNTIME].http, config)
    response = redirect(client.consent_url(callback_url(request), challenge_of(verifier), flow_state))
    set_cookie(request, response, OAUTH_COOKIE, f"{flow_state}.{verifier}")
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    staff, now, rt = staff_of(request), now_of(request), request.config_dict[RUNTIME]
    expected_state, _, verifier = request.cookies.get(OAUTH_COOKIE, "").partition(".")
    code, given_state = request.query.get("code", ""), request.query.get("state", "")
    if not expected_state or not verifier or not hmac.compare_digest(given_state, expected_state):
        return await page(request, 400, "state: this answer from Zalo does not belong to a connection started "
                                        "in this browser; press Kết nối again")
    if not code:
        return await page(request, 400, "code: Zalo sent no code (the consent was refused?)")
    from bot.app import zalo_client

    try:
        pair = await zalo_client(rt.http, state(request).config.zalo).exchange_code(code, verifier)
    except TokenRefreshError as e:
        return await page(request, 502, f"code: Zalo refused the exchange ({e.code}): {e.message}")
    await rt.tokens.set_pair(pair.access_token, pair.refresh_token, timedelta(seconds=pair.expires_in))
    async with engine_of(request).begin() as conn:
        await audit.record(conn, actor=staff.name, action="zalo.connect", target="zalo:oa", at=now,
                           ip=client_ip(request), after={"expires_in": pair.expires_in})
    rt.sender.wake()
    response = redirect(f"{PREFIX}/zalo?done=connected")
    clear_cookie(request, response, OAUTH_COOKIE)
    return response


PAGES = ConsolePages(
    permissions={"zalo.connect": frozenset({"admin"})},
    nav=(NavItem("zalo.connect", "/zalo", "Kết nối Zalo"),),
    routes=(Route("GET", "/zalo", show, "zalo.connect"),
            Route("GET", "/zalo/connect", connect, "zalo.connect"),
            Route("GET", "/zalo/callback", callback, "zalo.connect")),
)
