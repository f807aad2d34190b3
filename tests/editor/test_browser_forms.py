"""The form editors through Chromium at phone and desktop sizes, without JavaScript: a procedure's fee edited
in its form reaches a resident's card once published, and the test-a-sentence box shows how an
abbreviation added to the lexicon changes the top procedures."""

from __future__ import annotations

import pytest

from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.kit import BotHarness, texts

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
FEE = "Lệ phí 12.000 đồng mỗi lần khai"


@SIZES
async def test_edit_a_fee_publish_it_and_test_a_sentence(db_url: str, size: dict[str, int]) -> None:
    async with BotHarness.start(db_url, console={"require_totp_for": []}) as bot, chromium() as browser:
        await add_staff(bot, "hoa", "admin")
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("hoa")
            await t.goto("/console/flows")
            await t.page.click("main >> text=Thủ tục")
            await t.page.fill("#q", "khai sinh")
            await t.page.click("#search button")
            await t.shot("forms-procedures")
            await t.page.click("#procedures >> text=Đăng ký khai sinh")
            await t.page.fill("#fee_text", FEE + ".")
            await t.page.fill("#fee_amount", "mười hai nghìn")
            await t.page.click("#procedure button[type=submit]")
            assert "không phải một số nguyên" in await t.text("#error-fee_amount")
            await t.shot("forms-procedure-error")
            assert await t.page.input_value("#fee_text") == FEE + ".", "what was typed stays"
            await t.page.fill("#fee_amount", "12.000")
            await t.shot("forms-procedure-edited")
            await t.page.click("#procedure button[type=submit]")
            assert "Đã lưu vào bản nháp" in await t.text("#saved")

            await t.page.click("main >> text=Cấu hình bot")
            assert "catalog.toml" in await t.text("#drafts")
            await t.shot("forms-overview-draft")
            assert FEE not in texts(await bot.resident("u1").say("đăng ký khai sinh")), "a draft reaches no one"
            await t.page.click("#publish button")
            assert "Đã xuất bản" in await t.text("#done")
            assert f"Lệ phí: {FEE}" in texts(await bot.resident("u2").say("đăng ký khai sinh"))  # on the card

            await t.page.click("main >> text=Từ điển, câu thử")
            await t.page.fill("#text", "lam kss cho con")
            await t.page.click("#sentence button")
            assert "Không có thủ tục nào hợp" in await t.text("#reading-draft")
            await t.shot("forms-lexicon")
            await t.page.click("#tables >> text=Viết tắt")
            await t.page.fill("#q", "kss")
            await t.page.click("#search button")
            await t.page.fill("#new-key-0", "kss")
            await t.page.fill("#new-value-0", "khai sinh")
            await t.page.click("#rows button[type=submit]")
            assert "Đã lưu vào bản nháp" in await t.text("#saved")
            before, after = await t.text("#reading-active"), await t.text("#reading-draft")
            assert "lam kss cho con" in before and "Không có thủ tục nào hợp" in before
            assert "lam khai sinh cho con" in after and await t.page.locator("#reading-draft li").count() == 3
            assert "Đăng ký khai sinh" in after
            await t.shot("forms-sentence-before-after")

            await t.goto("/console/flows/lexicon/cues?q=liệt kê")
            await t.shot("forms-cues")
            await t.goto("/console/flows/menu")
            await t.page.fill("#title-0", "Một tiêu đề rất dài mà Zalo không hiện hết được")
            await t.page.click("#menu button[value=save]")
            assert "characters; Zalo shows" in await t.text("#entry-0")
            await t.shot("forms-menu-error")
