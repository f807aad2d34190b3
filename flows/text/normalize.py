"""Normalising residents' Vietnamese: accents, tone placement, Telex leftovers, repeated letters.

`normalize(text)` gives the unaccented, lower-case, punctuation-free form used for matching.
`fold(text)` keeps the accents (lower case, NFC, one tone-mark placement) for words whose meaning
depends on them (mô/mộ, mạ/mả). `tokens(text)` returns both forms per word. Work per word is cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Combining tone marks (NFD) and the Telex letter that types each.
_TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_MODIFIED = set("ăâêôơư")
_VOWELS = set("aăâeêioôơuưy")

_WORD = re.compile(r"[^\W_]+")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN2 = re.compile(r"([a-z])\1+")

# Vietnamese syllable shape without accents: optional initial + rhyme. Used to tell a Telex leftover
# ("sinhf", "kys") or a dropped letter ("khog") from a real word, so real words are never touched.
_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_RHYMES = str.split(
    "a ai ao au ay ac ach am an ang anh ap at e eo ec em en eng ep et ech enh eu "
    "i ia iu ich im in inh ip it ieu iec iem ien ieng iep iet "
    "o oi oc om on ong op ot oa oai oao oay oac oach oam oan oang oanh oap oat oe oeo oec oem oen oet "
    "ooc oong u ua uc ui um un ung up ut uu uy uya uych uyen uyet uynh uyp uyt uyu uan uang uanh uat "
    "uay uac uach uau ue uen uenh uet uo uoc uoi uom uon uong uop uot uou y yeu yem yen yet"
)
_SYLLABLE = re.compile(rf"^(?:{_INITIALS})?(?:{'|'.join(sorted(_RHYMES, key=len, reverse=True))})$")

# Abbreviations that legitimately repeat a letter; never collapse them.
DEFAULT_KEEP = frozenset({"cccd", "ccvc"})


# Spelling confusions common in Vietnamese writing (regional pronunciation): initials s/x, ch/tr,
# d/gi/r/v, l/n, g/gh, ng/ngh, c/k; finals n/ng, t/c, nh/n, i/y.
_INITIAL_SWAPS = (("s", "x"), ("x", "s"), ("ch", "tr"), ("tr", "ch"), ("d", "gi"), ("gi", "d"), ("r", "d"),
                  ("d", "r"), ("gi", "r"), ("r", "gi"), ("v", "d"), ("d", "v"), ("l", "n"), ("n", "l"),
                  ("gh", "g"), ("g", "gh"), ("ngh", "ng"), ("ng", "ngh"), ("c", "k"), ("k", "c"))
_FINAL_SWAPS = (("ng", "n"), ("n", "ng"), ("t", "c"), ("c", "t"), ("nh", "n"), ("n", "nh"), ("y", "i"),
                ("i", "y"))


class Token(NamedTuple):
    acc: str  # lower case, accented, canonical tone placement
    raw: str  # accents removed (đ→d), nothing else changed
    plain: str  # raw with Telex leftovers and repeated letters repaired


def is_syllable(word: str) -> bool:
    """True when an unaccented word has the shape of a Vietnamese syllable."""
    return bool(_SYLLABLE.match(word))


@lru_cache(maxsize=65536)
def spelling_variants(word: str) -> tuple[str, ...]:
    """Syllables one common regional misspelling away ("xinh" → "sinh", "hong" → "hon")."""
    out: list[str] = []
    for a, b in _INITIAL_SWAPS:
        if word.startswith(a) and not (a == "n" and word.startswith(("ng", "nh"))) and not (
            a in ("g", "d") and word.startswith(("gi", "gh"))
        ):
            out.append(b + word[len(a) :])
    for a, b in _FINAL_SWAPS:
        if word.endswith(a) and not (a == "n" and len(word) > 1 and word[-2] in "gh"):
            out.append(word[: -len(a)] + b)
    return tuple(v for v in dict.fromkeys(out) if v != word and is_syllable(v))


# Syllables closed by a stop consonant carry only the sắc or nặng tone; "thưc", "khòng" are typos.
_STOP_FINAL = re.compile(r"(?:c|ch|p|t)$")
_STOP_TONES = frozenset({"\u0301", "\u0323"})


def marked(acc: str) -> bool:
    """True when a word carries a diacritic (tone, vowel mark or đ)."""
    return not acc.isascii()


@lru_cache(maxsize=65536)
def accent_valid(acc: str) -> bool:
    """False for an accented word no Vietnamese syllable is spelt like: a stop final without sắc/nặng."""
    nfd = unicodedata.normalize("NFD", acc)
    tones = [ch for ch in nfd if ch in _TONES]
    raw = "".join(ch for ch in nfd if not unicodedata.combining(ch)).replace("đ", "d")
    if len(tones) > 1:
        return False
    return not (_STOP_FINAL.search(raw) and not (tones and tones[0] in _STOP_TONES))


def _letters(acc: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """Letters as (base, vowel mark or đ) and the tone mark of one accented word."""
    letters: list[list[str]] = []
    tone = ""
    for ch in unicodedata.normalize("NFD", acc):
        if ch in _TONES:
            tone = ch
        elif unicodedata.combining(ch) and letters:
            letters[-1][1] += ch
        elif ch == "đ":
            letters.append(["d", "đ"])
        else:
            letters.append([ch, ""])
    return tuple((b, m) for b, m in letters), tone


@lru_cache(maxsize=65536)
def could_be(typed: str, word: str) -> bool:
    """True when `typed` is `word` with some marks left out ("tư" could be "tử", "mua" could be
    "mùa"), False when it carries a mark `word` does not have ("mùa" is not "mua", "hơn" not "hôn")."""
    (lt, tt), (lw, tw) = _letters(typed), _letters(word)
    if len(lt) != len(lw) or (tt and tt != tw):
        return False
    return all(bt == bw and (not mt or mt == mw) for (bt, mt), (bw, mw) in zip(lt, lw, strict=True))


def unaccent(text: str) -> str:
    """Vietnamese without tone or vowel marks (đ → d), case kept: "Đăng ký" → "Dang ky"."""
    nfd = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in nfd if not unicodedata.combining(ch))


# Per word on the understanding hot path, where the same words recur: cached.
strip_accents = lru_cache(maxsize=65536)(unaccent)


def _place_tone(base: str, tone: str) -> str:
    """Put a tone mark on the vowel the modern (new-style) rule picks: hoà, thuỷ, quà, giữa, người."""
    start = 0
    if base.startswith("qu") or (base.startswith("gi") and len(base) > 2 and base[2] in _VOWELS):
        start = 2  # the u of qu and the i of gi belong to the initial
    first = next((i for i in range(start, len(base)) if base[i] in _VOWELS), None)
    if first is None:
        return unicodedata.normalize("NFC", base + tone)
    end = first
    while end < len(base) and base[end] in _VOWELS:
        end += 1
    cluster = base[first:end]
    modified = [i for i in range(first, end) if base[i] in _MODIFIED]
    if modified:
        pos = modified[-1]
    elif end < len(base):  # closed syllable: last vowel
        pos = end - 1
    elif len(cluster) == 1:
        pos = first
    elif len(cluster) == 2:
        pos = first + 1 if cluster in ("oa", "oe", "uy") else first
    else:
        pos = first + 1
    return unicodedata.normalize("NFC", base[: pos + 1] + tone + base[pos + 1 :])


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """Lower-case NFC word with the tone mark moved to one canonical place."""
    nfd = unicodedata.normalize("NFD", word.lower())
    tone = ""
    kept = []
    for ch in nfd:
        if ch in _TONES:
            tone = ch
        else:
            kept.append(ch)
    base = unicodedata.normalize("NFC", "".join(kept))
    return _place_tone(base, tone) if tone else base


def fold(text: str) -> str:
    """Accented lower-case form with canonical tone placement and punctuation removed."""
    return " ".join(fold_word(w) for w in _WORD.findall(unicodedata.normalize("NFC", text).lower()))


@lru_cache(maxsize=65536)
def repair(raw: str, keep: frozenset[str] = DEFAULT_KEEP) -> str:
    """Repair an unaccented word: repeated letters, Telex leftovers (dd, aw/ow/uw, trailing s/f/r/x/j),
    and a dropped 'n' before a final 'g' (khog → khong). Real syllables are left alone."""
    if raw in keep or not raw.isalpha() or not raw.isascii():
        return raw
    word = _RUN3.sub(r"\1", raw)
    if is_syllable(word):
        return word
    candidates = [_RUN2.sub(r"\1", word)]
    if "w" in word:
        # Telex horn/breve ("uw", "ow", "aw"); short results are usually English ("how").
        candidates += [c2 for c in list(candidates) if len(c2 := re.sub(r"(?<=[aou])w", "", c)) >= 3]
    for c in list(candidates):
        if len(c) > 2 and c[-1] in "sfrxj":
            candidates.append(c[:-1])
    for c in list(candidates):
        if len(c) > 2 and c[-1] == "g" and c[-2] in "aeiouy":
            candidates.append(c[:-1] + "ng")
    for c in candidates:
        if len(c) >= 2 and is_syllable(c):
            return c
    return word


def tokens(text: str, keep: frozenset[str] = DEFAULT_KEEP) -> list[Token]:
    """Words of the text in three forms (accented, accent-stripped, repaired)."""
    out: list[Token] = []
    for w in _WORD.findall(unicodedata.normalize("NFC", text).lower()):
        acc = fold_word(w)
        raw = strip_accents(w).lower()
        out.append(Token(acc, raw, repair(raw, keep)))
    return out


def normalize(text: str, keep: frozenset[str] = DEFAULT_KEEP) -> str:
    """Unaccented lower-case words, Telex leftovers and repeated letters repaired, joined by spaces."""
    return " ".join(t.plain for t in tokens(text, keep))
