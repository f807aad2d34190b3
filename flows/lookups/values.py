"""What dossier and căn cước records hold: the rules that turn messy values (typed by residents,
exported by the one-stop and police systems) into canonical ones. Pure functions: no I/O, no secrets;
error messages never repeat the value, which may be personal."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flows.text.dossier_code import find_dossier_code

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 29/02/1900
_DATE_DMY = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_DATE_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d+")


class ValueProblem(ValueError):
    """A value that cannot be normalised; the message says why without quoting the value."""


def clean(value: object) -> str:
    """A cell as text: non-breaking and repeated spaces collapsed, trimmed."""
    return " ".join(str(value).replace("\xa0", " ").split())


def normalise_dossier_code(value: object) -> str:
    code = find_dossier_code(clean(value))
    if code is None or len(code) > 64:
        raise ValueProblem("is not a dossier code shaped like 000.31.25.H47-250312-0007")
    return code


def normalise_receipt(value: object) -> str:
    """A receipt number as letters and digits only, upper case: "bn 2026-000123" and "BN2026000123" are
    the same receipt however the export or the resident writes it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[^0-9A-Z]", "", clean(value).upper())


def _digits_of_number(value: object) -> str:
    """Digits of a number-like cell: Excel may give int, float or '4.9012345678E+10'."""
    if isinstance(value, bool):
        raise ValueProblem("is not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueProblem("is not a whole number")
        return str(int(value))
    text = clean(value)
    if _SCIENTIFIC.fullmatch(text):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueProblem("is not a number") from None
        if number != number.to_integral_value():
            raise ValueProblem("is not a whole number")
        significant = len(re.sub(r"\D", "", text.upper().partition("E")[0]).lstrip("0"))
        if len(str(int(number))) > significant:  # "4.91900E+10": the spreadsheet dropped digits
            raise ValueProblem("lost digits in the spreadsheet (scientific notation): format the column as text")
        return str(int(number))
    return re.sub(r"[\s.\-]", "", text)


def normalise_id_number(value: object) -> str:
    """A 12-digit số định danh. Province codes are 001–096, so the first digit is 0 and a spreadsheet
    that stored the number as a number dropped one or two leading zeros: restore them."""
    digits = _digits_of_number(value)
    if not digits.isdigit():
        raise ValueProblem("must contain only digits")
    if len(digits) in (10, 11):
        digits = digits.zfill(12)
    if len(digits) != 12:
        raise ValueProblem(f"must have 12 digits (has {len(digits)})")
    if not digits.startswith("0"):
        raise ValueProblem("must start with 0 (the province code)")
    return digits


def last_four_digits(value: object) -> str:
    """The last four digits of a phone number (full, with spaces or +84, or already only four digits)."""
    digits = re.sub(r"\D", "", _digits_of_number(value))
    if len(digits) < 4:
        raise ValueProblem("needs at least the last 4 digits of the phone number")
    return digits[-4:]


def parse_date(value: object) -> date:
    """A spreadsheet or API date: dd/mm/yyyy (also with - or . and an optional time), yyyy-mm-dd, date
    cells and Excel serial numbers."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value)
    text = clean(value)
    if re.fullmatch(r"\d{1,7}(?:\.\d+)?", text):
        return _from_serial(float(text))
    m = _DATE_DMY.match(text)
    parts = (m.group(3), m.group(2), m.group(1)) if m else None
    if parts is None and (m := _DATE_YMD.match(text)):
        parts = (m.group(1), m.group(2), m.group(3))
    if parts is None or m is None or not _only_time_after(text[m.end():]):
        raise ValueProblem("is not a date like 25/03/2026")
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValueProblem("is not a real calendar date") from None


def find_date(text: str) -> date | None:
    """A day/month/year date typed somewhere in a message ("sinh ngày 05/09/1990"), or None."""
    m = _DATE_DMY.search(text)
    if m is None:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def _only_time_after(rest: str) -> bool:
    return not rest.strip() or re.fullmatch(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?", rest) is not None


def _from_serial(serial: float) -> date:
    # 3000 (March 1908) to 73415 (the end of 2100): nobody's date falls outside, and a year alone ("1990",
    # which would be June 1905) or a date typed as ddmmyy ("250390", year 2585) would otherwise pass.
    if not 3000 <= serial <= 73415:
        raise ValueProblem("is not a date like 25/03/2026 (nor an Excel date number)")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def split_papers(value: object) -> list[str]:
    """Missing papers as a list: one per line, or separated by ';' or '•'."""
    if isinstance(value, list | tuple):
        items = [clean(v) for v in value]
    else:
        items = [clean(p) for p in re.split(r"[;\n•]+", str(value))]
    return [p.strip(" -+") for p in items if p.strip(" -+")]


def mask_tail(value: str, keep: int = 4) -> str:
    """All but the last `keep` characters hidden: "********1234"."""
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def dossier_tail(code: str) -> str:
    """The "YYMMDD-NNNN" end of a dossier code: enough for the resident to recognise it."""
    return "…-" + "-".join(code.rsplit("-", 2)[-2:])


def show_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""
