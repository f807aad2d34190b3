"""Imports in the console over HTTP: a messy export's dry run (mapping, counts, `row N: 'Header' (field):
reason` errors, masked samples) stores nothing; commit stores it once; re-importing changes nothing;
discard; roles; and the event loop stays responsive while a 5,000-row file is read and checked."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import re
from pathlib import Path

import aiohttp

from storage.lookups.models import Dossier
from tests.console.kit import Page, StaffClient, add_staff
from tests.lookups.kit import CODE_2, PHONE, lookup_bot, rows, write_csv
from tests.lookups.test_lookup_imports import DOSSIER_HEADER, messy_dossiers

CONSOLE = {"console": {"require_totp_for": []}}


def shown(page: Page, text: str) -> bool:
    """The text as the browser shows it (tags left out)."""
    return text in html.unescape(re.sub(r"<[^>]+>", "", page.text))


async def upload(staff: StaffClient, path: Path | None, kind: str = "dossier") -> Page:
    form = aiohttp.FormData()
    form.add_field("csrf_token", staff.csrf)
    form.add_field("kind", kind)
    if path is not None:
        form.add_field("file", await asyncio.to_thread(path.read_bytes), filename=path.name, content_type="text/csv")
    async with staff.http.post(staff.url("/console/imports"), data=form, headers={"Origin": staff.origin},
                               allow_redirects=False) as resp:
        return Page(resp.status, await resp.text(), resp.headers, resp.url)


async def test_dry_run_then_commit_and_reimport_changes_nothing(db_url: str, tmp_path: Path) -> None:
    async with lookup_bot(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "mot-cua", "desk")
        await add_staff(bot, "lan", "editor")
        await staff.login("mot-cua")
        assert (await staff.get("/console/imports")).status == 200
        file = messy_dossiers(tmp_path / "mot-cua.csv")

        missing = await upload(staff, None)
        assert missing.status == 422 and missing.has("file: choose a .csv or .xlsx file")
        wrong = await upload(staff, file, kind="passport")
        assert wrong.status == 422 and wrong.has("kind: choose one of dossier, id_card")
        pdf = tmp_path / "ket-qua.pdf"
        pdf.write_bytes(b"%PDF-1.4")
        bad = await upload(staff, pdf)
        assert bad.status == 422 and bad.has("file: ket-qua.pdf: unsupported file type .pdf; use .csv or .xlsx")

        draft = await upload(staff, file)
        assert draft.status == 302 and draft.location == "/console/imports/1"
        preview = await staff.get("/console/imports/1")
        assert shown(preview, "7 dòng đọc được: 1 mới · 0 thay đổi · 0 không đổi · 5 bị từ chối · 1 dòng trùng bỏ qua")
        assert preview.has("row 9: 'Trạng thái' (status): unknown status")
        assert preview.has("row 8: 'Mã hồ sơ' (code):")
        assert preview.has("bản nháp: chưa lưu gì") and preview.has("0 người dân đang theo dõi")
        assert not preview.has("0905 123 456") and not preview.has(PHONE) and preview.has("*56")
        assert await rows(bot, Dossier) == []  # the dry run stored nothing

        committed = await staff.post("/console/imports/1/commit")
        assert committed.status == 302
        result = await staff.get("/console/imports/1")
        assert result.has("đã lưu") and result.has("1 mới · 0 thay đổi · 0 không đổi")
        assert [r.code for r in await rows(bot, Dossier)] == [CODE_2]
        twice = await staff.post("/console/imports/1/commit")
        assert twice.status == 409 and twice.has("status: this import is already committed")

        assert (await upload(staff, file)).location == "/console/imports/2"
        again = await staff.get("/console/imports/2")
        assert shown(again, "7 dòng đọc được: 0 mới · 0 thay đổi · 1 không đổi · 5 bị từ chối")
        assert (await staff.post("/console/imports/2/commit")).status == 302
        assert (await staff.get("/console/imports/2")).has("0 mới · 0 thay đổi · 1 không đổi · 0 người dân được báo")
        stored = await rows(bot, Dossier)
        assert len(stored) == 1 and stored[0].source == "import:mot-cua.csv"

        assert (await upload(staff, file)).location == "/console/imports/3"
        assert (await staff.post("/console/imports/3/discard")).status == 302
        assert (await staff.get("/console/imports/3")).has("đã bỏ")
        assert (await staff.post("/console/imports/3/commit")).status == 409
        async with StaffClient(bot) as editor:
            await editor.login("lan")
            assert (await editor.get("/console/imports")).status == 403


async def test_loop_stays_responsive_while_5000_rows_are_read(db_url: str, tmp_path: Path) -> None:
    table = [DOSSIER_HEADER] + [[f"000.31.25.H47-250312-{i:04d}", "Đăng ký khai sinh", "Nguyễn Văn An",
                                 "0905123456", "Đang xử lý", "12/03/2025", "", ""] for i in range(5000)]
    file = write_csv(tmp_path / "lon.csv", table)
    async with lookup_bot(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "mot-cua", "desk")
        await staff.login("mot-cua")
        await staff.get("/console/imports")
        loop, lags, done = asyncio.get_running_loop(), [], asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                due = loop.time() + 0.005
                await asyncio.sleep(0.005)
                lags.append(loop.time() - due)

        gc.collect()
        gc.freeze()  # as the service does after start-up
        tick = asyncio.create_task(ticker())
        try:
            page = await upload(staff, file)
        finally:
            done.set()
            gc.unfreeze()
            with contextlib.suppress(asyncio.CancelledError):
                await tick
        assert page.status == 302, page.text[:500]
        assert shown(await staff.get(page.location), "5000 dòng đọc được: 5000 mới")
        print(f"loop lag during a 5,000-row dry run: max {max(lags) * 1000:.1f} ms over {len(lags)} ticks")
        assert len(lags) > 20 and max(lags) < 0.050, f"max lag {max(lags) * 1000:.1f} ms"
