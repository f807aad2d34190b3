"""A staff member to click as: a cookie-keeping HTTP client for /console that reads each form's CSRF token
from the page, as a browser would, and staff accounts made through the same code as `users add`."""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
from yarl import URL

from bot.console import users
from bot.console.passwords import Passwords
from bot.console.users import InvalidInput
from tests.kit import BotHarness

PASSWORD = "mat-khau-dung-1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def add_staff(bot: BotHarness, name: str, *roles: str, thon: tuple[str, ...] = (),
                    zalo_user_id: str | None = None, password: str = PASSWORD) -> None:
    passwords = Passwords(1, processes=False)
    try:
        spec = users.UserIn(name=name, roles=list(roles), thon=list(thon), zalo_user_id=zalo_user_id)
        await users.add(bot.runtime.engine, bot.runtime.config, passwords, spec, password, bot.runtime.clock(),
                        "test")
    except InvalidInput as e:
        raise AssertionError(e.problems) from None
    finally:
        passwords.close()


class Page:
    def __init__(self, status: int, text: str, headers: Any, url: URL) -> None:
        self.status, self.text, self.headers, self.url = status, text, headers, url

    @property
    def csrf(self) -> str:
        found = _CSRF.search(self.text)
        assert found, f"no csrf_token on the page ({self.status}):\n{self.text[:500]}"
        return html.unescape(found.group(1))

    def has(self, text: str) -> bool:
        return text in html.unescape(self.text)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class StaffClient:
    """One browser: its own cookies. Requests don't follow redirects, so tests see the 302s."""

    def __init__(self, target: BotHarness | str) -> None:
        """`target`: the test harness, or a running service's base URL (the sandbox)."""
        self.base = URL(target if isinstance(target, str) else str(target.server.make_url("")).rstrip("/"))
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.origin = str(self.base)
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> StaffClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def url(self, path: str) -> URL:
        return self.base.join(URL(path))

    async def get(self, path: str) -> Page:
        async with self.http.get(self.url(path), allow_redirects=False) as resp:
            page = Page(resp.status, await resp.text(), resp.headers, resp.url)
        if page.status == 200 and _CSRF.search(page.text):
            self.csrf = page.csrf
        return page

    async def post(self, path: str, data: Any = None, *, csrf: bool = True, origin: str | None = "same",
                   headers: dict[str, str] | None = None) -> Page:
        form: list[tuple[str, str]] = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            form.append(("csrf_token", self.csrf))
        sent = dict(headers or {})
        if origin is not None:
            sent["Origin"] = self.origin if origin == "same" else origin
        async with self.http.post(self.url(path), data=form, headers=sent, allow_redirects=False) as resp:
            page = Page(resp.status, await resp.text(), resp.headers, resp.url)
        if _CSRF.search(page.text):
            self.csrf = page.csrf
        return page

    async def login(self, name: str, password: str = PASSWORD) -> Page:
        await self.get("/console/login")
        page = await self.post("/console/login", {"name": name, "password": password})
        if page.status == 302 and not page.location.startswith("/console/totp"):
            await self.get(page.location)  # the next page carries the session's token
        return page

    def cookie(self, name: str) -> str | None:
        for c in self.http.cookie_jar:
            if c.key == name:
                return c.value
        return None
