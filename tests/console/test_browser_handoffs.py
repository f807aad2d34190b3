"""The handoff inbox through Chromium at phone and desktop sizes, without JavaScript: a resident's "gặp cán
bộ" appears in the inbox of their thôn's team and not another thôn's; the staff reply reaches the fake Zalo;
revealing the phone asks for a reason and writes an audit entry; closing brings the bot back and the
resident is told."""

from __future__ import annotations

import pytest

from tests.broadcasts.kit import onboard, sections
from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.kit import BotHarness, Clock

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
CONSOLE = {"require_totp_for": [], "session_idle_minutes": 60 * 24}


@SIZES
async def test_handoff_answered_by_the_thon_team(db_url: str, size: dict[str, int]) -> None:
    async with BotHarness.start(db_url, clock=Clock(), console=CONSOLE, **sections()) as bot, \
            chromium() as browser:
        await onboard(bot, "a", "vong-nhi", phone="0905123456", name="Trần Thị Bích")
        await add_staff(bot, "to-vong-nhi", "thon_team", thon=("vong-nhi",))
        await add_staff(bot, "to-van-lang", "thon_team", thon=("van-lang",))
        await add_staff(bot, "quan-tri", "admin")
        await bot.resident("a").say("gặp cán bộ")
        await bot.resident("a").say("Cho tôi hỏi lịch tiêm chủng tháng này")
        base = str(bot.server.make_url("")).rstrip("/")

        async with tab(browser, base, size) as t:
            await t.login("to-van-lang")
            await t.goto("/console/handoffs")
            assert "#1" not in await t.text()
            await t.shot("handoffs-other-thon")
            await t.logout()

            await t.login("to-vong-nhi")
            assert "1 hồ sơ đang chờ ở thôn của tôi" in await t.text("#handoff-inbox")
            await t.page.click("nav >> text=Hộp thư")
            assert "Võng Nhi" in await t.text("#cases-unassigned")
            await t.shot("handoffs-inbox")
            await t.page.click("#cases-unassigned >> text=#1")
            assert "Cho tôi hỏi lịch tiêm chủng tháng này" in await t.text("#conversation")
            assert "0905123456" not in await t.text()
            await t.page.fill("#text", "Chào chị, lịch tiêm chủng là sáng thứ Năm tại trạm y tế.")
            await t.page.click("#reply button")
            assert "Đã gửi trả lời qua Zalo." in await t.text("#notice")
            await t.shot("handoff-case")
            await t.page.select_option("#field", "phone")
            await t.page.fill("#reason", "gọi lại để hẹn giờ")
            await t.page.click("#reveal button")
            assert await t.text("#value-phone") == "0905123456"
            await t.shot("handoff-reveal")
            await bot.runtime.drain()
            assert "Chào chị, lịch tiêm chủng là sáng thứ Năm tại trạm y tế." in \
                [m.text for m in bot.fake.messages_for("a")]
            await t.page.click("#close button")
            assert "đã đóng" in await t.text("#status")
            await t.shot("handoff-closed")
            await t.logout()

            await t.login("quan-tri")
            await t.goto("/console/audit?action=handoff.reveal")
            assert "gọi lại để hẹn giờ" in await t.text()
            await t.shot("handoff-audit")
        await bot.runtime.drain()
        assert bot.fake.messages_for("a")[-1].text == "Bot đã quay lại."
        assert await bot.resident("a").say("tin tức")  # the bot answers again
