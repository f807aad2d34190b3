"""Everyday wording through the signed webhook and the fake Zalo: each message reaches its card or flow."""

from __future__ import annotations

import pytest

from tests.kit import BotHarness, texts
from tests.lookups.kit import lookup_bot


@pytest.mark.parametrize(
    ("say", "card"),
    [
        ("cccd", "📄 Cấp, cấp đổi, cấp lại thẻ căn cước"),
        ("làm cccd ở đâu", "thẻ căn cước (Công an phường) — Nơi làm:"),  # the question asked (the place) leads
        ("đổi cccd", "📄 Cấp, cấp đổi, cấp lại thẻ căn cước"),
        ("khai sihn", "📄 Đăng ký khai sinh"),
        ("làm giấy khai sinh", "📄 Đăng ký khai sinh"),  # the example in the bot's own fallback text
        ("how do I register a birth?", "Đăng ký khai sinh"),
        ("Can I marry a Vietnamese citizen here?", "Đăng ký kết hôn"),
        ("do my guests need to register?", "Thông báo lưu trú"),
    ],
)
async def test_wording_reaches_the_card(bot: BotHarness, say: str, card: str) -> None:
    first, *_ = await bot.resident("u1").say(say)
    assert card in first.text.splitlines()[0], first.text
    assert "Có phải bạn muốn hỏi" not in first.text


async def test_police_cards_say_the_police_decide(bot: BotHarness) -> None:
    first, *_ = await bot.resident("u1").say("làm cccd ở đâu")
    assert "Công an phường giải quyết, không phải UBND phường" in first.text
    assert "chưa được xác minh" in first.text  # the fee and papers are not confirmed


async def test_is_my_card_ready_starts_the_lookup_not_the_card(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        replies = await bot.resident("u1").say("căn cước của tôi xong chưa")
    assert "Tra cứu kết quả làm thẻ căn cước" in texts(replies)
    assert "📄" not in texts(replies)


async def test_opening_hours_without_naming_the_office(bot: BotHarness) -> None:
    replies = await bot.resident("u1").say("mấy giờ mở cửa")
    assert "Địa chỉ: Số 1 đường Thử" in texts(replies)
