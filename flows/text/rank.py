"""Ranking procedures for a message: IDF-weighted unigrams and bigrams over each procedure's names,
informal names, keywords and papers, plus a bonus for covering a whole phrase, with rapidfuzz
repairing words that are not in the vocabulary. Everything is precomputed at construction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import pairwise

from rapidfuzz import fuzz, process

from flows.procedures.catalog import Procedure
from flows.text.canon import BREAK, Canonicalizer
from flows.text.normalize import is_syllable, spelling_variants

# How much a word found in each part of a procedure counts (official names are long and generic).
FIELD_WEIGHTS = {"short_name": 1.0, "informal_names": 1.0, "keywords": 1.0, "name": 0.5, "papers": 0.25}
TOP_K = 8  # candidates that get the phrase-coverage pass
# One syllable is weak evidence (most Vietnamese words have two); adjacent pairs count fully.
UNIGRAM_WEIGHT = 0.6
COMPOUND_PENALTY = 0.5  # a syllable that here belongs to another word ("bệnh" in "bệnh viện")
STOP_PAIR_WEIGHT = 0.5  # a pair of stopwords inside a phrase, for coverage only
FUZZY_CUTOFF = 74.0  # a transposition in a 4-letter word scores 75
PAIR_WEIGHT = 0.85  # a pair repaired by a common misspelling ("khai xinh" → "khai sinh")


def _texts(p: Procedure) -> Iterable[tuple[str, float]]:
    yield p.short_name, FIELD_WEIGHTS["short_name"]
    yield p.name, FIELD_WEIGHTS["name"]
    for field in ("informal_names", "keywords", "papers"):
        for text in getattr(p, field):
            yield text, FIELD_WEIGHTS[field]


class Ranker:
    def __init__(
        self,
        procedures: Sequence[Procedure],
        canon: Canonicalizer,
        stop: frozenset[str] = frozenset(),
        common: frozenset[str] = frozenset(),
        generic: frozenset[str] = frozenset(),
    ) -> None:
        self.slugs = [p.slug for p in procedures]
        self._stop = stop
        self._alone = stop | common  # never a term on their own
        self._generic = generic
        self._words: set[str] = set()  # every word the catalog uses, stopwords included
        weights: list[dict[str, float]] = []
        phrases: list[list[tuple[tuple[str, ...], float]]] = []
        for p in procedures:
            w: dict[str, float] = {}
            ph: dict[tuple[str, ...], float] = {}
            for text, fw in _texts(p):
                words = canon.words(text)
                self._words.update(words)
                terms = self.terms(words)
                for t in terms:
                    w[t] = max(w.get(t, 0.0), fw)
                # Phrase coverage also counts pairs of stopwords, so "chưa đăng ký kết hôn" is not
                # fully covered by "đăng ký kết hôn" even though "chưa" and "đăng" are stopwords.
                key = tuple(self.phrase_terms(words))
                if key and fw >= 0.5:
                    ph[key] = max(ph.get(key, 0.0), fw)
            weights.append(w)
            phrases.append(list(ph.items()))
        n = len(procedures)
        df: dict[str, int] = {}
        for w in weights:
            for t in w:
                df[t] = df.get(t, 0) + 1
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for i, w in enumerate(weights):
            for t, fw in w.items():
                self.postings.setdefault(t, []).append((i, fw))
        self._phrases = [[(ts, fw, sum(self._w(t) for t in ts)) for ts, fw in ph] for ph in phrases]
        self._vocab = sorted(t for t in self.idf if " " not in t and t.isalpha() and len(t) >= 3)
        # Known pairs by (position, word), for repairing one misspelt syllable of a pair.
        self._pairs_by_word: dict[tuple[int, str], list[str]] = {}
        for t in self.idf:
            if " " in t:
                a, b = t.split(" ", 1)
                self._pairs_by_word.setdefault((0, a), []).append(b)
                self._pairs_by_word.setdefault((1, b), []).append(a)
        self._fix_cache: dict[str, tuple[tuple[str, float], ...]] = {}
        max_idf = math.log(1 + (n - 0.5) / 1.5) if n else 1.0
        self.scale = 2.0 * max_idf  # raw score → 0..1; relative to the catalog's IDF range

    def ignorable(self, word: str) -> bool:
        """A word that never counts on its own (function word, common syllable, number)."""
        return word in self._alone or word.isdigit()

    def _w(self, term: str) -> float:
        idf = self.idf.get(term, STOP_PAIR_WEIGHT)
        return idf * (1.0 if " " in term else UNIGRAM_WEIGHT)

    def phrase_terms(self, words: Sequence[str]) -> list[str]:
        pairs = [f"{a} {b}" for a, b in pairwise(words) if BREAK not in (a, b)]
        return list(dict.fromkeys([*self.terms(words), *pairs]))

    def terms(self, words: Sequence[str]) -> list[str]:
        """Index terms of a word sequence: content unigrams and adjacent bigrams."""
        out = [w for w in words if w != BREAK and w not in self._alone and not w.isdigit()]
        for a, b in pairwise(words):
            if BREAK not in (a, b) and not (a in self._stop and b in self._stop):
                pair = f"{a} {b}"
                if pair not in self._generic:
                    out.append(pair)
        return list(dict.fromkeys(out))

    def repair(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary words for an unknown word: a split of run-together words, else a fuzzy match."""
        hit = self._fix_cache.get(word)
        if hit is not None:
            return hit
        out: tuple[tuple[str, float], ...] = ()
        if word.isalpha() and len(word) >= 3 and not is_syllable(word):
            for i in range(1, len(word)):
                a, b = word[:i], word[i:]
                if is_syllable(a) and is_syllable(b) and f"{a} {b}" in self.idf:
                    out = ((a, 1.0), (b, 1.0), (f"{a} {b}", 1.0))
                    break
            if not out:
                # Short words need a closer match: "visa" must not become "via".
                cutoff = FUZZY_CUTOFF if len(word) >= 5 else 88.0 if len(word) == 4 else 85.0
                m = process.extractOne(word, self._vocab, scorer=fuzz.ratio, score_cutoff=cutoff)
                if m:
                    out = ((m[0], m[1] / 100.0),)
        if len(self._fix_cache) < 50_000:
            self._fix_cache[word] = out
        return out

    def _other_compound(self, words: Sequence[str], i: int) -> bool:
        """True when words[i] forms no known pair with its neighbours but sits next to a content word
        ("bệnh viện", "tương lai" when the catalog knows "bệnh binh", "làm lại"): it is another word."""
        content_neighbour = False
        for j in (i - 1, i + 1):
            if 0 <= j < len(words) and words[j] != BREAK:
                if f"{words[min(i, j)]} {words[max(i, j)]}" in self.idf:
                    return False
                other = words[j]
                content_neighbour |= other not in self._alone and not other.isdigit()
        return content_neighbour

    def repair_pair(self, a: str, b: str) -> tuple[tuple[str, float], ...]:
        key = f"{a} {b}"
        hit = self._fix_cache.get(key)
        if hit is not None:
            return hit
        out: tuple[tuple[str, float], ...] = ()
        # Only a known content word next to a word the catalog never uses: two known words are a
        # real (other) pair, and stopwords are real words too.
        known_a, known_b = a in self._words or a in self._alone, b in self._words or b in self._alone
        if a.isalpha() and b.isalpha() and known_a != known_b:
            pos, known, odd = (0, a, b) if known_a else (1, b, a)
            others = () if known in self._alone else self._pairs_by_word.get((pos, known), ())
            for v in spelling_variants(odd):
                if v in others:
                    out = ((f"{known} {v}" if pos == 0 else f"{v} {known}", PAIR_WEIGHT),)
                    break
        if len(self._fix_cache) < 50_000:
            self._fix_cache[key] = out
        return out

    def query(self, words: Sequence[str], extra: dict[str, float]) -> dict[str, float]:
        """Weighted query terms: the message's own terms, repaired unknown words, and expansions."""
        q: dict[str, float] = {}
        for i, w in enumerate(words):
            if w in self.idf and w not in self._alone and not w.isdigit():
                weight = COMPOUND_PENALTY if self._other_compound(words, i) else 1.0
                q[w] = max(q.get(w, 0.0), weight)
        for t in self.terms(words):
            if t in q:
                continue
            if t in self.idf:
                q[t] = 1.0
            elif " " not in t and t not in self._alone:
                for fixed, sim in self.repair(t):
                    q[fixed] = max(q.get(fixed, 0.0), sim)
        # A known word next to one the catalog never uses may be a misspelt known pair
        # ("khai xinh", "kết hông"): try the common regional misspellings of the odd word.
        for a, b in pairwise(words):
            if BREAK in (a, b) or f"{a} {b}" in q or (a in self._alone and b in self._alone):
                continue
            for fixed, sim in self.repair_pair(a, b):
                if fixed not in q:
                    q[fixed] = sim
                    for part in fixed.split(" "):
                        if part in self.idf and part not in self._alone:
                            q[part] = max(q.get(part, 0.0), sim)
        for t, extra_weight in extra.items():
            if t in self.idf:
                q[t] = max(q.get(t, 0.0), extra_weight)
        return q

    def rank(self, q: dict[str, float], limit: int = 5) -> list[tuple[str, float]]:
        """Top procedures with scores in 0..1."""
        acc: dict[int, float] = {}
        for t, qw in q.items():
            idf = self._w(t) * qw
            for doc, fw in self.postings[t]:
                acc[doc] = acc.get(doc, 0.0) + idf * fw
        if not acc:
            return []
        top = sorted(acc.items(), key=lambda kv: -kv[1])[:TOP_K]
        scored = []
        for doc, base in top:
            bonus = 0.0
            for terms, fw, total in self._phrases[doc]:
                got = sum(self._w(t) * q[t] for t in terms if t in q)
                if got:
                    cov = got / total
                    bonus = max(bonus, fw * cov * cov * total)
            raw = base + bonus
            scored.append((self.slugs[doc], 1.0 - math.exp(-raw / self.scale)))
        scored.sort(key=lambda kv: -kv[1])
        return scored[:limit]
