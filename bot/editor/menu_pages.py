"""The main menu as an ordered list of title + action per language, the action chosen from the commands
the registered flows start. Moving an entry up or down, removing or adding one is a form button each (no
JavaScript); every button stores the whole list as the texts file's draft, checked like any draft (both
languages' menus must offer the same commands)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import PREFIX, engine_of, render, state
from bot.editor import drafts, forms, toml_edit
from bot.editor.pages import LANGUAGE_NAMES
from bot.errors import InvalidInput
from bot.flowchecks import entry_points

Entry = tuple[str, str]  # (title, payload)


def kind_of(language: str) -> str:
    return "texts.toml" if language == "vi" else f"texts.{language}.toml"


def _language(request: web.Request) -> str:
    lang = request.query.get("lang", "vi")
    return lang if lang in LANGUAGE_NAMES else "vi"


def menu_of(data: dict[str, Any]) -> list[Entry]:
    return [(str(e.get("title", "")), str(e.get("payload", ""))) for e in data.get("menu") or [] if isinstance(e, dict)]


def actions(ws: drafts.Workspace) -> list[str]:
    """The registered entry points, and the payloads with an argument the menus already use
    ("#lang:set:en": the language switch is one command with the language as its argument)."""
    from bot.features import FEATURES  # the features list includes this one

    used = {p for lang in LANGUAGE_NAMES for _, p in menu_of(forms.parsed(ws.files, kind_of(lang)))}
    return sorted(set(entry_points([flow for f in FEATURES for flow in f.flows])) | used)


def apply(entries: list[Entry], op: str) -> list[Entry]:
    """The list after one button: "up-3", "down-3", "remove-3" or "save"."""
    name, _, index = op.partition("-")
    if not index.isdigit() or int(index) >= len(entries):
        return entries
    i = int(index)
    out = list(entries)
    if name == "remove":
        del out[i]
    elif name == "up" and i > 0:
        out[i - 1], out[i] = out[i], out[i - 1]
    elif name == "down" and i + 1 < len(out):
        out[i + 1], out[i] = out[i], out[i + 1]
    return out


async def page(request: web.Request, *, status: int = 200, entries: list[Entry] | None = None,
               error: list[str] | None = None) -> web.StreamResponse:
    language = _language(request)
    kind = kind_of(language)
    ws = await drafts.workspace(engine_of(request), state(request).config)
    mine = forms.problems_under(ws.problems, f"{kind}: menu")
    # The other language's menu problems concern this one too (the same commands in both).
    whole = [p for p in ws.problems if p.split(": ", 1)[0].startswith("texts") and ": menu: " in p]
    rows = []
    for i, (title, payload) in enumerate(entries if entries is not None else menu_of(forms.parsed(ws.files, kind))):
        rows.append({"title": title, "payload": payload,
                     "title_problems": mine.get(f"{i}.title", []) + mine.get(f"{i}", []),
                     "payload_problems": mine.get(f"{i}.payload", [])})
    # What each command does, in words: the title the running menu gives it.
    named = dict((p, t) for t, p in menu_of(forms.parsed(ws.active, kind)))
    return await render(request, "flow_menu.html", status=status, title="Menu", language=language,
                        languages=LANGUAGE_NAMES, rows=rows, actions=actions(ws), named=named, whole=whole,
                        error=error or [],
                        drafted=kind in ws.draft_contents, kind=kind, saved=request.query.get("saved") == "1")


async def menu_page(request: web.Request) -> web.StreamResponse:
    return await page(request)


async def save(request: web.Request) -> web.StreamResponse:
    language = _language(request)
    kind = kind_of(language)
    form = await request.post()
    titles = [str(t).strip() for t in form.getall("title", [])]
    payloads = [str(p).strip() for p in form.getall("payload", [])]
    entries = list(zip(titles, payloads, strict=False))
    new_title, new_payload = str(form.get("new_title", "")).strip(), str(form.get("new_payload", "")).strip()
    if new_title or new_payload:
        entries.append((new_title, new_payload))
    entries = apply(entries, str(form.get("op", "save")))
    ws = await drafts.workspace(engine_of(request), state(request).config)
    try:
        content = toml_edit.set_menu(kind, ws.files[kind], entries)
        problems = await forms.save_edit(request, ws, kind, content, "menu")
    except InvalidInput as e:
        return await page(request, status=422, entries=entries, error=e.problems)
    if any(": menu" in p and p.startswith("texts") for p in problems):
        return await page(request, status=422)
    raise web.HTTPFound(f"{PREFIX}/flows/menu?lang={language}&saved=1")


PAGES = ConsolePages(routes=(
    Route("GET", "/flows/menu", menu_page, "flows.edit"),
    Route("POST", "/flows/menu", save, "flows.edit"),
))
