"""The console's "Dạy bot" page: residents' unanswered and "did you mean" messages grouped by similarity,
each group with a form that adds its wording to a draft (an informal name of a procedure, or a cue of an
intent)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import PREFIX, client_ip, engine_of, now_of, render, staff_of, state
from bot.editor import teach
from bot.editor.pages import describe
from bot.errors import InvalidInput
from bot.runtime import RUNTIME

GROUPS_SHOWN = 60  # the largest groups; the rest are the long tail of one-off messages


async def teach_page(request: web.Request, *, status: int = 200, error: list[str] | None = None,
                     failed: str = "") -> web.StreamResponse:
    services = request.config_dict[RUNTIME].flow_config.services  # the published understanding
    groups = await teach.groups(engine_of(request), state(request).config, services.understander, now_of(request))
    procedures = sorted(services.catalog.procedures, key=lambda p: p.short_name)
    names = {p.slug: p.short_name for p in procedures}
    rows = [{"group": g, "suggested": teach.suggestions(services.understander, g.text)}
            for g in groups[:GROUPS_SHOWN]]
    return await render(request, "flow_teach.html", status=status, title="Dạy bot từ câu hỏi của người dân",
                        rows=rows, total=sum(g.count for g in groups), hidden=max(0, len(groups) - GROUPS_SHOWN),
                        procedures=procedures, names=names, cues=teach.CUES, error=error or [], failed=failed,
                        done=request.query.get("done", ""),
                        days=state(request).config.privacy.conversation_retention_days)


async def teach_get(request: web.Request) -> web.StreamResponse:
    return await teach_page(request)


async def teach_post(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    target, phrase = str(form.get("target", "")), str(form.get("phrase", ""))
    try:
        kind, added = await teach.teach(engine_of(request), state(request).config, target, phrase,
                                        staff_of(request).name, now_of(request), client_ip(request))
    except InvalidInput as e:
        return await teach_page(request, status=422, error=e.problems, failed=str(form.get("group", "")))
    raise web.HTTPFound(f"{PREFIX}/flows/teach?{urlencode({'done': f'“{added}” → {describe(kind)}'})}")


PAGES = ConsolePages(
    routes=(Route("GET", "/flows/teach", teach_get, "flows.edit"),
            Route("POST", "/flows/teach", teach_post, "flows.edit")),
    templates=Path(__file__).with_name("templates"),
)
