"""Dossier status lookups through the signed webhook: code anywhere, verification, lock, opt-in, notices."""

from __future__ import annotations

from datetime import timedelta

from flows.lookups.hashing import KeyedHasher
from storage.lookups.models import LookupAudit
from storage.types import utcnow
from tests.kit import BotHarness, Msg, texts
from tests.lookups.kit import (
    CODE,
    CODE_2,
    HASH_KEY,
    PHONE,
    PHONE_2,
    audit_rows,
    dossier,
    notifications,
    optin_rows,
    push_ok,
)

PATH = "/api/v1/dossiers"


async def test_code_typed_anywhere_then_secret_then_what_to_do(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier(status="need_more", missing_papers="Bản sao giấy chứng sinh; Tờ khai ký lại")])
    chat = bot.resident("u1")
    asked = texts(await chat.say("cho hỏi hồ sơ 000.31.25.h47 - 250312 -0007 của tôi tới đâu rồi"))
    assert "4 số cuối" in asked and "250312-0007" in asked
    answer = await chat.say(PHONE[-4:])
    text = texts(answer)
    assert "cần bổ sung" in text and "• Bản sao giấy chứng sinh\n• Tờ khai ký lại" in text
    assert "Đăng ký khai sinh" in text and CODE not in text  # only the end of the code is repeated
    assert "Báo khi có thay đổi" in answer[0].button_titles()
    [row] = await audit_rows(bot)
    assert (row.zalo_user_id, row.kind, row.outcome) == ("u1", "dossier", "found")
    assert row.key_hash == KeyedHasher(HASH_KEY).dossier_code(CODE) and row.record_id is not None


async def test_menu_button_asks_for_the_code_and_result_ready_says_where_and_wednesday(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier(status="Đã có kết quả", result_on="14/03/2025", pickup_place="Quầy số 2")])
    chat = bot.resident("u1")
    await chat.say("menu")
    assert "mã hồ sơ" in texts(await chat.click("Tra cứu hồ sơ"))
    assert "chưa thấy mã hồ sơ" in texts(await chat.say("số 12"))
    await chat.say(CODE)
    text = texts(await chat.say(f"sdt của tôi là {PHONE}"))  # a whole phone number: its last four are used
    assert "Quầy số 2" in text and "14/03/2025" in text and "Thứ Tư" in text


async def test_wrong_secret_and_unknown_code_get_the_same_refusal(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier()])
    chat = bot.resident("u1")
    await chat.say(CODE)
    wrong = texts(await chat.say("1111"))
    await chat.say(CODE_2)  # not in the records
    unknown = texts(await chat.say(PHONE[-4:]))
    assert "không khớp" in wrong and "đang xử lý" not in wrong
    assert wrong.replace("4 lần", "3 lần") == unknown
    assert [r.outcome for r in await audit_rows(bot)] == ["mismatch", "not_found"]


async def test_five_failures_lock_the_resident_for_the_window(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier()])
    chat = bot.resident("u1")
    await chat.say(CODE)
    replies = [texts(await chat.say(f"{n}{n}{n}{n}")) for n in range(1, 6)]
    assert "còn 4 lần" in replies[0] and "còn 1 lần" in replies[3]
    assert "tạm khóa" in replies[4] and "bộ phận một cửa" in replies[4]
    # Starting over is refused at once, however the lookup is started.
    assert "tạm khóa" in texts(await chat.say(CODE))
    await chat.say("menu")
    assert "tạm khóa" in texts(await chat.click("Tra cứu hồ sơ"))
    outcomes = [r.outcome for r in await audit_rows(bot)]
    assert outcomes[:5] == ["mismatch"] * 5 and outcomes[5:] == ["locked", "locked"]
    # Another resident is not affected.
    other = bot.resident("u2")
    await other.say(CODE)
    assert "Đăng ký khai sinh" in texts(await other.say(PHONE[-4:]))


async def test_failures_older_than_the_window_do_not_count(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier()])
    chat = bot.resident("u1")
    await chat.say(CODE)
    for n in range(1, 5):
        await chat.say(f"{n}{n}{n}{n}")
    async with bot.runtime.engine.begin() as conn:  # age the four failures past the 24-hour window
        await conn.execute(LookupAudit.__table__.update().values(at=utcnow() - timedelta(hours=25)))
    assert "còn 4 lần" in texts(await chat.say("9999"))
    assert "Đăng ký khai sinh" in texts(await chat.say(PHONE[-4:]))


async def test_opt_in_then_one_notification_per_status_change(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier(), dossier(code=CODE_2, phone=PHONE_2)])
    chat = bot.resident("u1")
    await chat.say(CODE)
    await chat.say(PHONE[-4:])
    assert "Đã ghi nhận" in texts(await chat.click("Báo khi có thay đổi"))
    assert len(await optin_rows(bot)) == 1

    await push_ok(bot, PATH, [dossier()])  # unchanged
    assert await notifications(bot) == []
    await push_ok(bot, PATH, [dossier(code=CODE_2, phone=PHONE_2, status="result_ready")])  # not opted in
    assert await notifications(bot) == []

    seen = len(bot.fake.messages_for("u1"))
    await push_ok(bot, PATH, [dossier(status="result_ready", result_on="20/03/2025")])
    await push_ok(bot, PATH, [dossier(status="result_ready", result_on="20/03/2025")])  # again: nothing new
    delivered = bot.fake.messages_for("u1")[seen:]
    assert len(delivered) == 1
    assert "vừa có cập nhật" in delivered[0].text and "20/03/2025" in delivered[0].text
    [row] = await notifications(bot)
    assert row.status == "sent" and row.priority == 5 and row.idempotency_key.startswith("notify:dossier:")

    # "Ngừng báo tin" in the notification ends the opt-in.
    chat.last = [Msg.of(delivered[0])]
    assert "Đã ngừng" in texts(await chat.click("Ngừng báo tin"))
    assert await optin_rows(bot) == []


async def test_opt_in_needs_a_recent_verification_of_that_record(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier()])
    owner = bot.resident("u1")
    await owner.say(CODE)
    await owner.say(PHONE[-4:])
    record_id = (await audit_rows(bot))[0].record_id
    snoop = bot.resident("u2")
    assert "tra cứu lại" in texts(await snoop.say(f"#dossier:notify:{record_id}"))
    assert await optin_rows(bot) == []


async def test_a_resident_outside_the_window_is_marked_unreachable_not_retried(bot: BotHarness) -> None:
    await push_ok(bot, PATH, [dossier()])
    chat = bot.resident("u1")
    await chat.say(CODE)
    await chat.say(PHONE[-4:])
    await chat.click("Báo khi có thay đổi")
    bot.fake.set_user_error("u1", -230)
    await push_ok(bot, PATH, [dossier(status="overdue")])
    await bot.runtime.drain()
    [row] = await notifications(bot)
    assert (row.status, row.attempts, row.error_code) == ("unreachable", 1, -230)
