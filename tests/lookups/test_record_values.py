"""Normalising what residents type and what exports contain: codes, số định danh, phones, dates."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from flows.lookups.values import (
    ValueProblem,
    dossier_tail,
    find_date,
    last_four_digits,
    mask_tail,
    normalise_id_number,
    parse_date,
    split_papers,
)
from flows.text.dossier_code import find_dossier_code


@pytest.mark.parametrize(("text", "code"), [
    ("000.31.25.H47-250312-0007", "000.31.25.H47-250312-0007"),
    ("hồ sơ 000.31.25.h47 - 250312 - 0007 của tôi", "000.31.25.H47-250312-0007"),
    ("mã:000 . 31 . 25 . H47–250312–0007.", "000.31.25.H47-250312-0007"),
    ("số phiếu H57.132-260804-0583 ạ", "H57.132-260804-0583"),
    ("hẹn ngày 250312-0007", None),  # no agency part: not a whole code
    ("000.31.25.H47-250312-00071", None),
    ("gọi 0905-123-456", None),
])
def test_dossier_codes_are_found_in_free_text(text: str, code: str | None) -> None:
    assert find_dossier_code(text) == code


@pytest.mark.parametrize(("value", "digits"), [
    ("049190001234", "049190001234"), (" 049 190 001 234 ", "049190001234"), (49190001234, "049190001234"),
    (49190001234.0, "049190001234"), ("4.9190001234E+10", "049190001234"), ("1185004321", "001185004321"),
])
def test_id_numbers_get_their_lost_leading_zeros_back(value: object, digits: str) -> None:
    assert normalise_id_number(value) == digits


@pytest.mark.parametrize(("value", "reason"), [
    ("123456789", "must have 12 digits (has 9)"), ("149190001234", "must start with 0"),
    ("04919000123x", "only digits"), (4.5, "whole number"), ("4.91900E+10", "lost digits"),
])
def test_bad_id_numbers_say_why_without_the_value(value: object, reason: str) -> None:
    with pytest.raises(ValueProblem, match=re.escape(reason)) as err:
        normalise_id_number(value)
    assert str(value) not in str(err.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("05/09/1990", date(1990, 9, 5)), ("5/9/1990", date(1990, 9, 5)), ("05-09-1990", date(1990, 9, 5)),
    ("05.09.1990", date(1990, 9, 5)), ("1990-09-05", date(1990, 9, 5)), ("14/03/2025 16:30", date(2025, 3, 14)),
    (45730, date(2025, 3, 14)), ("45730", date(2025, 3, 14)), (45730.75, date(2025, 3, 14)),
    (datetime(2025, 3, 14, 8, 0), date(2025, 3, 14)), (date(2025, 3, 14), date(2025, 3, 14)),
])
def test_dates_in_the_shapes_exports_use(value: object, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2025", "03/14/2025x", "tháng 3", "0", "14/03/25", "1990", 1990, "250390"])
def test_bad_dates(value: object) -> None:
    with pytest.raises(ValueProblem):
        parse_date(value)


def test_typed_dates_phones_papers_and_masks() -> None:
    assert find_date("tôi sinh ngày 5/9/1990 ạ") == date(1990, 9, 5)
    assert find_date("31/02/1990") is None and find_date("12345") is None
    assert last_four_digits("+84 905 123 456") == "3456" and last_four_digits(905123456) == "3456"
    with pytest.raises(ValueProblem):
        last_four_digits("12")
    assert split_papers("Bản sao giấy chứng sinh;\n - Tờ khai ; ") == ["Bản sao giấy chứng sinh", "Tờ khai"]
    assert mask_tail("BN2026-000123") == "*********0123"
    assert dossier_tail("000.31.25.H47-250312-0007") == "…-250312-0007"
