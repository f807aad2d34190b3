"""The sandbox chat page in a real browser: type, read the bot's reply, tap a menu button.

Uses the system Chromium (Debian package `chromium`) through Playwright's async API; skipped when none
is installed. The sandbox runs in this test's event loop on a free port with its own SQLite database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import build_config
from bot.testing.sandbox import DEMO_ADMIN, RunningSandbox, start_sandbox
from tests.browser import TIMEOUT_MS, chromium
from tests.console.kit import StaffClient
from tests.databases import SqliteDatabases


@pytest.fixture
async def sandbox(sqlite_databases: SqliteDatabases) -> AsyncIterator[RunningSandbox]:
    url = await sqlite_databases.create()
    config = build_config({"database": {"url": url}, "log_level": "WARNING"}, environ={})
    # Port 0 (a free port) is not a valid configured port, so set it after validation, as terminal_chat does.
    config = config.model_copy(update={"server": config.server.model_copy(update={"host": "127.0.0.1", "port": 0})})
    running = await start_sandbox(config)
    try:
        yield running
    finally:
        await running.close()
        await sqlite_databases.drop(url)


@pytest.mark.browser
async def test_sandbox_page_chats_with_the_bot(sandbox: RunningSandbox) -> None:
    async with chromium() as browser:
        from playwright.async_api import expect

        page = await browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        await page.goto(f"{sandbox.base_url}/sandbox")

        await page.fill("#text", "menu")
        await page.press("#text", "Enter")
        await expect(page.locator(".msg.me .bubble", has_text="menu")).to_be_visible()
        menu_title = page.locator(".msg.bot .bubble", has_text="Bạn cần giúp gì")
        await expect(menu_title.first).to_be_visible(timeout=TIMEOUT_MS)

        handoff = page.locator(".msg.bot .buttons button", has_text="Gặp cán bộ")
        await expect(handoff.first).to_be_visible()
        await handoff.first.click()

        # The tap posts the button's hidden payload; the page shows its title as the resident's message.
        await expect(page.locator(".msg.me .bubble", has_text="Gặp cán bộ")).to_be_visible()
        answer = page.locator(".msg.bot .bubble", has_text="Tôi đã chuyển tin nhắn của bạn cho cán bộ")
        await expect(answer).to_be_visible(timeout=TIMEOUT_MS)


async def test_demo_admin_signs_in_to_the_console_beside_the_sandbox(sandbox: RunningSandbox) -> None:
    """A newcomer can act as resident and staff at once: the sandbox makes a demo admin."""
    async with StaffClient(sandbox.base_url) as staff:
        assert (await staff.get("/console")).location == "/console/"
        page = await staff.login(*DEMO_ADMIN)
        assert page.status == 302 and page.location == "/console/"  # no authenticator needed in the sandbox
        assert (await staff.get("/console/audit")).status == 200
        async with staff.http.get(staff.url("/sandbox")) as resp:
            assert resp.status == 200
