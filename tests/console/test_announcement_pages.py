"""Announcements in the console over HTTP: the preview's recipients per thôn and topic, the Zalo split and
quiet hours; a send to one thôn reaching only its households, once; approval by a second person; cancel;
a thôn team seeing only its thôn; the report and the unreachable households' CSV."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.broadcasts.kit import onboard, received, sections
from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, Clock

# The clock jumps hours and days here: sessions outlast it.
NO_TOTP = {"require_totp_for": [], "session_idle_minutes": 60 * 24 * 30, "session_absolute_hours": 24 * 30}
FORM = {"title": "Họp thôn", "text": "Tối thứ Bảy họp thôn tại nhà văn hóa.", "send_at": "", "repeat": "",
        "repeat_time": "07:00", "repeat_weekday": "mon", "repeat_day": "1"}


def form(**changes: Any) -> list[tuple[str, str]]:
    fields = {**FORM, **changes}
    out = [(k, v) for k, v in fields.items() if k not in ("thon", "topic", "urgent")]
    out += [("thon", s) for s in fields.get("thon", [])] + [("topic", s) for s in fields.get("topic", [])]
    return out + ([("urgent", "1")] if fields.get("urgent") else [])


async def households(bot: BotHarness) -> None:
    """a, c: Võng Nhi (a hears about dien-nuoc); d: Võng Nhi, unsubscribed; b: Vạn Lăng."""
    await onboard(bot, "a", "vong-nhi", "6", phone="0905000001")
    await onboard(bot, "b", "van-lang", "4 6", phone="0905000002")
    await onboard(bot, "c", "vong-nhi", "none")
    await onboard(bot, "d", "vong-nhi", "all")
    await bot.resident("d").say("#subscribe:stop")


async def test_preview_then_send_to_one_thon(db_url: str) -> None:
    clock = Clock(2026, 11, 30, 10, 0)
    async with BotHarness.start(db_url, clock=clock, console=NO_TOTP, **sections()) as bot, \
            StaffClient(bot) as staff:
        await households(bot)
        await add_staff(bot, "lan", "editor", zalo_user_id="zalo-lan")
        await staff.login("lan")
        assert (await staff.get("/console/announcements/new")).status == 200
        bad = await staff.post("/console/announcements/new", form(title="", thon=["ha-noi"], repeat="weekly",
                                                                   repeat_time="7h", action="preview"))
        assert bad.status == 422
        for line in ("repeat_time: must be a time like 07:30", "title: String should have at least 1 character"):
            assert bad.has(line), line
        bad = await staff.post("/console/announcements/new", form(thon=["ha-noi"], send_at="mai", action="save"))
        assert bad.has("thon: unknown thôn 'ha-noi'") and bad.has("send_at: 'mai' is not a date and time")

        preview = await staff.post("/console/announcements/new", form(thon=["vong-nhi"], action="preview"))
        assert preview.status == 200
        assert '<span class="big">2</span> hộ sẽ nhận qua Zalo' in preview.text
        row = preview.text.split('id="recipients"')[1].split("</tr>")[1]
        assert "Võng Nhi" in row and '"Sẽ nhận">2<' in row and '"Đã hủy nhận tin">1<' in row
        assert preview.has("Phần 1/1") and not preview.has('id="quiet"')
        topics = await staff.post("/console/announcements/new", form(topic=["dien-nuoc"], action="preview"))
        assert topics.has("Lịch cắt điện, cắt nước: 2 hộ")  # a and b
        long = await staff.post("/console/announcements/new", form(text="Câu dài. " * 300, send_at="2026-11-30T22:00",
                                                                    action="preview"))
        # Split as Zalo will get it: at the paragraph after the title, then within the 2,000 characters.
        assert long.has("Phần 1/3 · 10 ký tự") and long.has("Phần 3/3")
        assert long.has("thông báo không khẩn sẽ được gửi từ 07:00 01/12/2026")

        tested = await staff.post("/console/announcements/new", form(thon=["vong-nhi"], action="test"))
        assert tested.has("Đã gửi thử đến Zalo của bạn.")
        await bot.runtime.drain()
        assert received(bot, "Họp thôn") == Counter({"zalo-lan": 1})

        saved = await staff.post("/console/announcements/new", form(thon=["vong-nhi"], action="save"))
        assert saved.status == 302 and saved.location == "/console/announcements/1"
        await bot.runtime.drain()
        clock.advance(hours=1)
        await bot.runtime.drain()
        assert received(bot, "Họp thôn") == Counter({"zalo-lan": 1, "a": 1, "c": 1})
        detail = await staff.get("/console/announcements/1")
        assert detail.has("Đã gửi") and detail.has("Đã gửi 2 · đang chờ 0 · không liên lạc được 0")

        weekly = await staff.post("/console/announcements/new", form(title="Thu gom rác", repeat="weekly",
                                                                      repeat_weekday="mon", action="save"))
        page = await staff.get(weekly.location)
        assert page.has("lặp lại: hằng tuần vào Thứ Hai lúc 07:00")
        await staff.post(f"{weekly.location}/cancel")
        assert (await staff.get(weekly.location)).has("Đã hủy")
        clock.advance(days=8)
        await bot.runtime.drain()
        assert received(bot, "Thu gom rác") == Counter()


async def test_approval_by_a_second_person(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), console=NO_TOTP, **sections(approval_required=True)) as bot, \
            StaffClient(bot) as author, StaffClient(bot) as chair:
        await households(bot)
        await add_staff(bot, "lan", "editor", "approver")
        await add_staff(bot, "chu-tich", "approver")
        await author.login("lan")
        await author.get("/console/announcements/new")
        saved = await author.post("/console/announcements/new", form(thon=["van-lang"], action="save"))
        detail = await author.get(saved.location)
        assert detail.has("Chờ phê duyệt") and detail.has("Bạn tạo thông báo này: cần một người khác phê duyệt.")
        own = await author.post(f"{saved.location}/approve")
        assert own.status == 422 and own.has("approved_by: must be a second person")
        await bot.runtime.drain()
        assert received(bot, "Họp thôn") == Counter()

        await chair.login("chu-tich")
        dashboard = await chair.get("/console/")
        assert dashboard.has("Họp thôn") and '<span class="big">1</span> thông báo' in dashboard.text
        await chair.get(saved.location)
        assert (await chair.post(f"{saved.location}/approve")).status == 302
        await bot.runtime.drain()
        assert received(bot, "Họp thôn") == Counter({"b": 1})
        assert (await chair.post(f"{saved.location}/approve")).status == 422  # already approved
        assert (await chair.get("/console/audit")).status == 403  # approvers do not read the audit log
        await add_staff(bot, "kiem-tra", "auditor")
        await chair.login("kiem-tra")
        log = (await chair.get("/console/audit?action=announcement")).text.split('id="audit"')[1]
        assert "announcement.approve" in log and "chu-tich" in log and "announcement.create" in log


async def test_a_thon_team_sees_only_its_thon(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), console=NO_TOTP, **sections()) as bot, \
            StaffClient(bot) as office, StaffClient(bot) as team:
        await households(bot)
        bot.fake.set_user_error("a", -230)
        bot.fake.set_user_error("b", -230)
        await add_staff(bot, "lan", "editor")
        await add_staff(bot, "to-vong-nhi", "thon_team", thon=("vong-nhi",))
        await office.login("lan")
        await office.get("/console/announcements/new")
        everyone = (await office.post("/console/announcements/new", form(title="Cả phường", action="save"))).location
        other = (await office.post("/console/announcements/new", form(title="Vạn Lăng thôi", thon=["van-lang"],
                                                                       action="save"))).location
        await bot.runtime.drain()

        await team.login("to-vong-nhi")
        listing = await team.get("/console/announcements")
        assert listing.has("Cả phường") and not listing.has("Vạn Lăng thôi")
        assert (await team.get(other)).status == 403
        report = await team.get(everyone)
        assert report.has("Võng Nhi: đã gửi 1, không liên lạc được 1") and not report.has("Vạn Lăng:")
        assert report.has("Nguyễn V*** A***") and "0905000001" not in report.text  # masked on the page
        async with team.http.get(team.url(f"{everyone}/unreachable.csv")) as resp:
            assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
            rows = (await resp.text()).strip().splitlines()
        assert rows[1:] == ["Võng Nhi,Nguyễn Văn An,0905000001,Tổ 3,-230"]  # in full, its thôn only
        await team.get("/console/announcements/new")
        bad = await team.post("/console/announcements/new", form(thon=["van-lang"], action="preview"))
        assert bad.status == 422 and bad.has("thon: a thôn team sends only to its own thôn (vong-nhi)")
        own = await team.post("/console/announcements/new", form(title="Tổ thôn", thon=["vong-nhi"], action="save"))
        assert own.status == 302
        await bot.runtime.drain()
        assert received(bot, "Tổ thôn") == Counter({"c": 1})  # a is unreachable, d unsubscribed
        assert (await team.get("/console/news")).status == 403
