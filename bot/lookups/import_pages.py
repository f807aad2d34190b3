"""Imports in the console: upload a one-stop or police export (CSV or XLSX), see a dry run (the column
mapping, new / changed / unchanged / rejected rows, who will be notified, every error as
`row N: 'Header' (field): reason`, masked samples), then commit or discard it. The file is read and
checked in a thread, never on the event loop; the draft is kept in the database, so any process can
commit it. The dry run stores the rows in a transaction that is rolled back: the preview is what the
commit will do."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console import audit
from bot.console.pages import Route
from bot.console.web import PREFIX, client_ip, engine_of, now_of, path_id, render, staff_of, state
from bot.lookups.checking import Checked, check_file
from bot.lookups.config import DOSSIER_FIELDS, ID_CARD_FIELDS
from bot.lookups.files import FileProblem
from bot.lookups.sync import SyncReport, store_rows
from bot.runtime import RUNTIME
from bot.services import Services
from storage.lookups import drafts

KINDS = {"dossier": "Hồ sơ một cửa", "id_card": "Kết quả căn cước"}
PERSONAL = frozenset({"phone", "id_number", "birth_date"})
SAMPLES = 3
CHUNK = 25  # rows stored per statement batch, so the loop gets a turn between batches
DATE_COLUMNS = frozenset({"received_on", "due_on", "result_on", "ready_on"})
RECENT = 20


def _mask(value: Any) -> str:
    text = str(value)
    return "*" * max(len(text) - 2, 1) + text[-2:] if len(text) > 4 else "*" * len(text)


@dataclass(frozen=True)
class Draft:
    rows: list[dict[str, Any]]  # as stored
    rows_json: str
    preview: dict[str, Any]


def _prepare(services: Services, config: Any, kind: str, path: Path, filename: str) -> Draft:
    """In a thread: read, check and hash the file's rows, and describe them."""
    checked: Checked = check_file(config.imports, kind, path)
    hasher = services.hasher
    assert hasher is not None
    rows = [r.to_row(hasher, f"import:{filename}"[:100]) for _, r in checked.valid]
    # One small dumps per row, not one big call: a C call holds the GIL, and the event loop with it.
    rows_json = "\n".join(json.dumps(r, default=_iso) for r in rows)
    fields = DOSSIER_FIELDS if kind == "dossier" else ID_CARD_FIELDS
    samples = [{f: (_mask(v) if f in PERSONAL else str(v)) for f, v in cells.items()}
               for _, cells in checked.rows[:SAMPLES]]
    preview = {"mapping": [[f, checked.headers.get(f)] for f in fields], "read": len(checked.rows),
               "valid": len(checked.valid), "rejected": checked.rejected, "duplicates": len(checked.duplicates),
               "problems": checked.problem_lines(), "samples": samples,
               "sample_fields": [f for f in fields if f in checked.headers]}
    return Draft(rows, rows_json, preview)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _rows_back(rows_json: str) -> list[dict[str, Any]]:
    """In a thread: a draft's rows (JSON lines) as `store_rows` takes them."""
    rows: list[dict[str, Any]] = [json.loads(line) for line in rows_json.splitlines() if line]
    for row in rows:
        for column in DATE_COLUMNS & row.keys():
            if row[column] is not None:
                row[column] = date.fromisoformat(row[column])
    return rows


async def _store(conn: AsyncConnection, kind: str, rows: list[dict[str, Any]], services: Services,
                 now: datetime) -> SyncReport:
    total = SyncReport(0, 0, 0, 0)
    for start in range(0, len(rows), CHUNK):
        r = await store_rows(conn, kind, rows[start:start + CHUNK], services, now)
        total = SyncReport(total.inserted + r.inserted, total.updated + r.updated, total.unchanged + r.unchanged,
                           total.notified + r.notified)
        await asyncio.sleep(0)
    return total


async def imports_page(request: web.Request, status: int = 200, problems: dict[str, list[str]] | None = None,
                       kind: str = "dossier") -> web.Response:
    async with engine_of(request).connect() as conn:
        recent = await drafts.latest(conn, RECENT)
    return await render(request, "imports.html", status=status, title="Nhập dữ liệu", kinds=KINDS, kind=kind,
                        recent=recent, problems=problems or {},
                        hash_missing=request.config_dict[RUNTIME].services.hasher is None)


async def show_imports(request: web.Request) -> web.StreamResponse:
    return await imports_page(request)


async def upload(request: web.Request) -> web.StreamResponse:
    staff, now, rt = staff_of(request), now_of(request), request.config_dict[RUNTIME]
    form = await request.post()
    kind = form.get("kind")
    upload = form.get("file")
    if kind not in KINDS:
        return await imports_page(request, 422, {"kind": [f"choose one of {', '.join(KINDS)}"]})
    assert isinstance(kind, str)
    if not isinstance(upload, web.FileField) or not upload.filename:
        return await imports_page(request, 422, {"file": ["choose a .csv or .xlsx file"]}, kind)
    if rt.services.hasher is None:
        return await imports_page(request, 409, {"file": [
            "privacy.hash_key is not set (MOTCUA_PRIVACY__HASH_KEY): records cannot be stored"]}, kind)
    filename = PurePath(upload.filename).name[:200]
    try:
        draft = await asyncio.to_thread(_read_upload, rt.services, state(request).config, kind, upload, filename)
    except FileProblem as e:
        return await imports_page(request, 422, {"file": [str(e)]}, kind)
    async with engine_of(request).connect() as conn:
        tx = await conn.begin()
        try:
            report = await _store(conn, kind, draft.rows, rt.services, now)
        finally:
            await tx.rollback()
    preview = {**draft.preview, **report.to_dict()}
    async with engine_of(request).begin() as conn:
        draft_id = await drafts.add(conn, {"kind": kind, "filename": filename, "created_by": staff.name,
                                           "created_at": now, "status": "draft", "rows": draft.rows_json,
                                           "preview": preview})
        await audit.record(conn, actor=staff.name, action="import.dry_run", target=f"import:{draft_id}", at=now,
                           ip=client_ip(request), after={"kind": kind, "filename": filename,
                                                         **{k: preview[k] for k in ("read", "rejected")}})
    raise web.HTTPFound(f"{PREFIX}/imports/{draft_id}")


def _read_upload(services: Services, config: Any, kind: str, upload: web.FileField, filename: str) -> Draft:
    with tempfile.TemporaryDirectory(prefix="motcua-import-") as folder:
        path = Path(folder) / filename  # errors name the file as the staff member knows it
        upload.file.seek(0)
        path.write_bytes(upload.file.read())
        return _prepare(services, config, kind, path, filename)


async def show_draft(request: web.Request, status: int = 200, problem: str | None = None) -> web.Response:
    async with engine_of(request).connect() as conn:
        draft = await drafts.get(conn, path_id(request, "import"))
    if draft is None:
        raise web.HTTPNotFound(text="this import does not exist")
    return await render(request, "import_draft.html", status=status, title=f"Nhập dữ liệu #{draft.id}",
                        draft=draft, p=draft.preview, kinds=KINDS, problem=problem)


async def draft_page(request: web.Request) -> web.StreamResponse:
    return await show_draft(request)


async def commit(request: web.Request) -> web.StreamResponse:
    staff, now, rt = staff_of(request), now_of(request), request.config_dict[RUNTIME]
    draft_id = path_id(request, "import")
    async with engine_of(request).begin() as conn:
        draft = await drafts.get(conn, draft_id)
        if draft is None:
            raise web.HTTPNotFound(text="this import does not exist")
        rows_json = await drafts.decide(conn, draft_id, "committed", staff.name, now)
        if rows_json is not None:
            rows = await asyncio.to_thread(_rows_back, rows_json)
            report = await _store(conn, draft.kind, rows, rt.services, now)
            await drafts.set_result(conn, draft_id, report.to_dict())
            await audit.record(conn, actor=staff.name, action="import.commit", target=f"import:{draft_id}", at=now,
                               ip=client_ip(request), after={"kind": draft.kind, **report.to_dict()})
    if rows_json is None:
        return await show_draft(request, 409, f"status: this import is already {draft.status}")
    rt.sender.wake()
    raise web.HTTPFound(f"{PREFIX}/imports/{draft_id}")


async def discard(request: web.Request) -> web.StreamResponse:
    staff, now = staff_of(request), now_of(request)
    draft_id = path_id(request, "import")
    async with engine_of(request).begin() as conn:
        draft = await drafts.get(conn, draft_id)
        if draft is None:
            raise web.HTTPNotFound(text="this import does not exist")
        done = await drafts.decide(conn, draft_id, "discarded", staff.name, now) is not None
        if done:
            await audit.record(conn, actor=staff.name, action="import.discard", target=f"import:{draft_id}", at=now,
                               ip=client_ip(request))
    if not done:
        return await show_draft(request, 409, f"status: this import is already {draft.status}")
    raise web.HTTPFound(f"{PREFIX}/imports/{draft_id}")


ROUTES = (Route("GET", "/imports", show_imports, "imports.run"),
          Route("POST", "/imports", upload, "imports.run"),
          Route("GET", "/imports/{id}", draft_page, "imports.run"),
          Route("POST", "/imports/{id}/commit", commit, "imports.run"),
          Route("POST", "/imports/{id}/discard", discard, "imports.run"))
