"""Turning text into canonical plain tokens with the lexicon, and compiling lexicon patterns.

Canonical tokens are unaccented words after abbreviation, dialect and English mapping; clause
breaks (commas, full stops…) become the token "|" so patterns and bigrams never cross them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence

from flows.text.lexicon import Lexicon
from flows.text.normalize import DEFAULT_KEEP, Token, accent_valid, could_be, fold_word, marked, tokens

BREAK = "|"
_CLAUSES = re.compile(r"[.,;:!?\n()\[\]\"…]+(?!\d)")
_NUM_UNIT = re.compile(r"^(\d+)([a-z]+)$")
# Spellings that differ only by final i/y (ký/kí, sĩ/sỹ, quy/qui) become one form.
_IY = re.compile(r"^(b|c|d|h|k|l|m|n|s|t|v|x|ph|th|tr)y$")


def _unify(word: str) -> str:
    if m := _IY.match(word):
        return m.group(1) + "i"
    return "quy" if word == "qui" else word


_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


def _unify_acc(tok: Token) -> str:
    """The accented form with the same i/y unification as the plain one (ký → kí)."""
    return tok.acc[:-1] + tok.acc[-1].translate(_Y_TO_I) if _IY.match(tok.plain) else tok.acc


# A canonical word and, when it is the word typed (not an expansion), the accented form as typed,
# so "mùa" stays distinguishable from "mua" and "hơn" from "hôn"; None for expansions.
Word = tuple[str, str | None]


class Canonicalizer:
    def __init__(self, lex: Lexicon) -> None:
        single: dict[str, tuple[str, ...]] = {}
        multi_raw: dict[tuple[str, ...], tuple[str, ...]] = {}
        for table in (lex.dialect_plain, lex.english, lex.abbreviations):
            for key, value in table.items():
                words = tuple(t.raw for t in tokens(key))
                expansion = self._plain(value)
                if len(words) == 1:
                    single[words[0]] = expansion
                elif words:
                    multi_raw[words] = expansion
        self._single = single
        self._keep = DEFAULT_KEEP | frozenset(single)
        self._dialect = {fold_word(k): self._plain(v) for k, v in lex.dialect.items()}
        self._cache: dict[Token, tuple[Word, ...]] = {}
        # Abbreviations whose meaning depends on the neighbouring words ("chứng thực ck" = chữ ký).
        self._context: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {}
        for rule in lex.abbreviation_context:
            for key in rule.abbr:
                raw = " ".join(t.raw for t in tokens(key))
                self._context.setdefault(raw, []).append((
                    self._plain(rule.means),
                    tuple(" ".join(self._plain(a)) for a in rule.after),
                    tuple(" ".join(self._plain(b)) for b in rule.before),
                ))
        self._keep |= frozenset(self._context)
        # Multi-word keys are matched after single words are mapped, so map their words too.
        self._multi: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for words, expansion in multi_raw.items():
            mapped = tuple(w for word in words for w in single.get(word, (word,)))
            self._multi.setdefault(mapped[0], []).append((mapped, expansion))
        for options in self._multi.values():
            options.sort(key=lambda kv: -len(kv[0]))

    @staticmethod
    def _plain(text: str) -> tuple[str, ...]:
        return tuple(_unify(t.plain) for t in tokens(text))

    def _map(self, tok: Token) -> tuple[Word, ...]:
        hit = self._cache.get(tok)
        if hit is None:
            if tok.acc in self._dialect:
                words = self._dialect[tok.acc]
            elif tok.raw in self._single:
                words = self._single[tok.raw]
            elif tok.plain in self._single:
                words = self._single[tok.plain]
            elif (m := _NUM_UNIT.match(tok.plain)) and m.group(2) not in ("h",):
                words = (m.group(1), *self._single.get(m.group(2), (m.group(2),)))
            else:
                word = _unify(tok.plain)
                acc = _unify_acc(tok) if tok.raw == tok.plain else None
                words, hit = (word,), ((word, acc),)
            if hit is None:
                hit = tuple((w, None) for w in words)
            if len(self._cache) < 100_000:
                self._cache[tok] = hit
        return hit

    def _phrases(self, words: list[Word]) -> list[Word]:
        out: list[Word] = []
        i = 0
        while i < len(words):
            for key, expansion in self._multi.get(words[i][0], ()):
                if tuple(w for w, _ in words[i : i + len(key)]) == key:
                    out.extend((w, None) for w in expansion)
                    i += len(key)
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _in_context(self, toks: list[Token], mapped: list[tuple[Word, ...]]) -> None:
        """Give context-dependent abbreviations the meaning their neighbours call for, in place."""
        for i, tok in enumerate(toks):
            rules = self._context.get(tok.raw)
            if not rules:
                continue
            before = " " + " ".join(w for ws in mapped[:i] for w, _ in ws)
            after = " ".join(w for ws in mapped[i + 1 :] for w, _ in ws) + " "
            for means, prev, nxt in rules:
                if any(before.endswith(" " + p) for p in prev) or any(after.startswith(n + " ") for n in nxt):
                    mapped[i] = tuple((w, None) for w in means)
                    break

    def words_acc(self, text: str) -> list[Word]:
        """Canonical tokens of one clause with the accented forms typed (see `Word`)."""
        toks = tokens(text, self._keep)
        mapped = [self._map(tok) for tok in toks]
        if self._context:
            self._in_context(toks, mapped)
        flat = [w for ws in mapped for w in ws]
        return self._phrases(flat) if self._multi else flat

    def words(self, text: str) -> list[str]:
        """Canonical tokens of one clause (no breaks)."""
        return [w for w, _ in self.words_acc(text)]

    def canon_acc(self, text: str) -> list[Word]:
        """Canonical tokens of a message with their typed accented forms, BREAK between clauses."""
        out: list[Word] = []
        for clause in _CLAUSES.split(text):
            ws = self.words_acc(clause)
            if ws:
                if out:
                    out.append((BREAK, None))
                out.extend(ws)
        return out

    def canon(self, text: str) -> list[str]:
        """Canonical tokens of a message, with BREAK between clauses."""
        return [w for w, _ in self.canon_acc(text)]


def joined(words: Iterable[str]) -> str:
    """The string patterns search: words separated and surrounded by single spaces."""
    return " " + " ".join(words) + " "


# Where a message's words typed with accents start in `joined(words)` (in increasing order), and the
# accented form typed.
Typed = Mapping[int, str]


def typed_positions(words: Sequence[str], accents: Sequence[str | None]) -> dict[int, str]:
    """Where each word typed with (possible) accents starts in `joined(words)`, and how it was typed."""
    out: dict[int, str] = {}
    pos = 1
    for w, acc in zip(words, accents, strict=True):
        if acc is not None and marked(acc) and accent_valid(acc):
            out[pos] = acc
        pos += len(w) + 1
    return out


class Matcher:
    """A compiled group of patterns that also respects accents: a word the resident typed with
    accents matches a pattern word only when it could be that word ("cán bộ" does not match the
    pattern "cần", "lần đầu" not "lẫn"). Words typed without accents match on their plain form."""

    def __init__(self, rx: re.Pattern[str], accents: dict[str, frozenset[str]]) -> None:
        self.rx = rx
        self._accents = accents

    def _fits(self, s: str, m: re.Match[str], typed: Typed, positions: list[int]) -> bool:
        skipped = [(a, b) for a, b in m.regs[1:] if b > a]  # words a "*" stood for
        for i in range(bisect_left(positions, m.start()), len(positions)):
            p = positions[i]
            if p >= m.end():
                break
            if any(a <= p < b for a, b in skipped):
                continue
            forms = self._accents.get(s[p : s.index(" ", p)])
            if forms and not any(could_be(typed[p], f) for f in forms):
                return False
        return True

    def finditer(self, s: str, typed: Typed | None = None, pos: int = 0, endpos: int | None = None
                 ) -> Iterator[re.Match[str]]:
        matches = self.rx.finditer(s, pos, len(s) if endpos is None else endpos)
        if not typed or not self._accents:
            return matches
        positions = list(typed)  # built in increasing order
        return (m for m in matches if self._fits(s, m, typed, positions))

    def search(self, s: str, typed: Typed | None = None, pos: int = 0, endpos: int | None = None
               ) -> re.Match[str] | None:
        end = len(s) if endpos is None else endpos
        m = self.rx.search(s, pos, end)
        if m is None or not typed or not self._accents or self._fits(s, m, typed, list(typed)):
            return m
        return next(self.finditer(s, typed, m.start() + 1, end), None)


class PatternCompiler:
    """Compiles lexicon patterns ("{kin} {poss}? mất", "có tin * thì {sendverb}") to regexes."""

    def __init__(self, canon: Canonicalizer, classes: dict[str, list[str]]) -> None:
        self._canon = canon
        self._classes: dict[str, str] = {}
        self._class_words: dict[str, list[str]] = classes
        for name, members in classes.items():
            forms = {" ".join(canon.words(m)) for m in members} - {""}
            self._classes[name] = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))

    def _accents(self, patterns: Iterable[str]) -> dict[str, frozenset[str]]:
        """Plain word → the spellings the patterns (and their classes) write it with, from the ones
        written with accents (a pattern written without any, "o mo", says nothing about accents)."""
        out: dict[str, set[str]] = {}
        for pattern in patterns:
            for word in pattern.split():
                word = word.rstrip("?")
                if word.startswith("{"):
                    texts = self._class_words.get(word[1:-1], [])
                elif marked(pattern):
                    texts = [word]
                else:
                    continue
                for text in texts:
                    if marked(text) or text is word:
                        for w, acc in self._canon.words_acc(text):
                            if acc is not None:
                                out.setdefault(w, set()).add(acc)
        return {w: frozenset(forms) for w, forms in out.items()}

    def body(self, pattern: str) -> str:
        parts: list[str] = []
        for word in pattern.split():
            optional = word.endswith("?") and word != "?"
            word = word.rstrip("?") if optional else word
            if word == "*":
                parts.append(r"((?:[^ |]+ ){0,3})")  # the one capturing group: words skipped, unchecked
                continue
            if word.startswith("{") and word.endswith("}"):
                piece = f"(?:{self._classes[word[1:-1]]}) "
            else:
                piece = "".join(re.escape(w) + " " for w in self._canon.words(word))
                if not piece:
                    continue
            parts.append(f"(?:{piece})?" if optional else piece)
        return "".join(parts)

    def compile(self, patterns: Iterable[str]) -> Matcher | None:
        patterns = list(patterns)
        bodies = sorted({b for p in patterns if (b := self.body(p))}, key=len, reverse=True)
        if not bodies:
            return None
        return Matcher(re.compile("(?<= )(?:" + "|".join(bodies) + ")"), self._accents(patterns))
