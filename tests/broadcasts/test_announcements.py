"""Announcements end to end: created over the HTTP API, fired by the scheduler, fanned out through the
outbox and delivered to the fake Zalo. Time is the service's clock, moved by the tests."""

from __future__ import annotations

from collections import Counter

from tests.broadcasts.kit import APPROVER_TOKEN, announce, broadcasting, call, onboard, received, sections
from tests.kit import BotHarness, Clock, local_time


async def households(bot: BotHarness) -> None:
    """a, c: Võng Nhi; b: Vạn Lăng; d: Võng Nhi but unsubscribed; e: unfollowed; f: never onboarded."""
    await onboard(bot, "a", "vong-nhi", "6")  # 6 = dien-nuoc
    await onboard(bot, "b", "van-lang", "4 6")  # 4 = y-te-dich-benh
    await onboard(bot, "c", "vong-nhi", "none")
    await onboard(bot, "d", "vong-nhi", "all")
    await bot.resident("d").say("#subscribe:stop")
    await onboard(bot, "e", "vong-nhi", "all")
    await bot.resident("e").send(*bot.events.unfollow("e"))
    await bot.resident("f").follow()


async def test_audience_by_thon_topic_and_urgency(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        await households(bot)
        await announce(bot, title="Họp thôn Võng Nhi", thon=["vong-nhi"])
        await announce(bot, title="Cắt điện", topics=["dien-nuoc"])
        await announce(bot, title="Tiêm chủng", topics=["y-te-dich-benh"], thon=["van-lang"])
        await announce(bot, title="Lũ sông Thu Bồn", topics=["y-te-dich-benh"], thon=["vong-nhi"], urgent=True)
        await announce(bot, title="Chào năm mới")  # everyone
        await bot.runtime.drain()
        assert received(bot, "Họp thôn Võng Nhi") == Counter({"a": 1, "c": 1})
        assert received(bot, "Cắt điện") == Counter({"a": 1, "b": 1})
        assert received(bot, "Tiêm chủng") == Counter({"b": 1})
        # Urgent ignores topic choices and "hủy nhận tin", but never messages someone who unfollowed.
        assert received(bot, "Lũ sông Thu Bồn", urgent=True) == Counter({"a": 1, "c": 1, "d": 1})
        assert received(bot, "Chào năm mới") == Counter({"a": 1, "b": 1, "c": 1, "f": 1})


async def test_scheduled_send_fires_once_at_its_time(db_url: str) -> None:
    clock = Clock(2026, 11, 30, 10, 0)
    async with BotHarness.start(db_url, clock=clock, **sections()) as bot:
        await onboard(bot, "a", "vong-nhi")
        await onboard(bot, "b", "van-lang")
        ann = await announce(bot, title="Ngày thứ Tư không hẹn", send_at=local_time(2026, 12, 2, 7, 30).isoformat())
        await bot.runtime.drain()
        clock.set_local(2026, 12, 2, 7, 29)
        await bot.runtime.drain()
        assert received(bot, "Ngày thứ Tư không hẹn") == Counter()
        clock.set_local(2026, 12, 2, 7, 30)
        await bot.runtime.drain()
        clock.advance(days=3)
        await bot.runtime.drain()
        assert received(bot, "Ngày thứ Tư không hẹn") == Counter({"a": 1, "b": 1})
        status, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        assert status == 200 and report["status"] == "started" and report["next_run_at"] is None
        [run] = report["runs"]
        assert run["status"] == "done" and run["outcomes"]["sent"] == 2
        assert run["due_at"] == local_time(2026, 12, 2, 7, 30).isoformat()


async def test_recurring_send_fires_once_per_occurrence(db_url: str) -> None:
    clock = Clock(2026, 11, 29, 12, 0)  # a Sunday
    async with BotHarness.start(db_url, clock=clock, **sections()) as bot:
        await onboard(bot, "a", "vong-nhi")
        ann = await announce(bot, title="Thu gom rác", repeat="0 7 * * mon")
        for hours in (18, 1, 0, 5, 163, 1, 1):  # Mon 06:00, 07:00, again, 12:00, next Mon 07:00, 08:00, 09:00
            clock.advance(hours=hours)
            await bot.runtime.drain()
        assert received(bot, "Thu gom rác") == Counter({"a": 2})
        _, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        assert [r["due_at"] for r in report["runs"]] == [local_time(2026, 12, 7, 7).isoformat(),
                                                         local_time(2026, 11, 30, 7).isoformat()]
        assert report["status"] == "scheduled" and report["next_run_at"] == local_time(2026, 12, 14, 7).isoformat()


async def test_after_downtime_a_due_send_goes_late_or_is_missed(db_url: str) -> None:
    clock = Clock(2026, 11, 30, 10, 0)
    async with BotHarness.start(db_url, clock=clock, **sections(max_lateness_seconds=3600)) as bot:
        await onboard(bot, "a", "vong-nhi")
        late = await announce(bot, title="Hơi trễ", send_at=local_time(2026, 11, 30, 11).isoformat())
        missed = await announce(bot, title="Quá trễ", send_at=local_time(2026, 11, 30, 10, 30).isoformat())
        weekly = await announce(bot, title="Hằng tuần", repeat="0 9 * * mon,tue,wed")
        clock.set_local(2026, 11, 30, 11, 45)  # the service was down from 10:00 to 11:45
        await bot.runtime.drain()
        assert received(bot, "Hơi trễ") == Counter({"a": 1})  # 45 min late: within the hour
        assert received(bot, "Quá trễ") == Counter()  # 75 min late: missed, never sent
        _, report = await call(bot, "GET", f"/api/v1/announcements/{missed}")
        assert report["status"] == "missed" and [r["status"] for r in report["runs"]] == ["missed"]
        _, report = await call(bot, "GET", f"/api/v1/announcements/{late}")
        assert report["runs"][0]["status"] == "done"

        clock.set_local(2026, 12, 2, 9, 40)  # down from Monday 11:45 to Wednesday 09:40
        await bot.runtime.drain()
        clock.advance(hours=1)
        await bot.runtime.drain()
        _, report = await call(bot, "GET", f"/api/v1/announcements/{weekly}")
        statuses = {r["due_at"]: r["status"] for r in report["runs"]}
        assert statuses == {local_time(2026, 12, 1, 9).isoformat(): "missed",
                            local_time(2026, 12, 2, 9).isoformat(): "done"}
        assert received(bot, "Hằng tuần") == Counter({"a": 1})


async def test_cancel_stops_what_is_not_yet_sent(db_url: str) -> None:
    clock = Clock()
    async with BotHarness.start(db_url, clock=clock, **sections(send_batch_size=2)) as bot:  # 2 per claim
        for user in "abcde":
            await onboard(bot, user, "vong-nhi")
        ann = await announce(bot, title="Sẽ hủy")
        bc = broadcasting(bot)
        await bc.loop.run_once()  # fired and expanded: five queued
        assert await bc.sender.run_once() == 2
        status, answer = await call(bot, "POST", f"/api/v1/announcements/{ann}/cancel", {"by": "Cán bộ A"})
        assert status == 200 and answer["status"] == "cancelled"
        await bot.runtime.drain()
        assert sum(received(bot, "Sẽ hủy").values()) == 2
        _, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        assert report["runs"][0]["outcomes"] == {"queued": 0, "sent": 2, "unreachable": 0, "failed": 0, "cancelled": 3}
        assert report["runs"][0]["status"] == "cancelled"

        recurring = await announce(bot, title="Mỗi ngày", repeat="0 8 * * *")
        await call(bot, "POST", f"/api/v1/announcements/{recurring}/cancel", {"cancelled_by": "Cán bộ A"})
        clock.advance(days=2)
        await bot.runtime.drain()
        assert received(bot, "Mỗi ngày") == Counter()
        status, again = await call(bot, "POST", f"/api/v1/announcements/{recurring}/cancel", {"cancelled_by": "B"})
        assert status == 422 and "already cancelled" in again["details"][0]


async def test_quiet_hours_hold_non_urgent_sends_until_morning(db_url: str) -> None:
    clock = Clock(2026, 11, 30, 21, 30)
    async with BotHarness.start(db_url, clock=clock, **sections()) as bot:
        await onboard(bot, "a", "vong-nhi")
        ann = await announce(bot, title="Lịch họp")
        await announce(bot, title="Sơ tán", urgent=True)
        await bot.runtime.drain()
        assert received(bot, "Sơ tán", urgent=True) == Counter({"a": 1})
        assert received(bot, "Lịch họp") == Counter()
        _, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        assert report["runs"][0]["outcomes"]["queued"] == 1
        clock.set_local(2026, 12, 1, 6, 59)
        await bot.runtime.drain()
        assert received(bot, "Lịch họp") == Counter()
        clock.set_local(2026, 12, 1, 7, 0)
        await bot.runtime.drain()
        assert received(bot, "Lịch họp") == Counter({"a": 1})


async def test_approval_by_a_second_person_before_scheduling(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections(approval_required=True)) as bot:
        await onboard(bot, "a", "vong-nhi")
        ann = await announce(bot, title="Cần duyệt", by="Cán bộ A")
        await bot.runtime.drain()
        assert received(bot, "Cần duyệt") == Counter()
        path = f"/api/v1/announcements/{ann}/approve"
        status, _ = await call(bot, "POST", path, {"approved_by": "Chủ tịch"})  # lacks the approve scope
        assert status == 403
        status, answer = await call(bot, "POST", path, {"by": "cán bộ a"}, token=APPROVER_TOKEN)
        assert status == 422 and answer["details"][0].startswith("approved_by: must be a second person")
        status, answer = await call(bot, "POST", path, {"by": "Chủ tịch"}, token=APPROVER_TOKEN)
        assert status == 200 and answer["status"] == "scheduled"
        await bot.runtime.drain()
        assert received(bot, "Cần duyệt") == Counter({"a": 1})
        status, _ = await call(bot, "POST", path, {"approved_by": "Chủ tịch"}, token=APPROVER_TOKEN)
        assert status == 422


async def test_long_text_is_split_and_image_and_link_are_sent(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        await onboard(bot, "a", "vong-nhi")
        paragraph = "Nội dung thông báo dài về kế hoạch phòng chống lụt bão năm nay. " * 10
        await announce(bot, title="Kế hoạch", text="\n\n".join([paragraph] * 7), image_url="https://x.vn/a.jpg",
                       link="https://x.vn/ke-hoach")
        before = len(bot.fake.messages_for("a"))
        await bot.runtime.drain()
        got = bot.fake.messages_for("a")[before:]
        assert got[0].body["message"]["attachment"]["payload"]["elements"][0]["url"] == "https://x.vn/a.jpg"
        parts = got[1:]
        assert len(parts) in (3, 4) and all(len(p.text or "") <= 2000 for p in parts)
        assert sum(p.text.count("phòng chống lụt bão") for p in parts) == 70
        assert parts[0].text.startswith("📢 Kế hoạch") and parts[-1].text.endswith("UBND phường Thử Nghiệm")
        assert [b["title"] for b in parts[-1].buttons] == ["Xem chi tiết", "Cài đặt nhận tin"]


async def test_a_chatting_residents_reply_never_waits_behind_a_broadcast(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        await onboard(bot, "a", "vong-nhi")
        await announce(bot, title="Thông báo chung")
        await broadcasting(bot).loop.run_once()  # queued for "a", not sent yet
        await bot.post(*bot.events.text("a", "menu"))
        rt = bot.runtime
        while await rt.worker.run_once() + await rt.sender.run_once():  # the reply lane alone
            pass
        got = [r.text for r in bot.fake.messages_for("a")]
        assert any("Bạn cần giúp gì" in (t or "") for t in got[-2:])
        assert received(bot, "Thông báo chung") == Counter()


async def test_invalid_announcements_are_refused_naming_the_field(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        base = {"title": "T", "text": "x", "created_by": "A"}
        for body, detail in [
            ({**base, "thon": ["vong-nhi", "xom-moi"]}, "thon.1: unknown thôn 'xom-moi'"),
            ({**base, "topics": ["bong-da"]}, "topics.0: unknown topic 'bong-da'"),
            ({**base, "repeat": "0 7 * * 1"}, "repeat: write the weekday as a name"),
            ({**base, "repeat": "0 25 * * *"}, "repeat: not a valid crontab"),
            ({**base, "send_at": "2020-01-01T07:00:00+07:00"}, "send_at: 2020-01-01T07:00:00+07:00 is in the past"),
            ({**base, "send_at": "2026-12-01T07:00:00"}, "send_at: Input should have timezone info"),
            ({**base, "link": "javascript:alert(1)"}, "link: Value error, must be an http:// or https:// address"),
            ({"text": "x", "created_by": "A"}, "title: Field required"),
            ({**base, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ]:
            status, answer = await call(bot, "POST", "/api/v1/announcements", body)
            assert status == 422 and any(d.startswith(detail) for d in answer["details"]), (body, answer)
        assert (await call(bot, "POST", "/api/v1/announcements", base, token=None))[0] == 401
        assert (await call(bot, "GET", "/api/v1/announcements/999"))[0] == 404


async def test_unfollow_or_unsubscribe_after_queueing_stops_the_send(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), **sections()) as bot:
        for user in "abc":
            await onboard(bot, user, "vong-nhi")
        ann = await announce(bot, title="Đã xếp hàng")
        await broadcasting(bot).loop.run_once()  # queued for a, b and c
        await bot.post(*bot.events.unfollow("a"))
        await bot.post(*bot.events.text("b", "#subscribe:stop"))
        await bot.runtime.drain()  # the worker handles both events before the broadcast sender runs
        assert received(bot, "Đã xếp hàng") == Counter({"c": 1})
        _, report = await call(bot, "GET", f"/api/v1/announcements/{ann}")
        assert report["runs"][0]["cancelled_by_reason"] == {"unfollowed": 1, "unsubscribed": 1}
        await bot.resident("a").follow()  # following again restores the household's settings
        await announce(bot, title="Sau khi quay lại")
        await bot.runtime.drain()
        assert received(bot, "Sau khi quay lại") == Counter({"a": 1, "c": 1})
