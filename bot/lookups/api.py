"""Push API for an integration: `POST /api/v1/dossiers` (scope "dossiers") and `POST /api/v1/id-cards`
(scope "id_cards"), body `{"items": [record, ...]}` with the fields of bot.lookups.validate's models.

A batch is all or nothing: any invalid item gets 422 naming `items.<index>.<field>` and nothing is
stored. Sending the same batch again changes nothing (upsert by dossier code / receipt number).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api import CONFIG, authenticate, error, read_json
from bot.lookups.sync import store_records
from bot.lookups.validate import validate
from bot.runtime import RUNTIME

MAX_ITEMS = 1000


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ITEMS)


async def _receive(request: web.Request, kind: str, scope: str) -> web.Response:
    client = authenticate(request, scope)
    batch = await read_json(request, Batch)
    rt = request.app[RUNTIME]
    if rt.services.hasher is None:
        raise error(503, "lookups are not configured on this server (privacy.hash_key)")
    imports = request.app[CONFIG].imports
    labels = imports.dossier_statuses if kind == "dossier" else imports.id_card_statuses
    valid, problems, duplicates = validate(kind, list(enumerate(batch.items)), labels)
    if problems:
        raise error(422, "invalid records; nothing was stored",
                    [f"items.{p.item}{'.' + p.field if p.field else ''}: {p.reason}" for p in problems])
    async with rt.engine.begin() as conn:
        report = await store_records(conn, kind, [r for _, r in valid], rt.services, f"api:{client.name}",
                                     rt.clock())
    if report.notified:
        rt.sender.wake()
    return web.json_response({"ok": True, **report.to_dict(), "duplicates": len(duplicates)})


async def post_dossiers(request: web.Request) -> web.Response:
    return await _receive(request, "dossier", "dossiers")


async def post_id_cards(request: web.Request) -> web.Response:
    return await _receive(request, "id_card", "id_cards")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/dossiers", post_dossiers)
    app.router.add_post("/api/v1/id-cards", post_id_cards)
