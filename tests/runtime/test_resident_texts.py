"""Every kind of text a resident can be sent, scanned for glitches: placeholders left unfilled or filled
with nothing, empty list items, doubled lines or sentences, and the slips found under test.

Two sweeps: a conversation through the signed webhook that reaches every menu entry, every procedure card,
onboarding, a handoff and its end, and each kind of attachment; and the lookup answers rendered for every
status with every optional value missing (the case that read "từ chưa có" and "• chưa có").
"""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace
from typing import Any

import pytest

from bot.services import build_services
from flows.base import payload
from flows.lookups.answers import card_status, dossier_status
from storage.lookups.models import DOSSIER_STATUSES, ID_CARD_STATUSES
from tests.kit import BotHarness, Msg, make_config

SLIPS = [
    (re.compile(r"\{\w*\}"), "a placeholder left unfilled"),
    (re.compile(r"\(\s*\)|\[\s*\]|“\s*”|\"\s*\""), "empty brackets or quotes"),
    (re.compile(r"^\s*(•|-|\d+\.)\s*$", re.M), "an empty list item"),
    (re.compile(r"(từ|•|vào|ngày)\s+chưa có\b"), "a missing value read as a word in the sentence"),
    (re.compile(r"(?<=\S)  +(?=\S)"), "a double space (an empty value between words)"),
    (re.compile(r"\s[,;.](\s|$)"), "punctuation after an empty value"),
    (re.compile(r",\s*,|;\s*;"), "an empty item in a list"),
]
SENTENCE = re.compile(r"(?<=[.?!:])\s+|\n+")


def slips(text: str) -> list[str]:
    found = [f"{why}: {m.group()!r}" for pattern, why in SLIPS for m in pattern.finditer(text)]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found += [f"a line twice in a row: {a!r}" for a, b in itertools.pairwise(lines) if a == b]
    return found


def doubled_sentences(batch: list[str]) -> list[str]:
    """Sentences of four words or more said twice in one answer, e.g. "Bạn cần giúp gì?" after a handoff
    (shorter ones are labels, such as "Lựa chọn khác:" heading each further set of buttons)."""
    seen: set[str] = set()
    doubled = []
    for text in batch:
        for sentence in (s.strip() for s in SENTENCE.split(text)):
            if len(sentence.split()) >= 4 and sentence in seen:
                doubled.append(sentence)
            seen.add(sentence)
    return doubled


def problems_in(answers: list[tuple[str, list[str]]]) -> list[str]:
    problems = []
    for asked, batch in answers:
        problems += [f"{asked!r} → {slip}" for text in batch for slip in slips(text)]
        problems += [f"{asked!r} → said twice: {s!r}" for s in doubled_sentences(batch)]
    return problems


def all_texts(msgs: list[Msg]) -> list[str]:
    """A message's text and the titles and subtitles of its list items, as the resident reads them."""
    out = []
    for m in msgs:
        out.append(m.text)
        out += [str(e.get(k)) for e in m.elements for k in ("title", "subtitle") if e.get(k)]
    return [t for t in out if t]


async def test_no_conversation_answer_has_an_empty_placeholder_or_a_doubled_line(db_url: str) -> None:
    async with BotHarness.start(db_url, worker={"per_resident_limit_per_minute": 1000}) as bot:
        await sweep(bot)


async def sweep(bot: BotHarness) -> None:
    chat = bot.resident("sweep")
    answers: list[tuple[str, list[str]]] = []

    async def record(asked: str, msgs: list[Msg]) -> list[Msg]:
        answers.append((asked, all_texts(msgs)))
        return msgs

    async def say(text: str) -> list[Msg]:
        return await record(text, await chat.say(text))

    await record("follow", await chat.follow())
    for title in ("Thôn Một", "Tất cả chủ đề", "Bỏ qua"):  # onboarding to its end
        await record(title, await chat.click(title))
    done = answers[-2][1] + answers[-1][1]
    assert any("Thủ tục hành chính, Thứ Tư không hẹn; " in t for t in done), "topics joined by commas"

    menu = await say("menu")
    entries = [p for m in menu for _, p in m.buttons if isinstance(p, str)]
    for entry in entries:
        for m in await say(entry):  # each entry, then each of its own buttons once
            for _, p in m.buttons:
                if isinstance(p, str) and p.startswith("#") and "handoff" not in p:
                    await say(p)
        await say("menu")
    for slug in bot.runtime.services.catalog.by_slug:
        await say(payload("proc", "card", slug))
    await say(payload("handoff", "start"))
    await say("menu")  # the bot is back
    for kind in ("sticker", "image", "file", "location"):
        event = {"sticker": lambda: bot.events.sticker("sweep"),
                 "image": lambda: bot.events.image("sweep", "https://example.org/a.jpg"),
                 "file": lambda: bot.events.file("sweep", "https://example.org/a.pdf"),
                 "location": lambda: bot.events.location("sweep", 15.87, 108.36)}[kind]()
        answer = await record(kind, await chat.send(*event))
        if kind != "file":
            assert "tệp" not in answer[0].text, f"a {kind} called a file: {answer[0].text}"
    await say("đội tuyển mình tối nay đá mấy giờ")  # not understood

    assert len(answers) > 60
    assert problems_in(answers) == []


@pytest.mark.parametrize("commune", [{}, {"office_address": "", "office_phone": ""}], ids=["commune", "bare"])
def test_no_lookup_answer_has_an_empty_placeholder_whatever_is_missing(commune: dict[str, str]) -> None:
    """Also with no office address or phone configured (the sandbox's defaults read "bộ phận một cửa ()")."""
    services = build_services(make_config("sqlite+aiosqlite:///unused.sqlite3", "http://127.0.0.1:9", commune=commune))

    def text(key: str, **values: Any) -> str:
        return services.texts.get(key, **{**services.text_defaults, **values})

    bare = {"code": "H57.132-260804-0583", "procedure": "", "missing_papers": "", "result_on": None,
            "due_on": None, "received_on": None, "pickup_place": "", "ready_on": None}
    answers = [(f"dossier {s}", [dossier_status(text, SimpleNamespace(**bare, status=s), text("office_hours_unknown"))])
               for s in DOSSIER_STATUSES]
    answers += [(f"id card {s}", [card_status(text, SimpleNamespace(**bare, status=s))]) for s in ID_CARD_STATUSES]
    assert problems_in(answers) == []
