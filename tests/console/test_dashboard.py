"""The dashboard counts what residents did through the fake Zalo: handoffs waiting (all, and the thôn
team's own), unanswered questions (masked), helpfulness per procedure, the next sends, and Zalo's state."""

from __future__ import annotations

from tests.broadcasts.kit import onboard, sections
from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, Clock

CONSOLE = {"require_totp_for": []}


def card(page_text: str, card_id: str) -> str:
    return page_text.split(f'id="{card_id}"')[1].split("</section>")[0]


async def test_dashboard_figures(db_url: str) -> None:
    async with BotHarness.start(db_url, clock=Clock(), console=CONSOLE, **sections()) as bot, \
            StaffClient(bot) as admin, StaffClient(bot) as team:
        for user, answer in (("u1", "Có, hữu ích"), ("u2", "Chưa hữu ích")):
            chat = bot.resident(user)
            await chat.say("lam giay khai tu cho ba")
            await chat.click(answer)
        await bot.resident("u3").say("đội tuyển mình tối nay đá mấy giờ, số tui 0905123456")
        await onboard(bot, "u4", "vong-nhi")
        await onboard(bot, "u5", "van-lang")
        for user in ("u4", "u5"):
            await bot.resident(user).say("#handoff:start")
        await add_staff(bot, "quan-tri", "admin")
        await add_staff(bot, "to-vong-nhi", "thon_team", thon=("vong-nhi",))
        await admin.login("quan-tri")
        await admin.get("/console/announcements/new")
        await admin.post("/console/announcements/new", [
            ("title", "Cắt nước"), ("text", "Sáng mai cắt nước."), ("send_at", "2026-12-01T08:00"),
            ("repeat", ""), ("repeat_time", "07:00"), ("repeat_weekday", "mon"), ("repeat_day", "1"),
            ("action", "save")])

        page = (await admin.get("/console/")).text
        assert '<span class="big">2</span> đang chờ' in card(page, "handoffs")
        unanswered = card(page, "unanswered")
        assert '<span class="big">1</span> câu' in unanswered and "0905123456" not in unanswered
        assert "Đăng ký khai tử: 1/2 hữu ích" in card(page, "ratings")
        sends = card(page, "next-sends")
        assert "Cắt nước" in sends and "01/12/2026 08:00" in sends
        assert "đang hoạt động" in card(page, "zalo") and "Tin chờ gửi: 0 trả lời · 0 thông báo" in card(page, "zalo")
        assert 'id="handoffs-here"' not in page  # the whole commune: no "my thôn" box

        await team.login("to-vong-nhi")
        page = (await team.get("/console/")).text
        assert '<span class="big">1</span> người' in card(page, "handoffs-here")  # u4 only
        assert "Cắt nước" in card(page, "next-sends")  # to every thôn, so to its thôn too
