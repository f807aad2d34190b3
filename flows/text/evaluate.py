"""`python -m bot eval-nlu FILE.jsonl`: accuracy of the understander on labelled messages.

Each line: {"text": ..., "intent": ..., "procedure": slug or null[, "style": ...]}.
Prints accuracy per intent and per style, the confusions (expected → got, with counts and
examples), and as the last line a JSON object:
  n                   number of lines
  intent_accuracy     share of lines whose intent is right
  procedure_accuracy  share of lines labelled intent "procedure" whose top-ranked procedure equals
                      the label (null when there are none)
  by_style            per style, the share of lines where the intent is right and, for lines
                      labelled "procedure", the top-ranked procedure is right too
A malformed line prints `FILE:LINE: reason` to stderr and returns 2 without evaluating anything.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flows.text.understand import INTENTS, Understander, load_default_understander

EXAMPLES_PER_CONFUSION = 3


@dataclass(frozen=True)
class _Row:
    line: int
    text: str
    intent: str
    procedure: str | None
    style: str | None


def _parse(path: str, slugs: set[str]) -> tuple[list[_Row], list[str]]:
    rows: list[_Row] = []
    problems: list[str] = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{n}"
            try:
                d = json.loads(raw)
            except json.JSONDecodeError as e:
                problems.append(f"{where}: not valid JSON: {e.msg}")
                continue
            if not isinstance(d, dict):
                problems.append(f"{where}: expected a JSON object")
                continue
            text, intent, proc, style = d.get("text"), d.get("intent"), d.get("procedure"), d.get("style")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}: missing or empty \"text\"")
            elif not isinstance(intent, str):
                problems.append(f"{where}: missing \"intent\"")
            elif intent not in INTENTS:
                problems.append(f"{where}: unknown intent {intent!r}")
            elif proc is not None and (not isinstance(proc, str) or proc not in slugs):
                problems.append(f"{where}: unknown procedure slug {proc!r}")
            elif intent == "procedure" and proc is None:
                problems.append(f"{where}: intent \"procedure\" needs a \"procedure\" slug")
            elif style is not None and not isinstance(style, str):
                problems.append(f"{where}: \"style\" must be a string")
            else:
                rows.append(_Row(n, text, intent, proc if intent == "procedure" else None, style))
    return rows, problems


def _pct(ok: int, n: int) -> str:
    return f"{100.0 * ok / n:5.1f}% ({ok}/{n})" if n else "  n/a"


@dataclass
class Score:
    n: int = 0
    intent_ok: int = 0
    proc_n: int = 0
    proc_ok: int = 0
    by_intent: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    by_style: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def intent_pct(self) -> float:
        return 100.0 * self.intent_ok / self.n if self.n else 0.0

    @property
    def procedure_pct(self) -> float:
        return 100.0 * self.proc_ok / self.proc_n if self.proc_n else 0.0


def read_rows(path: str, slugs: set[str]) -> list[_Row]:
    """The labelled messages; raises ValueError listing the problems (OSError when unreadable)."""
    rows, problems = _parse(path, slugs)
    if problems:
        raise ValueError("\n".join(problems))
    return rows


def score(rows: list[_Row], u: Understander) -> Score:
    s = Score(n=len(rows))
    for r in rows:
        got = u.understand(r.text)
        top = got.procedures[0][0] if got.procedures else None
        i_ok = got.intent == r.intent
        p_ok = True
        if r.intent == "procedure":
            s.proc_n += 1
            p_ok = i_ok and top == r.procedure
            s.proc_ok += top == r.procedure
        s.intent_ok += i_ok
        s.by_intent[r.intent].append(i_ok)
        if r.style is not None:
            s.by_style[r.style].append(i_ok and p_ok)
        if not i_ok:
            key = (r.intent, got.intent if got.intent != "procedure" else f"procedure ({top})")
        elif not p_ok:
            key = (f"procedure ({r.procedure})", f"procedure ({top})")
        else:
            continue
        s.confusions[key] += 1
        if len(s.examples[key]) < EXAMPLES_PER_CONFUSION:
            s.examples[key].append(r.text)
    return s


def main(path: str, understander: Understander | None = None) -> int:
    u = understander or load_default_understander()
    try:
        rows = read_rows(path, set(u.catalog.by_slug))
    except OSError as e:
        print(f"{path}: cannot read: {e.strerror}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    s = score(rows, u)
    n, intent_ok, proc_ok, proc_n = s.n, s.intent_ok, s.proc_ok, s.proc_n
    by_intent, by_style, confusions, examples = s.by_intent, s.by_style, s.confusions, s.examples

    print(f"nlu eval: {path}: {n} messages")
    print(f"intent accuracy     {_pct(intent_ok, n)}")
    print(f"procedure accuracy  {_pct(proc_ok, proc_n)}")
    print("per intent:")
    for intent in sorted(by_intent):
        oks = by_intent[intent]
        print(f"  {intent:<16} {_pct(sum(oks), len(oks))}")
    if by_style:
        print("per style (intent and procedure both right):")
        for style in sorted(by_style):
            oks = by_style[style]
            print(f"  {style:<16} {_pct(sum(oks), len(oks))}")
    print("confusions (expected → got):" if confusions else "confusions: none")
    for (want, got_label), count in confusions.most_common():
        print(f"  {want} → {got_label}: {count}")
        for text in examples[(want, got_label)]:
            print(f"      e.g. {text!r}")
    summary = {
        "n": n,
        "intent_accuracy": round(intent_ok / n, 4) if n else None,
        "procedure_accuracy": round(proc_ok / proc_n, 4) if proc_n else None,
        "by_style": {s: round(sum(v) / len(v), 4) for s, v in sorted(by_style.items())},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover - the bot CLI normally calls main()
    sys.exit(main(sys.argv[1]))
