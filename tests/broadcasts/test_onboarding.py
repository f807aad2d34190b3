"""Households' onboarding and settings through the signed webhook and the fake Zalo."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from storage.broadcasts.models import Household
from tests.broadcasts.kit import sections
from tests.kit import BotHarness, Clock, texts


async def test_follow_onboards_thon_topics_and_contact(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        first = await chat.follow()
        assert "Chào bạn" in texts(first) and "thôn nào" in texts(first)
        titles = [t for m in first for t in m.button_titles()]
        assert titles == ["Võng Nhi", "Vạn Lăng", "Thanh Nhứt", "Không ở các thôn trên"]
        asked = await chat.click("Vạn Lăng")
        assert "chủ đề nào" in texts(asked) and "5. Môi trường, thu gom rác" in texts(asked)
        consent = await chat.say("5, 6")  # typed numbers
        assert "chia sẻ họ tên" in texts(consent)
        [form] = await chat.click("Đồng ý chia sẻ")
        assert form.body["message"]["attachment"]["payload"]["template_type"] == "request_user_info"
        done = await chat.send(*bot.events.submit_info("u1", name="Trần Thị Bình", phone="+84 905 123 456",
                                                       address="Tổ 2", ward="Hội An Đông"))
        assert "đã lưu thông tin liên hệ" in texts(done)
        assert "Thôn: Vạn Lăng" in texts(done) and "Môi trường, thu gom rác; Lịch cắt điện, cắt nước" in texts(done)

        summary = await chat.click("Nhận thông báo thôn")  # the main menu's entry opens the settings
        assert "Thôn: Vạn Lăng" in texts(summary) and "Thông tin liên hệ: đã chia sẻ" in texts(summary)


async def test_typed_thon_names_and_bad_answers_are_asked_again(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        again = await chat.say("xóm Bến Đò")
        assert 'chưa nhận ra thôn "xóm Bến Đò"' in texts(again)
        topics = await chat.say("thon thanh nhat")  # no accents, an alias
        assert "chủ đề nào" in texts(topics)
        wrong = await chat.say("1 99")
        assert "từ 1 đến 18" in texts(wrong)
        await chat.say("tất cả")
        done = await chat.click("Bỏ qua")
        assert "Thôn: Thanh Nhứt" in texts(done) and "Chuyển đổi số" in texts(done)


async def test_settings_change_unsubscribe_and_refollow_restores(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        await chat.click("Võng Nhi")
        await chat.click("Các tin thiết yếu")
        await chat.click("Bỏ qua")

        await chat.say("cài đặt nhận tin")
        await chat.click("Đổi thôn")
        changed = await chat.click("Thanh Nhứt")
        assert "Đã lưu" in texts(changed) and "Thôn: Thanh Nhứt" in texts(changed)
        await chat.click("Đổi chủ đề")
        changed = await chat.click("Chỉ tin khẩn cấp")
        assert "Chủ đề: chỉ tin khẩn cấp" in texts(changed)

        stopped = await chat.say("hủy nhận tin")
        assert "đã hủy nhận tin" in texts(stopped) and "vẫn nhận cảnh báo khẩn cấp" in texts(stopped)
        assert "Trạng thái: đã hủy nhận tin" in texts(await chat.say("cài đặt nhận tin"))
        resumed = await chat.click("Nhận tin trở lại")
        assert "Trạng thái: đang nhận tin" in texts(resumed)

        assert await chat.send(*bot.events.unfollow("u1")) == []
        back = await chat.follow()
        assert "quay lại" in texts(back) and "Thôn: Thanh Nhứt" in texts(back) and "thôn nào" not in texts(back)


@pytest.mark.parametrize("phone", ["0905111222", "không có"])  # a phone that doesn't parse: name kept anyway
async def test_contact_details_can_be_deleted(db_url: str, phone: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        await chat.click("Võng Nhi")
        await chat.click("Tất cả chủ đề")
        await chat.click("Đồng ý chia sẻ")
        await chat.send(*bot.events.submit_info("u1", name="Lê Văn Cường", phone=phone))
        await chat.say("#subscribe:start")
        await chat.click("Thông tin liên hệ")
        deleted = await chat.click("Xóa thông tin liên hệ")
        assert "Đã xóa" in texts(deleted) and "Thông tin liên hệ: chưa chia sẻ" in texts(deleted)


async def test_erasure_clears_the_shared_contact_even_during_a_handoff(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        await chat.click("Vạn Lăng")
        await chat.say("5")
        await chat.click("Đồng ý chia sẻ")
        await chat.send(*bot.events.submit_info("u1", name="Trần Thị Bình", phone="0905123456", address="Tổ 2"))
        await chat.say("gặp cán bộ")  # staff have the conversation: the bot is quiet
        assert await chat.say("alo") == []
        erased = await chat.say("xóa dữ liệu của tôi")
        assert "Đã xóa dữ liệu của bạn" in texts(erased)
        await chat.say("menu")  # back from the handoff
        summary = texts(await chat.say("cài đặt nhận tin"))
        assert "Thông tin liên hệ:" in summary and "Thông tin liên hệ: đã chia sẻ" not in summary
        async with bot.runtime.engine.connect() as conn:
            row = (await conn.execute(text("SELECT name, phone, address FROM households"))).one()
        assert tuple(row) == (None, None, None)


@pytest.mark.parametrize("step", ["thon", "topics"])
async def test_what_is_meant_for_something_else_is_not_taken_for_an_answer(db_url: str, step: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        if step == "topics":
            await chat.say("thon thanh nhat")
        assert "Bạn đã hủy nhận tin" in texts(await chat.say("hủy nhận tin"))
        async with bot.runtime.engine.connect() as conn:
            assert (await conn.execute(select(Household.subscribed))).scalar_one() is False
        assert "chưa nhận ra thôn" not in texts(await chat.say("khai sinh can giay to gi"))


async def test_a_topic_typed_by_name_keeps_onboarding_asking(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        await chat.say("thon thanh nhat")
        assert "chủ đề nào" in texts(await chat.say("lịch cắt điện"))  # asked again, not a news answer
