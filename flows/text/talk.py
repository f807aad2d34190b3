"""The conversation layer's admin-editable data: aspect words, cue phrases, out-of-scope redirects
(`conversation.toml`) and the details of each topic that follow-up questions are answered from
(`details.toml`).

Cue phrases use the lexicon's pattern syntax ("{kin} mất", "có tin * không") and are matched on the
canonical words (accents optional, abbreviations and dialect mapped), like the understander's cues.
A follow-up question is matched against a topic's details by the words they share, rarer words
weighing more; the asked aspect adds weight to details of that aspect.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from flows.problems import Problems, problem_lines
from flows.text.canon import BREAK, Canonicalizer, PatternCompiler, Typed, joined
from flows.tomlfile import FlowFiles

Aspect = Literal["papers", "fee", "time", "place", "online", "conditions", "wednesday", "other"]
ASPECTS: tuple[str, ...] = ("papers", "fee", "time", "place", "online", "conditions", "wednesday")
# Cue groups the conversation layer reads.
CUES = ("thanks", "bot_identity", "wait", "upset", "grief", "switch", "switch_start", "refer_back", "confidential",
        "office_hours", "handoff_request", "news_more")


class TalkError(Problems):
    """conversation.toml or details.toml cannot be used; one line per problem, naming the place."""


class Redirect(BaseModel):
    """A question the commune does not handle, and where to go instead."""

    model_config = ConfigDict(extra="forbid")
    name: str
    when: list[str]
    answer: str


class _ConversationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aspects: dict[Aspect, list[str]]
    cues: dict[str, list[str]]
    stopwords: list[str] = []
    condolence_procedures: list[str] = []
    confidential_procedures: list[str] = []
    redirect: list[Redirect] = []


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    aspect: Aspect = "other"
    text: str


class _Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str
    facts: list[Fact]


class _DetailsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: list[_Topic] = []


@dataclass(frozen=True, slots=True)
class Match:
    fact: Fact
    score: float


class Talk:
    """Compiled conversation data; `canon` and `classes` come from the lexicon."""

    def __init__(self, conversation: dict[str, Any], details: dict[str, Any], canon: Canonicalizer,
                 classes: dict[str, list[str]], known_topics: set[str] | None = None,
                 lexicon_cues: dict[str, list[str]] | None = None) -> None:
        try:
            conv = _ConversationFile.model_validate(conversation)
        except ValidationError as e:
            raise TalkError(problem_lines(e, "conversation")) from None
        try:
            det = _DetailsFile.model_validate(details)
        except ValidationError as e:
            raise TalkError(problem_lines(e, "details")) from None
        problems = [f"conversation: cues: missing group {name!r}" for name in CUES if name not in conv.cues]
        if known_topics is not None:
            problems += [f"details: topic {t.slug}: unknown procedure or topic" for t in det.topic
                         if t.slug not in known_topics and not t.slug.startswith("#")]
            problems += [f"conversation: {key}: unknown procedure {slug!r}"
                         for key in ("condolence_procedures", "confidential_procedures")
                         for slug in getattr(conv, key) if slug not in known_topics]
        if problems:
            raise TalkError(problems)
        self.canon = canon
        pc = PatternCompiler(canon, classes)
        self._aspects = [(a, rx) for a, cues in conv.aspects.items() if (rx := pc.compile(cues))]
        # The lexicon's cue groups (e.g. "out_of_scope") are read too; this file's groups come first.
        cues = {**(lexicon_cues or {}), **conv.cues}
        self._cues = {name: pc.compile(group) for name, group in cues.items()}
        self._switch_start = tuple(w.lower() for w in conv.cues.get("switch_start", []))
        self.redirects = [(r, rx) for r in conv.redirect if (rx := pc.compile(r.when))]
        self.condolence = frozenset(conv.condolence_procedures)
        self.confidential = frozenset(conv.confidential_procedures)
        self._stop = frozenset(w for s in conv.stopwords for w in canon.words(s))
        self.facts: dict[str, list[tuple[Fact, frozenset[str]]]] = {}
        df: Counter[str] = Counter()
        for topic in det.topic:
            entries = []
            for fact in topic.facts:
                terms = self.terms(canon.canon(fact.text))
                df.update(terms)
                entries.append((fact, terms))
            self.facts.setdefault(topic.slug, []).extend(entries)
        n = max(sum(len(v) for v in self.facts.values()), 1)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._default_idf = math.log(1 + n)

    # --- reading a message -------------------------------------------------------------------------

    def words(self, text: str) -> str:
        """The message as the joined canonical words that cues are searched in."""
        return joined(self.canon.canon(text))

    def has(self, cue: str, s: str, typed: Typed | None = None) -> bool:
        rx = self._cues.get(cue)
        return rx is not None and rx.search(s, typed) is not None

    def knows(self, cue: str) -> bool:
        return cue in self._cues

    def aspect(self, s: str) -> str | None:
        """The aspect asked about: the one whose cue starts latest (questions end with what they ask:
        "làm giấy kết hôn ở đâu, lệ phí bao nhiêu" asks the fee last), longest cue on a tie. Conditions'
        cues ("được không", "có phải") end many questions about other aspects, so they count last; a
        question that names Wednesday ("thứ tư lấy liền được không") is about Wednesday."""
        rank = {"conditions": 0, "wednesday": 2}
        best: tuple[int, int, int, str] | None = None
        for aspect, rx in self._aspects:
            for m in rx.finditer(s):
                key = (rank.get(aspect, 1), m.start(), len(m.group()), aspect)
                if best is None or key[:3] > best[:3]:
                    best = key
        return best[3] if best else None

    def starts_switch(self, text: str, s: str | None = None) -> bool:
        """"Còn kết hôn thì sao?": the same question about another procedure. The opening word is
        compared with its accents ("còn", not "con": "con tôi 7 tuổi" is about a child)."""
        opening = text.strip().lower()
        starts = any(opening == w or opening.startswith(w + " ") for w in self._switch_start)
        return starts or self.has("switch", self.words(text) if s is None else s)

    def aspects(self, s: str) -> list[str]:
        return [a for a, rx in self._aspects if rx.search(s)]

    def redirect(self, s: str) -> Redirect | None:
        return next((r for r, rx in self.redirects if rx.search(s)), None)

    def without_aspects(self, s: str) -> str:
        """The message's words without its aspect cues ("làm trên VNeID được không" → "làm trên"): what
        is left names a procedure only if the message is a new question rather than a follow-up."""
        for _, rx in self._aspects:
            s = rx.rx.sub(" ", s)
        return " ".join(s.split())

    def without(self, redirect: Redirect, s: str) -> str:
        """The message's words without the redirect's cues: what else it asks."""
        rx = next(rx for r, rx in self.redirects if r is redirect)
        return rx.rx.sub(" ", s).strip()

    def terms(self, words: list[str]) -> frozenset[str]:
        """Content words and adjacent pairs of content words (a pair is a stronger clue)."""
        out: set[str] = set()
        prev: str | None = None
        for w in words:
            if w == BREAK or w in self._stop or not re.search(r"\w", w):
                prev = None
                continue
            out.add(w)
            if prev is not None:
                out.add(f"{prev} {w}")
            prev = w
        return frozenset(out)

    def weight(self, term: str) -> float:
        """How much a shared word (or pair of words) says: rarer ones more, pairs twice."""
        return self._idf.get(term, self._default_idf) * (2.0 if " " in term else 1.0)

    def best_fact(self, topics: list[str], text: str, aspect: str | None, ignore: str = "",
                  words: list[str] | None = None) -> Match | None:
        """The detail of these topics that best answers the question, or None when none shares a word.
        Words of `ignore` (the procedure's own name) do not count: every detail of it may repeat them.
        `words`: the text's canonical words, when the caller has them already."""
        asked = self.terms(self.canon.canon(text) if words is None else words)
        if ignore:
            asked -= self.terms(self.canon.canon(ignore))
        best: Match | None = None
        for rank, topic in enumerate(topics):
            for fact, terms in self.facts.get(topic, ()):
                shared = asked & terms
                if not shared:
                    continue
                score = sum(self.weight(t) for t in shared)
                if aspect is not None and fact.aspect == aspect:
                    score += 1.5
                score *= 1.0 if rank == 0 else 0.8
                if best is None or score > best.score:
                    best = Match(fact, score)
        return best


def load_talk(files: FlowFiles, canon: Canonicalizer, classes: dict[str, list[str]],
              known_topics: set[str] | None = None, lexicon_cues: dict[str, list[str]] | None = None) -> Talk:
    return Talk(files.read("conversation.toml", TalkError, "conversation"),
                files.read("details.toml", TalkError, "details"), canon, classes, known_topics, lexicon_cues)
