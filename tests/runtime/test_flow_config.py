"""The flow configuration lives in the database as versions: files seed it, `flows export/import/publish`
round-trip it, and every running instance follows a publish without a restart."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from flows.tomlfile import DEFAULT_DIR, FlowFiles
from storage import flow_versions
from tests.kit import BotHarness, texts, write_config


def admin_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def cli(db_url: str, tmp_path: Path, *args: str, **sections: Any) -> int:
    """`python -m bot ARGS` on the test's database, in a thread (it runs its own event loop)."""
    cfg = write_config(tmp_path / "cli.toml", db_url, **sections)
    return await asyncio.to_thread(main, [*args, "--config", str(cfg)])


async def test_exported_edited_imported_and_published_takes_effect_without_restart(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with BotHarness.start(db_url) as bot:
        chat = bot.resident("u1")
        assert "Bạn cần giúp gì?" in texts(await chat.say("menu"))
        folder = tmp_path / "now"
        assert await cli(db_url, tmp_path, "flows", "export", str(folder)) == 0
        edit(folder / "texts.toml", 'menu_title = "Bạn cần giúp gì?', 'menu_title = "Phường có thể giúp gì?')
        edit(folder / "catalog.toml", 'short_name = "Đăng ký khai sinh"', 'short_name = "Làm giấy khai sinh"')
        assert await cli(db_url, tmp_path, "flows", "import", str(folder)) == 0
        assert "draft saved for catalog.toml, texts.toml" in capsys.readouterr().out
        assert not await bot.runtime.flow_config.check(), "a draft is not live"
        assert "Bạn cần giúp gì?" in texts(await chat.say("menu"))
        assert await cli(db_url, tmp_path, "flows", "publish") == 0
        assert await bot.runtime.flow_config.check()
        assert "Phường có thể giúp gì?" in texts(await chat.say("menu"))
        [suggestion] = await chat.say("khai sinh lại")
        assert "Làm giấy khai sinh" in suggestion.button_titles()
        assert await cli(db_url, tmp_path, "flows", "rollback", "texts.toml", "1") == 0
        assert await bot.runtime.flow_config.check()
        assert "Bạn cần giúp gì?" in texts(await chat.say("menu"))


async def test_an_invalid_draft_is_refused_and_the_running_configuration_stays(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with BotHarness.start(db_url) as bot:
        folder = tmp_path / "now"
        assert await cli(db_url, tmp_path, "flows", "export", str(folder)) == 0
        edit(folder / "catalog.toml", "fee_amount = 0", 'fee_amount = "không đồng"', )
        assert await cli(db_url, tmp_path, "flows", "import", str(folder)) == 2
        assert "flows: catalog: procedure ho-tich/dang-ky-khai-sinh: fee_amount:" in capsys.readouterr().err
        assert await cli(db_url, tmp_path, "flows", "publish") == 2
        assert "flows: catalog: procedure ho-tich/dang-ky-khai-sinh: fee_amount:" in capsys.readouterr().err
        assert not await bot.runtime.flow_config.check()
        [card] = await bot.resident("u1").say("lam giay khai sinh cho con")
        assert card.text.startswith("📄 Đăng ký khai sinh")


async def test_import_refuses_a_file_that_is_not_part_of_the_configuration(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "textz.toml").write_text("[texts]\n", encoding="utf-8")
    assert await cli(db_url, tmp_path, "flows", "import", str(folder)) == 2
    assert "flows: textz.toml: not a file of the flow configuration" in capsys.readouterr().err
    assert await cli(db_url, tmp_path, "flows", "import", str(tmp_path / "missing")) == 2
    assert "DIR: " in capsys.readouterr().err


async def test_files_seed_the_database_and_a_kind_no_person_changed_follows_them(db_url: str, tmp_path: Path) -> None:
    folder = admin_copy(tmp_path)
    edit(folder / "texts.toml", 'menu_title = "Bạn cần giúp gì?', 'menu_title = "Thôn xóm cần gì?')
    async with BotHarness.start(db_url, flows={"path": str(folder)}) as bot:
        assert "Thôn xóm cần gì?" in texts(await bot.resident("u1").say("menu"))
    edit(folder / "texts.toml", 'menu_title = "Thôn xóm cần gì?', 'menu_title = "Bản mới của tệp?')
    async with BotHarness.start(db_url, flows={"path": str(folder)}) as bot:  # nobody changed it in the console
        assert "Bản mới của tệp?" in texts(await bot.resident("u1").say("menu"))
        exported, same = tmp_path / "now", {"flows": {"path": str(folder)}}  # the service's configuration
        assert await cli(db_url, tmp_path, "flows", "export", str(exported), **same) == 0
        edit(exported / "texts.toml", 'menu_title = "Bản mới của tệp?', 'menu_title = "Lời của cán bộ?')
        assert await cli(db_url, tmp_path, "flows", "import", str(exported), **same) == 0
        assert await cli(db_url, tmp_path, "flows", "publish", **same) == 0
    edit(folder / "texts.toml", 'menu_title = "Bản mới của tệp?', 'menu_title = "Tệp lại đổi?')
    async with BotHarness.start(db_url, flows={"path": str(folder)}) as bot:  # a person's wording stays
        assert "Lời của cán bộ?" in texts(await bot.resident("u1").say("menu"))


async def test_two_instances_switch_together(db_url: str, tmp_path: Path) -> None:
    async with BotHarness.start(db_url) as one, BotHarness.start(db_url) as two:
        folder = tmp_path / "now"
        assert await cli(db_url, tmp_path, "flows", "export", str(folder)) == 0
        edit(folder / "texts.toml", 'menu_title = "Bạn cần giúp gì?', 'menu_title = "Phường có thể giúp gì?')
        assert await cli(db_url, tmp_path, "flows", "import", str(folder)) == 0
        assert await cli(db_url, tmp_path, "flows", "publish") == 0
        assert await one.runtime.flow_config.check() and await two.runtime.flow_config.check()
        for bot in (one, two):
            assert "Phường có thể giúp gì?" in texts(await bot.resident("u1").say("menu"))


def test_check_config_names_the_bad_catalog_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = admin_copy(tmp_path)
    edit(folder / "catalog.toml", "fee_amount = 0", 'fee_amount = "không đồng"')
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[flows]\npath = "{folder}"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "flows: catalog: procedure ho-tich/dang-ky-khai-sinh: fee_amount:" in err


async def test_import_names_placeholders_lengths_and_menu_entries_that_cannot_work(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "now"
    assert await cli(db_url, tmp_path, "flows", "export", str(folder)) == 0
    edit(folder / "texts.toml", 'menu_title = "Bạn cần giúp gì?', 'menu_title = "{ten_ban} cần giúp gì?')
    for name in ("texts.toml", "texts.en.toml"):  # both menus must offer the same commands
        edit(folder / name, 'payload = "#info:wednesday"', 'payload = "#info:thursday"')
    edit(folder / "texts.toml", 'back_to_menu = "', 'back_to_menu = "Quay trở lại trang danh mục chính của bot phường ')
    assert await cli(db_url, tmp_path, "flows", "import", str(folder)) == 2
    err = capsys.readouterr().err
    assert "flows: texts.toml: texts.menu_title: unknown placeholder {ten_ban} (this text may use" in err
    assert "flows: texts.toml: menu.1.payload: '#info:thursday' starts no conversation" in err
    assert "flows: texts.toml: texts.back_to_menu: a button title of" in err
    assert await cli(db_url, tmp_path, "flows", "publish") == 2


async def test_a_new_release_adds_the_texts_it_needs_and_keeps_the_admins_wording(db_url: str) -> None:
    shipped = FlowFiles.from_folder()
    async with BotHarness.start(db_url) as bot:
        old = shipped["texts.toml"].replace('menu_title = "Bạn cần giúp gì?', 'menu_title = "Xã mình giúp gì?')
        old = "\n".join(line for line in old.splitlines() if not line.startswith("back_to_menu ="))
        async with bot.runtime.engine.begin() as conn:  # what an older release left: no back_to_menu yet
            await flow_versions.publish_copy(conn, "texts.toml", old, "hoa", bot.runtime.clock(), "sửa tay")
    async with BotHarness.start(db_url) as bot:
        assert "Xã mình giúp gì?" in texts(await bot.resident("u1").say("menu"))
        async with bot.runtime.engine.connect() as conn:
            [latest, *_] = await flow_versions.history(conn, "texts.toml")
        assert (latest.number, latest.published_by) == (3, "upgrade")
        assert 'back_to_menu = "Về menu"' in latest.content
