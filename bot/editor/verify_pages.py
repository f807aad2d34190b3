"""The console's "Cần xác minh" page: every figure residents are told with a caveat, each with its source,
to confirm or correct (published at once; see bot/editor/verify.py)."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import PREFIX, client_ip, engine_of, now_of, render, staff_of, state
from bot.editor import verify
from bot.errors import InvalidInput
from bot.runtime import RUNTIME


async def verify_page(request: web.Request, *, status: int = 200, error: list[str] | None = None,
                      failed: str = "", submitted: dict[str, str] | None = None) -> web.StreamResponse:
    watch = request.config_dict[RUNTIME].flow_config
    files = await verify.active_files(engine_of(request))
    figures = verify.catalog_figures(files[verify.CATALOG])
    procedures = [(title, list(items)) for title, items in groupby(figures, key=lambda f: (f.title, f.sources))]
    same_day, received = watch.services.catalog.wednesday_list()
    return await render(request, "flow_verify.html", status=status, title="Cần xác minh", procedures=procedures,
                        facts=verify.fact_figures(watch.services.commune), count=len(figures),
                        wednesday=(same_day, received), note=watch.services.catalog.note,
                        wednesday_verified=watch.services.catalog.wednesday_verified,
                        confirmed=verify.confirmations_of(files), error=error or [], failed=failed,
                        submitted=submitted or {},
                        done=request.query.get("done", ""))


async def verify_get(request: web.Request) -> web.StreamResponse:
    return await verify_page(request)


async def verify_post(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    key = str(form.get("key", ""))
    value = str(form.get("value", "")) if form.get("action") == "correct" else None
    try:
        done = await verify.settle(engine_of(request), state(request).config, key, value, str(form.get("source", "")),
                                   staff_of(request).name, now_of(request), client_ip(request))
    except InvalidInput as e:
        kept = {name: str(form.get(name, "")) for name in ("action", "value", "source")}  # typed again: not lost
        return await verify_page(request, status=422, error=e.problems, failed=key, submitted=kept)
    await request.config_dict[RUNTIME].flow_config.check()  # this process at once, the others within a poll
    outcome = "pending" if state(request).config.console.flow_approval_required else done.split(".")[1]
    raise web.HTTPFound(f"{PREFIX}/flows/verify?{urlencode({'done': outcome})}")


PAGES = ConsolePages(
    routes=(Route("GET", "/flows/verify", verify_get, "flows.edit"),
            Route("POST", "/flows/verify", verify_post, "flows.edit")),
    templates=Path(__file__).with_name("templates"),
)
