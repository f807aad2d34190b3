"""The flow editor's console pages: the drafts and what they change, texts per feature and language,
each file raw, history and roll back, scores before publishing, and the "Thử" pane."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console.pages import ConsolePages, NavItem, Route
from bot.console.web import PREFIX, client_ip, engine_of, now_of, render, staff_of, state
from bot.editor import conversation_score, drafts, forms, toml_edit
from bot.editor.conversation_score import ConversationScores
from bot.editor.trial import Trial
from bot.errors import InvalidInput, NotFound
from bot.flowchecks import allowed_placeholders
from bot.runtime import RUNTIME
from bot.services import build_services
from flows.tomlfile import FlowFiles
from storage import flow_versions as repo

TRIAL = web.AppKey("flow_trial", Trial)
SCORES = web.AppKey("flow_conversation_scores", dict[str, ConversationScores])
MEMO_SIZE = 8
EDITORS = frozenset({"admin"})
APPROVERS = frozenset({"admin", "approver"})  # approvers see the drafts and approve them, but do not edit
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def language_of(kind: str) -> str:
    return "en" if kind.endswith(".en.toml") else "vi"


KIND_NAMES = {"catalog": "Danh mục thủ tục", "lexicon": "Từ điển: viết tắt, phương ngữ, câu gợi ý ý định",
              "conversation": "Hội thoại: từ hỏi về giấy tờ, lệ phí, thời gian…", "details": "Chi tiết từng chủ đề",
              "facts": "Xác minh dữ kiện của phường: điện thoại, địa chỉ, giờ làm việc, thôn"}


def describe(kind: str) -> str:
    """What an admin knows the file as: "Câu trả lời · procedures · English"."""
    stem = kind.removesuffix(".toml").removesuffix(".en")
    name = f"Câu trả lời · {feature_of(kind)}" if stem.startswith("texts") else KIND_NAMES.get(stem, stem)
    with_language = kind.endswith(".en.toml") or stem.startswith("texts")
    return f"{name} · {LANGUAGE_NAMES[language_of(kind)]}" if with_language else name


def feature_of(kind: str) -> str:
    """texts-procedures.en.toml → procedures; texts.toml → chung (the core's texts)."""
    stem = kind.removesuffix(".toml").removesuffix(".en")
    return stem.removeprefix("texts-") if stem.startswith("texts-") else "chung"


async def _publish_now(request: web.Request) -> None:
    """This process serves a publish at once; the others within their poll interval."""
    await request.config_dict[RUNTIME].flow_config.check()


def _back(path: str, **query: str) -> web.HTTPFound:
    return web.HTTPFound(f"{PREFIX}{path}" + (f"?{urlencode(query)}" if query else ""))


# --- overview, publish, history ----------------------------------------------------------------------

def _set_key(ws: drafts.Workspace) -> str:
    """Names what would run if the drafts were published, for the played-conversations memo."""
    return hashlib.sha256(json.dumps([ws.numbers, ws.draft_contents], sort_keys=True).encode()).hexdigest()


async def conversation_scores(request: web.Request, ws: drafts.Workspace, *,
                              play: bool) -> ConversationScores | str | None:
    """The draft and the active set played on `[flows] eval_conversations` (a few seconds each, in a child
    process), remembered per set; None when not configured or (without `play`) not played yet; a string
    when the set could not be played."""
    config = state(request).config
    if not config.flows.eval_conversations or not ws.drafts or ws.problems:
        return None
    memo = request.config_dict[SCORES]
    key = _set_key(ws)
    if key not in memo and play:
        try:
            memo[key] = await conversation_score.compare(config, ws.active, ws.files)
        except RuntimeError as e:
            return str(e)
        while len(memo) > MEMO_SIZE:
            memo.pop(next(iter(memo)))
    return memo.get(key)


async def overview(request: web.Request, *, status: int = 200, error: list[str] | None = None,
                   play: bool = False) -> web.StreamResponse:
    config = state(request).config
    ws = await drafts.workspace(engine_of(request), config)
    scores: list[drafts.Comparison] = []
    score_problems: list[str] = []
    if ws.drafts and not ws.problems:
        scores, score_problems = drafts.compare_scores(config, ws.active, ws.files)
    conversations = await conversation_scores(request, ws, play=play)
    async with engine_of(request).connect() as conn:
        recent = await repo.history(conn, limit=10)
    dropped = any(s.dropped for s in scores) or (isinstance(conversations, ConversationScores)
                                                 and conversations.dropped)
    return await render(request, "flows.html", status=status, title="Cấu hình bot", ws=ws, scores=scores,
                        score_problems=score_problems, dropped=dropped, error=error or [], conversations=conversations,
                        can_play=bool(config.flows.eval_conversations),
                        recent=recent, approval=config.console.flow_approval_required,
                        can_edit=staff_of(request).can("flows.edit"),
                        can_approve=staff_of(request).can("flows.approve"), describe=describe,
                        done=request.query.get("done", ""))


async def overview_page(request: web.Request) -> web.StreamResponse:
    return await overview(request)


async def play_conversations(request: web.Request) -> web.StreamResponse:
    return await overview(request, play=True)


async def publish(request: web.Request) -> web.StreamResponse:
    staff = staff_of(request)
    config = state(request).config
    form = await request.post()
    ws = await drafts.workspace(engine_of(request), config)
    if ws.drafts and not ws.problems and form.get("accept_drop") != "1":
        scores, _ = drafts.compare_scores(config, ws.active, ws.files)
        played = await conversation_scores(request, ws, play=True)
        if any(s.dropped for s in scores) or (isinstance(played, ConversationScores) and played.dropped):
            return await overview(request, status=422, error=[
                "accept_drop: the draft scores lower on the labelled messages or conversations; tick the box to "
                "publish anyway"])
    try:
        outcome = await drafts.publish(engine_of(request), config, staff.name, now_of(request), client_ip(request))
    except InvalidInput as e:
        return await overview(request, status=422, error=e.problems)
    if outcome == "published":
        await _publish_now(request)
    raise _back("/flows", done=outcome)


async def approve(request: web.Request) -> web.StreamResponse:
    ws = await drafts.workspace(engine_of(request), state(request).config, check=False)
    if not ws.drafts or any(d.status != "pending" for d in ws.drafts):
        return await overview(request, status=422, error=[
            "approval: no change is waiting for approval, or a draft changed since it was asked for"])
    return await publish(request)


async def discard(request: web.Request) -> web.StreamResponse:
    await drafts.discard(engine_of(request), request.match_info["kind"], staff_of(request).name, now_of(request),
                         client_ip(request))
    raise _back("/flows")


async def rebase(request: web.Request) -> web.StreamResponse:
    await drafts.rebase(engine_of(request), request.match_info["kind"], staff_of(request).name, now_of(request),
                        client_ip(request))
    raise _back("/flows")


async def history(request: web.Request) -> web.StreamResponse:
    kind = request.match_info["kind"]
    async with engine_of(request).connect() as conn:
        versions = await repo.history(conn, kind)
        active = (await repo.active_numbers(conn)).get(kind)
    if not versions:
        raise web.HTTPNotFound(text=f"kind: {kind} is not part of the flow configuration")
    return await render(request, "flow_history.html", title=f"Lịch sử {kind}", kind=kind, versions=versions,
                        active=active)


async def rollback(request: web.Request) -> web.StreamResponse:
    kind = request.match_info["kind"]
    try:
        number = int(request.match_info["number"])
        await drafts.rollback(engine_of(request), state(request).config, kind, number, staff_of(request).name,
                              now_of(request), client_ip(request))
    except (ValueError, NotFound) as e:
        raise web.HTTPNotFound(text=str(e)) from None
    except InvalidInput as e:
        return await overview(request, status=422, error=e.problems)
    await _publish_now(request)
    raise _back("/flows", done="rolled_back")


# --- raw TOML ----------------------------------------------------------------------------------------

async def raw(request: web.Request, *, status: int = 200, content: str | None = None,
              problems: list[str] | None = None) -> web.StreamResponse:
    kind = request.match_info["kind"]
    ws = await drafts.workspace(engine_of(request), state(request).config)
    if kind not in ws.active:
        raise web.HTTPNotFound(text=f"kind: {kind} is not part of the flow configuration")
    return await render(request, "flow_raw.html", status=status, title=kind, kind=kind,
                        content=content if content is not None else ws.files[kind],
                        problems=problems if problems is not None else ws.problems_of(kind),
                        others=[p for p in ws.problems if p not in ws.problems_of(kind)],
                        diff=ws.diff(kind), draft=next((d for d in ws.drafts if d.kind == kind), None),
                        number=ws.numbers.get(kind))


async def raw_page(request: web.Request) -> web.StreamResponse:
    return await raw(request)


async def save_raw(request: web.Request) -> web.StreamResponse:
    kind = request.match_info["kind"]
    form = await request.post()
    content = str(form.get("content", ""))
    try:
        await drafts.save(engine_of(request), state(request).config, kind, content, staff_of(request).name,
                          now_of(request), str(form.get("comment", ""))[:500], client_ip(request))
    except NotFound as e:
        raise web.HTTPNotFound(text=str(e)) from None
    except InvalidInput as e:
        return await raw(request, status=422, content=content, problems=e.problems)
    raise _back(f"/flows/raw/{kind}")


# --- texts -------------------------------------------------------------------------------------------

def text_entries(ws: drafts.Workspace, language: str, feature: str, query: str) -> list[dict[str, Any]]:
    allowed = allowed_placeholders(FlowFiles.from_folder())
    needle = query.strip().lower()
    out = []
    for kind in ws.files.matching("texts*.toml"):
        if language_of(kind) != language or (feature and feature_of(kind) != feature):
            continue
        texts = forms.parsed(ws.files, kind).get("texts") or {}
        running = forms.parsed(ws.active, kind).get("texts") or {}
        for key, value in texts.items():
            if needle and needle not in key.lower() and needle not in str(value).lower():
                continue
            mine = [p.split(": ", 2)[-1] for p in ws.problems if p.startswith(f"{kind}: texts.{key}:")]
            out.append({"kind": kind, "key": key, "value": str(value), "feature": feature_of(kind),
                        "placeholders": sorted(allowed.get(key, ())), "problems": mine,
                        "drafted": kind in ws.draft_contents and str(value) != running.get(key)})
    return out


async def texts_page(request: web.Request, *, status: int = 200, error: list[str] | None = None) -> web.StreamResponse:
    q = request.query
    language = q.get("lang", "vi") if q.get("lang") in LANGUAGE_NAMES else "vi"
    feature, query = q.get("feature", ""), q.get("q", "")
    ws = await drafts.workspace(engine_of(request), state(request).config)
    features = sorted({feature_of(k) for k in ws.active.matching("texts*.toml")})
    return await render(request, "flow_texts.html", status=status, title="Câu trả lời của bot", language=language,
                        languages=LANGUAGE_NAMES, feature=feature, features=features, query=query,
                        entries=text_entries(ws, language, feature, query), error=error or [])


async def save_text(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    kind, key, value = str(form.get("kind", "")), str(form.get("key", "")), str(form.get("value", ""))
    config = state(request).config
    ws = await drafts.workspace(engine_of(request), config, check=False)
    if kind not in ws.files or not kind.startswith("texts"):
        raise web.HTTPNotFound(text=f"kind: {kind} is not a texts file")
    try:
        content = toml_edit.set_text(kind, ws.files[kind], key, value.replace("\r\n", "\n"))
        await drafts.save(engine_of(request), config, kind, content, staff_of(request).name, now_of(request),
                          f"texts.{key}", client_ip(request))
    except InvalidInput as e:
        return await texts_page(request, status=422, error=e.problems)
    raise web.HTTPFound(f"{PREFIX}/flows/texts?{urlencode({'lang': language_of(kind), 'q': key})}#text-{key}")


# --- the "Thử" pane ------------------------------------------------------------------------------------

def _trial_user(request: web.Request) -> str:
    return f"thu-{staff_of(request).name}"


async def try_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.StreamResponse:
    trial = request.config_dict[TRIAL]
    ws = await drafts.workspace(engine_of(request), state(request).config)
    return await render(request, "flow_try.html", status=status, title="Thử bản nháp", ws=ws, error=error,
                        conversation=trial.conversation(_trial_user(request)))


async def try_say(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    text = str(form.get("text", "")).strip()[:2000]
    shown = str(form.get("shown", "")).strip()[:200] or None
    if not text:
        return await try_page(request, status=422, error="text: type a message")
    config = state(request).config
    ws = await drafts.workspace(engine_of(request), config)
    if ws.problems:
        return await try_page(request, status=422, error="drafts: fix the problems before trying the draft")
    await request.config_dict[TRIAL].say(_trial_user(request), text, build_services(config, ws.files), shown)
    raise web.HTTPFound(f"{PREFIX}/flows/try#end")


def add_trial(app: web.Application) -> None:
    """The trial sandbox, opened at the first try, and the played-conversations memo (bot/app.py calls
    this for the main application)."""
    from bot import api

    trial = Trial(app[api.CONFIG])
    app[TRIAL] = trial
    app[SCORES] = {}

    async def close(app: web.Application) -> None:
        await trial.close()

    app.on_cleanup.append(close)


def _routes(*spec: tuple[str, str, Callable[..., Any], str]) -> tuple[Route, ...]:
    return tuple(Route(m, p, h, perm) for m, p, h, perm in spec)


PAGES = ConsolePages(
    permissions={"flows.view": APPROVERS, "flows.edit": EDITORS, "flows.approve": APPROVERS},
    routes=_routes(
        ("GET", "/flows", overview_page, "flows.view"),
        ("POST", "/flows/publish", publish, "flows.edit"),
        ("POST", "/flows/play", play_conversations, "flows.view"),
        ("POST", "/flows/approve", approve, "flows.approve"),
        ("POST", "/flows/discard/{kind}", discard, "flows.edit"),
        ("POST", "/flows/rebase/{kind}", rebase, "flows.edit"),
        ("GET", "/flows/history/{kind}", history, "flows.view"),
        ("POST", "/flows/rollback/{kind}/{number}", rollback, "flows.edit"),
        ("GET", "/flows/raw/{kind}", raw_page, "flows.view"),
        ("POST", "/flows/raw/{kind}", save_raw, "flows.edit"),
        ("GET", "/flows/texts", texts_page, "flows.edit"),
        ("POST", "/flows/texts", save_text, "flows.edit"),
        ("GET", "/flows/try", try_page, "flows.edit"),
        ("POST", "/flows/try", try_say, "flows.edit"),
    ),
    nav=(NavItem("flows.view", "/flows", "Cấu hình bot"),),
    templates=Path(__file__).with_name("templates"),
)
