"""Teaching the bot from residents' messages over HTTP: the unanswered and "did you mean" messages grouped
(masked, within retention), one added as an informal name or a cue into a draft, published, answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.config import AppConfig
from bot.editor import teach
from bot.services import build_services
from storage.models import UnansweredMessage
from tests.console.test_import_pages import shown
from tests.editor.kit import admin_and_approver, admin_console
from tests.kit import texts

NEWBORN = "làm giấy tờ cho đứa nhỏ mới đẻ"  # today: "did you mean…" three birth procedures
BIRTH = "ho-tich/dang-ky-khai-sinh"
CARD_TITLE = "Đăng ký khai sinh"


async def test_a_did_you_mean_message_is_grouped_taught_published_and_then_answered(db_url: str) -> None:
    async with admin_console(db_url) as (bot, staff):
        assert CARD_TITLE not in texts(await bot.resident("u1").say(NEWBORN))
        await bot.resident("u2").say("lam giay to cho dua nho moi de")  # the same, without accents
        await bot.resident("u3").say("con mèo nhà tôi đi lạc, ai thấy gọi 0905123456")
        async with bot.runtime.engine.connect() as conn:
            kinds = set((await conn.execute(select(UnansweredMessage.kind))).scalars())
        assert kinds == {"suggested", "unanswered"}

        page = await staff.get("/console/flows/teach")
        assert page.status == 200 and shown(page, NEWBORN) and shown(page, "2 lần")
        assert "0905123456" not in page.text and shown(page, "********56")
        assert page.text.index(f'value="proc:{BIRTH}"') < page.text.index("Ý định (cụm từ nhận biết)")

        added = await staff.post("/console/flows/teach", {"target": f"proc:{BIRTH}", "phrase": f"  {NEWBORN} "})
        assert added.status == 302 and "/console/flows/teach?done=" in added.location
        assert CARD_TITLE not in texts(await bot.resident("u5").say(NEWBORN)), "a draft reaches no resident"
        assert (await staff.post("/console/flows/publish")).status == 302
        assert CARD_TITLE in texts(await bot.resident("u4").say(NEWBORN))
        assert shown(await staff.get("/console/audit"), "flows.draft")


async def test_a_cue_is_added_to_the_lexicon_draft(db_url: str) -> None:
    async with admin_console(db_url) as (_bot, staff):
        await staff.get("/console/flows/teach")
        added = await staff.post("/console/flows/teach", {"target": "cue:handoff", "phrase": "cho gặp chú trưởng thôn"})
        assert added.status == 302
        diff = await staff.get("/console/flows/raw/lexicon.toml")
        assert shown(diff, '"cho gặp chú trưởng thôn"')


async def test_bad_input_names_the_field_and_others_may_not_teach(db_url: str) -> None:
    async with admin_and_approver(db_url) as (_, staff, lan):
        await staff.get("/console/flows/teach")
        for form, field in [({"target": "", "phrase": "abc"}, "target:"),
                            ({"target": "proc:khong-co/thu-tuc", "phrase": "abc"}, "target: there is no procedure"),
                            ({"target": "cue:menu_title", "phrase": "abc"}, "target: menu_title"),
                            ({"target": f"proc:{BIRTH}", "phrase": "   "}, "phrase:"),
                            ({"target": "cue:handoff", "phrase": "gặp * cán bộ"}, "phrase: a cue may not"),
                            ({"target": f"proc:{BIRTH}", "phrase": "x" * 200}, "phrase: 200 characters")]:
            refused = await staff.post("/console/flows/teach", form)
            assert refused.status == 422 and shown(refused, field), form
        assert (await lan.get("/console/flows/teach")).status == 403
        assert (await lan.post("/console/flows/teach", {"target": "cue:handoff", "phrase": "abc"})).status == 403


def test_similar_messages_are_one_group_and_old_ones_are_past_retention() -> None:
    understander = build_services(AppConfig()).understander
    now = datetime(2026, 12, 5, 12)
    rows = [("lam giay khai sinh cho con", "unanswered", now), ("làm giấy khai sinh cho con!", "suggested", now),
            ("Làm giấy khai sinh cho con nhé", "unanswered", now - timedelta(hours=1)),
            ("giờ làm việc thứ bảy", "unanswered", now)]
    groups = teach.group(understander, rows)
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].kinds == {"unanswered": 2, "suggested": 1}
