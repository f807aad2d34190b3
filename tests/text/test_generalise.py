"""Understanding wording nobody wrote into the lexicon: accents kept when typed, weak function-word
pairs, typo repair, the asking clause of a long message, intent precedence, abbreviations that depend
on their neighbours, and names typed whole reaching the card."""

from __future__ import annotations

import pytest

from flows.text.canon import Canonicalizer, PatternCompiler
from flows.text.lexicon import Lexicon, load_lexicon
from flows.text.understand import Understander, Understanding, decide, load_default_understander


@pytest.fixture(scope="module")
def u() -> Understander:
    return load_default_understander()


def top(x: Understanding) -> str | None:
    return x.procedures[0][0] if x.procedures else None


# ---- accents kept when typed ------------------------------------------------------------------------

def test_an_accented_word_is_not_the_catalog_word_it_only_resembles(u: Understander) -> None:
    r = u.ranker
    assert r.foreign("hon", "hơn") and not r.foreign("hon", "hôn")  # hơn (more) is not hôn (kết hôn)
    assert not r.foreign("hon", "hon")  # typed without accents: fall back to the plain match
    assert not r.foreign("tu", "tư")  # a tone left out ("khai tư") is still the word
    assert r.foreign_pair("sua the", "sửa", "thế") and not r.foreign_pair("sua the", "sửa", "thẻ")


def test_more_than_a_year_is_not_marriage(u: Understander) -> None:
    x = u.understand("Hơn hai tháng rồi chưa nhận được thẻ căn cước")
    assert x.intent == "id_card_lookup", x
    fixed = u.understand("giấy khai sinh của bé bị sai tên đệm, sửa thế nào")
    assert top(fixed) == "ho-tich/thay-doi-cai-chinh-bo-sung", fixed.procedures[:3]


# ---- function-word pairs -----------------------------------------------------------------------------

def test_pairs_of_function_words_count_less_than_their_idf(u: Understander) -> None:
    r = u.ranker
    weak = sorted(r._weak_pairs)
    assert weak, "the catalog has pairs made only of function words or common syllables"
    assert all(r._w(t) < r.idf[t] for t in weak)
    assert "phan anh" not in r._weak_pairs  # two common syllables, but a procedure's own keyword


# ---- typos -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("khai sihn", "ho-tich/dang-ky-khai-sinh"),  # swapped letters
        ("khai snh", "ho-tich/dang-ky-khai-sinh"),  # a letter dropped
        ("đăng ký kêt hônn", "ho-tich/dang-ky-ket-hon"),
        ("chứng thưc chữ ký", "chung-thuc/chu-ky"),  # accents no syllable has
    ],
)
def test_typos_are_repaired_towards_known_pairs(u: Understander, text: str, slug: str) -> None:
    x = u.understand(text)
    assert x.intent == "procedure" and top(x) == slug, (text, x.procedures[:3])


def test_a_real_word_next_to_a_known_one_is_not_repaired(u: Understander) -> None:
    # "tiêm" is a word of its own, one letter from "tiếp" (lịch tiếp dân): not a typo.
    x = u.understand("có lịch tiêm ngừa cho con nít chưa")
    assert top(x) != "don-thu/tiep-cong-dan"


# ---- the clause that asks ----------------------------------------------------------------------------

def test_the_asking_clause_outweighs_the_context(u: Understander) -> None:
    x = u.understand(
        "Hồi trước tôi ở trọ bên Điện Bàn. Giờ mua được nhà ở đây rồi, muốn chuyển hộ khẩu về thì làm sao?"
    )
    assert top(x) == "cu-tru/dang-ky-thuong-tru", x.procedures[:3]


def test_a_purpose_is_context(u: Understander) -> None:
    x = u.understand("Xin bản sao giấy khai sinh để làm hồ sơ bán đất")
    assert top(x) == "ho-tich/cap-ban-sao-trich-luc", x.procedures[:3]


def test_context_clause_age_does_not_pick_the_procedure(u: Understander) -> None:
    for text, slug in (
        ("Bà nội tôi 80 tuổi rồi. Em muốn đổi căn cước bị gãy thì làm sao?", "cu-tru/cap-doi-cap-lai-can-cuoc"),
        ("Con tôi 3 tuổi. Tôi muốn đăng ký kết hôn với ba nó thì cần giấy gì?", "ho-tich/dang-ky-ket-hon"),
        ("Năm ngoái tôi làm đám cưới rồi. Giờ muốn xin giấy xác nhận cư trú thì ở đâu?",
         "cu-tru/xac-nhan-thong-tin-cu-tru"),
    ):
        x = u.understand(text)
        assert top(x) == slug, (text, x.procedures[:3])


def test_an_age_in_words_counts_like_digits(u: Understander) -> None:
    for text in ("ông tui tám mươi lăm tuổi rồi mà chưa có đồng trợ cấp nào", "ba tôi tám chục tuổi chưa có trợ cấp"):
        assert top(u.understand(text)) == "bhxh/tro-cap-huu-tri-xa-hoi", text


def test_guests_staying_over_is_the_stay_notice(u: Understander) -> None:
    x = u.understand("Nhà tôi mở homestay, tối qua có hai khách Pháp đến. Phải báo cho ai và trước mấy giờ?")
    assert top(x) == "cu-tru/thong-bao-luu-tru", x.procedures[:3]
    assert u.understand("cho hỏi mua vé xe khách ra Hà Nội ở đâu").intent == "out_of_scope"


# ---- intent precedence -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # browse vs one procedure
        ("cho xem tất cả thủ tục chứng thực", "browse"),
        ("chứng thực chữ ký trên giấy ủy quyền", "procedure"),
        # capabilities and greetings vs a procedure
        ("bot này giúp được gì", "greeting"),
        ("chào anh chị cán bộ, chúc một ngày vui", "greeting"),
        ("chào ad, đăng ký kết hôn cần giấy gì", "procedure"),
        # out of scope vs a weak procedure match
        ("quán nào bán cơm gà ngon", "out_of_scope"),
        # status cues only with a status subject
        ("làm hồ sơ xin giấy xác nhận chưa có vợ", "procedure"),
        ("hồ sơ xin xác nhận độc thân nộp tuần trước xong chưa", "dossier_lookup"),
        ("căn cước của tôi xong chưa", "id_card_lookup"),
        ("làm căn cước ở đâu", "procedure"),
        # contact vs a report to the office
        ("mấy giờ mở cửa", "contact"),
        ("đổ xà bần ra đường làng, báo phường ở đâu", "procedure"),
        # handoff in other words, but a phone number asked for is contact
        ("có cán bộ nào trực không", "handoff"),
        ("số điện thoại cán bộ trực là gì", "contact"),
        # plainly out of scope even when a procedure word appears ("thuyền")
        ("recommend a boat tour please", "out_of_scope"),
        # subscription with a skipped span
        ("hễ có tin cắt nước là nhắn cho tôi", "subscribe"),
    ],
)
def test_precedence(u: Understander, text: str, intent: str) -> None:
    x = u.understand(text)
    assert x.intent == intent, (text, x)


# ---- abbreviations in context ------------------------------------------------------------------------

def test_abbreviations_take_their_meaning_from_the_neighbours() -> None:
    c = Canonicalizer(load_lexicon())
    assert c.canon("chứng thực ck") == ["chung", "thuc", "chu", "ki"]
    assert c.canon("ck tôi mất") == ["chong", "toi", "mat"]
    assert c.canon("đủ đk không")[:3] == ["du", "dieu", "kien"]
    assert c.canon("đk kết hôn")[:2] == ["dang", "ki"]
    assert "cong an" in " ".join(c.canon("đăng ký xe ở ca p"))


def test_abbreviation_context_is_admin_data() -> None:
    lex = Lexicon.model_validate({
        "abbreviations": {"gd": "gia đình"},
        "abbreviation_context": [{"abbr": ["gd"], "means": "giám đốc", "after": ["ông"]}],
    })
    c = Canonicalizer(lex)
    assert c.canon("gd tôi") == ["gia", "dinh", "toi"]
    assert c.canon("ông gd") == ["ong", "giam", "doc"]


# ---- names typed whole reach the card ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("làm giấy khai sinh", "ho-tich/dang-ky-khai-sinh"),  # the bot's own example
        ("cccd", "cu-tru/cap-doi-cap-lai-can-cuoc"),
        ("làm cccd ở đâu", "cu-tru/cap-doi-cap-lai-can-cuoc"),
        ("đổi cccd", "cu-tru/cap-doi-cap-lai-can-cuoc"),
        ("đăng ký tạm trú", "cu-tru/dang-ky-tam-tru"),
        ("khai báo lưu trú", "cu-tru/thong-bao-luu-tru"),
        ("how do I register a birth?", "ho-tich/dang-ky-khai-sinh"),
        ("do my guests need to register?", "cu-tru/thong-bao-luu-tru"),
    ],
)
def test_names_and_informal_names_get_the_card(u: Understander, text: str, slug: str) -> None:
    x = u.understand(text)
    assert top(x) == slug and decide(x) == "card", (text, x.procedures[:3])


def test_a_name_with_more_said_is_left_to_the_ranking(u: Understander) -> None:
    x = u.understand("khai sinh lại")
    assert not x.named and decide(x) == "suggest"



def test_cue_words_typed_with_accents_must_fit_the_pattern() -> None:
    c = Canonicalizer(load_lexicon())
    pc = PatternCompiler(c, {"staff": ["cán bộ"]})
    need = pc.compile(["cần gì", "cần * giấy"])
    assert need is not None
    s = " can gi "
    assert need.search(s) is not None  # typed without accents: the plain match stands
    assert need.search(s, {1: "cán"}) is None  # "cán" cannot be "cần"
    assert need.search(" can gi ", {1: "cần"}) is not None
    # a word a "*" stands for is not checked: "chủng" may be anything
    assert need.search(" can chung giay ", {1: "cần", 5: "chủng"}) is not None


def test_a_situation_needs_the_accents_it_was_written_with(u: Understander) -> None:
    # "lần đầu" (the first time) is not "lẫn" (confused): no guardian for a first ID card
    x = u.understand("cháu muốn làm thẻ căn cước lần đầu thì đi đâu")
    assert top(x) == "cu-tru/cap-doi-cap-lai-can-cuoc", x.procedures[:3]
