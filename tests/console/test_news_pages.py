"""News in the console: the form's errors name the field, the preview shows the Zalo message, and the
article reaches residents who ask for "tin tức"; editing is audited."""

from __future__ import annotations

from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, Clock, texts

NO_TOTP = {"require_totp_for": []}
ARTICLE = {"title": "Chủ nhật xanh", "summary": "Dọn vệ sinh kênh rạch", "category": "moi-truong",
           "body": "Sáng Chủ nhật, cả thôn dọn vệ sinh kênh rạch và rừng dừa.", "link": ""}


async def test_write_preview_publish_and_edit_news(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), console=NO_TOTP) as bot, StaffClient(bot) as editor:
        await add_staff(bot, "lan", "editor")
        await editor.login("lan")
        assert (await editor.get("/console/news/new")).status == 200
        bad = await editor.post("/console/news/new", {**ARTICLE, "title": "", "category": "bong-da",
                                                     "link": "ftp://x", "action": "save"})
        assert bad.status == 422
        assert bad.has("title: String should have at least 1 character")
        assert bad.has("link: Value error, must be an http:// or https:// address")
        bad = await editor.post("/console/news/new", {**ARTICLE, "category": "bong-da", "action": "save"})
        assert bad.status == 422 and bad.has("category: unknown topic 'bong-da'")

        preview = await editor.post("/console/news/new", {**ARTICLE, "action": "preview"})
        assert preview.status == 200 and preview.has("Xem trước trên Zalo")
        assert preview.has("Chủ nhật xanh\n30/11/2026 10:00\n\nSáng Chủ nhật, cả thôn dọn vệ sinh")
        saved = await editor.post("/console/news/new", {**ARTICLE, "action": "save"})
        assert saved.status == 302 and saved.location == "/console/news/1?saved=1"

        chat = bot.resident("u1")
        listing = await chat.say("tin tức")
        assert [e["title"] for e in listing[0].elements] == ["Chủ nhật xanh"]
        assert "Sáng Chủ nhật, cả thôn dọn vệ sinh" in texts(await chat.click("Chủ nhật xanh"))

        await editor.get("/console/news/1")
        edited = await editor.post("/console/news/1", {**ARTICLE, "title": "Chủ nhật xanh (đổi giờ)",
                                                       "action": "save"})
        assert edited.status == 302
        assert (await editor.get("/console/news")).has("Chủ nhật xanh (đổi giờ)")
        assert (await chat.say("tin tức"))[0].elements[0]["title"] == "Chủ nhật xanh (đổi giờ)"
        assert (await editor.get("/console/news/99")).status == 404

        await add_staff(bot, "kiem-tra", "auditor")
        async with StaffClient(bot) as auditor:
            await auditor.login("kiem-tra")
            log = await auditor.get("/console/audit?action=news")
            assert log.has("news.add") and log.has("news.edit") and log.has("news:1")
            assert log.has('"title": "Chủ nhật xanh"') and log.has('"title": "Chủ nhật xanh (đổi giờ)"')
            assert (await auditor.get("/console/news")).status == 200  # reads, but cannot write
            assert (await auditor.get("/console/news/new")).status == 403
