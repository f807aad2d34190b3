"""English for visitors: a message in English is answered in English (menu, flows, procedure cards with
their fields, Vietnamese names glossed), the language buttons switch and the choice is kept, and the
texts exist in both languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.text.understand import Understander, load_default_understander
from flows.texts import FlowConfigError, load_languages
from flows.tomlfile import DEFAULT_DIR, FlowFiles
from tests.kit import BotHarness, texts
from tests.lookups.kit import CODE, lookup_bot

VIETNAMESE_LABELS = ("Giấy tờ cần mang", "Thời gian giải quyết", "Lệ phí:", "Nơi làm:")


@pytest.fixture(scope="module")
def u() -> Understander:
    return load_default_understander()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how do I register a birth?", "en"),
        ("Can I marry a Vietnamese citizen here?", "en"),
        ("do my guests need to register?", "en"),
        ("What can you do?", "en"),
        ("làm giấy khai sinh", "vi"),
        ("lam giay khai sinh cho con", "vi"),  # no accents: still Vietnamese syllables
        ("mat the bhyt roi lam lai sao", "vi"),
        ("5567", None),
        ("ok", None),
        ("hello ad", None),  # one English word is not enough to switch
        ("cccd", None),
        ("I want to marry my fiancée from Cam Thanh", "en"),  # é is no Vietnamese accent here
    ],
)
def test_language_of_a_message(u: Understander, text: str, language: str | None) -> None:
    assert u.language_of(text) == language


@pytest.mark.parametrize(
    ("say", "title", "facts"),
    [
        ("how do I register a birth?", "📄 Đăng ký khai sinh — birth registration", ["60 days", "Papers to bring:"]),
        ("Can I marry a Vietnamese citizen here?", "📄 Đăng ký kết hôn — marriage registration",
         ["1,500,000", "ward"]),
        ("do my guests need to register?", "📄 Thông báo lưu trú", ["11 pm", "ward police", "Free"]),
        ("I need a certified copy of my passport", "📄 Chứng thực bản sao", ["2,000 VND"]),
        ("My father passed away, how do I register the death?", "📄 Đăng ký khai tử", ["15 days"]),
    ],
)
async def test_english_question_gets_an_english_card(bot: BotHarness, say: str, title: str, facts: list[str]) -> None:
    card, feedback = await bot.resident("visitor").say(say)
    assert card.text.startswith(title), card.text
    for fact in facts:
        assert fact in card.text, (fact, card.text)
    assert not any(label in card.text for label in VIETNAMESE_LABELS), card.text
    assert "Papers only" in card.button_titles() and feedback.text == "Was this helpful?"


async def test_a_procedure_without_english_says_to_ask_staff(bot: BotHarness) -> None:
    card, _ = await bot.resident("visitor").say("How do I register my new motorbike here?")
    assert "only available in Vietnamese" in card.text and "Ask staff" in card.button_titles()
    assert "the ward police (Công an phường)" in card.text
    assert not any(label in card.text for label in VIETNAMESE_LABELS)


async def test_the_language_is_kept_for_later_taps_and_numbers(bot: BotHarness) -> None:
    chat = bot.resident("visitor")
    await chat.say("how do I register a birth?")
    [papers] = await chat.click("Papers only")
    assert papers.text.startswith("Papers for Đăng ký khai sinh — birth registration:")
    menu = await chat.say("menu")
    assert "How can we help?" in texts(menu)
    assert "Tiếng Việt" in [t for m in menu for t in m.button_titles()]
    staff = await chat.say("I want to talk to someone from the office")
    assert "passed your message to our staff" in texts(staff)


async def test_the_language_buttons_switch_both_ways(bot: BotHarness) -> None:
    chat = bot.resident("resident")
    menu = await chat.say("menu")
    assert "Bạn cần giúp gì?" in texts(menu) and menu[-1].text == "Lựa chọn khác:"  # buttons beyond Zalo's five
    english = await chat.click("English")
    assert "From now on I will answer in English" in texts(english) and "How can we help?" in texts(english)
    assert english[-1].text == "More choices:"
    fallback = await chat.say("zzz")
    assert "I did not understand" in texts(fallback) and "please ask staff" in texts(fallback)
    back = await chat.click("Tiếng Việt")
    assert "Từ giờ tôi trả lời bằng tiếng Việt" in texts(back) and "Bạn cần giúp gì?" in texts(back)


async def test_writing_vietnamese_again_answers_in_vietnamese(bot: BotHarness) -> None:
    chat = bot.resident("visitor")
    await chat.say("how do I register a birth?")
    card, *_ = await chat.say("làm giấy khai sinh cần gì")  # in Vietnamese: the papers asked for lead
    assert "Giấy tờ cần mang" in card.text


def test_every_text_exists_in_both_languages(tmp_path: Path) -> None:
    languages = load_languages()
    assert set(languages) == {"vi", "en"}
    vi, en = (set(languages[x].texts.model_dump()) for x in ("vi", "en"))
    assert vi == en
    folder = tmp_path / "flows"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "texts-procedures.en.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('card_fee = "Fee: {fee}"\n', ""), encoding="utf-8")
    with pytest.raises(FlowConfigError) as e:
        load_languages(FlowFiles.from_folder(folder))
    assert "texts.en.toml: texts.card_fee: missing (defined in texts-procedures.toml)" in e.value.problems


def test_an_admin_copy_without_english_files_uses_the_shipped_ones(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.en.toml"))
    own = load_languages(FlowFiles.from_folder(folder))
    assert own["en"].texts.menu_title == load_languages()["en"].texts.menu_title


async def test_opening_hours_in_english(db_url: str) -> None:
    hours = {str(d): ["07:30-11:30", "13:30-17:00"] for d in range(5)}
    async with BotHarness.start(db_url, commune={"office_hours": hours}) as bot:
        [answer] = await bot.resident("visitor").say("Hi, is the ward office open on Saturday morning?")
    assert "Monday – Friday: 07:30 – 11:30, 13:30 – 17:00" in answer.text
    assert "Opening hours:" in answer.text and "Giờ làm việc" not in answer.text


async def test_an_application_lookup_in_english(db_url: str) -> None:
    async with lookup_bot(db_url) as bot:
        replies = await bot.resident("visitor").say(f"Hi, can you check my application? The code is {CODE}")
    assert "last 4 digits of the phone number" in texts(replies)


async def test_out_of_scope_in_english_says_what_the_bot_does(bot: BotHarness) -> None:
    replies = await bot.resident("visitor").say("Can you recommend a good basket boat tour?")
    assert "please ask staff" in texts(replies) and "📄" not in texts(replies)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Is my ID card ready?", "id_card_lookup"),
        ("I applied for an ID card last month, is it done?", "id_card_lookup"),
        ("Can you check my application status?", "dossier_lookup"),
        ("Where is the ward office?", "contact"),
        ("Can I speak English with someone?", "handoff"),
        ("Please send me flood warnings", "subscribe"),
        ("Stop sending me news", "unsubscribe"),
        ("Which procedures can I do on Wednesday?", "browse"),
        ("What can you do?", "greeting"),
        ("I want to register my temporary stay", "procedure"),
    ],
)
def test_english_intents(u: Understander, text: str, intent: str) -> None:
    assert u.understand(text).intent == intent, text
