from tests.kit import BotHarness, texts


async def test_menu_reaches_fake_zalo(bot: BotHarness) -> None:
    replies = await bot.resident("u1").say("menu")
    assert replies, "the bot answered nothing"
    assert "Bạn cần giúp gì" in texts(replies)
