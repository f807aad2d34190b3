"""The number, date and age reader used by every step that waits for digits or a date."""

from __future__ import annotations

from datetime import date

import pytest

from flows.text.numbers import digits_in, read_age, read_date, read_number

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(("said", "digits"), [
    ("bốn ba hai mốt", "4321"),
    ("không chín tám tám", "0988"),
    ("nam khong mot hai", "5012"),  # without diacritics
    ("bảy bẩy sáu sáu", "7766"),
    ("tư năm lăm nhăm", "4555"),
    ("tám nghìn sáu trăm lẻ năm", "8605"),
    ("một ngàn không trăm linh một", "1001"),
    ("hai mươi mốt", "21"),
    ("ba mươi tư", "34"),
    ("mười lăm", "15"),
    ("một trăm", "100"),
    ("không bốn chín một tám hai không không không một hai ba", "049182000123"),
])
def test_number_words_become_digits(said: str, digits: str) -> None:
    assert digits_in(said) == digits


def test_digits_and_words_mix_and_groups_join() -> None:
    assert digits_in("số định danh 049 204 000 321") == "số định danh 049204000321"
    assert digits_in("sđt là 09 một hai") == "sđt là 0912"
    assert digits_in("đây rồi: BN 2026 0388") == "đây rồi: BN 20260388"


def test_everyday_words_stay_words() -> None:
    # A lone "không", "ba" or "năm" is not a number; neither is a word that only sounds like a digit.
    for text in ("không biết nữa", "ba tui đi vắng", "năm ni", "để tui coi lại đã", "tám chuyện"):
        assert digits_in(text) == text


def test_read_number_refuses_non_numbers() -> None:
    assert read_number(["muoi"]) == "10"
    assert read_number([]) is None
    assert read_number(["hai", "dua"]) is None


@pytest.mark.parametrize(("said", "born"), [
    ("05/03/1982", date(1982, 3, 5)),
    ("9/11/75", date(1975, 11, 9)),
    ("12-07-1968", date(1968, 7, 12)),
    ("mồng 9 tháng 11 năm 75", date(1975, 11, 9)),
    ("mồng năm tháng ba năm tám mươi hai", date(1982, 3, 5)),
    ("sinh ngày hai mươi tháng mười một năm một chín chín lăm", date(1995, 11, 20)),
    ("mùng chín tháng hai năm hai nghìn không trăm linh bốn", date(2004, 2, 9)),
    ("mười lăm tháng giêng năm bảy lăm", date(1975, 1, 15)),
    ("ngay 3 thang 4 nam 2001", date(2001, 4, 3)),
    ("ba mốt tháng mười hai năm hai không không không", date(2000, 12, 31)),
    ("1/1/05", date(2005, 1, 1)),  # a two-digit year is the nearest past one
])
def test_dates_in_digits_and_words(said: str, born: date) -> None:
    assert read_date(said, TODAY) == born


@pytest.mark.parametrize("said", ["31/02/1990", "tháng ba", "mồng năm tháng mười ba năm 1990", "12345", "hôm qua"])
def test_not_a_date(said: str) -> None:
    assert read_date(said, TODAY) is None


@pytest.mark.parametrize(("said", "age"), [
    ("ôn tui năm ni 77 tuổi", 77.0),
    ("thằng cu nhà tui mười tuổi", 10.0),
    ("bà tui tám chục rồi", 80.0),
    ("bé ba tuổi rưỡi", 3.5),
    ("hai mươi lăm tuổi", 25.0),
])
def test_ages(said: str, age: float) -> None:
    assert read_age(said) == age


def test_no_age() -> None:
    assert read_age("con tui còn nhỏ") is None
