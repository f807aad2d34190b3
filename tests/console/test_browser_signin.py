"""Signing in through Chromium at phone and desktop sizes, without JavaScript: a wrong password, the
lockout, and the TOTP enrolment with its QR code."""

from __future__ import annotations

import re

import pyotp
import pytest

from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.kit import BotHarness, Clock

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@SIZES
async def test_sign_in_lockout_and_totp(db_url: str, size: dict[str, int]) -> None:
    clock = Clock()
    async with BotHarness.start(db_url, clock=clock) as bot, chromium() as browser:
        base = str(bot.server.make_url("")).rstrip("/")
        await add_staff(bot, "lan", "editor")
        await add_staff(bot, "quan-tri", "admin")
        async with tab(browser, base, size) as t:
            await t.goto("/console/news")
            assert t.page.url.endswith("/console/login?next=/console/news")
            await t.shot("login")
            await t.login("lan", "sai-mat-khau-1")
            assert "Tên đăng nhập hoặc mật khẩu không đúng." in await t.text("#login-error")
            await t.shot("login-error")
            for _ in range(4):
                await t.login("lan", "sai-mat-khau-1")
            await t.login("lan")
            assert "tạm bị khóa 15 phút" in await t.text("#login-error")
            await t.shot("login-locked")
            clock.advance(minutes=16)
            await t.login("lan")
            assert t.page.url.endswith("/console/")
            assert "Tổng quan" in await t.text("h1")
            await t.shot("dashboard")

        async with tab(browser, base, size) as t:
            await t.login("quan-tri")
            assert "/console/totp" in t.page.url
            assert await t.page.locator(".qr svg").count() == 1
            await t.shot("totp-enrol")
            secret = re.sub(r"\s", "", await t.text("#totp-secret"))
            await t.page.fill("#code", "000000" if pyotp.TOTP(secret).at(clock()) != "000000" else "111111")
            await t.page.click("button[type=submit]")
            assert "Mã xác thực không đúng" in await t.text()
            await t.page.fill("#code", pyotp.TOTP(secret).at(clock()))
            await t.page.click("button[type=submit]")
            assert t.page.url.endswith("/console/")
            await t.goto("/console/audit")
            log = await t.text("#audit")
            assert "user.totp_enrolled" in log and "login.locked" in log
            await t.shot("audit")
            await t.goto("/console/users")
            assert "lan" in await t.text("#users")
            await t.shot("users")
            await t.logout()
            assert t.page.url.endswith("/console/login")
