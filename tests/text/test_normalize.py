"""Normalising residents' Vietnamese: accents, tone placement, Telex leftovers, repeated letters."""

from __future__ import annotations

import pytest

from flows.text.normalize import accent_valid, could_be, fold, is_syllable, normalize, spelling_variants, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đăng Ký Khai Sinh", "dang ky khai sinh"),
        ("đường Đá", "duong da"),
        ("hoà bình, hòa bình", "hoa binh hoa binh"),
        ("thuỷ lợi thủy lợi", "thuy loi thuy loi"),
        ("khai sinhf", "khai sinh"),
        ("ddang kys keets hoon", "dang ky ket hon"),
        ("xin giaays xacs nhaanj ddoocj thaan", "xin giay xac nhan doc than"),
        ("dduwowngf", "duong"),
        ("alooo ad oiii", "alo ad oi"),
        ("dccc", "dc"),
        ("khôg đừg thươg", "khong dung thuong"),
        ("Chào ad 😀🙏!!! có ai ko???", "chao ad co ai ko"),
        ("  nhiều   khoảng\ttrắng\n", "nhieu khoang trang"),
        ("tui ở Cẩm Thanh, Hội An.", "tui o cam thanh hoi an"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "word",
    ["xoong", "nghieng", "khuyen", "quy", "giay", "thuong", "khong", "cccd", "hello", "need", "how", "is"],
)
def test_real_words_are_left_alone(word: str) -> None:
    assert normalize(word) == word


def test_both_tone_placements_fold_the_same() -> None:
    assert fold("hoà") == fold("hòa")
    assert fold("thuỷ") == fold("thủy")
    assert fold("Quà Giữa Người") == "quà giữa người"
    assert fold("mộ") != fold("mô")  # accents kept where they matter


def test_nfd_input_is_composed() -> None:
    import unicodedata

    assert normalize(unicodedata.normalize("NFD", "Đăng ký kết hôn")) == "dang ky ket hon"


def test_tokens_keep_three_forms() -> None:
    (tok,) = tokens("Hônf")
    assert (tok.acc, tok.raw, tok.plain) == ("hônf", "honf", "hon")


def test_syllable_shape() -> None:
    assert all(is_syllable(w) for w in ("sinh", "nghieng", "khuya", "oan", "gi", "quyen"))
    assert not any(is_syllable(w) for w in ("sinhf", "kys", "khog", "ddang", "onlin"))


def test_spelling_variants() -> None:
    assert "sinh" in spelling_variants("xinh")
    assert "hon" in spelling_variants("hong")
    assert "tro" in spelling_variants("cho")
    assert "giam" in spelling_variants("dam")


def test_empty_and_symbols() -> None:
    assert normalize("") == ""
    assert normalize("🙂🙂 ... !!") == ""


@pytest.mark.parametrize(
    ("typed", "word", "same"),
    [
        ("tư", "tử", True),  # a tone left out: could still be the word
        ("mua", "mùa", True),  # no marks at all: could be anything spelt so
        ("mùa", "mua", False),  # a tone the word does not have
        ("hơn", "hôn", False),  # another vowel mark
        ("dang", "đăng", True),
        ("đang", "dang", False),
        ("thế", "thẻ", False),
        ("kêt", "kết", True),
    ],
)
def test_could_be(typed: str, word: str, same: bool) -> None:
    assert could_be(typed, word) is same


@pytest.mark.parametrize(
    ("word", "valid"),
    [("thực", True), ("thưc", False), ("kết", True), ("kềt", False), ("sách", True), ("hôn", True), ("hóa", True)],
)
def test_accent_valid(word: str, valid: bool) -> None:
    assert accent_valid(word) is valid
