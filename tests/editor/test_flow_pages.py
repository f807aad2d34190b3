"""The flow editor over HTTP: edit a text, see a bad placeholder named beside it, fix it, try it, publish
it to residents, roll back; stale drafts, approval by a second person, scores shown before a publish."""

from __future__ import annotations

import json
from pathlib import Path

from bot.editor.toml_edit import add_informal_name, set_procedure
from flows.tomlfile import FlowFiles
from tests.console.kit import StaffClient, add_staff
from tests.console.test_import_pages import shown
from tests.editor.kit import admin_and_approver
from tests.kit import BotHarness, texts

CONSOLE = {"console": {"require_totp_for": []}}
MENU_TITLE = "Bạn cần giúp gì? Chọn một mục bên dưới, hoặc gõ câu hỏi của bạn (có dấu hay không dấu đều được)."


async def save_text(staff: StaffClient, key: str, value: str, kind: str = "texts.toml") -> int:
    return (await staff.post("/console/flows/texts", {"kind": kind, "key": key, "value": value})).status


async def test_edit_check_try_publish_and_roll_back_a_text(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "hoa", "admin")
        await staff.login("hoa")
        chat = bot.resident("u1")
        page = await staff.get("/console/flows/texts?q=menu_title")
        assert page.status == 200 and shown(page, MENU_TITLE) and shown(page, "{commune}")

        assert await save_text(staff, "menu_title", "{ten} ơi, bạn cần giúp gì?") == 302
        page = await staff.get("/console/flows/texts?q=menu_title")
        assert shown(page, "unknown placeholder {ten} (this text may use {address}, {commune}, {phone})")
        overview = await staff.get("/console/flows")
        assert shown(overview, "texts.toml: texts.menu_title: unknown placeholder {ten}")
        assert (await staff.post("/console/flows/publish")).status == 422

        assert await save_text(staff, "menu_title", "{commune} có thể giúp gì cho bạn?") == 302
        assert (await staff.post("/console/flows/try", {"text": "menu"})).status == 302
        tried = await staff.get("/console/flows/try")
        assert shown(tried, f"{bot.runtime.config.commune.name} có thể giúp gì cho bạn?")
        assert MENU_TITLE[:20] in texts(await chat.say("menu")), "a draft reaches no resident"

        diff = await staff.get("/console/flows/raw/texts.toml")
        assert shown(diff, '+menu_title = "{commune} có thể giúp gì cho bạn?"')
        published = await staff.post("/console/flows/publish")
        assert published.status == 302 and published.location == "/console/flows?done=published"
        assert "có thể giúp gì cho bạn?" in texts(await chat.say("menu"))

        history = await staff.get("/console/flows/history/texts.toml")
        assert shown(history, "đang chạy")
        assert (await staff.post("/console/flows/rollback/texts.toml/1")).status == 302
        assert MENU_TITLE[:20] in texts(await chat.say("menu"))
        audit = await staff.get("/console/audit")
        for action in ("flows.draft", "flows.publish", "flows.rollback"):
            assert shown(audit, action)


async def test_a_draft_made_before_another_publish_must_be_rebased(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "hoa", "admin")
        await staff.login("hoa")
        assert await save_text(staff, "menu_title", "Bản của Hoa?") == 302
        # Meanwhile another version of the same file is published (the draft is version 3; the roll back, 4).
        assert (await staff.post("/console/flows/publish")).status == 302
        assert await save_text(staff, "menu_title", "Bản thứ hai?") == 302
        assert (await staff.post("/console/flows/rollback/texts.toml/1")).status == 302
        refused = await staff.post("/console/flows/publish")
        assert refused.status == 422 and shown(refused, "texts.toml: made from version 2, but version 4 is active")
        assert (await staff.post("/console/flows/rebase/texts.toml")).status == 302
        assert (await staff.post("/console/flows/publish")).status == 302
        assert "Bản thứ hai?" in texts(await bot.resident("u1").say("menu"))


async def test_publication_waits_for_a_second_person_when_approval_is_required(db_url: str) -> None:
    async with admin_and_approver(db_url, approval=True) as (bot, hoa, lan):
        assert await save_text(hoa, "menu_title", "Đã duyệt?") == 302
        asked = await hoa.post("/console/flows/publish")
        assert asked.location == "/console/flows?done=pending"
        assert (await hoa.post("/console/flows/approve")).status == 422  # not by the one who asked
        assert "Đã duyệt?" not in texts(await bot.resident("u1").say("menu"))
        assert (await lan.get("/console/flows")).status == 200
        assert (await lan.post("/console/flows/texts", {"kind": "texts.toml", "key": "x", "value": "y"})).status == 403
        assert await save_text(hoa, "welcome", "Chào!") == 302  # changed after the request: ask again
        assert (await lan.post("/console/flows/approve")).status == 422
        assert (await hoa.post("/console/flows/publish")).location == "/console/flows?done=pending"
        assert (await lan.post("/console/flows/approve")).status == 302
        assert "Đã duyệt?" in texts(await bot.resident("u1").say("menu"))


async def test_a_publish_that_lowers_the_labelled_score_shows_the_drop_first(db_url: str, tmp_path: Path) -> None:
    labelled = tmp_path / "queries.jsonl"
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "lam giay khai sinh cho con", "intent": "procedure", "procedure": "ho-tich/dang-ky-khai-sinh"},
        {"text": "đăng ký kết hôn cần gì", "intent": "procedure", "procedure": "ho-tich/dang-ky-ket-hon"},
    ]), encoding="utf-8")
    async with BotHarness.start(db_url, flows={"eval_sets": [str(labelled)]}, **CONSOLE) as bot, \
            StaffClient(bot) as staff:
        await add_staff(bot, "hoa", "admin")
        await staff.login("hoa")
        catalog = FlowFiles.from_folder()["catalog.toml"]  # active = shipped; a draft that misleads:
        catalog = set_procedure("catalog.toml", catalog, "ho-tich/dang-ky-khai-sinh", {
            "name": "Thủ tục số một", "short_name": "Thủ tục số một", "informal_names": ["thu tuc so mot"],
            "keywords": ["thu tuc so mot"]})
        catalog = add_informal_name("catalog.toml", catalog, "ho-tich/dang-ky-ket-hon", "lam giay khai sinh cho con")
        saved = await staff.post("/console/flows/raw/catalog.toml", {"content": catalog, "comment": "đổi tên"})
        assert saved.status == 302
        overview = await staff.get("/console/flows")
        assert shown(overview, "Bản nháp làm bot hiểu kém hơn trên bộ câu mẫu")
        refused = await staff.post("/console/flows/publish")
        assert refused.status == 422 and shown(refused, "accept_drop: the draft scores lower")
        assert shown(refused, "100.0% → 50.0%")
        assert (await staff.post("/console/flows/publish", {"accept_drop": "1"})).status == 302


async def test_a_draft_is_played_on_the_scripted_conversations_before_it_is_published(
        db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "conversations"
    folder.mkdir()
    (folder / "conversations.jsonl").write_text(json.dumps({"id": "c1", "style": "plain", "turns": [
        {"say": "menu", "must_any": ["Bạn cần giúp gì"]}]}, ensure_ascii=False), encoding="utf-8")
    async with BotHarness.start(db_url, flows={"eval_conversations": str(folder)}, **CONSOLE) as bot, \
            StaffClient(bot) as staff:
        await add_staff(bot, "hoa", "admin")
        await staff.login("hoa")
        assert await save_text(staff, "menu_title", "Chọn một mục:") == 302
        played = await staff.post("/console/flows/play")
        assert played.status == 200 and shown(played, "100.0% → 0.0%")
        refused = await staff.post("/console/flows/publish")
        assert refused.status == 422 and shown(refused, "accept_drop: the draft scores lower")
