"""Households Zalo cannot reach: recorded per announcement and household, carried by the SMS gateway
(a local fake) and exported per thôn as CSV for the thôn team; the report masks them."""

from __future__ import annotations

import asyncio
import csv
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.cli import main
from bot.retention import purge_expired
from storage.broadcasts.announcements import run_source
from storage.broadcasts.models import ChannelDelivery
from storage.models import OutboxMessage
from tests.broadcasts.kit import FakeSmsGateway, announce, call, cli_sections, onboard, received, sections
from tests.kit import BotHarness, Clock, write_config

PHONES = {"a": "0905000001", "b": "0905000002", "c": "0905000003", "d": "0905000004", "e": "0905000005",
          "f": "0905000006"}
# b, c, d, g: Zalo says not reachable; e: the OA's quota is spent; f: a permanent error that is not about reach.
ZALO_ERRORS = {"b": -230, "c": -213, "d": -227, "e": -211, "f": -201, "g": -244}


@pytest.fixture
async def gateway() -> FakeSmsGateway:
    fake = FakeSmsGateway()
    server = TestServer(fake.app())
    await server.start_server()
    fake.url = str(server.make_url("/sms"))  # type: ignore[attr-defined]
    yield fake
    await server.close()


async def test_fallback_channel_receives_exactly_the_unreachable(db_url: str, gateway: FakeSmsGateway,
                                                                  tmp_path: Path) -> None:
    config = sections(fallback_channel="sms", sms_gateway_url=gateway.url, sms_gateway_token="sms-secret")
    async with BotHarness.start(db_url, clock=Clock(), **config) as bot:
        for user in "abcdefg":
            await onboard(bot, user, "vong-nhi" if user in "abcd" else "van-lang", phone=PHONES.get(user))
        for user, code in ZALO_ERRORS.items():
            bot.fake.set_user_error(user, code)
        gateway.fail_next = 1  # the first SMS request fails: recorded, retried by a later fallback
        ann = await announce(bot, title="Cắt nước", text="Cắt nước thứ Bảy từ 8 giờ đến 12 giờ, tổ 1 đến tổ 5.")
        await bot.runtime.drain()
        await bot.runtime.drain()

        assert received(bot, "Cắt nước") == {"a": 1}
        to = [r["body"]["to"] for r in gateway.received]
        assert sorted(set(to)) == sorted(PHONES[u] for u in "bcde") and len(to) == 4
        first = gateway.received[0]
        assert first["headers"]["Authorization"] == "Bearer sms-secret"
        assert first["headers"]["Idempotency-Key"] == first["body"]["reference"]
        assert first["body"]["text"].startswith("UBND phuong Thu Nghiem: Cat nuoc. Cat nuoc thu Bay")  # no accents

        _, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        [run] = report["runs"]
        assert run["outcomes"] == {"queued": 0, "sent": 1, "unreachable": 5, "failed": 1, "cancelled": 0}
        assert run["unreachable_by_reason"] == {"-230": 1, "-213": 1, "-227": 1, "-211": 1, "-244": 1}
        assert run["failed_by_reason"] == {"-201": 1}
        assert run["by_thon"] == {"van-lang": {"unreachable": 2, "failed": 1},
                                  "vong-nhi": {"sent": 1, "unreachable": 3}}
        assert run["other_channels"] == {"sms": {"sent": 3, "failed": 1, "skipped": 1}}
        listed = {(u["thon"], u["name"], u["phone"], u["reason"]) for u in run["unreachable"]}
        assert ("Võng Nhi", "Nguyễn V*** A***", "09******02", -230) in listed and len(listed) == 5
        assert all("0905" not in str(u) for u in run["unreachable"])

        # Staff re-run the fallback: only the household whose SMS failed is tried again.
        cfg = write_config(tmp_path / "c.toml", db_url,
                           **cli_sections(sms_gateway_url=gateway.url, csv_dir=str(tmp_path / "csv")))
        args = ["announcements", "fallback", str(ann), "--config", str(cfg)]
        assert await asyncio.to_thread(main, [*args, "--channel", "sms"]) == 0
        assert len(gateway.received) == 5 and gateway.received[-1]["body"]["to"] == gateway.received[0]["body"]["to"]
        assert await asyncio.to_thread(main, [*args, "--channel", "sms"]) == 0
        assert len(gateway.received) == 5

        # The thôn teams get one CSV each with exactly their unreachable households, in full.
        assert await asyncio.to_thread(main, [*args, "--channel", "csv"]) == 0
        files = {p.name: list(csv.reader(p.open(encoding="utf-8-sig"))) for p in (tmp_path / "csv").iterdir()}
        run_id = run["run_id"]
        vong_nhi = files[f"announcement-{ann}-run-{run_id}-vong-nhi.csv"]
        van_lang = files[f"announcement-{ann}-run-{run_id}-van-lang.csv"]
        assert vong_nhi[0][:3] == ["Thôn", "Họ tên", "Số điện thoại"]
        assert sorted(r[2] for r in vong_nhi[1:]) == [PHONES["b"], PHONES["c"], PHONES["d"]]
        assert sorted(r[2] for r in van_lang[1:]) == ["", PHONES["e"]]  # g shared no phone: the team visits
        assert all(r[1] == "Nguyễn Văn An" and r[3] == "Tổ 3" for r in vong_nhi[1:])


async def test_report_and_cli_on_a_household_list(db_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI runs on the wall clock, so the service does too (and has no quiet hours, whatever the hour).
    async with BotHarness.start(db_url, **sections(quiet_hours="")) as bot:
        await onboard(bot, "a", "vong-nhi", phone="0905000001")
        await onboard(bot, "b", "van-lang", phone="0905000002")
        bot.fake.set_user_error("b", -230)
        cfg = write_config(tmp_path / "c.toml", db_url, **cli_sections())
        created = ["announcements", "create", "--config", str(cfg), "--title", "Tiêm sởi", "--text",
                   "Tiêm sởi tại trạm y tế sáng thứ Năm.", "--by", "Cán bộ Y tế"]
        assert await asyncio.to_thread(main, created) == 0
        assert "announcement 1: scheduled" in capsys.readouterr().out
        await bot.runtime.drain()
        assert await asyncio.to_thread(main, ["announcements", "report", "1", "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        assert "sent 1 · unreachable 1" in out and "Vạn Lăng: unreachable 1" in out
        assert "09******02" in out and "0905000002" not in out

        bad = ["announcements", "create", "--config", str(cfg), "--title", "X", "--text", "y", "--by", "A",
               "--thon", "vong-nhi,xom-la", "--at", "mai"]
        assert await asyncio.to_thread(main, bad) == 2
        assert "--at: 'mai' is not a time" in capsys.readouterr().err
        bad[-2:] = ["--repeat", "0 7 * * 1"]
        assert await asyncio.to_thread(main, bad) == 2
        err = capsys.readouterr().err
        assert "thon.1: unknown thôn 'xom-la'" in err
        assert await asyncio.to_thread(main, ["announcements", "cancel", "9", "--by", "A", "--config", str(cfg)]) == 2
        assert "announcement 9 does not exist" in capsys.readouterr().err


async def test_a_spent_quota_stops_the_broadcast_after_one_try(db_url: str, gateway: FakeSmsGateway) -> None:
    config = sections(fallback_channel="sms", sms_gateway_url=gateway.url, send_concurrency=1)
    async with BotHarness.start(db_url, clock=Clock(), **config) as bot:
        for user in "abcdef":
            await onboard(bot, user, "vong-nhi", phone=PHONES[user])
        bot.fake.inject_error(-211, times=100)  # the OA's monthly quota is spent
        ann = await announce(bot, title="Cắt điện", text="Cắt điện thứ Hai từ 7 giờ đến 11 giờ.")
        await bot.runtime.drain()
        await bot.runtime.drain()

        assert bot.fake.codes[-211] == 1, "every household was tried although the quota was spent"
        assert received(bot, "Cắt điện") == {}
        _, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        [run] = report["runs"]
        assert run["unreachable_by_reason"] == {"-211": 6}
        assert sorted(r["body"]["to"] for r in gateway.received) == sorted(PHONES.values())


async def test_unreachable_household_lists_are_deleted_after_their_retention(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exports = tmp_path / "csv"
    exports.mkdir()
    old, recent, other = (exports / "announcement-1-run-1-vong-nhi.csv", exports / "announcement-2-run-2-vong-nhi.csv",
                          exports / "ghi-chu.csv")
    for path in (old, recent, other):
        path.write_text("Thôn,Họ tên,Số điện thoại\n", encoding="utf-8")
    month_ago = time.time() - 31 * 86400  # the default retention is 30 days
    for path in (old, other):
        os.utime(path, (month_ago, month_ago))
    cfg = write_config(tmp_path / "c.toml", db_url, **cli_sections(csv_dir=str(exports)))
    assert await asyncio.to_thread(main, ["privacy", "purge", "--config", str(cfg)]) == 0
    assert "1 unreachable-household CSV files older than 30 days" in capsys.readouterr().out
    assert sorted(p.name for p in exports.iterdir()) == [recent.name, other.name]  # only our own files go


async def test_old_runs_keep_their_counts_but_not_who_was_sent_what(
        db_url: str, gateway: FakeSmsGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    config = sections(fallback_channel="sms", sms_gateway_url=gateway.url, sms_gateway_token="sms-secret")
    async with BotHarness.start(db_url, clock=clock, **config) as bot:
        for user in "ab":
            await onboard(bot, user, "vong-nhi", phone=PHONES[user])
        bot.fake.set_user_error("b", -230)
        ann = await announce(bot, title="Cắt nước", text="Cắt nước thứ Bảy từ 8 giờ đến 12 giờ.")
        await bot.runtime.drain()
        await bot.runtime.drain()
        _, before = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        [run] = before["runs"]
        assert run["outcomes"]["unreachable"] == 1 and len(run["unreachable"]) == 1

        engine, privacy = bot.runtime.engine, bot.runtime.config.privacy
        counts = await purge_expired(engine, privacy, tmp_path, clock.now + timedelta(days=89))
        assert counts["broadcast_runs"] == 0
        counts = await purge_expired(engine, privacy, tmp_path, clock.now + timedelta(days=91))
        assert counts["broadcast_runs"] == 1

        _, after = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        [archived] = after["runs"]
        assert archived == {**run, "unreachable": [], "archived": True}
        async with engine.connect() as conn:
            source = run_source(run["run_id"])
            left = (await conn.execute(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.source == source))).scalar_one()
            deliveries = (await conn.execute(select(func.count()).select_from(ChannelDelivery))).scalar_one()
        assert (left, deliveries) == (0, 0)
        assert (await purge_expired(engine, privacy, tmp_path, clock.now + timedelta(days=91)))["broadcast_runs"] == 0
        cfg = write_config(tmp_path / "c.toml", db_url, **cli_sections())
        assert await asyncio.to_thread(main, ["announcements", "report", str(ann), "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        assert "unreachable 1" in out and "counts only: the per-household records passed" in out
        assert "09******02" not in out


async def test_a_later_fallback_skips_who_unsubscribed_since_and_cancelled_announcements(
        db_url: str, gateway: FakeSmsGateway, tmp_path: Path) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections(sms_gateway_url=gateway.url)) as bot:
        for user in "bc":
            await onboard(bot, user, "vong-nhi", phone=PHONES[user])
            bot.fake.set_user_error(user, -230)
        ann = await announce(bot, title="Cắt nước", text="Cắt nước thứ Bảy từ 8 giờ đến 12 giờ.")
        await bot.runtime.drain()
        await bot.runtime.drain()
        await bot.resident("c").say("hủy nhận tin")  # after the run, before staff send the SMS

        cfg = write_config(tmp_path / "c.toml", db_url, **cli_sections(sms_gateway_url=gateway.url))
        args = ["announcements", "fallback", str(ann), "--channel", "sms", "--config", str(cfg)]
        assert await asyncio.to_thread(main, args) == 0
        assert [r["body"]["to"] for r in gateway.received] == [PHONES["b"]]

        other = await announce(bot, title="Họp dân", text="Họp dân tối thứ Sáu tại nhà văn hóa thôn.")
        await bot.runtime.drain()
        await bot.runtime.drain()
        status, _ = await call(bot, "POST", f"/api/v1/announcements/{other}/cancel", {"cancelled_by": "Cán bộ A"})
        assert status == 200
        args[2] = str(other)
        assert await asyncio.to_thread(main, args) == 0
        assert len(gateway.received) == 1, "a cancelled announcement went out by SMS"
