"""Driving the console in headless Chromium (Debian's package, through Playwright) with JavaScript off:
every form must work without it. Screenshots go to $MOTCUA_SCREENSHOTS when set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.browser import TIMEOUT_MS
from tests.console.kit import PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])


class Tab:
    """One person's browser tab at one screen size."""

    def __init__(self, page: Any, base_url: str, size: dict[str, int], name: str) -> None:
        self.page, self.base_url, self.size, self.name = page, base_url, size, name

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base_url + path)

    async def login(self, name: str, password: str = PASSWORD) -> None:
        await self.goto("/console/login")
        await self.page.fill("#name", name)
        await self.page.fill("#password", password)
        await self.page.click("button[type=submit]")

    async def logout(self) -> None:
        await self.page.click("header form button")  # Đăng xuất

    async def shot(self, label: str) -> None:
        """A screenshot to look at, and the phone-size rule: the page never scrolls sideways."""
        folder = os.environ.get("MOTCUA_SCREENSHOTS")
        if folder:
            await self.page.screenshot(path=f"{folder}/{label}-{self.size['width']}.png", full_page=True)
        overflow = await self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{label}: the page is {overflow}px wider than the {self.size['width']}px screen"

    async def text(self, selector: str = "main") -> str:
        return str(await self.page.inner_text(selector))


@asynccontextmanager
async def tab(browser: Any, base_url: str, size: dict[str, int], name: str = "staff") -> AsyncIterator[Tab]:
    context = await browser.new_context(viewport=size, java_script_enabled=False, locale="vi-VN")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield Tab(page, base_url, size, name)
    finally:
        await context.close()
