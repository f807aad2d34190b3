"""Ranking procedures for a message: IDF-weighted unigrams and bigrams over each procedure's names,
informal names, keywords and papers, plus a bonus for covering a whole phrase, with rapidfuzz
repairing words that are not in the vocabulary. Everything is precomputed at construction.

A word typed with diacritics must match the catalog's accented spelling when the catalog has one
(mùa is not mua, hơn is not hôn); pairs with a function word count for less than pairs of content
words; a misspelt word next to a known one is repaired towards the pairs the catalog knows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import pairwise

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from flows.procedures.catalog import Procedure
from flows.text.canon import BREAK, Canonicalizer
from flows.text.normalize import accent_valid, could_be, is_syllable, marked, spelling_variants

# How much a word found in each part of a procedure counts (official names are long and generic).
FIELD_WEIGHTS = {"short_name": 1.0, "informal_names": 1.0, "keywords": 1.0, "name": 0.5, "papers": 0.25}
TOP_K = 8  # candidates that get the phrase-coverage pass
# One syllable is weak evidence (most Vietnamese words have two); adjacent pairs count fully.
UNIGRAM_WEIGHT = 0.6
COMPOUND_PENALTY = 0.5  # a syllable that here belongs to another word ("bệnh" in "bệnh viện")
STOP_PAIR_WEIGHT = 0.5  # a pair of stopwords inside a phrase, for coverage only
FUZZY_CUTOFF = 74.0  # a transposition in a 4-letter word scores 75
PAIR_WEIGHT = 0.85  # a pair repaired by a common misspelling ("khai xinh" → "khai sinh")
EDIT_PAIR_WEIGHT = 0.8  # a pair repaired by one edit ("khai sihn", "khai snh" → "khai sinh")
FUNCTION_PAIR_WEIGHT = 0.5  # a pair of function words or common syllables ("người nhà", "cho phường")
PAPERS_DF_MIN = 0.5  # a term counts in document frequency when found beyond the papers
FOREIGN = "~"  # marks a typed word whose accents say it is not the catalog's word
MIN_NAME_WORDS = 2  # a catalog name typed whole has at least this many words…
MAX_NAME_WORDS = 10  # …and at most this many (long official names are not typed whole)


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
        accents: dict[str, set[str]] = {}  # plain word → its spellings in the catalog's accented texts
        pair_accents: dict[str, set[tuple[str, str]]] = {}  # the same for adjacent pairs ("sửa thẻ")
        names: dict[tuple[str, ...], set[int]] = {}  # names residents may type whole → procedures
        weights: list[dict[str, float]] = []
        phrases: list[list[tuple[tuple[str, ...], float]]] = []
        for doc, p in enumerate(procedures):
            w: dict[str, float] = {}
            ph: dict[tuple[str, ...], float] = {}
            for text, fw in _texts(p):
                typed = canon.words_acc(text)
                words = [word for word, _ in typed]
                self._words.update(words)
                if marked(text):
                    for word, acc in typed:
                        if acc is not None:
                            accents.setdefault(word, set()).add(acc)
                    for (wa, aa), (wb, ab) in pairwise(typed):
                        if aa is not None and ab is not None:
                            pair_accents.setdefault(f"{wa} {wb}", set()).add((aa, ab))
                if fw >= 1.0 or text == p.name:
                    names.setdefault(tuple(words), set()).add(doc)
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
            for t, fw in w.items():
                # A word only the papers mention ("căn cước" of the person filing) does not make
                # a term common: papers are about every procedure.
                df[t] = df.get(t, 0) + (fw >= PAPERS_DF_MIN)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for i, w in enumerate(weights):
            for t, fw in w.items():
                self.postings.setdefault(t, []).append((i, fw))
        # Pairs of function words or common syllables count less, unless a procedure's own short
        # name, informal names or keywords use them ("phản ánh" is two common syllables).
        key_pairs = {t for w in weights for t, fw in w.items() if " " in t and fw >= 1.0}
        self._weak_pairs = frozenset(
            t for t in self.idf if " " in t and t not in key_pairs and all(x in self._alone for x in t.split(" "))
        )
        self._weights = {t: self._term_weight(t) for t in self.idf}
        # Per phrase: its terms with their weights, the field weight, and the total.
        self._phrases = [[(fw, sum(self._w(t) for t in ts)) for ts, fw in doc_phrases] for doc_phrases in phrases]
        # Per procedure, term → the phrases holding it, with the term's weight: coverage is summed
        # over the message's terms only.
        self._phrase_terms: list[dict[str, list[tuple[int, float]]]] = []
        for doc_phrases in phrases:
            by_term: dict[str, list[tuple[int, float]]] = {}
            for pi, (ts, _) in enumerate(doc_phrases):
                for t in ts:
                    by_term.setdefault(t, []).append((pi, self._w(t)))
            self._phrase_terms.append(by_term)
        self._vocab = sorted(t for t in self.idf if " " not in t and t.isalpha() and len(t) >= 3)
        # Known pairs by (position, word), for repairing one misspelt syllable of a pair.
        self._pairs_by_word: dict[tuple[int, str], list[str]] = {}
        for t in self.idf:
            if " " in t:
                a, b = t.split(" ", 1)
                self._pairs_by_word.setdefault((0, a), []).append(b)
                self._pairs_by_word.setdefault((1, b), []).append(a)
        self._fix_cache: dict[str, tuple[tuple[str, float], ...]] = {}
        self._accents = {w: frozenset(forms) for w, forms in accents.items()}
        self._pair_accents = {t: frozenset(forms) for t, forms in pair_accents.items()}
        # Whole names by first word, longest first; a name two procedures share names neither.
        self._names: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for words_, docs in names.items():
            content = [x for x in words_ if x not in self._alone]
            if MIN_NAME_WORDS <= len(words_) <= MAX_NAME_WORDS and content and len(docs) == 1:
                self._names.setdefault(words_[0], []).append((words_, next(iter(docs))))
        for options in self._names.values():
            options.sort(key=lambda kv: -len(kv[0]))
        self._name_content = max(
            (sum(1 for w in n if not self.ignorable(w)) for opts in self._names.values() for n, _ in opts), default=0
        )
        max_idf = math.log(1 + (n - 0.5) / 1.5) if n else 1.0
        self.scale = 2.0 * max_idf  # raw score → 0..1; relative to the catalog's IDF range

    def ignorable(self, word: str) -> bool:
        """A word that never counts on its own (function word, common syllable, number)."""
        return word in self._alone or word.isdigit()

    def weight(self, term: str) -> float:
        """How much a term found in a message counts (its IDF, less for one syllable or a weak pair)."""
        return self._w(term)

    def _w(self, term: str) -> float:
        w = self._weights.get(term)
        return w if w is not None else self._term_weight(term)

    def _term_weight(self, term: str) -> float:
        idf = self.idf.get(term, STOP_PAIR_WEIGHT)
        if " " not in term:
            return idf * UNIGRAM_WEIGHT
        return idf * (FUNCTION_PAIR_WEIGHT if term in self._weak_pairs else 1.0)

    def foreign(self, word: str, acc: str | None) -> bool:
        """True when the accents typed make the word another one than the catalog's (mùa ≠ mua).
        A word typed with fewer marks than the catalog's ("tư" for "tử") or spelt like no syllable
        (a typo such as "thưc") falls back to the plain match."""
        forms = self._accents.get(word)
        if forms is None or acc is None or acc in forms or not marked(acc) or not accent_valid(acc):
            return False
        return not any(could_be(acc, f) for f in forms)

    def _typed_as(self, typed: str | None, form: str) -> bool:
        return typed is None or not marked(typed) or not accent_valid(typed) or could_be(typed, form)

    def foreign_pair(self, pair: str, a: str | None, b: str | None) -> bool:
        """True when the accents typed make a known pair another one ("sửa thế" is not "sửa thẻ")."""
        forms = self._pair_accents.get(pair)
        if forms is None or (a is None and b is None):
            return False
        return not any(self._typed_as(a, fa) and self._typed_as(b, fb) for fa, fb in forms)

    def named(self, words: Sequence[str]) -> str | None:
        """The procedure whose name or informal name the message is (the longest such, no other
        procedure having it), around it only function words: "làm cccd ở đâu", "how do I register
        a birth". A message saying more ("khai sinh lại") is left to the ranking."""
        if sum(1 for w in words if w != BREAK and not self.ignorable(w)) > self._name_content:
            return None  # says more than any name
        best: tuple[int, int, int] | None = None
        for i, w in enumerate(words):
            for name, doc in self._names.get(w, ()):
                if (best is None or len(name) > best[1] - best[0]) and tuple(words[i : i + len(name)]) == name:
                    best = (i, i + len(name), doc)
                    break
        if best is None:
            return None
        rest = [*words[: best[0]], *words[best[1] :]]
        return self.slugs[best[2]] if all(w == BREAK or self.ignorable(w) for w in rest) else None

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
                content_neighbour |= other not in self._alone and not other.isdigit() and other[0] != FOREIGN
        return content_neighbour

    def repair_pair(self, a: str, b: str, suspect: bool = False) -> tuple[tuple[str, float], ...]:
        """A known pair for a known word next to one the catalog never uses: a common misspelling of
        the odd word, or one edit away when the odd word cannot be Vietnamese as typed (`suspect`:
        its accents are impossible; a word that is no syllable is always suspect)."""
        key = f"{a} {b} {suspect:d}"
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
            fixed = next((v for v in spelling_variants(odd) if v in others), None)
            weight = PAIR_WEIGHT
            if fixed is None and len(odd) >= 3 and others and (suspect or not is_syllable(odd)):
                # One edit (a swapped, missing or extra letter) from a word the known one pairs with.
                m = process.extractOne(odd, others, scorer=OSA.distance, score_cutoff=1)
                fixed, weight = (m[0], EDIT_PAIR_WEIGHT) if m else (None, 0.0)
            if fixed is not None:
                out = ((f"{known} {fixed}" if pos == 0 else f"{fixed} {known}", weight),)
        if len(self._fix_cache) < 50_000:
            self._fix_cache[key] = out
        return out

    def query(
        self,
        words: Sequence[str],
        extra: dict[str, float],
        accents: Sequence[str | None] | None = None,
        weights: Sequence[float] | None = None,
        fixed: dict[int, str] | None = None,
    ) -> dict[str, float]:
        """Weighted query terms: the message's own terms, repaired unknown words, and expansions.
        `accents`: the accented form typed per word (see `foreign`); `weights`: per word, how much
        its clause counts (a context clause of a long message counts less than the question);
        `fixed`, when given, receives the repaired spelling of misspelt words by position."""
        suspect: set[int] = set()
        typed = accents if accents is not None else [None] * len(words)
        if accents is not None:
            suspect = {i for i, a in enumerate(accents) if a is not None and not accent_valid(a)}
            words = [FOREIGN + w if self.foreign(w, a) else w for w, a in zip(words, accents, strict=True)]
        wt = weights if weights is not None else [1.0] * len(words)
        q: dict[str, float] = {}

        def put(t: str, weight: float) -> None:
            if weight > q.get(t, 0.0):
                q[t] = weight

        for i, w in enumerate(words):
            if w == BREAK or w in self._alone or w.isdigit():
                continue
            if w in self.idf:
                put(w, (COMPOUND_PENALTY if self._other_compound(words, i) else 1.0) * wt[i])
            else:
                repaired = self.repair(w)
                for term, sim in repaired:
                    put(term, sim * wt[i])
                if fixed is not None and len(repaired) == 1:
                    fixed[i] = repaired[0][0]
        for i, (a, b) in enumerate(pairwise(words)):
            if BREAK in (a, b) or (a in self._stop and b in self._stop):
                continue
            pair = f"{a} {b}"
            weight = min(wt[i], wt[i + 1])
            if pair in self.idf:
                if pair not in self._generic and not self.foreign_pair(pair, typed[i], typed[i + 1]):
                    put(pair, weight)
                continue
            if a in self._alone and b in self._alone:
                continue
            # A known word next to one the catalog never uses may be a misspelt known pair
            # ("khai xinh", "kết hông", "khai sihn"): try common misspellings and one-letter edits.
            for term, sim in self.repair_pair(a, b, bool(suspect) and (i in suspect or i + 1 in suspect)):
                if term not in q:
                    put(term, sim * weight)
                    for part in term.split(" "):
                        if part in self.idf and part not in self._alone:
                            put(part, sim * weight)
                    if fixed is not None:
                        fa, fb = term.split(" ")
                        fixed.update({i: fa} if fa != a else {i + 1: fb})
        for t, extra_weight in extra.items():
            if t in self.idf:
                put(t, extra_weight)
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
            got: dict[int, float] = {}
            by_term = self._phrase_terms[doc]
            for t, qw in q.items():
                for pi, w in by_term.get(t, ()):
                    got[pi] = got.get(pi, 0.0) + w * qw
            bonus = 0.0
            phrases = self._phrases[doc]
            for pi, g in got.items():
                fw, total = phrases[pi]
                cov = g / total
                bonus = max(bonus, fw * cov * cov * total)
            raw = base + bonus
            scored.append((self.slugs[doc], 1.0 - math.exp(-raw / self.scale)))
        scored.sort(key=lambda kv: -kv[1])
        return scored[:limit]
