"""The Zalo connection page over HTTP: an admin's OAuth v4 round trip with PKCE against the fake Zalo stores
the new pair through the token manager, and the bot sends with it; a callback that does not belong to
this browser's connection, or a code Zalo refuses, stores nothing; other roles may not connect."""

from __future__ import annotations

from yarl import URL

from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, texts

CONSOLE = {"require_totp_for": []}


async def test_oauth_round_trip_stores_the_pair(db_url: str) -> None:
    async with BotHarness.start(db_url, console=CONSOLE) as bot, StaffClient(bot) as admin:
        await add_staff(bot, "quan-tri", "admin")
        await add_staff(bot, "mot-cua", "desk")
        await admin.login("quan-tri")
        page = await admin.get("/console/zalo")
        assert page.status == 200 and page.has("Nếu mất refresh token thì sao?")
        assert page.has(f"{admin.base}/console/zalo/callback")
        before = await bot.runtime.tokens.read()
        assert before is not None

        started = await admin.get("/console/zalo/connect")
        assert started.status == 302
        consent = URL(started.location)
        assert consent.path == "/v4/oa/permission" and consent.query["app_id"] == bot.runtime.config.zalo.app_id
        assert len(consent.query["code_challenge"]) == 43
        async with admin.http.get(consent, allow_redirects=False) as resp:  # the admin presses "Cho phép"
            back = URL(resp.headers["Location"])
        assert back.path == "/console/zalo/callback" and back.query["state"] == consent.query["state"]

        forged = await admin.get(str(back.update_query(state="not-mine").relative()))
        assert forged.status == 400 and forged.has("state: this answer from Zalo does not belong")
        done = await admin.get(str(back.relative()))
        assert done.status == 302 and done.location == "/console/zalo?done=connected"
        after = await bot.runtime.tokens.read()
        assert after is not None and after.access_token == bot.fake.access_token != before.access_token
        assert (await admin.get(done.location)).has("Đã kết nối OA")
        replay = await admin.get(str(back.relative()))  # the code and the cookie were single-use
        assert replay.status == 400
        assert texts(await bot.resident("u1").say("menu"))  # the bot sends with the new pair
        assert bot.fake.received[-1].access_token == after.access_token
        assert (await admin.get("/console/audit?action=zalo.connect")).has("zalo.connect")

        async with StaffClient(bot) as desk:
            await desk.login("mot-cua")
            assert (await desk.get("/console/zalo")).status == 403
            assert (await desk.get("/console/zalo/connect")).status == 403
