"""The command line, configuration errors, the terminal chat, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from tests.kit import BotHarness
from tests.processes import ROOT


def test_invalid_configuration_exits_2_naming_each_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = "eighty"\ncolour = "blue"\n[database]\nurl = "mysql://x"\n'
                   '[commune.office_hours]\n0 = ["11:30-07:30"]\n', encoding="utf-8")
    assert main(["check-config", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "config: server.port: Input should be a valid integer, unable to parse string as an integer" in err
    assert "config: server.colour: unknown key" in err
    assert any(line.startswith("config: database.url:") for line in err)
    assert any(line.startswith("config: commune.office_hours:") and "07:30" in line for line in err)


def test_missing_file_and_broken_toml_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(tmp_path / "nope.toml")]) == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n", encoding="utf-8")
    assert main(["check-config", "--config", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "nope.toml: file not found" in err and "broken.toml: not valid TOML" in err


def test_the_example_configuration_is_valid_for_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--sandbox", "--config", str(ROOT / "config.example.toml")]) == 0


DEAF = ("zalo.app_id", "zalo.oa_id", "zalo.oa_secret_key", "zalo.access_token")


def test_missing_zalo_ids_secrets_and_tokens_are_errors_for_serve_and_warnings_for_the_sandbox(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A service without them would be deaf: every webhook refused, or nothing sent."""
    for name in ("APP_ID", "OA_ID", "OA_SECRET_KEY", "APP_SECRET", "ACCESS_TOKEN", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"MOTCUA_ZALO__{name}", raising=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/t.sqlite3"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(cfg)]) == 2
    errors = capsys.readouterr().err
    assert all(f"config: {field}:" in errors for field in DEAF), errors
    assert main(["serve", "--config", str(cfg)]) == 2  # refuses to start deaf
    refused = capsys.readouterr().err
    assert all(f"config: {field}:" in refused for field in DEAF), refused
    assert main(["check-config", "--sandbox", "--config", str(cfg)]) == 0
    warnings = capsys.readouterr().err
    assert all(f"warning: {field}:" in warnings for field in DEAF), warnings

    assert main(["tokens", "set", "--config", str(cfg), "--access-token", "a" * 20, "--refresh-token", "r" * 20]) == 0
    capsys.readouterr()
    assert main(["check-config", "--config", str(cfg)]) == 2
    assert "zalo.access_token" not in capsys.readouterr().err  # a pair stored in the database is enough


def test_environment_overrides_the_file_for_secrets(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[zalo]\napp_id = "1"\n', encoding="utf-8")
    config = load_config(cfg, environ={"MOTCUA_ZALO__OA_SECRET_KEY": "from-env", "MOTCUA_SERVER__PORT": "9000"})
    assert config.zalo.oa_secret_key == "from-env" and config.server.port == 9000 and config.zalo.app_id == "1"


def test_tokens_set_and_show_masks_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/t.sqlite3"\n', encoding="utf-8")
    assert main(["tokens", "set", "--config", str(cfg), "--access-token", "AAAA-secret-access-ZZZZ",
                 "--refresh-token", "RRRR-secret-refresh-YYYY"]) == 0
    assert main(["tokens", "show", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "AAAA…ZZZZ" in out and "RRRR…YYYY" in out
    assert "secret" not in out


async def test_health_and_metrics(bot: BotHarness) -> None:
    await bot.resident("u1").say("menu")
    async with bot.http.get(bot.server.make_url("/healthz")) as resp:
        assert resp.status == 200 and (await resp.json())["status"] == "ok"
    async with bot.http.get(bot.server.make_url("/metrics")) as resp:
        body = await resp.text()
    assert 'motcua_webhook_events_total{result="new"} 1' in body
    assert 'motcua_outbox_messages_total{outcome="sent",reason="0"} 1' in body
    assert "motcua_queue_inbox_pending 0" in body
    assert "motcua_event_processing_seconds_count 1" in body


@pytest.mark.slow
async def test_terminal_chat_answers_and_buttons_are_numbered(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'log_level = "WARNING"\n[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/chat.sqlite3"\n',
                   encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", "--config", str(cfg), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await asyncio.wait_for(proc.communicate(b"menu\n8\nthoat\n"), 60)
    text = out.decode()
    assert "Bạn cần giúp gì" in text
    assert "[8] Gặp cán bộ" in text
    assert "chuyển tin nhắn của bạn cho cán bộ" in text  # "8" tapped the eighth button
    assert proc.returncode == 0
    # The chat kept to a database of its own, next to the configured one, which it never touched.
    assert (tmp_path / "chat.sandbox.sqlite3").exists() and not (tmp_path / "chat.sqlite3").exists()


def test_a_command_without_a_configuration_refuses_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --config, commands used empty defaults: another database than the service's, silently."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOTCUA_CONFIG", raising=False)
    monkeypatch.delenv("MOTCUA_DATABASE__URL", raising=False)
    assert main(["tokens", "show"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "--config" in line and "MOTCUA_CONFIG" in line and "config.toml" in line
    assert not (tmp_path / "data").exists(), "a database was created anyway"


@pytest.mark.parametrize("how", ["config.toml here", "MOTCUA_CONFIG"])
def test_a_command_without_config_uses_config_toml_or_motcua_config(
        how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / ("config.toml" if how == "config.toml here" else "elsewhere.toml")
    cfg.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/service.sqlite3"\n', encoding="utf-8")
    assert main(["tokens", "set", "--config", str(cfg), "--access-token", "AAAA-one-ZZZZ", "--refresh-token",
                 "RRRR-one-YYYY"]) == 0
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOTCUA_CONFIG", raising=False)
    if how == "MOTCUA_CONFIG":
        monkeypatch.setenv("MOTCUA_CONFIG", str(cfg))
    capsys.readouterr()
    assert main(["tokens", "show"]) == 0
    assert "AAAA…ZZZZ" in capsys.readouterr().out  # the service's database, not a new empty one


@pytest.mark.slow
async def test_terminal_chat_without_a_configuration_uses_the_sandbox_defaults(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(b"lien he\nthoat\n"), 60)
    assert proc.returncode == 0, err.decode()
    assert "UBND phường Hội An Đông" in out.decode()  # the example configuration's commune, as the sandbox's


def test_db_upgrade_on_a_missing_postgresql_database_says_so_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = os.environ.get("MOTCUA_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("needs PostgreSQL (MOTCUA_TEST_POSTGRES_URL)")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{url.rsplit("/", 1)[0]}/motcua_no_such_database"\n', encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(cfg)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and "motcua_no_such_database" in line and "does not exist" in line
