"""One turn's text, read once. The conversation layer asks many questions of a message (its intent, the
aspect it asks about, its cue groups, its clauses, what it says without its aspect words) and the flow that
answers asks some again; a `Reading` answers each at most once, and texts derived from the message (a
clause, the rest without some words) are read through the same per-turn memo.

The cheap path stays cheap: a message's clauses are understood one by one only when it may ask for two
different things, i.e. it has several clauses and its words name a need besides a procedure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property

from flows.text.canon import joined, typed_positions
from flows.text.dossier_code import find_dossier_code
from flows.text.talk import Match, Redirect, Talk
from flows.text.understand import NEED_INTENTS, Understanding, decide, names_need

# Where one need ends and another may begin: punctuation, and the phrases that add a second question.
_CONNECTORS = re.compile(r"[,;?!]+|\b(?:với lại|voi lai|tiện hỏi luôn|tien hoi luon|tiện thể|tien the|"
                         r"cho hỏi thêm|cho hoi them|thêm nữa|them nua)\b", re.IGNORECASE)


class Reading:
    def __init__(self, text: str, understand: Callable[[str], Understanding], talk: Talk,
                 turn: dict[str, Reading] | None = None) -> None:
        self.text = text
        self.talk = talk
        self._understand = understand
        self._turn = {} if turn is None else turn  # every text read this turn, shared by its readings
        self._turn[text] = self
        self._cues: dict[str, bool] = {}
        self._understanding: Understanding | None = None

    def of(self, text: str) -> Reading:
        """The reading of another text of the same turn (a clause, the message without some words)."""
        return self._turn.get(text) or Reading(text, self._understand, self.talk, self._turn)

    @property
    def understanding(self) -> Understanding:
        if self._understanding is None:
            self._understanding = self._understand(self.text)
        return self._understanding

    @cached_property
    def canonical(self) -> list[str]:
        # Every text the layer looks into is understood: its words come with the understanding.
        return [w for w, _ in self.understanding.words or self.talk.canon.canon_acc(self.text)]

    @cached_property
    def words(self) -> str:
        """The joined canonical words that cues are searched in."""
        return joined(self.canonical)

    @cached_property
    def decision(self) -> str:
        return decide(self.understanding)

    @property
    def intent(self) -> str:
        return self.understanding.intent

    @cached_property
    def aspect(self) -> str | None:
        return self.talk.aspect(self.words)

    @cached_property
    def switch(self) -> bool:
        return self.talk.starts_switch(self.text, self.words)

    @cached_property
    def redirect(self) -> Redirect | None:
        return self.talk.redirect(self.words)

    @cached_property
    def dossier_code(self) -> str | None:
        return find_dossier_code(self.text)

    def has(self, cue: str) -> bool:
        if cue not in self._cues:
            self._cues[cue] = self.talk.has(cue, self.words)
        return self._cues[cue]

    def best_fact(self, topics: list[str], aspect: str | None, ignore: str = "") -> Match | None:
        return self.talk.best_fact(topics, self.text, aspect, ignore, self.canonical)

    @cached_property
    def needs(self) -> list[str]:
        """The clauses that each ask for a different thing (two at most), or none."""
        if not (self.understanding.names_need or self.dossier_code):
            return []  # every clause is about a procedure at most: one need
        parts = [p.strip() for p in _CONNECTORS.split(self.text) if p and len(p.split()) >= 2]
        if len(parts) < 2:
            return []
        # Two needs are a need besides a procedure and something else. Understanding a clause costs about as
        # much as the whole message: unless the whole is such a need, the clauses whose words may name one
        # (a cheap look) are understood first, and the others only if one of them does.
        readings = [self.of(p) for p in parts]
        if self.intent not in NEED_INTENTS and not any(r.need in NEED_INTENTS for r in readings if r.may_need):
            return []
        seen: dict[str, str] = {}
        for r in readings:
            if r.need is not None and r.need not in seen:
                seen[r.need] = r.text
        return list(seen.values())[:2] if len(seen) > 1 else []

    @cached_property
    def may_need(self) -> bool:
        """Whether this text's words could name a need besides a procedure, from its cue groups alone,
        matched as the understander matches them (a cue group the conversation data lacks counts as there)."""
        if self.dossier_code is not None:
            return True
        u = self._understanding  # not understood for this look: that is what it saves
        accented = u.words if u is not None and u.words else self.talk.canon.canon_acc(self.text)
        words = [w for w, _ in accented]
        s, typed = joined(words), typed_positions(words, [a for _, a in accented])
        return names_need(lambda cue: not self.talk.knows(cue) or self.talk.has(cue, s, typed), words)

    @cached_property
    def need(self) -> str | None:
        """What this text asks for as one need: a lookup, news…, or "procedure" (one a message)."""
        if self.dossier_code is not None:
            return "dossier_lookup"
        u = self.understanding
        if u.intent == "procedure" and u.procedures and self.decision != "none":
            return "procedure"
        return u.intent if u.intent in NEED_INTENTS else None
