"""Teaching and verifying through Chromium at phone and desktop sizes, without JavaScript: a message the
bot only half understood becomes an informal name, is published and then reaches the procedure's card;
a confirmed fee loses its caveat for that procedure only."""

from __future__ import annotations

import pytest

from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.editor.kit import admin_console
from tests.editor.test_teach_pages import BIRTH, CARD_TITLE, NEWBORN
from tests.editor.test_verify_pages import CAVEAT
from tests.kit import texts

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@SIZES
async def test_an_informal_name_taught_from_the_list_reaches_the_card(db_url: str, size: dict[str, int]) -> None:
    async with admin_console(db_url) as (bot, _staff), chromium() as browser:
        assert CARD_TITLE not in texts(await bot.resident("u1").say(NEWBORN))
        await bot.resident("u2").say("con mèo nhà tôi đi lạc, ai thấy gọi 0905123456")
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("hoa")
            await t.goto("/console/flows")
            await t.page.click("text=Dạy bot từ câu hỏi chưa trả lời được")
            assert NEWBORN in await t.text() and "0905123456" not in await t.text()
            await t.shot("teach-list")
            group = t.page.locator("form.teach", has_text=NEWBORN)
            await group.locator("select").select_option(f"proc:{BIRTH}")
            await group.locator("button").click()
            assert "Đã thêm vào bản nháp" in await t.text("#done")
            await t.shot("teach-added")
            await t.goto("/console/flows")
            assert "catalog.toml" in await t.text("#drafts")
            await t.page.click("#publish button")
            assert "Đã xuất bản" in await t.text("#done")
        assert CARD_TITLE in texts(await bot.resident("u3").say(NEWBORN))


@SIZES
async def test_a_confirmed_fee_loses_its_caveat_for_that_procedure_only(db_url: str, size: dict[str, int]) -> None:
    figure = "#proc-ho-tich-dang-ky-khai-tu-fee_text"
    async with admin_console(db_url) as (bot, _staff), chromium() as browser:
        assert CAVEAT in texts(await bot.resident("u1").say("đăng ký khai tử"))
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("hoa")
            await t.goto("/console/flows")
            await t.page.click("text=Cần xác minh")
            await t.shot("verify-list")
            await t.page.click("#proc-ho-tich-dang-ky-khai-tu > summary")
            await t.shot("verify-procedure-open")
            await t.page.click(f"{figure} summary")  # the correction form opens without JavaScript
            await t.page.fill(f"{figure} textarea", "")
            await t.page.fill(f"{figure} form.correct input[name=source]", "Gọi bộ phận một cửa")
            await t.page.click(f"{figure} form.correct button")
            assert "value: write the corrected figure" in await t.text(f"{figure}")
            await t.shot("verify-correction-refused")
            await t.page.fill(f"{figure} form.confirm input[name=source]", "Nghị quyết HĐND TP Đà Nẵng 12/2025")
            await t.page.click(f"{figure} form.confirm button")
            assert "Đã xác nhận" in await t.text("#done")
            assert await t.page.locator(figure).count() == 0
            await t.shot("verify-confirmed")
        assert CAVEAT not in texts(await bot.resident("u2").say("đăng ký khai tử"))
        assert CAVEAT in texts(await bot.resident("u3").say("đăng ký khai sinh"))
