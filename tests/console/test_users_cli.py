"""`python -m bot users ...`: accounts with roles and thôn, the password from standard input, errors that
name the field (exit 2), and disable/reset ending the account's sessions."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.cli import main
from tests.broadcasts.kit import cli_sections
from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, write_config


async def run(args: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return await asyncio.to_thread(main, args)


async def test_users_add_list_disable_reset(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(write_config(tmp_path / "c.toml", db_url, **cli_sections()))
    async with BotHarness.start(db_url, console={"require_totp_for": []}) as bot, StaffClient(bot) as staff:
        add = ["users", "add", "to-vong-nhi", "--config", cfg, "--role", "thon_team", "--thon", "vong-nhi",
               "--password-stdin"]
        assert await run(add, monkeypatch, "mat-khau-thon-1\n") == 0
        assert "user to-vong-nhi added (thon_team)" in capsys.readouterr().out
        assert await run(add, monkeypatch, "mat-khau-thon-1\n") == 2
        assert "users: name: a user named 'to-vong-nhi' already exists" in capsys.readouterr().err

        bad = ["users", "add", "Lan Anh", "--config", cfg, "--role", "boss", "--thon", "ha-noi", "--password-stdin"]
        assert await run(bad, monkeypatch, "ngan\n") == 2
        err = capsys.readouterr().err
        assert "users: name: Value error, must be 2-64 characters" in err and "users: roles.0: Input should be" in err
        bad = ["users", "add", "lan", "--config", cfg, "--role", "thon_team", "--thon", "ha-noi", "--password-stdin"]
        assert await run(bad, monkeypatch, "ngan\n") == 2
        err = capsys.readouterr().err
        assert "users: thon.0: unknown thôn 'ha-noi'" in err and "users: password: must be at least 10" in err
        assert await run(["users", "add", "lan", "--config", cfg, "--role", "editor"], monkeypatch) == 2
        assert "--password-stdin" in capsys.readouterr().err

        assert await run(["users", "list", "--config", cfg], monkeypatch) == 0
        assert "to-vong-nhi\tthon_team\tvong-nhi\tactive\t-" in capsys.readouterr().out

        assert (await staff.login("to-vong-nhi", "mat-khau-thon-1")).status == 302
        assert await run(["users", "disable", "to-vong-nhi", "--config", cfg], monkeypatch) == 0
        assert "user to-vong-nhi disabled (1 session(s) ended)" in capsys.readouterr().out
        assert (await staff.get("/console/")).status == 302
        assert (await staff.login("to-vong-nhi", "mat-khau-thon-1")).status == 401
        assert await run(["users", "enable", "to-vong-nhi", "--config", cfg], monkeypatch) == 0
        assert await run(["users", "reset", "to-vong-nhi", "--config", cfg, "--password-stdin"], monkeypatch,
                         "mat-khau-moi-22\n") == 0
        assert (await staff.login("to-vong-nhi", "mat-khau-thon-1")).status == 401
        assert (await staff.login("to-vong-nhi", "mat-khau-moi-22")).status == 302
        assert await run(["users", "disable", "khong-co", "--config", cfg], monkeypatch) == 2
        assert "users: name: no user named 'khong-co'" in capsys.readouterr().err


async def test_an_admin_blocks_and_unblocks_an_account_in_the_console(db_url: str) -> None:
    async with BotHarness.start(db_url, console={"require_totp_for": []}) as bot, StaffClient(bot) as admin, \
            StaffClient(bot) as lan:
        await add_staff(bot, "quan-tri", "admin")
        await add_staff(bot, "lan", "editor", thon=())
        await lan.login("lan")
        await admin.login("quan-tri")
        page = await admin.get("/console/users")
        assert page.status == 200 and page.has("Biên tập") and page.has("hoạt động")
        self_block = await admin.post("/console/users/quan-tri/disabled", {"disabled": "1"})
        assert self_block.status == 422 and self_block.has("name: you cannot block your own account")
        assert (await admin.post("/console/users/lan/disabled", {"disabled": "1"})).location == "/console/users"
        assert (await lan.get("/console/")).status == 302  # blocking ended the session
        assert (await lan.login("lan")).status == 401
        await admin.get("/console/users")
        await admin.post("/console/users/lan/disabled", {"disabled": "0"})
        assert (await lan.login("lan")).status == 302
        assert (await admin.post("/console/users/khong-co/disabled", {"disabled": "1"})).status == 404
        log = await admin.get("/console/audit?action=user.disable")
        assert log.has("user:lan") and log.has("quan-tri")
