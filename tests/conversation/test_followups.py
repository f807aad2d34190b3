"""The conversation layer through the signed webhook and the fake Zalo: follow-ups on the topic in
focus, the question asked beside the procedure, two needs in one message, tone."""

from __future__ import annotations

from storage.broadcasts.news import add_article
from storage.types import utcnow
from tests.kit import BotHarness, texts
from tests.lookups.kit import CODE, PHONE, dossier, lookup_bot, push_ok


async def test_a_follow_up_is_answered_from_the_procedure_in_focus(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [card] = await chat.say("đăng ký kết hôn")
    assert card.text.startswith("📄 Đăng ký kết hôn")
    [fee] = await chat.say("thế lệ phí bao nhiêu?")
    assert fee.text.startswith("Đăng ký kết hôn — Lệ phí:") and "Xem đủ thủ tục" in fee.button_titles()
    [place] = await chat.say("nộp ở mô")  # dialect
    assert place.text.startswith("Đăng ký kết hôn — Nơi làm:")
    [time] = await chat.say("mat bao lau")  # no diacritics
    assert time.text.startswith("Đăng ký kết hôn — Thời gian giải quyết:")
    [online] = await chat.say("làm online được không")  # "được không" ends it, the aspect is "online"
    assert online.text.startswith("Đăng ký kết hôn — Nộp trực tuyến:")


async def test_another_procedure_keeps_the_aspect_and_a_new_question_switches_both(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [first] = await chat.say("Làm giấy khai sinh cho con có mất tiền không?")
    assert first.text.startswith("Đăng ký khai sinh — Lệ phí:")  # the question asked leads, not the card
    [switched] = await chat.say("Còn đăng ký kết hôn thì sao?")
    assert switched.text.startswith("Đăng ký kết hôn — Lệ phí:")
    [new] = await chat.say("chứng thực chữ ký mất bao lâu")
    assert new.text.startswith("Chứng thực chữ ký") and "Thời gian giải quyết:" in new.text


async def test_a_detail_of_the_procedure_answers_a_follow_up(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("xin giấy xác nhận tình trạng hôn nhân")
    [answer] = await chat.say("giấy đó dùng được bao lâu")
    assert "06 tháng" in answer.text and "chưa hiểu ý bạn" not in answer.text


async def test_no_generic_fallback_right_after_an_answer(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("đăng ký khai tử")
    replies = await chat.say("ờ ờ vậy hả")
    assert "chưa hiểu ý bạn" not in texts(replies)
    assert "Đăng ký khai tử" in texts(replies)


async def test_two_needs_in_one_message_are_both_answered(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        await push_ok(bot, "/api/v1/dossiers", [dossier(status="received", due_on="2025-03-20")])
        chat = bot.resident("u1")
        replies = await chat.say(f"cho hỏi hồ sơ {CODE} xong chưa, với lại làm giấy khai sinh cần giấy gì")
        said = texts(replies)
        assert "Giấy chứng sinh" in said  # the procedure's papers…
        assert "4 số cuối" in said.splitlines()[-1] or "4 số cuối" in replies[-1].text  # …then the lookup's step
        assert "đã tiếp nhận" in texts(await chat.say(PHONE[-4:])).lower()


async def test_of_two_needs_that_wait_for_a_value_the_second_is_offered_as_a_button(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        await push_ok(bot, "/api/v1/dossiers", [dossier(status="received", due_on="2025-03-20")])
        chat = bot.resident("u1")
        *first, offer = await chat.say(f"căn cước của tôi xong chưa, với lại hồ sơ {CODE} tới đâu rồi")
        assert "Đồng ý" in [t for m in first for t in m.button_titles()]  # the căn cước consent waits
        assert offer.text == "Bạn cũng hỏi về Tra cứu hồ sơ:" and offer.button_titles() == ["Xem: Tra cứu hồ sơ"]
        assert "4 số cuối" in texts(await chat.click("Xem: Tra cứu hồ sơ"))  # the code given is used
        assert "đã tiếp nhận" in texts(await chat.say(PHONE[-4:])).lower()


async def test_a_thon_named_in_a_subscription_request_is_used(db_url: str) -> None:
    async with BotHarness.start(db_url) as bot:
        replies = await bot.resident("u1").say("cho tui đăng ký nhận tin thôn Một")
        assert "Đã ghi thôn Thôn Một" in texts(replies) and "chủ đề nào" in texts(replies)


async def test_condolence_apology_and_confidentiality(bot: BotHarness) -> None:
    [grief] = await bot.resident("u1").say("ba tui mới mất, cần làm giấy tờ chi")
    assert grief.text.startswith("Xin chia buồn")
    [death] = await bot.resident("u2").say("đăng ký khai tử")
    assert death.text.startswith("Xin chia buồn"), "death-related procedures carry condolence"
    upset = texts(await bot.resident("u3").say("nộp hồ sơ từ tháng trước tới giờ chưa thấy đâu, làm ăn kiểu gì vậy"))
    assert upset.startswith("Xin lỗi bạn")
    secret = texts(await bot.resident("u4").say("muốn tố cáo cán bộ phường nhưng sợ bị lộ tên"))
    assert "bí mật" in secret
    [plain] = await bot.resident("u5").say("làm giấy khai sinh cho con có mất tiền không")
    assert "chia buồn" not in plain.text and "Xin lỗi" not in plain.text


async def test_follow_ups_after_a_lookup_are_about_that_dossier(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        await push_ok(bot, "/api/v1/dossiers", [dossier(status="received", due_on="2025-03-20")])
        chat = bot.resident("u1")
        await chat.say(f"hồ sơ {CODE} xong chưa")
        await chat.say(PHONE[-4:])
        [when] = await chat.say("khi nào có kết quả")
        assert "20/03/2025" in when.text
        [bring] = await chat.say("đi nhận thì mang theo gì")
        assert "giấy hẹn" in bring.text.lower()


async def test_after_did_you_mean_a_follow_up_is_about_the_likeliest(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [suggestion] = await chat.say("khai sinh lại")
    assert suggestion.text.startswith("Có phải bạn muốn hỏi")
    likeliest = suggestion.button_titles()[0]
    [fee] = await chat.say("lệ phí bao nhiêu")
    assert fee.text.startswith(f"{likeliest} — Lệ phí:")


async def test_an_aspect_word_that_is_also_a_keyword_does_not_switch_the_procedure(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("đăng ký khai sinh cho con")
    [online] = await chat.say("làm trên VNeID được không")  # "VNeID" is a keyword of another procedure too
    assert online.text.startswith("Đăng ký khai sinh — Nộp trực tuyến:")


async def test_a_close_call_with_a_clear_question_answers_it_and_offers_the_others(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    answer, others = await chat.say("em trai 19 tuổi đăng ký kết hôn được không")
    assert answer.text.startswith("Đăng ký kết hôn — Điều kiện:") and "20 tuổi" in answer.text
    assert others.button_titles() and "Có phải bạn muốn hỏi" not in others.text
    [weak] = await bot.resident("u2").say("khai sinh lại")  # no question asked: the candidates only
    assert weak.text.startswith("Có phải bạn muốn hỏi")


async def test_news_questions_list_the_articles_that_share_their_words(bot: BotHarness) -> None:
    for title, summary, category in (("Lịch thu gom rác mới ở các thôn", "Xe rác đi sáng thứ Hai", "moi-truong"),
                                     ("Tuyển sinh lớp 1 năm học mới", "Nộp hồ sơ tại trường", "giao-duc"),
                                     ("Ngừng cấp điện thôn Một", "Sửa chữa lưới điện", "dien-nuoc")):
        async with bot.runtime.engine.begin() as conn:
            await add_article(conn, {"title": title, "summary": summary, "body": summary, "category": category,
                                     "created_by": "test", "published_at": utcnow(), "created_at": utcnow()})
    chat = bot.resident("u1")
    found = await chat.say("có tin gì về tuyển sinh lớp 1 không")
    assert [e["title"] for e in found[0].elements] == ["Tuyển sinh lớp 1 năm học mới"]
    more = await chat.say("còn tin về lịch thu gom rác thì sao")  # a follow-up while news is in focus
    assert [e["title"] for e in more[0].elements] == ["Lịch thu gom rác mới ở các thôn"]


async def test_a_dialect_word_and_a_time_limit_are_read_in_follow_ups(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("muốn đổi tên cho con gái")
    [consent] = await chat.say("con bé có phải ưng không")  # "ưng": agree, in the central dialect
    assert consent.text.startswith("Sửa, đổi") and "đồng ý của" in consent.text
    other = bot.resident("u2")
    await other.say("tôi muốn khiếu nại quyết định xử phạt của phường")
    [late] = await other.say("chuyện từ tháng trước rồi, chừ còn nộp đơn được không")  # still in time?
    assert late.text.startswith("Khiếu nại lần đầu — Thời gian") and "90 ngày" in late.text
