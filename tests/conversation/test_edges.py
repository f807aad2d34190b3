"""Honest edges: thanks, emoji and stickers, "are you a person?", questions the commune does not
handle, and the handoff only on an explicit request."""

from __future__ import annotations

from tests.kit import BotHarness, texts


async def test_thanks_and_emoji_get_a_short_friendly_reply(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    for said in ("ok tks ad 👍", "cảm ơn nhiều nha", "🙏🙏", "👍"):
        [reply] = await chat.say(said)
        assert "chưa hiểu ý bạn" not in reply.text and len(reply.text) < 120, said
        assert "cảm ơn" in reply.text.lower() or "không có chi" in reply.text.lower()


async def test_a_sticker_is_not_called_a_file(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [reply] = await chat.send(*bot.events.sticker("u1"))
    assert "tệp" not in reply.text and "Cảm ơn bạn" in reply.text


async def test_are_you_a_person_is_answered_honestly_without_a_handoff(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [reply] = await chat.say("bạn là người thật hay bot vậy?")
    assert "không phải người thật" in reply.text and "Gặp cán bộ" in reply.button_titles()
    assert "chuyển tin nhắn" not in reply.text
    [card] = await chat.say("đăng ký kết hôn")  # the next question is answered: no handoff started
    assert card.text.startswith("📄 Đăng ký kết hôn")


async def test_out_of_scope_says_where_to_go(bot: BotHarness) -> None:
    [divorce] = await bot.resident("u1").say("vợ chồng tôi muốn ly hôn thuận tình thì nộp đơn ở phường được không")
    assert "Tòa án" in divorce.text and "chưa hiểu ý bạn" not in divorce.text
    [weather] = await bot.resident("u2").say("mai trời mưa không bot")
    assert "không trả lời được" in weather.text and "0236 000 000" in weather.text
    assert "Gặp cán bộ" in weather.button_titles()
    [after] = await bot.resident("u3").say("sau khi ly hôn muốn xin giấy xác nhận tình trạng hôn nhân thì cần gì")
    assert "Tòa án" not in after.text and "tình trạng hôn nhân" in after.text


async def test_handoff_only_on_request_and_a_question_meanwhile_is_told_how_to_come_back(bot: BotHarness) -> None:
    [here] = await bot.resident("u2").say("có ai ở đó không")
    assert "chuyển tin nhắn" not in here.text and "Gặp cán bộ" in here.button_titles()
    chat = bot.resident("u1")
    assert "chuyển tin nhắn của bạn cho cán bộ" in texts(await chat.say("cho tôi gặp cán bộ"))
    [notice] = await chat.say("đăng ký kết hôn cần giấy gì")
    assert "cán bộ sẽ trả lời" in notice.text and "menu" in notice.text
    assert await chat.say("còn khai sinh thì sao") == [], "told once per handoff; then quiet for the staff"
    assert await chat.say("alo") == []
    assert "Bot đã quay lại" in texts(await chat.say("menu"))
