"""Procedure guidance through the signed webhook and the fake Zalo: cards, "did you mean", browsing,
unverified caveats, buttons, feedback, the Wednesday and contact answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import ProcedureFeedback, UnansweredMessage
from tests.kit import BotHarness, texts

# Office hours in the test configuration: Monday–Friday, as in config.example.toml.
HOURS = {str(d): ["07:30-11:30", "13:30-17:00"] for d in range(5)}


async def test_a_question_about_papers_gets_the_papers(bot: BotHarness) -> None:
    [answer] = await bot.resident("u1").say("lam giay khai sinh cho con can giay to gi")
    assert answer.text.startswith("Đăng ký khai sinh — Giấy tờ cần mang:")
    assert "1. Tờ khai đăng ký khai sinh" in answer.text and "2. Giấy chứng sinh" in answer.text
    titles = answer.button_titles()
    assert "Xem đủ thủ tục" in titles and "Có, hữu ích" in titles  # the helpfulness question, as buttons
    assert len(titles) <= 5


async def test_the_first_card_fits_one_screen_and_leads_to_the_full_card(bot: BotHarness) -> None:
    for n, slug in enumerate(p.slug for p in bot.runtime.services.catalog.procedures):  # every short card
        [card] = await bot.resident(f"r{n}").say(f"#proc:card:{slug}")
        assert len(card.text) <= 600, slug
    chat = bot.resident("u2")
    [card] = await chat.say("dang ky khai sinh")
    assert card.text.startswith("📄 Đăng ký khai sinh") and "• Lệ phí:" in card.text
    assert card.button_titles() == ["Giấy tờ", "Nơi nộp", "Nộp trực tuyến", "Có, hữu ích", "Chưa hữu ích"]
    [full] = await chat.say("#proc:full:ho-tich/dang-ky-khai-sinh")
    assert "Thứ Tư không hẹn" in full.text and "Nộp trực tuyến: được" in full.text  # badge and online line


async def test_a_close_call_gets_did_you_mean_with_the_top_three(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [suggestion] = await chat.say("khai sinh lại")
    assert suggestion.text.startswith("Có phải bạn muốn hỏi")
    titles = suggestion.button_titles()
    assert "Đăng ký lại khai sinh" in titles and len(titles) == 4  # three candidates + "none of these"
    [card] = await chat.click("Đăng ký lại khai sinh")
    assert card.text.startswith("📄 Đăng ký lại khai sinh")


async def test_an_unverified_fee_carries_the_caveat(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [card] = await chat.say("xin giấy xác nhận tình trạng hôn nhân")
    assert card.text.startswith("📄 Cấp Giấy xác nhận tình trạng hôn nhân")
    assert "chưa xác minh" in card.text and "lệ phí" in card.text.split("⚠️")[-1].lower()
    [fee] = await chat.say("lệ phí bao nhiêu")
    assert "Lệ phí:" in fee.text and "chưa được xác minh" in fee.text, "an unverified figure is never certain"
    [verified] = await bot.resident("u2").say("chứng thực chữ ký")
    assert "⚠️" not in verified.text, "a verified procedure must not carry the caveat"


async def test_card_buttons_lead_where_they_say(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [card] = await chat.say("dang ky ket hon")
    assert card.text.startswith("📄 Đăng ký kết hôn")
    [papers] = await chat.click("Giấy tờ")
    assert papers.text.startswith("Đăng ký kết hôn — Giấy tờ cần mang:") and "1. " in papers.text
    [place] = await chat.click("Nơi nộp")
    assert "Nơi làm:" in place.text
    [full] = await chat.click("Xem đủ thủ tục")
    online = dict(full.buttons)["Nộp trực tuyến"]
    assert isinstance(online, dict) and online["url"].startswith("https://")
    [only_papers] = await chat.click("Chỉ xem giấy tờ")
    assert only_papers.text.startswith("Giấy tờ cho thủ tục Đăng ký kết hôn:")
    await chat.click("Xem lại thủ tục")
    await chat.say("#proc:full:ho-tich/dang-ky-ket-hon")
    fields = [t for m in await chat.click("Thủ tục khác") for t in m.button_titles()]
    assert "Hộ tịch" in fields and len(fields) == 7
    await chat.say("#proc:full:ho-tich/dang-ky-ket-hon")
    handoff = await chat.click("Hỏi cán bộ")
    assert "chuyển tin nhắn của bạn cho cán bộ" in texts(handoff)


async def test_feedback_is_asked_once_and_stored_per_procedure(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("lam giay khai tu cho ba")
    [thanks] = await chat.click("Có, hữu ích")
    assert thanks.text.startswith("Cảm ơn bạn")
    [again] = await chat.say("dang ky ket hon")
    assert "Có, hữu ích" not in again.button_titles(), "the helpfulness question is asked once per conversation"
    async with bot.runtime.engine.connect() as conn:
        rows = (await conn.execute(select(ProcedureFeedback.procedure_slug, ProcedureFeedback.helpful))).all()
    assert [(r.procedure_slug, r.helpful) for r in rows] == [("ho-tich/dang-ky-khai-tu", True)]


async def test_police_procedures_say_who_decides(bot: BotHarness) -> None:
    [card] = await bot.resident("u1").say("dang ky xe may moi mua")
    assert "Công an phường giải quyết, không phải UBND phường" in card.text


async def test_browse_by_field_then_open_a_card(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    listing = await chat.say("cho xem các thủ tục chứng thực")
    assert "lĩnh vực Chứng thực" in texts(listing)
    titles = [t for m in listing for t in m.button_titles()]
    assert len(titles) == 5 and "Chứng thực chữ ký" in titles
    [card] = await chat.click("Chứng thực chữ ký")
    assert "Chứng thực chữ ký" in card.text.splitlines()[0]


async def test_wednesday_answer_lists_the_twenty_saying_which_are_only_received(bot: BotHarness) -> None:
    [answer] = await bot.resident("u1").say("ngay thu tu khong hen la sao")
    assert "Ngày thứ Tư không hẹn" in answer.text and "miễn phí" in answer.text
    assert "• Đăng ký khai sinh" in answer.text and "chờ phường xác nhận" in answer.text
    assert answer.text.count("\n• ") == 20
    same_day, received = answer.text.split("\n\n")[2:4]
    assert "trong ngày" in same_day.splitlines()[0] and "• Đăng ký khai sinh" in same_day
    assert "khiếu nại" not in same_day and "• Tiếp nhận đơn khiếu nại, tố cáo (vào sổ, hướng dẫn)" in received
    assert "không cần hẹn" in received.splitlines()[0]


async def test_a_procedure_only_received_on_wednesday_has_no_same_day_badge(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("lam don khieu nai quyet dinh cua phuong")  # led by the papers the question asks about
    [card] = await chat.click("Xem đủ thủ tục")
    assert card.text.startswith("📄 Giải quyết khiếu nại lần đầu")
    assert "⭐" not in card.text and "giải quyết ngay trong ngày" not in card.text
    assert "Thứ Tư" in card.text and "không cần hẹn" in card.text


async def test_contact_says_whether_the_desk_is_open_now(db_url: str) -> None:
    wednesday_9am = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 09:00 in Asia/Ho_Chi_Minh
    sunday = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    answers = []
    for moment in (wednesday_9am, sunday):
        async with BotHarness.start(db_url, clock=lambda m=moment: m, commune={"office_hours": HOURS}) as bot:
            [answer] = await bot.resident("u1").say("uy ban phuong lam viec may gio, so dien thoai la gi")
            answers.append(answer)
    open_, closed = answers
    assert "Địa chỉ: Số 1 đường Thử" in open_.text and "Điện thoại: 0236 000 000" in open_.text
    assert "Thứ Hai – Thứ Sáu: 07:30 – 11:30, 13:30 – 17:00" in open_.text
    assert "Bây giờ (09:00) bộ phận một cửa đang làm việc" in open_.text
    assert "Bây giờ (09:00) bộ phận một cửa đã nghỉ" in closed.text
    assert "chưa được xác minh" in open_.text  # office_hours_verified is false by default
    assert ("Gọi bộ phận một cửa", {"phone_code": "0236000000"}) in open_.buttons


async def test_an_unverified_phone_or_address_is_labelled_wherever_residents_see_it(db_url: str) -> None:
    """The example's phone was the city's general hotline, shown as the desk's own number."""
    async with BotHarness.start(db_url, commune={"office_phone_verified": False,
                                                 "office_address_verified": False}) as bot:
        chat = bot.resident("u1")
        [contact] = await chat.say("so dien thoai uy ban phuong")
        assert "Điện thoại: 0236 000 000 (số chưa được xác minh" in contact.text
        assert "Địa chỉ: Số 1 đường Thử (địa chỉ chưa được xác minh" in contact.text
        assert "Gọi bộ phận một cửa" not in contact.button_titles()
        [unavailable] = await chat.say("tra cuu ho so")  # no hash key in the harness: lookups are off
        assert "0236 000 000 (số chưa được xác minh" in unavailable.text


async def test_out_of_scope_is_said_honestly_and_recorded_for_admins(bot: BotHarness) -> None:
    replies = await bot.resident("u1").say("đội tuyển mình tối nay đá mấy giờ, số tui 0905123456")
    assert "không trả lời được" in texts(replies) and "chưa hiểu ý bạn" not in texts(replies)
    async with bot.runtime.engine.connect() as conn:
        stored = (await conn.execute(select(UnansweredMessage.text))).scalars().all()
    assert len(stored) == 1 and "0905123456" not in stored[0], "phone numbers are masked before storing"


async def test_nothing_plausible_gets_the_menu(bot: BotHarness) -> None:
    replies = await bot.resident("u1").say("xyz qwrt blah")
    assert "tôi chưa hiểu ý bạn" in texts(replies)
