"""The admin-editable lexicon (abbreviations, dialect, situations, intent cues): schema and loader.

Errors name the table and key (e.g. `lexicon: situation qua-doi: when[2]: unknown class {kinn}`),
one line per problem, like the catalog loader.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from flows.problems import Problems, field_path
from flows.procedures.catalog import FieldSlug
from flows.tomlfile import FlowFiles

# Cue groups the intent rules read; a lexicon without them cannot work.
REQUIRED_CUES = (
    "unsubscribe", "subscribe", "news", "dossier", "status", "dossier_check", "id_card", "handoff",
    "contact_subject", "contact_ask", "contact_strong", "browse", "procedure_word", "wednesday",
    "wednesday_model", "greeting", "out_of_scope", "status_strong", "subscribe_weak",
)

_CLASS_REF = re.compile(r"^\{([\w-]+)\}\??$")
_PATTERN_TOKEN = re.compile(r"^(?:\*|\{[\w-]+\}\??|[^\s{}*?]+\??)$")


class Situation(BaseModel):
    """An everyday situation ("ba mất", "con mới sinh") and the catalog words it stands for."""

    model_config = ConfigDict(extra="forbid")
    name: str
    when: list[str]
    unless: list[str] = []  # blocks a match when any of these occurs in the same clause
    add: str = ""
    drop: list[str] = []  # words removed from the matched span before ranking
    weight: float = 1.0


class AgeBand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: int = 0
    max: int = 150
    add: str
    weight: float = 1.0


class AbbreviationInContext(BaseModel):
    """An abbreviation that means something else next to certain words: "ck" is "chồng" alone but
    "chữ ký" after "chứng thực". `after`: words just before it; `before`: words just after it."""

    model_config = ConfigDict(extra="forbid")
    abbr: list[str]
    means: str
    after: list[str] = []
    before: list[str] = []


class Lexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    abbreviations: dict[str, str] = {}
    abbreviation_context: list[AbbreviationInContext] = []
    english: dict[str, str] = {}
    dialect: dict[str, str] = {}  # matched only when written with accents
    dialect_plain: dict[str, str] = {}
    stopwords: list[str] = []  # function words: ignored alone and in pairs
    english_words: list[str] = []  # with the [english] keys: words that show a message is in English
    common_syllables: list[str] = []  # ignored alone only
    generic_phrases: list[str] = []  # pairs that say nothing about the procedure
    classes: dict[str, list[str]] = {}
    situation: list[Situation] = []
    age_band: list[AgeBand] = []
    cues: dict[str, list[str]] = {}
    fields: dict[FieldSlug, list[str]] = {}
    topics: dict[str, list[str]] = {}

    @field_validator("dialect")
    @classmethod
    def _single_words(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [k for k in v if len(k.split()) != 1]
        if bad:
            raise ValueError(f"keys must be single words: {', '.join(bad)}")
        return v


class LexiconError(Problems):
    """One line per problem, naming the file and field."""


def pattern_problems(pattern: str, classes: dict[str, list[str]]) -> list[str]:
    """Syntax problems of one cue/situation pattern (empty when fine)."""
    words = pattern.split()
    if not words:
        return ["empty pattern"]
    problems = []
    for w in words:
        if not _PATTERN_TOKEN.match(w):
            problems.append(f"bad token {w!r}")
        elif (m := _CLASS_REF.match(w)) and m.group(1) not in classes:
            problems.append(f"unknown class {{{m.group(1)}}}")
    if all(w == "*" or w.endswith("?") for w in words):
        problems.append("pattern matches anything")
    return problems


def _check_patterns(lex: Lexicon) -> list[str]:
    problems: list[str] = []

    def check(where: str, patterns: list[str]) -> None:
        for i, p in enumerate(patterns):
            problems.extend(f"lexicon: {where}[{i}]: {msg}" for msg in pattern_problems(p, lex.classes))

    for group, patterns in lex.cues.items():
        check(f"cues: {group}", patterns)
    for s in lex.situation:
        check(f"situation {s.name}: when", s.when)
        check(f"situation {s.name}: unless", s.unless)
    problems.extend(f"lexicon: cues: missing group {name!r}" for name in REQUIRED_CUES if name not in lex.cues)
    seen: set[str] = set()
    for s in lex.situation:
        if s.name in seen:
            problems.append(f"lexicon: situation {s.name}: name: duplicate")
        seen.add(s.name)
    return problems


def build_lexicon(data: dict[str, Any]) -> Lexicon:
    try:
        lex = Lexicon.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = list(err["loc"])
            if len(loc) >= 2 and loc[0] == "situation" and isinstance(loc[1], int):
                items = data.get("situation") or []
                name = items[loc[1]].get("name") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else None
                loc[1] = name or f"#{loc[1] + 1}"
                head = f"situation {loc[1]}: " + field_path(loc[2:], "")
            else:
                head = field_path(loc, "")
            problems.append(f"lexicon: {head}: {err['msg']}")
        raise LexiconError(problems) from None
    problems = _check_patterns(lex)
    if problems:
        raise LexiconError(problems)
    return lex


def load_lexicon(files: FlowFiles | None = None) -> Lexicon:
    files = FlowFiles.from_folder() if files is None else files
    return build_lexicon(files.read("lexicon.toml", LexiconError, "lexicon"))
