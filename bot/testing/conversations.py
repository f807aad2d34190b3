"""`python -m bot eval-conversations DIR`: scripted residents' conversations played through the real
pipeline, graded turn by turn.

DIR holds `conversations.jsonl` (or `conversations-dev.jsonl`) and its data folder (`data/` or
`conversations-dev-data/`, or DIR itself): `dossiers.csv` and `id-cards.csv` go through the importers,
`news.jsonl` through the news command, into a fresh SQLite database. Each conversation is then played
as a new resident: a signed webhook per turn, the worker and sender drained, and the fake Zalo's
messages read back. A turn passes when the whole answer (texts, button and list titles) contains one of
its `must_any` and none of its `must_not`, ignoring case and Vietnamese diacritics. A turn with `tap`
sends the payload of the button of that title in the previous answer (its `say` when there is none).

Prints the failures, the results by style, capability and tag, and as the last line a JSON object:
  turns, follow_ups, first_turns   share of scored turns passing (null when none)
  counts                           {"turns": [passed, scored], ...}
  non_english                      the same three shares without the conversations of style "english"
  by_style, by_capability          share of scored turns passing
Exit code 0 when the set was played (whatever the figures), 2 when the input is unusable.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import secrets
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.cli import EXIT_OK, Command, UsageError
from bot.config import AppConfig
from bot.testing.sandbox import sandbox_database

EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "config.example.toml"
CONVERSATION_FILES = ("conversations.jsonl", "conversations-dev.jsonl")
DATA_FOLDERS = ("data", "conversations-data", "conversations-dev-data")
NEWS_KEYS = ("title", "summary", "body", "category", "published_at", "by", "link", "image_url")
ANSWER_EXCERPT = 300


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics (đ = d): how answers and expectations are compared."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def passes(answer: str, must_any: list[str], must_not: list[str]) -> bool:
    said = fold(answer)
    return any(fold(m) in said for m in must_any) and not any(fold(m) in said for m in must_not)


@dataclass
class TurnResult:
    conversation: str
    index: int
    say: str
    style: str
    capability: str
    tags: list[str]
    follow_up: bool
    scored: bool
    passed: bool
    answer: str


@dataclass
class Tally:
    passed: int = 0
    scored: int = 0

    def add(self, ok: bool) -> None:
        self.passed += ok
        self.scored += 1

    def share(self) -> float | None:
        return round(self.passed / self.scored, 4) if self.scored else None

    def show(self) -> str:
        return f"{100.0 * self.passed / self.scored:5.1f}% ({self.passed}/{self.scored})" if self.scored else "  n/a"


@dataclass
class Figures:
    turns: Tally = field(default_factory=Tally)
    follow_ups: Tally = field(default_factory=Tally)
    first_turns: Tally = field(default_factory=Tally)

    def add(self, r: TurnResult) -> None:
        self.turns.add(r.passed)
        if r.follow_up:
            self.follow_ups.add(r.passed)
        if r.index == 0:
            self.first_turns.add(r.passed)

    def shares(self) -> dict[str, float | None]:
        return {"turns": self.turns.share(), "follow_ups": self.follow_ups.share(),
                "first_turns": self.first_turns.share()}


# --- input ---------------------------------------------------------------------------------------------

def locate(path: Path, data: Path | None) -> tuple[Path, Path]:
    """The conversations file and the data folder from DIR (or FILE [DATA])."""
    if path.is_dir():
        file = next((path / n for n in CONVERSATION_FILES if (path / n).is_file()), None)
        if file is None:
            raise UsageError([f"{path}: holds none of {', '.join(CONVERSATION_FILES)}"])
    elif path.is_file():
        file = path
    else:
        raise UsageError([f"{path}: no such file or folder"])
    if data is None:
        data = next((file.parent / n for n in DATA_FOLDERS if (file.parent / n).is_dir()), file.parent)
    if not data.is_dir():
        raise UsageError([f"{data}: not a folder"])
    return file, data


def read_conversations(file: Path) -> list[dict[str, Any]]:
    conversations, problems = [], []
    for n, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            c = json.loads(raw)
        except json.JSONDecodeError as e:
            problems.append(f"{file}:{n}: not valid JSON: {e.msg}")
            continue
        turns = c.get("turns") if isinstance(c, dict) else None
        if not isinstance(turns, list) or not turns or not all(
                isinstance(t, dict) and isinstance(t.get("say"), str) for t in turns):
            problems.append(f"{file}:{n}: needs \"turns\", each with a \"say\" text")
            continue
        conversations.append(c)
    if problems:
        raise UsageError(problems)
    return conversations


async def load_seed_data(config: AppConfig, data: Path, clock: Callable[[], datetime]) -> None:
    """Dossiers and căn cước results through the importers, news through the news command (each feature's
    command, as `python -m bot` runs it)."""
    from bot.cli import all_commands

    run_command = {c.name: c.run for c in all_commands()}
    quiet = io.StringIO()
    for kind, name in (("dossiers", "dossiers.csv"), ("id-cards", "id-cards.csv")):
        if (data / name).is_file():
            with contextlib.redirect_stdout(quiet):
                await run_command["import"](config, argparse.Namespace(kind=kind, file=str(data / name), clock=clock))
    news = data / "news.jsonl"
    if news.is_file():
        for line in news.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            args = argparse.Namespace(news_command="add", body_file=None, clock=clock,
                                      **{k: item.get(k) or None for k in NEWS_KEYS})
            with contextlib.redirect_stdout(quiet):
                await run_command["news"](config, args)


# --- playing -------------------------------------------------------------------------------------------

def _answer_parts(messages: list[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    """The whole answer as text, and the tappable titles → payloads."""
    parts: list[str] = []
    taps: dict[str, str] = {}
    for m in messages:
        if m.get("text"):
            parts.append(m["text"])
        attachment = (m["body"].get("message", {}).get("attachment") or {}).get("payload") or {}
        for b in m.get("buttons") or []:
            parts.append(b.get("title", ""))
            if isinstance(b.get("payload"), str):
                taps.setdefault(b["title"], b["payload"])
        for el in attachment.get("elements") or []:
            parts.append(el.get("title", ""))
            action = (el.get("default_action") or {}).get("payload")
            if isinstance(action, str):
                taps.setdefault(el.get("title", ""), action)
    return "\n".join(parts), taps


async def play(config: AppConfig, conversations: list[dict[str, Any]]) -> list[TurnResult]:
    from bot.runtime import RUNTIME
    from bot.testing.sandbox import start_sandbox

    sandbox = await start_sandbox(config, background=False, demo=False)  # the eval's own key and seed data
    client, runtime = sandbox.client, sandbox.runner.app[RUNTIME]
    results: list[TurnResult] = []
    try:
        for n, c in enumerate(conversations):
            user = f"eval-{n}-{secrets.token_hex(4)}"
            seen = 0
            taps: dict[str, str] = {}  # button title → its payload, from the last answer
            for i, turn in enumerate(c["turns"]):
                text = taps.get(turn.get("tap") or "", turn["say"])
                await client.say(user, text)
                await runtime.drain()
                new = client.messages(user, seen)
                if new:
                    seen = new[-1]["seq"]
                answer, taps = _answer_parts(new)
                must_any, must_not = turn.get("must_any") or [], turn.get("must_not") or []
                results.append(TurnResult(
                    conversation=str(c.get("id", n)), index=i, say=turn["say"], style=str(c.get("style", "")),
                    capability=str(c.get("capability", "")), tags=list(c.get("tags") or []),
                    follow_up=bool(turn.get("follow_up")), scored=bool(must_any),
                    passed=bool(must_any) and passes(answer, must_any, must_not), answer=answer))
    finally:
        await sandbox.close()
    return results


# --- report --------------------------------------------------------------------------------------------

def report(results: list[TurnResult]) -> dict[str, Any]:
    scored = [r for r in results if r.scored]
    every, non_english = Figures(), Figures()
    by_style: dict[str, Tally] = defaultdict(Tally)
    by_capability: dict[str, Tally] = defaultdict(Tally)
    by_tag: dict[str, Tally] = defaultdict(Tally)
    for r in scored:
        every.add(r)
        if r.style != "english":
            non_english.add(r)
        by_style[r.style].add(r.passed)
        by_capability[r.capability].add(r.passed)
        for tag in r.tags:
            by_tag[tag].add(r.passed)
    failures = [r for r in scored if not r.passed]
    print(f"failed turns ({len(failures)}):" if failures else "failed turns: none")
    for r in failures:
        excerpt = " ".join(r.answer.split())[:ANSWER_EXCERPT]
        print(f"  {r.conversation} turn {r.index + 1}{' (follow-up)' if r.follow_up else ''}: {r.say!r}")
        print(f"      got: {excerpt!r}")
    print(f"conversations: {len({r.conversation for r in results})}, scored turns: {len(scored)}")
    for label, figures in (("all", every), ("non-English", non_english)):
        print(f"{label:<12} turns {figures.turns.show()}  follow-ups {figures.follow_ups.show()}  "
              f"first turns {figures.first_turns.show()}")
    for title, table in (("per style", by_style), ("per capability", by_capability), ("per tag", by_tag)):
        print(f"{title}:")
        for key in sorted(table):
            print(f"  {key:<28} {table[key].show()}")
    return {
        **every.shares(),
        "counts": {k: [t.passed, t.scored] for k, t in (("turns", every.turns), ("follow_ups", every.follow_ups),
                                                          ("first_turns", every.first_turns))},
        "non_english": non_english.shares(),
        "by_style": {k: v.share() for k, v in sorted(by_style.items())},
        "by_capability": {k: v.share() for k, v in sorted(by_capability.items())},
    }


def eval_config(config: AppConfig, folder: Path) -> AppConfig:
    """The configuration on a fresh SQLite file, with a hashing key of its own when none is set."""
    database = config.database.model_copy(update={"url": f"sqlite+aiosqlite:///{folder / 'eval.sqlite3'}"})
    privacy = config.privacy
    if not privacy.hash_key:
        privacy = privacy.model_copy(update={"hash_key": secrets.token_hex(32)})
    server = config.server.model_copy(update={"port": 0})
    return config.model_copy(update={"database": database, "privacy": privacy, "server": server,
                                     "log_level": "WARNING"})


async def evaluate(config: AppConfig, path: Path, data: Path | None, clock: Callable[[], datetime],
                   flows: Path | None = None) -> dict[str, Any]:
    """Play and grade the set (the report printed); its summary. `flows`: a folder of flow files to run
    instead of the configured ones (a draft)."""
    file, data = locate(path, data)
    conversations = read_conversations(file)
    with tempfile.TemporaryDirectory(prefix="motcua-eval-") as tmp:
        cfg = eval_config(config, Path(tmp))
        if flows is not None:
            cfg = cfg.model_copy(update={"flows": cfg.flows.model_copy(update={"path": str(flows)})})
        # The sandbox keeps to a database file of its own beside the configured one: seed that file.
        seeded = cfg.database.model_copy(update={"url": sandbox_database(cfg.database.url)})
        await load_seed_data(cfg.model_copy(update={"database": seeded}), data, clock)
        results = await play(cfg, conversations)
    print(f"conversation eval: {file}")
    return report(results)


async def run(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.logs import setup_logging

    setup_logging("WARNING")  # the report is the output; the service's info lines would drown it
    summary = await evaluate(config, Path(args.path), Path(args.data) if args.data else None, args.clock)
    print(json.dumps(summary, ensure_ascii=False))
    return EXIT_OK


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="a folder with conversations.jsonl and its data, or the .jsonl file itself")
    p.add_argument("data", nargs="?", help="the seed data folder (dossiers.csv, id-cards.csv, news.jsonl)")
    p.set_defaults(config=str(EXAMPLE_CONFIG))


COMMANDS = [Command("eval-conversations", "play scripted conversations through the bot and grade them",
                    _args, run)]
