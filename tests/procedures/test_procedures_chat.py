"""Procedure guidance through the signed webhook and the fake Zalo: cards, "did you mean", browsing,
unverified caveats, buttons, feedback, the Wednesday and contact answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import ProcedureFeedback, UnansweredMessage
from tests.kit import BotHarness, texts

# Office hours in the test configuration: Monday–Friday, as in config.example.toml.
HOURS = {str(d): ["07:30-11:30", "13:30-17:00"] for d in range(5)}


async def test_unaccented_question_reaches_the_right_card(bot: BotHarness) -> None:
    card, feedback = await bot.resident("u1").say("lam giay khai sinh cho con can giay to gi")
    assert card.text.startswith("📄 Đăng ký khai sinh")
    assert "1. Tờ khai đăng ký khai sinh" in card.text and "2. Giấy chứng sinh" in card.text
    assert "Lệ phí:" in card.text and "Nộp trực tuyến: được" in card.text
    assert "Thứ Tư không hẹn" in card.text  # the same-day badge, with its "to be confirmed" note
    assert feedback.text == "Thông tin này có hữu ích không?"


async def test_a_close_call_gets_did_you_mean_with_the_top_three(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    [suggestion] = await chat.say("khai sinh lại")
    assert suggestion.text.startswith("Có phải bạn muốn hỏi")
    titles = suggestion.button_titles()
    assert "Đăng ký lại khai sinh" in titles and len(titles) == 4  # three candidates + "none of these"
    card, _ = await chat.click("Đăng ký lại khai sinh")
    assert card.text.startswith("📄 Đăng ký lại khai sinh")


async def test_an_unverified_fee_carries_the_caveat(bot: BotHarness) -> None:
    card, _ = await bot.resident("u1").say("xin giấy xác nhận tình trạng hôn nhân")
    assert card.text.startswith("📄 Cấp Giấy xác nhận tình trạng hôn nhân")
    assert "chưa được xác minh" in card.text and "lệ phí" in card.text.split("⚠️")[-1]
    verified, _ = await bot.resident("u2").say("chứng thực chữ ký")
    assert "⚠️" not in verified.text, "a verified procedure must not carry the caveat"


async def test_card_buttons_lead_where_they_say(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    card, _ = await chat.say("dang ky ket hon can nhung gi")
    assert card.text.startswith("📄 Đăng ký kết hôn")
    online = dict(card.buttons)["Nộp trực tuyến"]
    assert isinstance(online, dict) and online["url"].startswith("https://")
    [papers] = await chat.click("Chỉ xem giấy tờ")
    assert papers.text.startswith("Giấy tờ cho thủ tục Đăng ký kết hôn:") and "1. " in papers.text
    await chat.click("Xem lại thủ tục")
    fields = [t for m in await chat.click("Thủ tục khác") for t in m.button_titles()]
    assert "Hộ tịch" in fields and len(fields) == 7
    await chat.say("dang ky ket hon")
    handoff = await chat.click("Hỏi cán bộ")
    assert "chuyển tin nhắn của bạn cho cán bộ" in texts(handoff)


async def test_feedback_is_stored_per_procedure(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("lam giay khai tu cho ba")
    [thanks] = await chat.click("Có, hữu ích")
    assert thanks.text.startswith("Cảm ơn bạn")
    async with bot.runtime.engine.connect() as conn:
        rows = (await conn.execute(select(ProcedureFeedback.procedure_slug, ProcedureFeedback.helpful))).all()
    assert [(r.procedure_slug, r.helpful) for r in rows] == [("ho-tich/dang-ky-khai-tu", True)]


async def test_police_procedures_say_who_decides(bot: BotHarness) -> None:
    card, _ = await bot.resident("u1").say("dang ky xe may moi mua")
    assert "Công an phường giải quyết, không phải UBND phường" in card.text


async def test_browse_by_field_then_open_a_card(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    listing = await chat.say("cho xem các thủ tục chứng thực")
    assert "lĩnh vực Chứng thực" in texts(listing)
    titles = [t for m in listing for t in m.button_titles()]
    assert len(titles) == 5 and "Chứng thực chữ ký" in titles
    card, _ = await chat.click("Chứng thực chữ ký")
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
    card, _ = await chat.say("lam don khieu nai quyet dinh cua phuong")
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


async def test_nothing_plausible_gets_the_menu_and_is_recorded_for_admins(bot: BotHarness) -> None:
    replies = await bot.resident("u1").say("đội tuyển mình tối nay đá mấy giờ, số tui 0905123456")
    assert "tôi chưa hiểu ý bạn" in texts(replies)
    async with bot.runtime.engine.connect() as conn:
        stored = (await conn.execute(select(UnansweredMessage.text))).scalars().all()
    assert len(stored) == 1 and "0905123456" not in stored[0], "phone numbers are masked before storing"
