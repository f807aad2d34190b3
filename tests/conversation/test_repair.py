"""Repair in every step that waits for a value: values in words are read, "đợi xíu" is waited for, a
question about the step is answered, another need is answered with a way back, anything else is asked
again once with an example, and after two misses the menu and a person are offered."""

from __future__ import annotations

from tests.broadcasts.kit import sections
from tests.kit import BotHarness, Clock, ResidentChat, texts
from tests.lookups.kit import CODE, card, dossier, lookup_bot, push_ok

ID_IN_WORDS = "không bốn chín một chín không không không một hai ba bốn"  # ID_NUMBER of the lookup kit
PHONE_END_IN_WORDS = "ba bốn năm sáu"  # the last four digits of PHONE


async def test_dossier_code_step(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        await push_ok(bot, "/api/v1/dossiers", [dossier(status="received", due_on="2025-03-20")])
        chat = bot.resident("u1")
        assert "mã hồ sơ" in texts(await chat.say("tra cứu hồ sơ"))
        [wait] = await chat.say("đợi xíu để tui tìm cái giấy hẹn")
        assert "cứ từ từ" in wait.text and "mã hồ sơ" in wait.text
        other = await chat.say("đăng ký kết hôn nộp ở đâu")
        assert "Đăng ký kết hôn — Nơi làm:" in texts(other) and "tiếp tục bước đang dở" in texts(other)
        [missed] = await chat.say("ừm cái gì ấy nhỉ")
        assert "chưa đọc được" in missed.text and "000.31.25.H47-250312-0007" in missed.text  # an example
        assert missed.button_titles() == ["Tôi không có mã", "Về menu"]
        [no_code] = await chat.click("Tôi không có mã")
        assert "VNeID" in no_code.text
        assert "4 số cuối" in texts(await chat.say(CODE))  # the code still works after the detours


async def test_dossier_code_step_gives_up_after_two_misses(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        chat = bot.resident("u1")
        await chat.say("tra cứu hồ sơ")
        await chat.say("ừm cái gì ấy nhỉ")
        [given_up] = await chat.say("lung tung quá")
        assert "Gặp cán bộ" in given_up.button_titles() and "Về menu" in given_up.button_titles()
        assert "chưa hiểu ý bạn" in texts(await chat.say("lung tung quá")), "the step was let go"


async def test_dossier_secret_step_reads_words(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        await push_ok(bot, "/api/v1/dossiers", [dossier(status="received", due_on="2025-03-20")])
        chat = bot.resident("u1")
        await chat.say(f"hồ sơ {CODE} xong chưa")
        [wait] = await chat.say("để tui coi lại số điện thoại đã, đợi xíu")
        assert "cứ từ từ" in wait.text and "4 số cuối" in wait.text
        assert "4 chữ số" in texts(await chat.say("12"))  # the step's own re-ask keeps it
        assert "đã tiếp nhận" in texts(await chat.say(PHONE_END_IN_WORDS)).lower()


async def test_the_steps_own_re_ask_counts_as_a_miss(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        chat = bot.resident("u1")
        await chat.say(f"hồ sơ {CODE} xong chưa")
        assert "4 chữ số" in texts(await chat.say("12"))
        [given_up] = await chat.say("123")
        assert "Gặp cán bộ" in given_up.button_titles()


async def _consented(chat: ResidentChat) -> None:
    await chat.say("căn cước của tôi xong chưa")
    assert "số định danh" in texts(await chat.say("ok đồng ý"))  # typed, not tapped


async def test_id_card_consent_step(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        chat = bot.resident("u1")
        await chat.say("căn cước của tôi xong chưa")
        [again] = await chat.say("cái gì vậy trời")
        assert "chưa đọc được" in again.text and "Đồng ý" in again.button_titles()
        assert "không tra cứu" in texts(await chat.say("không đồng ý"))


async def test_id_card_key_and_birth_steps_read_words(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        await push_ok(bot, "/api/v1/id-cards", [card(status="ready")])
        chat = bot.resident("u1")
        await _consented(chat)
        [wait] = await chat.say("chờ chút mình đi kiếm cái giấy hẹn")
        assert "cứ từ từ" in wait.text and "số biên nhận" in wait.text
        assert "ngày sinh" in texts(await chat.say(f"số định danh {ID_IN_WORDS}"))
        [missed] = await chat.say("không nhớ nữa")
        assert "chưa đọc được" in missed.text and "ngày/tháng/năm" in missed.text
        answer = texts(await chat.say("mồng năm tháng chín năm chín mươi"))
        assert "Công an phường Hội An Đông" in answer and "không khớp" not in answer


async def test_onboarding_steps_answer_questions_and_ask_again(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        question = await chat.say("tin bão lũ thì có gửi cho tất cả mọi người không")
        assert "luôn được gửi" in texts(question) and "thôn" in texts(question)
        [missed] = await chat.say("ừm để xem nào cái gì")  # the step's own re-ask, with the thôn buttons
        assert "chưa nhận ra thôn" in missed.text and "Không ở các thôn trên" in missed.button_titles()
        await chat.click("Không ở các thôn trên")
        topics = await chat.say("tin bão lũ có phải chọn chủ đề không hay lúc nào cũng gửi")
        assert "luôn được gửi" in texts(topics) and "Bạn gõ các số từ 1 đến" not in texts(topics)
        await chat.click("Các tin thiết yếu")
        [consent] = await chat.say("hả gì cơ")
        assert "chưa đọc được" in consent.text and len(consent.buttons) == 2  # share or not: the step's buttons


async def test_onboarding_gives_up_after_two_misses_like_every_step(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        chat = bot.resident("u1")
        await chat.follow()
        [missed] = await chat.say("ừm để xem nào cái gì")
        assert "chưa nhận ra thôn" in missed.text
        [given_up] = await chat.say("lung tung quá")
        assert "Gặp cán bộ" in given_up.button_titles() and "Về menu" in given_up.button_titles()
        assert "chưa nhận ra thôn" not in texts(await chat.say("lung tung quá")), "the step was let go"
        await chat.say("đăng ký nhận tin")  # asked for again: the steps start afresh
        await chat.click("Võng Nhi")
        [topics_missed] = await chat.say("hả gì cơ")
        assert "từ 1 đến" in topics_missed.text
        [given_up] = await chat.say("không biết nữa")
        assert "Gặp cán bộ" in given_up.button_titles()


async def test_every_prompt_has_a_way_out(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        chat = bot.resident("u1")
        [code] = await chat.say("tra cứu hồ sơ")
        assert code.button_titles() == ["Tôi không có mã", "Về menu"]
        [secret] = await chat.say(CODE)
        assert "Về menu" in secret.button_titles()
        await chat.say("căn cước của tôi xong chưa")
        [key] = await chat.say("đồng ý")
        assert "Về menu" in key.button_titles()
        [birth] = await chat.say("BN 2026 000123")
        assert "ngày sinh" in birth.text and "Về menu" in birth.button_titles()
