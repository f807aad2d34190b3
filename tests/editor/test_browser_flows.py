"""An admin changes a text through Chromium at phone and desktop sizes, without JavaScript: a bad
placeholder is named beside the text, the fixed draft is tried in the Thử pane, published to residents at
the fake Zalo, and rolled back."""

from __future__ import annotations

import pytest

from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.kit import BotHarness, texts

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
OLD = "Bạn cần giúp gì?"
NEW = "Phường có thể giúp gì cho bạn?"


@SIZES
async def test_edit_check_try_publish_and_roll_back_a_text(db_url: str, size: dict[str, int]) -> None:
    async with BotHarness.start(db_url, console={"require_totp_for": []}) as bot, chromium() as browser:
        await add_staff(bot, "hoa", "admin")
        resident = bot.resident("u1")
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("hoa")
            await t.page.click("nav >> text=Cấu hình bot")
            await t.shot("flows-overview")
            await t.page.click("text=Câu trả lời của bot")
            await t.page.fill("#q", "menu_title")
            await t.page.click("#search button")
            await t.page.fill("#value-menu_title", "{ten} ơi, bạn cần giúp gì?")
            await t.page.click("#text-menu_title button")
            assert "unknown placeholder {ten}" in await t.text("#text-menu_title")
            await t.shot("flows-text-error")

            await t.page.fill("#value-menu_title", NEW)
            await t.page.click("#text-menu_title button")
            assert "đã sửa trong bản nháp" in await t.text("#text-menu_title")
            await t.goto("/console/flows/try")
            await t.page.fill("#text", "menu")
            await t.page.click("#say button")
            assert NEW in await t.text("#chat")
            await t.shot("flows-try")
            assert OLD in texts(await resident.say("menu")), "a draft reaches no resident"

            await t.goto("/console/flows")
            assert "menu_title" in await t.text("main") or "texts.toml" in await t.text("#drafts")
            await t.page.click("#publish button")
            assert "Đã xuất bản" in await t.text("#done")
            await t.shot("flows-published")
            assert NEW in texts(await resident.say("menu"))

            await t.goto("/console/flows/history/texts.toml")
            await t.shot("flows-history")
            await t.page.click("#version-1 button")
            assert "Đã quay lại" in await t.text("#done")
            assert OLD in texts(await resident.say("menu"))
