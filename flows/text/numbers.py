"""Numbers, dates and ages as residents type them: digits, Vietnamese number words, or both mixed.

- `digits_in(text)`: every run of digits and number words turned into digits ("không chín tám tám" →
  "0988", "049 204 000 321" → "049204000321", "tám nghìn sáu trăm lẻ năm" → "8605"); the other words stay.
- `read_number(words)`: the value of number words: read as a composed number when a place word is present
  (mươi, trăm, nghìn, lẻ…), otherwise digit by digit.
- `read_date(text, today)`: "05/03/1982", "9/11/75", "mồng 9 tháng 11 năm 75", "mồng năm tháng ba năm
  tám mươi hai", "hai mươi tháng mười một năm một chín chín lăm".
- `read_age(text)`: "77 tuổi", "mười tuổi", "tám chục", "ba tuổi rưỡi" → years as a float.

Words are compared without diacritics (đ = d), so "bon", "bốn" and "bốn" read the same; pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Digit words and their variants (without diacritics). "mot" is 1 (một) and, after a ten, 1 (mốt).
DIGITS: dict[str, int] = {
    "khong": 0, "linh": 0, "le": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "nham": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}
TENS = frozenset({"muoi", "chuc"})  # mười / mươi / chục
HUNDRED = frozenset({"tram"})
THOUSAND = frozenset({"nghin", "ngan"})
MILLION = frozenset({"trieu"})
ZERO_FILL = frozenset({"linh", "le"})  # "một trăm linh năm" = 105
PLACE_WORDS = TENS | HUNDRED | THOUSAND | MILLION | ZERO_FILL
NUMBER_WORDS = frozenset(DIGITS) | PLACE_WORDS
# Months said by name.
MONTH_NAMES = {"gieng": 1, "chap": 12}
_DAY_MARKERS = frozenset({"mong", "mung", "ngay", "hom"})
_TOKEN = re.compile(r"\d+|[^\W\d_]+", re.UNICODE)
_DATE_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)")


def fold(word: str) -> str:
    """Lower case without diacritics, đ → d."""
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) for every word or digit run."""
    return [(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _is_number_word(w: str) -> bool:
    return w.isdigit() or w in NUMBER_WORDS


def read_number(words: list[str]) -> str | None:
    """Digits for a run of number words (digit runs allowed): composed when a place word is present
    ("hai mươi mốt" → "21", "một nghìn chín trăm chín lăm" → "1995"), else digit by digit ("bốn ba hai
    mốt" → "4321", "049 204" → "049204"). None when the words do not make a number."""
    if not words or not all(_is_number_word(w) for w in words):
        return None
    if not any(w in PLACE_WORDS for w in words):
        return "".join(w if w.isdigit() else str(DIGITS[w]) for w in words)
    value = _composed(words)
    return None if value is None else str(value)


def _composed(words: list[str]) -> int | None:
    total = 0  # finished thousands/millions
    group = 0  # below a thousand
    last: int | None = None  # the last digit read, waiting for its place word
    for w in words:
        if w.isdigit():
            if last is not None:
                return None
            last = int(w)
        elif w in DIGITS and w not in ZERO_FILL:
            if last is not None:
                return None
            last = DIGITS[w]
        elif w in ZERO_FILL:
            if last is not None:
                return None
        elif w in TENS:
            if w == "muoi" and last is None:  # "mười" alone is ten
                last = 1
            group += (last if last is not None else 1) * 10
            last = None
        elif w in HUNDRED:
            group += (last if last is not None else 1) * 100
            last = None
        elif w in THOUSAND or w in MILLION:
            scale = 1000 if w in THOUSAND else 1_000_000
            group += last or 0
            total += (group or 1) * scale
            group, last = 0, None
    if last is not None:
        group += last
    return total + group


def digits_in(text: str) -> str:
    """The text with every run of two or more numbers or number words written as one number in digits
    ("số 049 204 000 321" → "số 049204000321", "bốn ba hai mốt" → "4321"). A lone number word stays a
    word: "không", "ba", "năm" are everyday words too."""
    out: list[str] = []
    pos = 0
    words = _words(text)
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _is_number_word(words[j][0]):
            j += 1
        if j == i:
            i += 1
            continue
        run = [w for w, _, _ in words[i:j]]
        digits = read_number(run)
        if digits is not None and (len(run) > 1 or run[0].isdigit()):
            out += [text[pos:words[i][1]], digits]
            pos = words[j - 1][2]
        i = j
    out.append(text[pos:])
    return "".join(out)


def only_digits(text: str) -> str:
    return re.sub(r"\D", "", digits_in(text))


# --- dates ---------------------------------------------------------------------------------------------

def _year(digits: str, today: date) -> int | None:
    if len(digits) == 4:
        return int(digits)
    if len(digits) == 2:  # "75" → 1975, "04" → 2004: the nearest past year
        y = 2000 + int(digits)
        return y if y <= today.year else y - 100
    return None


def _valid(y: int | None, m: int | None, d: int | None) -> date | None:
    if y is None or m is None or d is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _take_number(words: list[str], i: int, stop: frozenset[str], limit: int = 8) -> tuple[str | None, int]:
    """Number words from i up to a stop word (or the end); returns (digits, next index)."""
    j = i
    while j < len(words) and j - i < limit and words[j] not in stop and _is_number_word(words[j]):
        j += 1
    return read_number(words[i:j]), j


def read_date(text: str, today: date) -> date | None:
    """A day, month and year typed in digits or words; None when no whole date is there."""
    m = _DATE_NUMERIC.search(text)
    if m:
        return _valid(_year(m.group(3), today), int(m.group(2)), int(m.group(1)))
    words = [w for w, _, _ in _words(text)]
    if "thang" not in words:
        return None
    t = words.index("thang")
    # The day: the number words just before "tháng" (after "mồng", "mùng", "ngày" when present).
    start = t
    while start > 0 and _is_number_word(words[start - 1]) and t - start < 4:
        start -= 1
    day = read_number(words[start:t])
    # The month: one or two words after "tháng" ("mười một"), or a month name ("giêng", "chạp").
    month: int | None = None
    k = t + 1
    if k < len(words) and words[k] in MONTH_NAMES:
        month, k = MONTH_NAMES[words[k]], k + 1
    else:
        for width in (2, 1):
            digits = read_number(words[k:k + width])
            if digits is not None and 1 <= int(digits) <= 12 and len(words[k:k + width]) == width:
                # "tháng năm năm 1990": the second "năm" is the year marker, not part of the month.
                if width == 2 and words[k + 1] == "nam" and (k + 2 >= len(words) or _is_number_word(words[k + 2])):
                    continue
                month, k = int(digits), k + width
                break
    if k < len(words) and words[k] == "nam":
        k += 1
    year_digits, _ = _take_number(words, k, frozenset(), limit=10)
    year = _year(year_digits, today) if year_digits else None
    return _valid(year, month, int(day) if day else None)


# --- ages ----------------------------------------------------------------------------------------------

_HALF = frozenset({"ruoi"})


def read_age(text: str) -> float | None:
    """An age: "77 tuổi", "mười tuổi", "tám chục" (80), "ba tuổi rưỡi" (3.5); None when none is said."""
    words = [w for w, _, _ in _words(text)]
    for i, w in enumerate(words):
        if w not in {"tuoi", "chuc"}:
            continue
        j = i
        while j > 0 and _is_number_word(words[j - 1]) and words[j - 1] != "chuc":
            j -= 1
        run = words[j:i + 1] if w == "chuc" else words[j:i]
        digits = read_number(run)
        if digits is None:
            continue
        age = float(digits)
        if i + 1 < len(words) and words[i + 1] in _HALF:
            age += 0.5
        return age
    return None
