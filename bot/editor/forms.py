"""What the form editors (menu, procedures, lexicon) share: the draft set's problems sorted by the field
they name, textarea lines, storing one file's edit as its draft, and reading a sentence with the active
set and with the draft to compare them."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.config import AppConfig
from bot.console.web import client_ip, engine_of, now_of, staff_of, state
from bot.editor import drafts
from bot.services import CONFIG_ERRORS, build_services
from flows.text.canon import BREAK
from flows.tomlfile import FlowFiles

TOP = 3  # procedures shown per reading: the "Có phải bạn muốn hỏi…" list shows as many
INTENT_NAMES = {
    "procedure": "hỏi thủ tục", "browse": "xem danh sách thủ tục", "contact": "hỏi giờ làm việc, liên hệ",
    "dossier_lookup": "tra cứu hồ sơ", "id_card_lookup": "tra cứu căn cước", "greeting": "chào hỏi",
    "handoff": "gặp cán bộ", "news": "tin tức", "subscribe": "nhận thông báo", "unsubscribe": "thôi nhận thông báo",
    "wednesday_info": "ngày thứ Tư không hẹn", "out_of_scope": "ngoài phạm vi, bot không hiểu",
}


def problems_under(problems: Iterable[str], prefix: str) -> dict[str, list[str]]:
    """The problems whose line starts with `prefix` (e.g. "catalog: procedure ho-tich/x"), by the field path
    after it ("fee_amount", "3.title"; "" for the whole place), each with its message."""
    out: dict[str, list[str]] = {}
    for line in problems:
        if not line.startswith(prefix):
            continue
        rest = line[len(prefix):].lstrip(".")
        if rest.startswith(": "):
            path, message = "", rest[2:]
        else:
            path, _, message = rest.partition(": ")
        out.setdefault(path, []).append(message)
    return out


def lines(value: str) -> list[str]:
    """A textarea's non-empty lines, trimmed: one list item each."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def parsed(files: FlowFiles, kind: str) -> dict[str, Any]:
    """The file's data, or {} when it is not valid TOML (the raw view is where that gets fixed)."""
    try:
        return tomllib.loads(files.get(kind, ""))
    except tomllib.TOMLDecodeError:
        return {}


async def save_edit(request: web.Request, ws: drafts.Workspace, kind: str, content: str, comment: str) -> list[str]:
    """Store a form's edit as the file's draft; an edit that changes nothing stores nothing. Returns the
    problems of the draft set with it; raises InvalidInput when nothing could be stored."""
    if content == ws.files[kind]:
        return ws.problems
    return await drafts.save(engine_of(request), state(request).config, kind, content, staff_of(request).name,
                             now_of(request), comment[:500], client_ip(request))


# --- "test a sentence" ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """How one configuration reads a sentence: its normalised words, the intent, the top procedures."""

    words: str
    intent: str  # as the admin reads it: "hỏi thủ tục (procedure)"
    top: list[tuple[str, str, float]]  # (slug, short name, score)
    problem: str = ""  # the configuration does not load: why


def read(config: AppConfig, files: FlowFiles, text: str) -> Reading:
    try:
        services = build_services(config, files)
    except CONFIG_ERRORS as e:
        return Reading("", "", [], problem=e.problems[0] if e.problems else "không đọc được cấu hình")
    understander = services.understander
    words = " ".join("·" if w == BREAK else w for w in understander.canon.canon(text))
    u = understander.understand(text)
    by_slug = services.catalog.by_slug
    top = [(slug, by_slug[slug].short_name if slug in by_slug else slug, score) for slug, score in u.procedures[:TOP]]
    return Reading(words, f"{INTENT_NAMES.get(u.intent, u.intent)} ({u.intent})", top)


def compare(request: web.Request, ws: drafts.Workspace, text: str) -> tuple[Reading, Reading] | None:
    """The sentence read by the active set and by the draft (None without a sentence)."""
    text = text.strip()[:500]
    if not text:
        return None
    config = state(request).config
    return read(config, ws.active, text), read(config, ws.files, text)
