"""The unreachable-household CSV for thôn teams: what residents typed can't run as a spreadsheet formula."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.broadcasts.channels import BroadcastMessage, CsvExportChannel, Recipient


def read_only_file(folder: Path) -> list[list[str]]:
    [path] = folder.iterdir()
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.reader(f))


async def test_a_typed_formula_is_written_as_text(tmp_path: Path) -> None:
    channel = CsvExportChannel(tmp_path, {"vong-nhi": "Võng Nhi"})
    message = BroadcastMessage(1, 2, "Cắt nước", "…", None, None, False)
    await channel.deliver(message, [
        Recipient(7, "u7", "vong-nhi", name='=HYPERLINK("http://x.example","bấm")', phone="0905000007",
                  address="+Tổ 3", reason=-230),
        Recipient(8, "u8", "vong-nhi", name="Nguyễn Văn An", phone=None, address="Tổ 3"),
    ])
    header, first, second = read_only_file(tmp_path)
    assert header[:4] == ["Thôn", "Họ tên", "Số điện thoại", "Địa chỉ"]
    assert first[1:4] == ["'=HYPERLINK(\"http://x.example\",\"bấm\")", "0905000007", "'+Tổ 3"]
    assert second[:4] == ["Võng Nhi", "Nguyễn Văn An", "", "Tổ 3"]
