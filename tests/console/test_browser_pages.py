"""News and announcements through Chromium at phone and desktop sizes, without JavaScript: the resident
then gets the news via "tin tức" at the fake Zalo; an announcement to one thôn reaches only its
households, once, after a second person approves it; a thôn team sees only its thôn."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.broadcasts.kit import onboard, received, sections
from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.kit import BotHarness, Clock

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
CONSOLE = {"require_totp_for": [], "session_idle_minutes": 60 * 24}


@SIZES
async def test_news_reaches_residents(db_url: str, size: dict[str, int]) -> None:
    async with BotHarness.start(db_url, clock=Clock(), console=CONSOLE, **sections()) as bot, \
            chromium() as browser:
        await add_staff(bot, "lan", "editor")
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("lan")
            await t.goto("/console/news")
            await t.page.click("text=Viết tin mới")
            await t.page.fill("#title", "   ")  # passes the browser's "required", not the server's check
            await t.page.fill("#summary", "Dọn vệ sinh kênh rạch")
            await t.page.fill("#body", "Sáng Chủ nhật, cả thôn dọn vệ sinh kênh rạch và rừng dừa.")
            await t.page.select_option("#category", "moi-truong")
            await t.page.click("button[value=save]")
            assert "title: String should have at least 1 character" in await t.text("#title-error")
            await t.shot("news-error")
            await t.page.fill("#title", "Chủ nhật xanh")
            await t.page.click("button[value=preview]")
            assert "Chủ nhật xanh\n30/11/2026 10:00" in await t.text("#preview")
            await t.shot("news-preview")
            await t.page.click("button[value=save]")
            assert "Đã lưu" in await t.text()
            await t.goto("/console/news")
            assert "Chủ nhật xanh" in await t.text("#news")
            await t.shot("news-list")
        listing = await bot.resident("u1").say("tin tức")
        assert [e["title"] for e in listing[0].elements] == ["Chủ nhật xanh"]


@SIZES
async def test_announcement_to_one_thon_approved_by_a_second_person(db_url: str, size: dict[str, int]) -> None:
    clock = Clock()
    async with BotHarness.start(db_url, clock=clock, console=CONSOLE, **sections(approval_required=True)) as bot, \
            chromium() as browser:
        await onboard(bot, "a", "vong-nhi")
        await onboard(bot, "b", "van-lang")
        await onboard(bot, "c", "vong-nhi")
        await add_staff(bot, "lan", "editor")
        await add_staff(bot, "chu-tich", "approver")
        await add_staff(bot, "to-van-lang", "thon_team", thon=("van-lang",))
        base = str(bot.server.make_url("")).rstrip("/")
        async with tab(browser, base, size) as t:
            await t.login("lan")
            await t.goto("/console/announcements/new")
            await t.page.fill("#title", "Họp thôn Võng Nhi")
            await t.page.fill("#text", "Tối thứ Bảy họp thôn tại nhà văn hóa.")
            await t.page.check("input[name=thon][value=vong-nhi]")
            await t.page.click("button[value=preview]")
            assert "2 hộ sẽ nhận qua Zalo" in await t.text("#recipient-total")
            await t.shot("announcement-preview")
            await t.page.click("button[value=save]")
            assert "Chờ phê duyệt" in await t.text("#status")
            assert await t.page.locator("button:has-text('Phê duyệt')").count() == 0  # the author cannot approve
            await t.shot("announcement-pending")
            detail = t.page.url
        await bot.runtime.drain()
        assert received(bot, "Họp thôn Võng Nhi") == Counter()

        async with tab(browser, base, size) as t:
            await t.login("chu-tich")
            assert "Họp thôn Võng Nhi" in await t.text("#approvals")
            await t.shot("dashboard-approver")
            await t.page.goto(detail)
            await t.page.click("button:has-text('Phê duyệt')")
            assert "Đã lên lịch" in await t.text("#status")
        await bot.runtime.drain()
        clock.advance(minutes=5)
        await bot.runtime.drain()
        assert received(bot, "Họp thôn Võng Nhi") == Counter({"a": 1, "c": 1})

        async with tab(browser, base, size) as t:
            await t.login("lan")
            await t.page.goto(detail)
            assert "Đã gửi 2" in await t.text()
            await t.shot("announcement-report")
            await t.logout()
            await t.login("to-van-lang")
            await t.goto("/console/announcements")
            assert "Họp thôn Võng Nhi" not in await t.text()
            await t.shot("announcements-thon-team")
            response = await t.page.goto(detail)
            assert response is not None and response.status == 403
            await t.goto("/console/announcements/new")
            assert await t.page.locator("input[name=thon]").count() == 1  # only its own thôn to choose
            await t.shot("announcement-form-thon-team")
