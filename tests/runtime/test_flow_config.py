"""Admins edit the flow configuration files; the running bot picks the change up without a restart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from flows.texts import DEFAULT_DIR
from tests.kit import BotHarness, texts


def admin_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def test_edited_texts_and_catalog_take_effect_without_restart(db_url: str, tmp_path: Path) -> None:
    folder = admin_copy(tmp_path)
    async with BotHarness.start(db_url, flows={"path": str(folder)}) as bot:
        chat = bot.resident("u1")
        assert "Bạn cần giúp gì?" in texts(await chat.say("menu"))
        edit(folder / "texts.toml", 'menu_title = "Bạn cần giúp gì?', 'menu_title = "Phường có thể giúp gì?')
        edit(folder / "catalog.toml", 'short_name = "Đăng ký khai sinh"', 'short_name = "Làm giấy khai sinh"')
        assert bot.runtime.services.reload_if_changed()
        assert "Phường có thể giúp gì?" in texts(await chat.say("menu"))
        [suggestion] = await chat.say("khai sinh lại")
        assert "Làm giấy khai sinh" in suggestion.button_titles()


async def test_an_invalid_edit_keeps_the_running_configuration(db_url: str, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    folder = admin_copy(tmp_path)
    async with BotHarness.start(db_url, flows={"path": str(folder)}) as bot:
        edit(folder / "catalog.toml", "fee_amount = 0", 'fee_amount = "không đồng"')
        assert not bot.runtime.services.reload_if_changed()
        assert "fee_amount" in caplog.text and "not reloaded" in caplog.text
        [card] = await bot.resident("u1").say("lam giay khai sinh cho con")
        assert card.text.startswith("📄 Đăng ký khai sinh")


def test_check_config_names_the_bad_catalog_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = admin_copy(tmp_path)
    edit(folder / "catalog.toml", "fee_amount = 0", 'fee_amount = "không đồng"')
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[flows]\npath = "{folder}"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "flows: catalog: procedure ho-tich/dang-ky-khai-sinh: fee_amount:" in err
