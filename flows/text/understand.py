"""Understanding one resident message: intent, ranked procedures, field, dossier code, village.

`Understander(catalog, lexicon, thon_names, topics).understand(text) -> Understanding`.
Intent rules combine the lexicon's cue phrases with the procedure score; `decide(u)` says whether
to show a procedure card, ask "Có phải bạn muốn hỏi…" with the top three, or neither.
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from flows.procedures.catalog import Catalog, load_catalog
from flows.text.canon import BREAK, Canonicalizer, Matcher, PatternCompiler, Typed, Word, joined, typed_positions
from flows.text.lexicon import Lexicon, load_lexicon
from flows.text.normalize import is_syllable, marked, tokens
from flows.text.numbers import read_age
from flows.text.rank import Ranker

INTENTS = (
    "procedure", "browse", "wednesday_info", "dossier_lookup", "id_card_lookup", "news", "subscribe",
    "unsubscribe", "handoff", "contact", "greeting", "out_of_scope",
)
# Intents that are a need of their own, beside or instead of a procedure question.
NEED_INTENTS = frozenset({"wednesday_info", "contact", "dossier_lookup", "id_card_lookup", "news", "subscribe",
                          "unsubscribe", "handoff"})
# Cue groups that alone bring a message (or one clause of it) to one of those intents, and pairs that do
# together (the rules below); a topic word alone ("bảo hiểm") is only a guess at news, not a named need.
_NEED_CUES = ("unsubscribe", "handoff", "id_card", "dossier_check", "status_strong", "subscribe", "subscribe_weak",
              "wednesday", "contact_strong", "news")
_NEED_CUE_PAIRS = (("dossier", "status"), ("contact_subject", "contact_ask"))

# Procedure score thresholds (scores are 0..1, see Ranker.scale).
PLAUSIBLE = 0.40  # below this nothing is worth suggesting
STRONG = 0.62  # a procedure question even when other cue words appear
VERY_STRONG = 0.85  # beats even explicit contact words ("số điện thoại")
CARD = 0.70  # show the card directly…
CARD_RATIO = 0.85  # …when the runner-up's raw score is at most this share of the top one
ASKING_CLAUSE_MIN = 2.0  # term weight the asking clauses need before the rest counts as context
CONTEXT_WEIGHT = 0.5  # a clause of a long message that does not ask ("con tôi 18 tuổi, …")

_CODE = re.compile(
    r"(?<![\w.])((?:[A-Za-z0-9]+\s*\.\s*)*[A-Za-z0-9]+)\s*(?:[-–—]\s*|\s+)(\d{6})\s*(?:[-–—]\s*|\s+)(\d{4})(?!\d)"
)
_AGE_WORD = re.compile(r" (?:tuoi|chuc|muoi) ")  # an age may be said in words
_AGE = re.compile(r"(?<= )(\d{1,3}) (thang )?(?:tuoi|t)(?= )")


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: str
    procedures: tuple[tuple[str, float], ...] = ()
    confidence: float = 0.0
    field: str | None = None
    dossier_code: str | None = None
    thon: str | None = None
    topic: str | None = None
    named: bool = False  # the message contains the top procedure's name or informal name whole
    # Some words of the message name a need other than a procedure (a lookup, news, contact…), whatever
    # intent won: only then may its clauses ask for different things.
    names_need: bool = False
    # The message's canonical words (clause breaks included) with their accents as typed, for whoever reads
    # it further.
    words: tuple[Word, ...] = dataclasses.field(default=(), compare=False, repr=False)


def decide(u: Understanding) -> Literal["card", "suggest", "none"]:
    """What to show for a procedure question: one card, "Có phải bạn muốn hỏi…" (top three), or nothing."""
    if u.intent != "procedure" or not u.procedures:
        return "none"
    top = u.procedures[0][1]
    if u.named and top >= PLAUSIBLE:
        return "card"  # the resident typed the procedure's own name (or the bot's example)
    second = u.procedures[1][1] if len(u.procedures) > 1 else 0.0
    # Scores are 1 - exp(-raw/scale); compare raw scores, which do not saturate near 1.
    ratio = math.log1p(-min(second, 1 - 1e-12)) / math.log1p(-min(top, 1 - 1e-12)) if top > 0 else 1.0
    if top >= CARD and ratio <= CARD_RATIO:
        return "card"
    return "suggest" if top >= PLAUSIBLE else "none"


def names_need(has: Callable[[str], bool], words: Sequence[str]) -> bool:
    """Whether a message's cue groups (`has`) and canonical words could bring it to one of NEED_INTENTS
    by the rules of `Understander.understand`: what any clause of a message that names none can be
    is a procedure question at most."""
    return (any(has(c) for c in _NEED_CUES) or any(has(a) and has(b) for a, b in _NEED_CUE_PAIRS)
            or (has("wednesday_model") and "hen" in words))


def find_dossier_code(text: str) -> str | None:
    """A dossier code shaped `PREFIX-YYMMDD-NNNN` anywhere in the text, canonical upper case."""
    for m in _CODE.finditer(text):
        prefix = re.sub(r"\s+", "", m.group(1)).upper()
        date = m.group(2)
        month, day = int(date[2:4]), int(date[4:6])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        if not re.search(r"[A-Z.]", prefix) or len(prefix) < 2:
            continue
        return f"{prefix}-{date}-{m.group(3)}"
    return None


@dataclass(frozen=True, slots=True)
class _Situation:
    when: Matcher
    unless: Matcher | None
    add: tuple[str, ...]  # the ranker's terms for the words it adds
    drop: frozenset[str]
    weight: float


class Understander:
    def __init__(
        self,
        catalog: Catalog,
        lexicon: Lexicon,
        thon_names: Sequence[str] = (),
        topics: Sequence[str] = (),
    ) -> None:
        self.catalog = catalog
        self.canon = Canonicalizer(lexicon)
        pc = PatternCompiler(self.canon, lexicon.classes)

        def words(items: list[str]) -> frozenset[str]:
            return frozenset(w for item in items for w in self.canon.words(item))

        generic = frozenset(" ".join(self.canon.words(p)) for p in lexicon.generic_phrases)
        self.ranker = Ranker(
            catalog.procedures, self.canon, words(lexicon.stopwords), words(lexicon.common_syllables), generic
        )
        self._cues = {name: pc.compile(patterns) for name, patterns in lexicon.cues.items()}
        self._situations = [
            _Situation(
                when=w,
                unless=pc.compile(s.unless),
                add=tuple(self.ranker.terms(self.canon.words(s.add))),
                drop=frozenset(d for x in s.drop for d in self.canon.words(x)),
                weight=s.weight,
            )
            for s in lexicon.situation
            if (w := pc.compile(s.when)) is not None
        ]
        self._ages = [(b.min, b.max, tuple(self.ranker.terms(self.canon.words(b.add))), b.weight)
                      for b in lexicon.age_band]
        self._fields = [(f, rx) for f, aliases in lexicon.fields.items() if (rx := pc.compile(aliases))]
        topic_list = list(topics) or list(lexicon.topics)
        self._topics = [
            (t, rx)
            for t in topic_list
            if (rx := pc.compile([*lexicon.topics.get(t, []), t.replace("-", " ")]))
        ]
        # For guessing "news" with no other cue, one-syllable aliases ("điện", "bão") are too vague.
        self._topics_multi = [
            (t, rx)
            for t in topic_list
            if (rx := pc.compile([a for a in [*lexicon.topics.get(t, []), t.replace("-", " ")] if " " in a.strip()]))
        ]
        english = frozenset(t.raw for w in (*lexicon.english_words, *lexicon.english) for t in tokens(w))
        self._english_only = frozenset(w for w in english if not is_syllable(w))  # "how", not "do"
        self._english_too = english - self._english_only
        self._thon: list[tuple[str, str]] = []  # (canonical form, display name), longest first
        for name in thon_names:
            forms = {" ".join(self.canon.words(name)), " ".join(t.raw for t in tokens(name))}
            self._thon.extend((f, name) for f in forms if f)
        self._thon.sort(key=lambda fn: -len(fn[0]))

    # ---- helpers -------------------------------------------------------------------------------

    def _has(self, name: str, s: str, typed: Typed | None = None) -> bool:
        rx = self._cues.get(name)
        return rx is not None and rx.search(s, typed) is not None

    @staticmethod
    def _layout(words: list[str]) -> tuple[list[int], list[int]]:
        """Where each word starts in `joined(words)`, and which clause it belongs to."""
        starts: list[int] = []
        clause_of: list[int] = []
        pos, clause = 1, 0
        for w in words:
            starts.append(pos)
            clause_of.append(clause)
            pos += len(w) + 1
            if w == BREAK:
                clause += 1
        return starts, clause_of

    def _clause_weights(
        self, words: list[str], s: str, starts: list[int], clause_of: list[int]
    ) -> list[float] | None:
        """How much each word counts: in a message of several clauses, the ones that ask count fully
        and the others (context: an age, a past event) less; so does a purpose ("… để làm thừa kế")
        up to the end of its clause or the question that follows it. None when all count the same."""
        if not clause_of:
            return None

        def index(pos: int) -> int:
            return min(bisect_left(starts, pos), len(starts) - 1)

        weights: list[float] | None = None
        ask = self._cues.get("ask")
        asks = [index(m.start()) for m in ask.finditer(s)] if ask is not None else []
        asking = {clause_of[i] for i in asks}
        # Only when the question itself names something: "…, cần làm giấy tờ gì?" leans on its context.
        asked = {t for i in range(len(words)) if clause_of[i] in asking for t in self.ranker.terms(words[i : i + 2])}
        says = sum(self.ranker.weight(t) for t in asked if t in self.ranker.idf) >= ASKING_CLAUSE_MIN
        if clause_of[-1] > 0 and asking and len(asking) <= clause_of[-1] and says:
            weights = [1.0 if c in asking else CONTEXT_WEIGHT for c in clause_of]
        purpose = self._cues.get("purpose")
        for m in purpose.finditer(s) if purpose is not None else ():
            first = index(m.start())
            clause = clause_of[first]
            end = min([i for i in asks if i > first and clause_of[i] == clause], default=len(starts))
            weights = weights or [1.0] * len(starts)
            for i in range(first, end):
                if clause_of[i] != clause:
                    break
                weights[i] = min(weights[i], CONTEXT_WEIGHT)
        return weights

    def _expand(
        self, words: list[str], s: str, weights: list[float] | None = None, typed: Typed | None = None
    ) -> tuple[list[int], dict[str, float], list[tuple[int, int]]]:
        """Apply situations and age bands: the indices of the words kept (matched spans lose their
        `drop` words), the terms to add, and the spans the situations matched in `s`."""
        starts, clause_of = self._layout(words)
        dropped: set[int] = set()
        extra: dict[str, float] = {}
        spans: list[tuple[int, int]] = []

        def add(terms: tuple[str, ...], weight: float) -> None:
            for t in terms:
                if weight > extra.get(t, 0.0):
                    extra[t] = weight

        bounds: dict[int, tuple[int, int]] = {}  # clause → its span in `s`
        for i, c in enumerate(clause_of):
            lo = bounds[c][0] if c in bounds else starts[i]
            bounds[c] = (lo, starts[i] + len(words[i]))
        for sit in self._situations:
            for m in sit.when.finditer(s, typed):
                span = range(bisect_left(starts, m.start()), bisect_left(starts, m.end()))
                if sit.unless is not None and span:
                    lo, hi = bounds[clause_of[span[0]]]
                    if sit.unless.search(s, typed, lo - 1, hi + 1):
                        continue
                spans.append(m.span())
                clause_weight = weights[span[0]] if weights and span else 1.0
                add(sit.add, sit.weight * clause_weight)
                dropped.update(i for i in span if words[i] in sit.drop)
        ages: list[tuple[float, float]] = []  # (age, how much its clause counts)
        for m in _AGE.finditer(s):
            i = bisect_left(starts, m.start())
            ages.append((0 if m.group(2) else int(m.group(1)), weights[i] if weights and i < len(words) else 1.0))
        if not ages and self._ages and _AGE_WORD.search(s):
            # An age in words ("tám mươi lăm tuổi", "tám chục"): where it is said is not kept, so in a
            # long message it counts as context.
            said = read_age(s)
            if said is not None:
                ages.append((said, min(weights) if weights else 1.0))
        for age, clause_weight in ages:
            for lo, hi, ws, weight in self._ages:
                if lo <= age <= hi:
                    add(ws, weight * clause_weight)
        kept = [i for i in range(len(words)) if i not in dropped]
        return kept, extra, spans

    def _rank(
        self, words: list[str], s: str, accents: list[str | None] | None = None
    ) -> tuple[list[tuple[str, float]], list[tuple[int, int]], str | None]:
        """Ranked procedures, the spans of `s` that situations matched, and the procedure whose name
        the message contains whole (once misspellings are repaired), if any."""
        starts, clause_of = self._layout(words)
        weights = self._clause_weights(words, s, starts, clause_of)
        typed = typed_positions(words, accents) if accents is not None else None
        kept, extra, spans = self._expand(words, s, weights, typed)
        query_words = [words[i] for i in kept]
        fixed: dict[int, str] = {}
        q = self.ranker.query(
            query_words,
            extra,
            [accents[i] for i in kept] if accents is not None else None,
            [weights[i] for i in kept] if weights is not None else None,
            fixed,
        )
        named = self.ranker.named([fixed.get(i, w) for i, w in enumerate(query_words)])
        return self.ranker.rank(q), spans, named

    def rank(self, text: str) -> list[tuple[str, float]]:
        """The procedures a message is most like, best first, whatever its intent (the editor's suggestions
        for teaching the bot an unanswered message)."""
        typed = self.canon.canon_acc(text)
        words = [w for w, _ in typed]
        return self._rank(words, joined(words), [a for _, a in typed])[0]

    def _field(self, s: str) -> str | None:
        best: tuple[int, str] | None = None
        for f, rx in self._fields:
            if (m := rx.search(s)) and (best is None or m.start() < best[0]):
                best = (m.start(), f)
        return best[1] if best else None

    def _topic(self, s: str) -> str | None:
        for t, rx in self._topics:
            if rx.search(s):
                return t
        return None

    def _find_thon(self, words: list[str], s: str) -> str | None:
        for form, name in self._thon:
            if f" {form} " in s:
                return name
        if "thon" in words and self._thon:
            i = words.index("thon")
            tail = " ".join(w for w in words[i + 1 : i + 4] if w != BREAK)
            m = process.extractOne(tail, [f for f, _ in self._thon], scorer=fuzz.partial_ratio, score_cutoff=85)
            if m:
                return self._thon[m[2]][1]
        return None

    def _residual(self, s: str) -> list[str]:
        """The words left once field names and "thủ tục" are taken out."""
        spans = []
        for _, rx in self._fields:
            spans += [m.span() for m in rx.finditer(s)]
        cue = self._cues.get("procedure_word")
        if cue is not None:
            spans += [m.span() for m in cue.finditer(s)]
        for a, b in spans:
            s = s[:a] + " " * (b - a) + s[b:]
        return s.split()

    def _best(self, words: list[str]) -> float:
        ranked, _, _ = self._rank(words, joined(words))
        return ranked[0][1] if ranked else 0.0

    def language_of(self, text: str) -> str | None:
        """"vi" for a message with Vietnamese accents or mostly Vietnamese syllables, "en" for one with
        at least two English-only words (spelt like no Vietnamese syllable: "how", "register") and more
        of them than Vietnamese syllables (English words spelt like one, "do", "can", count for
        neither); None when it does not show (a number, "ok", "hello", a code)."""
        en = vi = 0
        for t in tokens(text):
            if marked(t.acc) and is_syllable(t.raw):
                return "vi"  # Vietnamese accents (not the é of "fiancée": no syllable is spelt so)
            if t.raw in self._english_only:
                en += 1
            elif t.raw.isalpha() and is_syllable(t.raw) and t.raw not in self._english_too:
                vi += 1
        if en >= 2 and en > vi:
            return "en"
        return "vi" if vi >= 2 else None

    # ---- the rules -----------------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        """The intent rules, in order of precedence (each is tested in tests/test_understand.py):

        1. explicit commands: unsubscribe, a dossier code, handoff; plainly out of scope ("recommend…");
        2. status questions with a status subject (a căn cước, a dossier): lookups — a status cue
           inside a situation the message describes ("chưa có vợ") is not a status question;
        3. subscribe; Wednesday;
        4. browse ("danh sách / tất cả thủ tục …") unless one procedure is clearly named;
        5. contact details; "what can you do" (capabilities) unless a procedure is clearly named;
        6. news and out of scope against a weak procedure match;
        7. a procedure; then greetings and guesses.
        """
        code = find_dossier_code(text)
        typed_words = self.canon.canon_acc(text)
        words = [w for w, _ in typed_words]
        s = joined(words)
        thon = self._find_thon(words, s) if self._thon else None
        typed = typed_positions(words, [a for _, a in typed_words])

        seen: dict[str, bool] = {}  # cue groups already searched in the whole message

        def has(name: str, text: str = s) -> bool:
            if text is not s:
                return self._has(name, text, typed)
            if name not in seen:
                seen[name] = self._has(name, s, typed)
            return seen[name]

        def need(intent: str) -> bool:
            return intent in NEED_INTENTS or names_need(has, words)

        # Rule-based intents get a fixed confidence: 0.9 for an explicit cue, lower for guesses.
        def simple(intent: str, confidence: float = 0.9, *, field: str | None = None,
                   topic: str | None = None) -> Understanding:
            return Understanding(intent=intent, confidence=confidence, dossier_code=code, thon=thon, field=field,
                                 topic=topic, names_need=need(intent), words=tuple(typed_words))

        if has("unsubscribe"):
            return simple("unsubscribe", topic=self._topic(s))
        if code:
            return simple("dossier_lookup")
        if has("handoff") and not has("contact_strong"):
            return simple("handoff")  # "sđt cán bộ trực" asks for a number, not for a person now
        if has("out_of_scope_strong"):  # "recommend a boat tour": not the boat registration
            return simple("out_of_scope")

        ranked, spans, named = self._rank(words, s, [a for _, a in typed_words])
        top = ranked[0][1] if ranked else 0.0
        strong = top >= STRONG

        # A cue inside a situation the message describes belongs to it: "chưa có vợ" asks no status,
        # "báo phường ở đâu" asks where to report, not the ward's address.
        own = s
        for a, b in spans:
            own = own[:a] + " " * (b - a) + own[b:]
        status = has("status", own)
        if has("id_card") and (status or top < STRONG):
            return simple("id_card_lookup")
        if (
            has("dossier_check")
            or (has("dossier") and status)
            or has("status_strong", own)
        ):
            return simple("dossier_lookup")
        if has("subscribe") or (has("subscribe_weak") and not strong):
            return simple("subscribe", topic=self._topic(s))
        browse = has("browse")
        if has("wednesday"):
            if browse:
                return simple("browse", field=self._field(s))
            if has("wednesday_model") or not strong:
                return simple("wednesday_info")
        field = self._field(s)
        if field or has("procedure_word"):
            left = self._residual(s)
            rest = [w for w in left if w != BREAK and not self.ranker.ignorable(w)]
            # An explicit "danh sách / những thủ tục…" wins unless a procedure is clearly named;
            # without one, only a message that is nothing but a field name counts. Ranking what is left
            # costs as much as the message: only when it can decide.
            if browse or (field and not rest):
                best = self._best(left)
                if (browse and best < VERY_STRONG) or (field and not rest and best < PLAUSIBLE):
                    return simple("browse", field=field)
        if has("contact_strong", own) and top < VERY_STRONG:
            return simple("contact")
        if has("capabilities") and top < VERY_STRONG:
            return simple("greeting")
        if top < CARD and has("greeting") and not has("ask"):
            return simple("greeting")  # "chào phường, chúc cán bộ…": no question, no clear need
        if top < CARD and has("out_of_scope"):
            return simple("out_of_scope", confidence=1.0 - top)
        if not strong:
            if has("contact_subject", own) and has("contact_ask", own):
                return simple("contact")
            if has("news"):
                return simple("news", topic=self._topic(s))
        if top >= PLAUSIBLE:
            return Understanding(
                intent="procedure", procedures=tuple(ranked), confidence=top, dossier_code=code, thon=thon,
                named=named == ranked[0][0], names_need=need("procedure"), words=tuple(typed_words),
            )
        if has("greeting"):
            return simple("greeting")
        if has("wednesday_model") and "hen" in words:
            return simple("wednesday_info", confidence=0.6)
        if any(rx.search(s) for _, rx in self._topics_multi):
            return simple("news", confidence=0.5, topic=self._topic(s))
        return simple("out_of_scope", confidence=1.0 - top)


# Villages of the former Cẩm Thanh commune named in the facts sheet (the sixth is unconfirmed);
# the bot's configuration normally supplies the real list.
DEFAULT_THON_NAMES = ("Thanh Nhứt", "Thanh Tam Đông", "Thanh Tam Tây", "Thanh Đông", "Võng Nhi", "Vạn Lăng")


def load_default_understander(
    thon_names: Sequence[str] = DEFAULT_THON_NAMES, topics: Sequence[str] = ()
) -> Understander:
    """An Understander over the default catalog and lexicon shipped in flows/default."""
    return Understander(load_catalog(), load_lexicon(), thon_names, topics)
