"""The Zalo connection page through Chromium at phone and desktop sizes, without JavaScript: an OAuth
round trip against the fake Zalo (consent granted at once) stores the new pair."""

from __future__ import annotations

import pytest

from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.kit import BotHarness

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@SIZES
async def test_oauth_round_trip(db_url: str, size: dict[str, int]) -> None:
    async with BotHarness.start(db_url, console={"require_totp_for": []}) as bot, chromium() as browser:
        await add_staff(bot, "quan-tri", "admin")
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("quan-tri")
            await t.page.click("nav >> text=Kết nối Zalo")
            assert "Nếu mất refresh token thì sao?" in await t.text("#lost")
            await t.shot("zalo-before")
            await t.page.click("#connect-link")
            assert "Đã kết nối OA" in await t.text("#notice")
            assert "đang hoạt động" in await t.text("#state")
            await t.shot("zalo-connected")
        token = await bot.runtime.tokens.read()
        assert token is not None and token.access_token == bot.fake.access_token != "fake-access-0"
