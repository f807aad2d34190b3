"""The sandbox chat page in a real browser: type, read the bot's reply, tap a menu button.

Uses the system Chromium (Debian package `chromium`) through Playwright's async API; skipped when none
is installed. The sandbox runs in this test's event loop on a free port with its own SQLite database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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


PHONE_SIZE, DESKTOP_SIZE = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "data" / "screenshots"  # kept for a person to look at


async def open_page(browser: Any, sandbox: RunningSandbox, size: dict[str, int]) -> Any:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    page = await browser.new_page(viewport=size)
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{sandbox.base_url}/sandbox")
    return page


async def say(page: Any, text: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def newest_is_above_the_input_bar(page: Any) -> None:
    """The newest message's last line or button is fully visible, not under the fixed input bar."""
    last = page.locator(".msg").last.locator(".bubble, button, a, form").last
    bar = await page.locator("#form").bounding_box()
    async with asyncio.timeout(TIMEOUT_MS / 1000):
        while (box := await last.bounding_box()) is None or box["y"] + box["height"] > bar["y"]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # the page scrolls on the next animation frames


@pytest.mark.browser
async def test_a_fresh_sandbox_answers_lookups_and_news_with_its_demo_data_at_phone_size(
        sandbox: RunningSandbox) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with chromium() as browser:
        from playwright.async_api import expect

        page = await open_page(browser, sandbox, PHONE_SIZE)
        hints = page.locator("#hints li")
        await expect(hints.first).to_be_visible()
        assert await hints.count() >= 5
        await page.screenshot(path=SCREENSHOTS / "phone-1-hints.png")

        # The demo dossier, from the list above the chat: its code, then the phone's last 4 digits.
        await hints.filter(has_text="cần bổ sung").locator("button").first.click()
        await expect(page.locator(".msg.bot .bubble", has_text="4 số cuối")).to_be_visible()
        await hints.filter(has_text="cần bổ sung").locator("button").nth(1).click()
        answer = page.locator(".msg.bot .bubble", has_text="cần bổ sung giấy tờ")
        await expect(answer).to_be_visible()
        await expect(answer).to_contain_text("Bản sao giấy chứng tử")
        await newest_is_above_the_input_bar(page)
        await page.screenshot(path=SCREENSHOTS / "phone-2-dossier.png")

        # The căn cước lookup: consent, receipt number, date of birth.
        await say(page, "căn cước xong chưa")
        await page.locator(".msg.bot .buttons").get_by_role("button", name="Đồng ý", exact=True).last.click()
        await expect(page.locator(".msg.bot .bubble", has_text="số biên nhận").last).to_be_visible()
        await say(page, "BN2026-000111")
        await expect(page.locator(".msg.bot .bubble", has_text="ngày sinh").last).to_be_visible()
        await say(page, "05/09/1990")
        await expect(page.locator(".msg.bot .bubble", has_text="đã có thẻ")).to_be_visible()
        await newest_is_above_the_input_bar(page)
        await page.screenshot(path=SCREENSHOTS / "phone-3-idcard.png")

        # News: the demo articles.
        await say(page, "tin tức")
        await expect(page.locator(".msg.bot", has_text="(Tin mẫu)").first).to_be_visible()
        await newest_is_above_the_input_bar(page)
        await page.screenshot(path=SCREENSHOTS / "phone-4-news.png")

        # A reload shows both sides of the conversation.
        await page.reload()
        await expect(page.locator(".msg.me .bubble", has_text="căn cước xong chưa")).to_be_visible()
        await expect(page.locator(".msg.bot .bubble", has_text="đã có thẻ")).to_be_visible()
        assert await page.locator(".msg.me").count() >= 6


@pytest.mark.browser
async def test_the_contact_form_card_can_be_filled_in_at_desktop_size(sandbox: RunningSandbox) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with chromium() as browser:
        from playwright.async_api import expect

        page = await open_page(browser, sandbox, DESKTOP_SIZE)
        await page.click("#follow")  # onboarding: thôn, topics, then the contact card
        await page.locator(".msg.bot .buttons button").first.click()
        await page.locator(".msg.bot .buttons button", has_text="Các tin thiết yếu").click()
        await page.locator(".msg.bot .buttons button", has_text="Đồng ý chia sẻ").click()
        form = page.locator("form.infoform")
        await expect(form).to_be_visible()
        await newest_is_above_the_input_bar(page)
        await form.locator("input[name=name]").fill("Nguyễn Văn Thử")
        await form.locator("input[name=phone]").fill("0900000000")
        await form.locator("input[name=address]").fill("Tổ 1")
        await form.locator("button[type=submit]").click()
        await expect(page.locator(".msg.bot .bubble", has_text="đã lưu thông tin liên hệ")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "desktop-contact-form.png")
