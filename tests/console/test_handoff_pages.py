"""The handoff inbox over HTTP: "gặp cán bộ" opens a case routed to the household's thôn team (else the
desk); a thôn team sees only its thôn's cases; a reply goes through the outbox to the fake Zalo; assigning
and notes; a reveal needs a reason and is audited; closing brings the bot back and tells the resident; a
case past the handoff pause closes by itself."""

from __future__ import annotations

from tests.broadcasts.kit import onboard, sections
from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness, Clock, texts

CONSOLE = {"require_totp_for": [], "session_idle_minutes": 60 * 24 * 30, "session_absolute_hours": 24 * 30}


def said_to(bot: BotHarness, user: str) -> list[str]:
    return [r.text or "" for r in bot.fake.messages_for(user)]


async def test_case_routed_answered_and_closed(db_url: str) -> None:
    clock = Clock()
    async with BotHarness.start(db_url, clock=clock, console=CONSOLE, **sections()) as bot, \
            StaffClient(bot) as vn_team, StaffClient(bot) as vl_team, StaffClient(bot) as desk:
        await onboard(bot, "a", "vong-nhi", phone="0905123456", name="Trần Thị Bích")
        await bot.resident("z").follow()  # no household: the desk answers
        await add_staff(bot, "to-vong-nhi", "thon_team", thon=("vong-nhi",))
        await add_staff(bot, "to-van-lang", "thon_team", thon=("van-lang",))
        await add_staff(bot, "mot-cua", "desk")
        await add_staff(bot, "kiem-tra", "auditor")
        for client, name in ((vn_team, "to-vong-nhi"), (vl_team, "to-van-lang"), (desk, "mot-cua")):
            await client.login(name)

        assert "cán bộ" in texts(await bot.resident("a").say("gặp cán bộ"))
        await bot.resident("a").say("Tôi muốn hỏi về hồ sơ đất")  # the bot stays quiet
        await bot.resident("z").say("gặp cán bộ")

        inbox = await vn_team.get("/console/handoffs")
        assert inbox.status == 200 and 'href="/console/handoffs/1"' in inbox.text
        assert 'href="/console/handoffs/2"' not in inbox.text  # the desk's, not this thôn's
        assert 'href="/console/handoffs/1"' not in (await vl_team.get("/console/handoffs")).text
        assert (await vl_team.get("/console/handoffs/1")).status == 404
        everything = await desk.get("/console/handoffs")
        assert 'href="/console/handoffs/1"' in everything.text and 'href="/console/handoffs/2"' in everything.text
        assert everything.has("Bộ phận một cửa")
        dashboard = await vn_team.get("/console/")
        assert '<span class="big">1</span> hồ sơ đang chờ ở thôn của tôi' in dashboard.text

        case = await vn_team.get("/console/handoffs/1")
        assert case.has("Tôi muốn hỏi về hồ sơ đất") and case.has("Võng Nhi")
        assert case.has("Zalo còn cho phép trả lời trong") and case.has("7 ngày 0 giờ")
        assert not case.has("Trần Thị Bích") and not case.has("0905123456")  # masked
        assert case.has("********56")

        empty = await vn_team.post("/console/handoffs/1/reply", {"text": "  "})
        assert empty.status == 422 and empty.has("text: write the reply first")
        too_long = await vn_team.post("/console/handoffs/1/reply", {"text": "a" * 2001})
        assert too_long.status == 422 and too_long.has("text: at most 2000 characters")
        sent = await vn_team.post("/console/handoffs/1/reply", {"text": "Chào chị, mai chị ghé xã nhé."})
        assert sent.status == 302 and sent.location == "/console/handoffs/1?done=replied"
        await bot.runtime.drain()
        assert "Chào chị, mai chị ghé xã nhé." in said_to(bot, "a")
        page = await vn_team.get(sent.location)
        assert page.has("Đã gửi trả lời qua Zalo.") and page.has("Người xử lý: to-vong-nhi")
        assert page.has("Cán bộ ·")
        assert (await vn_team.get("/console/handoffs/1?canned=1")).has("mang căn cước")

        wrong = await vn_team.post("/console/handoffs/1/assign", {"assignee": "to-van-lang"})
        assert wrong.status == 422 and wrong.has("assignee: 'to-van-lang' is not a member who may work on this case")
        assert (await vn_team.post("/console/handoffs/1/assign", {"assignee": "mot-cua"})).status == 302
        assert (await vn_team.post("/console/handoffs/1/note", {"note": "Hẹn thứ Tư"})).status == 302
        page = await vn_team.get("/console/handoffs/1")
        assert page.has("Người xử lý: mot-cua") and page.has("Hẹn thứ Tư") and page.has("— to-vong-nhi,")

        no_reason = await vn_team.post("/console/handoffs/1/reveal", {"field": "phone", "reason": ""})
        assert no_reason.status == 422 and no_reason.has("reason: say why you need to see it")
        shown = await vn_team.post("/console/handoffs/1/reveal", {"field": "phone", "reason": "gọi lại cho chị"})
        assert shown.status == 200 and '<span id="value-phone">0905123456</span>' in shown.text
        assert (await vl_team.post("/console/handoffs/1/reveal", {"field": "phone", "reason": "tò mò thôi"})
                ).status == 404

        closed = await vn_team.post("/console/handoffs/1/close")
        assert closed.status == 302
        await bot.runtime.drain()
        assert said_to(bot, "a")[-1] == "Bot đã quay lại."
        assert (await bot.resident("a").say("tin tức"))  # the bot answers again
        again = await vn_team.post("/console/handoffs/1/close")
        assert again.status == 409 and again.has("close: the case is already closed")
        late = await vn_team.post("/console/handoffs/1/reply", {"text": "Còn một việc"})
        assert late.status == 409 and late.has("text: the case is closed")

        async with StaffClient(bot) as auditor:
            await auditor.login("kiem-tra")
            assert (await auditor.get("/console/handoffs/1")).status == 200
            assert (await auditor.post("/console/handoffs/2/reply", {"text": "x"})).status == 403
            log = await auditor.get("/console/audit?action=handoff")
            for action in ("handoff.reveal", "handoff.reply", "handoff.close", "handoff.assign", "handoff.note"):
                assert log.has(action), action
            assert log.has("gọi lại cho chị")

        clock.advance(hours=25)  # the desk never answered z: the pause ends, the case closes itself
        await bot.runtime.drain()
        page = await desk.get("/console/handoffs")
        assert page.has("tự động (hết thời gian chờ)")
