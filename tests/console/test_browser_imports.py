"""An import through Chromium at phone and desktop sizes, without JavaScript: a file with a bad row shows
its errors in the dry run, is committed, and importing it again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.lookups.models import Dossier
from tests.browser import chromium
from tests.console.browser import SIZES, tab
from tests.console.kit import add_staff
from tests.lookups.kit import lookup_bot, rows, write_csv
from tests.lookups.test_lookup_imports import DOSSIER_HEADER

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
GOOD = ["000.31.25.H47-250312-0007", "Đăng ký khai sinh", "Nguyễn Văn An", "0905123456", "Đang xử lý",
        "12/03/2025", "", ""]
BAD = ["000.31.25.H47-250312-0008", "Đăng ký kết hôn", "Lê Văn Cường", "0911000111", "Đang bay", "", "", ""]


@SIZES
async def test_import_with_a_bad_row(db_url: str, size: dict[str, int], tmp_path: Path) -> None:
    file = write_csv(tmp_path / "ho-so-thang-3.csv", [DOSSIER_HEADER, GOOD, BAD])
    async with lookup_bot(db_url, console={"require_totp_for": []}) as bot, chromium() as browser:
        await add_staff(bot, "mot-cua", "desk")
        async with tab(browser, str(bot.server.make_url("")).rstrip("/"), size) as t:
            await t.login("mot-cua")
            for attempt in ("first", "again"):
                await t.page.click("nav >> text=Nhập dữ liệu")
                await t.page.set_input_files("#file", str(file))
                await t.page.click("#upload button")
                assert "row 3: 'Trạng thái' (status): unknown status" in await t.text("#errors")
                counts = await t.text("#counts")
                expected = ("1 mới · 0 thay đổi · 0 không đổi" if attempt == "first"
                            else "0 mới · 0 thay đổi · 1 không đổi")
                assert f"2 dòng đọc được: {expected} · 1 bị từ chối" in counts
                assert "0905123456" not in await t.text()
                await t.shot(f"import-preview-{attempt}")
                await t.page.click("#commit button")
                assert "đã lưu" in await t.text("#status")
                await t.shot(f"import-committed-{attempt}")
            assert [r.code for r in await rows(bot, Dossier)] == [GOOD[0]]
            await t.goto("/console/")
            await t.shot("dashboard-after-import")
