"""`python3 dev.py sandbox` (`python -m bot serve --sandbox`) prints the demo admin's login beside the chat
page's address, and that login opens the console."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.console.kit import StaffClient
from tests.processes import free_port, spawn


@pytest.mark.slow
async def test_the_sandbox_prints_a_console_login_that_works(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'log_level = "WARNING"\n[server]\nport = {free_port()}\n'
                   f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/motcua.sqlite3"\n', encoding="utf-8")
    async with spawn("-m", "bot", "serve", "--sandbox", "--config", str(cfg)) as proc:
        line = await proc.wait_for_line("staff console:", seconds=60)
        found = re.search(r"(http://\S+)/console \(sign in as (\S+), password (\S+)\)", line)
        assert found, line
        base, name, password = found.groups()
        async with StaffClient(base) as staff:
            assert (await staff.login(name, password)).location == "/console/"
            assert (await staff.get("/console/")).status == 200
