"""Local news: staff publish over the HTTP API and the CLI; residents page, filter and read in Zalo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from tests.broadcasts.kit import NEWS_ONLY_TOKEN, TOKEN, call, cli_sections, sections
from tests.kit import BotHarness, Clock, local_time, texts, write_config

CATEGORIES = ["moi-truong", "dien-nuoc", "moi-truong", "y-te-dich-benh", "moi-truong", "dien-nuoc", "moi-truong"]


async def publish(bot: BotHarness) -> None:
    for i, category in enumerate(CATEGORIES, start=1):
        status, answer = await call(bot, "POST", "/api/v1/news", {
            "title": f"Tin số {i}", "summary": f"Tóm tắt tin {i}", "body": f"Nội dung đầy đủ của tin {i}.",
            "category": category, "published_at": local_time(2026, 11, i, 8).isoformat(),
            "image_url": "https://x.vn/anh.jpg" if i == 7 else None,
            "link": "https://hoian.gov.vn/tin-7" if i == 7 else None,
            # "by", as the command line's --by; the older name created_by is still accepted
            "by" if i % 2 else "created_by": "Văn phòng"},
            token=NEWS_ONLY_TOKEN if i == 1 else TOKEN)
        assert status == 201 and answer["id"] == i, answer


async def test_latest_five_with_paging_by_category_then_an_article(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        await publish(bot)
        chat = bot.resident("u1")
        await chat.say("menu")
        page = await chat.click("Tin tức địa phương")
        assert [e["title"] for e in page[0].elements] == ["Tin số 7", "Tin số 6", "Tin số 5", "Tin số 4", "Tin số 3"]
        assert "trang 1" in page[1].text and page[1].button_titles() == ["Xem thêm", "Theo chủ đề", "Về menu"]
        more = await chat.click("Xem thêm")
        assert [e["title"] for e in more[0].elements] == ["Tin số 2", "Tin số 1"]
        assert "Xem thêm" not in more[1].button_titles()

        topics = await chat.click("Theo chủ đề")
        assert topics[0].button_titles() == ["Y tế, tiêm chủng, dịch bệnh", "Môi trường, thu gom rác",
                                             "Lịch cắt điện, cắt nước", "Tin mới nhất"]
        env = await chat.click("Môi trường, thu gom rác")
        assert [e["title"] for e in env[0].elements] == ["Tin số 7", "Tin số 5", "Tin số 3", "Tin số 1"]
        assert 'Tin về "Môi trường, thu gom rác"' in env[1].text

        article = await chat.click("Tin số 7")
        assert article[0].elements[0]["url"] == "https://x.vn/anh.jpg"
        assert article[1].text == "Tin số 7\n07/11/2026 08:00\n\nNội dung đầy đủ của tin 7."
        assert ("Xem trên trang", {"url": "https://hoian.gov.vn/tin-7"}) in article[1].buttons
        gone = await chat.say("#news:read:99")
        assert "Không tìm thấy tin này" in texts(gone)


async def test_news_api_checks_token_scope_and_fields(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        good = {"title": "T", "summary": "S", "body": "B", "category": "moi-truong", "created_by": "A"}
        assert (await call(bot, "POST", "/api/v1/news", good, token=None))[0] == 401
        assert (await call(bot, "POST", "/api/v1/news", good, token="wrong"))[0] == 401
        assert (await call(bot, "POST", "/api/v1/announcements", {}, token=NEWS_ONLY_TOKEN))[0] == 403
        status, answer = await call(bot, "POST", "/api/v1/news", {**good, "category": "bong-da", "title": ""})
        assert status == 422 and answer["details"] == ["title: String should have at least 1 character"]
        status, answer = await call(bot, "POST", "/api/v1/news", {**good, "category": "bong-da"})
        assert status == 422 and answer["details"][0].startswith("category: unknown topic 'bong-da'")
        status, answer = await call(bot, "POST", "/api/v1/news", {**good, "published_at": "hôm qua"})
        assert status == 422 and answer["details"][0].startswith("published_at: Input should be a valid datetime")
        chat = bot.resident("u1")
        assert "Hiện chưa có tin tức nào" in texts(await chat.say("#news:latest"))


async def test_news_from_the_command_line(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        cfg = write_config(tmp_path / "c.toml", db_url, **cli_sections())
        body = tmp_path / "body.txt"
        body.write_text("Ngày Chủ nhật xanh: dọn vệ sinh kênh rạch, rừng dừa.", encoding="utf-8")
        add = ["news", "add", "--config", str(cfg), "--title", "Chủ nhật xanh", "--summary", "Dọn vệ sinh",
               "--body-file", str(body), "--category", "moi-truong", "--published-at", "2026-11-29 07:00",
               "--by", "Văn phòng"]
        assert await asyncio.to_thread(main, add) == 0
        assert "news article 1 added" in capsys.readouterr().out
        assert await asyncio.to_thread(main, ["news", "list", "--config", str(cfg)]) == 0
        assert "1\t29/11/2026 07:00\tChủ nhật xanh" in capsys.readouterr().out
        article = await bot.resident("u1").say("#news:read:1")
        assert "Ngày Chủ nhật xanh" in texts(article)

        add[add.index("moi-truong")] = "the-thao"
        assert await asyncio.to_thread(main, add) == 2
        assert "category: unknown topic 'the-thao'" in capsys.readouterr().err
        assert await asyncio.to_thread(main, [*add[:10], "--body", "x", *add[10:]]) == 2
        assert "--body: give the text or --body-file, exactly one" in capsys.readouterr().err
