"""The second factor for the roles in `[console] require_totp_for`: enrolment with a QR code at the first
sign-in, then a code each time; a code works once; failed codes count towards the lockout."""

from __future__ import annotations

import re

import pyotp

from bot.console.web import SESSION_COOKIE
from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, Clock


def secret_on(page_text: str) -> str:
    found = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page_text)
    assert found, "no secret on the enrolment page"
    return found.group(1)


async def test_enrol_then_sign_in_with_a_code_once(db_url: str) -> None:
    clock = Clock()
    async with BotHarness.start(db_url, clock=clock) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "quan-tri", "admin")
        await add_staff(bot, "lan", "editor")
        assert (await staff.login("lan")).location == "/console/"  # editors need no second factor by default

        step = await staff.login("quan-tri")
        assert step.status == 302 and step.location.startswith("/console/totp")
        password_only = staff.cookie(SESSION_COOKIE)
        assert (await staff.get("/console/")).status == 302  # a password alone opens nothing
        enrol = await staff.get(step.location)
        assert enrol.status == 200 and "<svg" in enrol.text and enrol.has("Quét mã QR")
        totp = pyotp.TOTP(secret_on(enrol.text))
        wrong = await staff.post("/console/totp", {"code": "000000" if totp.at(clock()) != "000000" else "111111"})
        assert wrong.status == 401 and wrong.has("Mã xác thực không đúng")
        done = await staff.post("/console/totp", {"code": totp.at(clock()), "next": "/console/audit"})
        assert done.status == 302 and done.location == "/console/audit"
        assert staff.cookie(SESSION_COOKIE) != password_only  # renewed once both factors were given
        assert (await staff.get("/console/audit")).status == 200

        await staff.get("/console/account")
        await staff.post("/console/logout")
        await staff.login("quan-tri")
        again = await staff.get("/console/totp")
        assert again.has("Nhập mã 6 số") and "<svg" not in again.text  # enrolled: no QR code any more
        replay = await staff.post("/console/totp", {"code": totp.at(clock())})
        assert replay.status == 401  # the code already used
        clock.advance(seconds=30)
        assert (await staff.post("/console/totp", {"code": totp.at(clock())})).status == 302


async def test_failed_codes_lock_the_account(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock()) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "quan-tri", "admin")
        await staff.login("quan-tri")
        await staff.get("/console/totp")
        statuses = [(await staff.post("/console/totp", {"code": "12345x"})).status for _ in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        assert (await staff.get("/console/totp")).status == 302  # the half-signed-in session ended
        assert (await staff.login("quan-tri")).status == 429
