"""Retention purge, "xóa dữ liệu của tôi", and the log watch that guards the whole suite."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.retention import purge_expired
from flows.lookups.hashing import KeyedHasher
from storage.lookups.models import Dossier, IdCardResult
from storage.models import InboxEvent, OutboxMessage
from storage.types import utcnow
from tests.kit import BotHarness, texts, write_config
from tests.logwatch import PersonalDataWatch
from tests.lookups.kit import (
    BIRTH,
    CODE,
    CODE_2,
    HASH_KEY,
    ID_NUMBER,
    PHONE,
    PHONE_2,
    PRIVACY,
    audit_rows,
    card,
    dossier,
    optin_rows,
    push_ok,
    rows,
    run_cli,
)


async def verify_and_opt_in(bot: BotHarness, user: str, code: str = CODE, phone: str = PHONE) -> None:
    chat = bot.resident(user)
    await chat.say(code)
    await chat.say(phone[-4:])
    await chat.click("Báo khi có thay đổi")


async def test_purge_removes_records_finished_past_retention_then_old_audit(bot: BotHarness, tmp_path: Path) -> None:
    await push_ok(bot, "/api/v1/dossiers", [dossier(), dossier(code=CODE_2, phone=PHONE_2)])
    await push_ok(bot, "/api/v1/id-cards", [card(status="mailed")])
    await verify_and_opt_in(bot, "u1")
    await verify_and_opt_in(bot, "u2", CODE_2, PHONE_2)
    await push_ok(bot, "/api/v1/dossiers", [dossier(status="returned")])  # finished now; CODE_2 still open
    privacy = bot.runtime.config.privacy
    engine, now = bot.runtime.engine, utcnow()

    nothing = {"dossier": 0, "id_card": 0, "audit": 0, "inbox": 0, "replies": 0, "unanswered": 0, "exports": 0,
               "broadcast_runs": 0}
    assert await purge_expired(engine, privacy, tmp_path, now + timedelta(days=29)) == nothing
    counts = await purge_expired(engine, privacy, tmp_path,  # a batch per row: every loop and dependent runs
                                 now + timedelta(days=privacy.record_retention_days, hours=1), batch=1)
    assert {k: counts[k] for k in ("dossier", "id_card", "audit")} == {"dossier": 1, "id_card": 1, "audit": 0}
    # The conversations (30 days by default) went too: what residents typed is not kept for ever.
    assert counts["inbox"] > 0 and counts["replies"] > 0
    assert await rows(bot, OutboxMessage) == [], "answers or notifications outlived the conversation period"
    assert [r.code for r in await rows(bot, Dossier)] == [CODE_2] and await rows(bot, IdCardResult) == []
    assert [o.zalo_user_id for o in await optin_rows(bot)] == ["u2"]  # the purged record's opt-in went with it

    audit = len(await audit_rows(bot))
    counts = await purge_expired(engine, privacy, tmp_path, now + timedelta(days=privacy.audit_retention_days, hours=1))
    assert counts == {**nothing, "audit": audit}
    assert await audit_rows(bot) == [] and [r.code for r in await rows(bot, Dossier)] == [CODE_2]


async def test_purge_command(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "motcua.toml", db_url, privacy={**PRIVACY, "record_retention_days": 7})
    assert await run_cli("privacy", "purge", "--config", str(config)) == 0
    assert "purged 0 dossiers and 0 căn cước results finished more than 7 days ago" in capsys.readouterr().out


async def test_erase_my_data_deletes_opt_ins_and_messages_and_keeps_a_keyed_audit(bot: BotHarness) -> None:
    await push_ok(bot, "/api/v1/dossiers", [dossier()])
    await verify_and_opt_in(bot, "u1")
    await verify_and_opt_in(bot, "u2")
    await push_ok(bot, "/api/v1/dossiers", [dossier(status="result_ready")])  # a notification to each
    chat = bot.resident("u1")
    await chat.say(CODE)
    for n in range(1, 6):  # five failures: locked
        await chat.say(f"{n}{n}{n}{n}")

    answer = texts(await chat.say("Xóa dữ liệu của tôi"))
    assert "Đã xóa dữ liệu" in answer
    # What the bot told them is gone too (answers and the notification), but for this last answer.
    [kept] = await rows(bot, OutboxMessage, OutboxMessage.__table__.c.zalo_user_id == "u1")
    assert "Đã xóa dữ liệu" in str(kept.replies)
    assert {r.source for r in await rows(bot, OutboxMessage, OutboxMessage.__table__.c.zalo_user_id == "u2")} \
        == {"reply", "notification"}
    assert [o.zalo_user_id for o in await optin_rows(bot)] == ["u2"]
    audit = await audit_rows(bot)
    assert all(r.zalo_user_id in (None, "u2") for r in audit)
    mine = [r for r in audit if r.zalo_user_id is None]
    assert {r.user_ref for r in mine} == {mine[0].user_ref} and mine[-1].outcome == "erased"
    assert mine[0].user_ref == KeyedHasher(HASH_KEY).user("u1")
    left = await rows(bot, InboxEvent, InboxEvent.__table__.c.zalo_user_id == "u1")
    assert [e.status for e in left] == ["done"]  # only the erasure request itself
    # Erasure does not reset the failure limit.
    await chat.say(CODE)
    assert "tạm khóa" in texts(chat.last)
    assert "Đã xóa dữ liệu" in texts(await chat.say("#privacy:erase"))


async def test_erase_works_in_the_middle_of_a_lookup(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("#idcard:start")
    await chat.click("Đồng ý")
    assert "Đã xóa dữ liệu" in texts(await chat.say("xoa du lieu cua toi"))
    assert "ngày sinh" not in texts(await chat.say("BN2026-000123"))  # the lookup state is gone


def test_the_log_watch_notices_a_personal_value() -> None:
    watch = PersonalDataWatch([ID_NUMBER, BIRTH])
    watch.handle(logging.makeLogRecord({"name": "bot.x", "msg": "looked up %s", "args": (ID_NUMBER,)}))
    watch.handle(logging.makeLogRecord({"name": "bot.x", "msg": "looked up %s", "args": ("a hash",)}))
    assert len(watch.leaks) == 1 and "personal value #0" in watch.leaks[0]
