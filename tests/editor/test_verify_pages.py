"""The "cần xác minh" page over HTTP: every unverified figure with its source; confirming one removes the
residents' caveat for that figure only, correcting one needs a source; the office's phone and hours are
labelled until confirmed, in the resident's language."""

from __future__ import annotations

import tomllib

from storage import flow_versions as repo
from tests.console.test_import_pages import shown
from tests.editor.kit import admin_and_approver, admin_console
from tests.kit import BotHarness, texts

CAVEAT = "xác minh chắc chắn"  # the card's caveat and the short card's
DEATH, BIRTH = "ho-tich/dang-ky-khai-tu", "ho-tich/dang-ky-khai-sinh"
UNVERIFIED_OFFICE = {"office_phone_verified": False, "office_hours_verified": False,
                     "office_hours": {0: ["07:30-11:30"], 1: ["07:30-11:30"]},
                     "thon": [{"slug": "thon-mot", "name": "Thôn Một"},
                              {"slug": "thon-hai", "name": "Thôn Hai", "verified": False}]}


async def active_procedure(bot: BotHarness, kind: str, slug: str) -> dict[str, object]:
    async with bot.runtime.engine.connect() as conn:
        content = (await repo.active_contents(conn))[kind]
    return next(p for p in tomllib.loads(content)["procedure"] if p["slug"] == slug)


async def test_confirming_a_fee_removes_the_caveat_for_that_procedure_only(db_url: str) -> None:
    async with admin_console(db_url) as (bot, staff):
        assert CAVEAT in texts(await bot.resident("u1").say("đăng ký khai tử"))
        page = await staff.get("/console/flows/verify")
        assert page.status == 200 and 'id="proc-ho-tich-dang-ky-khai-tu-fee_text"' in page.text
        assert shown(page, "linhtay.tpthuduc.hochiminhcity.gov.vn")  # the procedure's sources

        done = await staff.post("/console/flows/verify", {"key": f"proc:{DEATH}:fee_text", "action": "confirm",
                                                          "source": "Nghị quyết HĐND TP Đà Nẵng"})
        assert done.status == 302 and done.location == "/console/flows/verify?done=confirm"
        assert CAVEAT not in texts(await bot.resident("u2").say("đăng ký khai tử"))
        assert CAVEAT in texts(await bot.resident("u3").say("đăng ký khai sinh"))
        death = await active_procedure(bot, "catalog.toml", DEATH)
        assert death["verified"] is True and "unverified" not in death
        assert "Nghị quyết HĐND TP Đà Nẵng" in death["sources"]  # type: ignore[operator]
        assert 'id="proc-ho-tich-dang-ky-khai-tu-fee_text"' not in (await staff.get("/console/flows/verify")).text
        assert shown(await staff.get("/console/audit"), "flows.confirm")


async def test_a_correction_needs_a_source_and_drops_the_stale_english(db_url: str) -> None:
    async with admin_console(db_url) as (bot, staff):
        await staff.get("/console/flows/verify")
        key = f"proc:{BIRTH}:fee_text"
        refused = await staff.post("/console/flows/verify", {"key": key, "action": "correct", "value": "Miễn phí"})
        assert refused.status == 422 and shown(refused, "source: say where the corrected figure comes from")
        assert ">Miễn phí</textarea>" in refused.text  # what the admin typed is still there
        for form, line in [({"key": "proc:khong/co:fee_text", "action": "confirm"}, "key: there is no procedure"),
                           ({"key": f"proc:{BIRTH}:name", "action": "confirm"}, "key: name of"),
                           ({"key": "fact:office_fax", "action": "confirm"}, "key: office_fax"),
                           ({"key": f"proc:{BIRTH}:fee_text", "action": "correct", "value": " ", "source": "x"},
                            "value: write the corrected figure")]:
            refused = await staff.post("/console/flows/verify", form)
            assert refused.status == 422 and shown(refused, line), form
        done = await staff.post("/console/flows/verify", {"key": key, "action": "correct",
                                                          "value": "Miễn phí cho mọi trường hợp.",
                                                          "source": "Công văn số 1/UBND"})
        assert done.status == 302
        birth = await active_procedure(bot, "catalog.toml", BIRTH)
        assert birth["fee_text"] == "Miễn phí cho mọi trường hợp." and birth["unverified"] == ["papers"]
        assert "fee_text" not in await active_procedure(bot, "catalog.en.toml", BIRTH)
        assert shown(await staff.get("/console/audit"), "flows.correct")


async def test_the_office_phone_is_labelled_until_confirmed_and_only_admins_verify(db_url: str) -> None:
    async with admin_and_approver(db_url, commune=UNVERIFIED_OFFICE) as (bot, staff, lan):
        replies = await bot.resident("u1").say("số điện thoại bộ phận một cửa")
        card = texts(replies)
        assert "Gọi số này (chưa xác minh)" in replies[-1].button_titles()
        assert "0236 000 000 (số chưa được xác minh là của bộ phận một cửa)" in card
        english = texts(await bot.resident("u2").say("what is the office phone number"))
        assert "0236 000 000 (not verified as the one-stop desk's number)" in english
        page = await staff.get("/console/flows/verify")
        assert shown(page, "0236 000 000") and shown(page, "Thôn Hai") and not shown(page, "Thôn Một")
        assert (await lan.get("/console/flows/verify")).status == 403
        refused = await lan.post("/console/flows/verify", {"key": "fact:office_phone", "action": "confirm"})
        assert refused.status == 403

        bad = await staff.post("/console/flows/verify", {"key": "fact:office_hours", "action": "correct",
                                                         "value": "0 = 25:00-26:00", "source": "gọi điện"})
        assert bad.status == 422 and shown(bad, "value")
        renamed = await staff.post("/console/flows/verify", {"key": "fact:thon:thon-hai", "action": "correct",
                                                             "value": "Thôn Ba", "source": "x"})
        assert renamed.status == 422 and shown(renamed, "value: a thôn's name is corrected in the configuration file")
        assert (await staff.post("/console/flows/verify", {"key": "fact:office_phone", "action": "confirm",
                                                           "source": "Gọi thử ngày 5/12"})).status == 302
        replies = await bot.resident("u3").say("số điện thoại bộ phận một cửa")
        card = texts(replies)
        assert "Gọi bộ phận một cửa" in replies[-1].button_titles()
        assert "Điện thoại: 0236 000 000\n" in card + "\n" and "chưa được xác minh là" not in card
        assert CAVEAT[:10] in card or "chưa được xác minh" in card  # the hours still carry theirs
        assert (await staff.post("/console/flows/verify", {"key": "fact:office_hours", "action": "correct",
                                                           "value": "0 = 07:00-11:00\n1 = 07:00-11:00",
                                                           "source": "Thông báo của phường"})).status == 302
        card = texts(await bot.resident("u4").say("giờ làm việc bộ phận một cửa"))
        assert "07:00 – 11:00" in card and "chưa được xác minh" not in card
        page = await staff.get("/console/flows/verify")
        assert not shown(page, "Số điện thoại bộ phận một cửa") and shown(page, "Gọi thử ngày 5/12")


async def test_the_wednesday_list_is_confirmed_whole_with_its_source(db_url: str) -> None:
    async with admin_console(db_url) as (bot, staff):
        waiting = "đang chờ phường xác nhận chính thức"
        assert waiting in texts(await bot.resident("u1").say("thứ tư không hẹn là gì"))
        asked = "khai tử thứ tư có làm xong trong ngày không"
        assert waiting in texts(await bot.resident("u2").say(asked))
        await staff.get("/console/flows/verify")
        refused = await staff.post("/console/flows/verify", {"key": "wednesday", "action": "confirm"})
        assert refused.status == 422 and shown(refused, "source: name the official list")
        done = await staff.post("/console/flows/verify", {"key": "wednesday", "action": "confirm",
                                                          "source": "Quyết định số 12/QĐ-UBND"})
        assert done.status == 302
        assert waiting not in texts(await bot.resident("u3").say("thứ tư không hẹn là gì"))
        answer = texts(await bot.resident("u4").say(asked))
        assert waiting not in answer and "15 giờ" in answer, answer  # answered, without the caveat
        page = await staff.get("/console/flows/verify")
        assert shown(page, "Đã đối chiếu danh sách Thứ Tư: Quyết định số 12/QĐ-UBND (hoa,")


async def test_with_approval_required_a_confirmation_waits_in_the_draft_for_a_second_person(db_url: str) -> None:
    async with admin_and_approver(db_url, approval=True) as (bot, hoa, lan):
        await hoa.get("/console/flows/verify")
        done = await hoa.post("/console/flows/verify", {"key": f"proc:{DEATH}:fee_text", "action": "confirm",
                                                        "source": "Nghị quyết HĐND TP Đà Nẵng"})
        assert done.location == "/console/flows/verify?done=pending"
        assert CAVEAT in texts(await bot.resident("u1").say("đăng ký khai tử")), "not before approval"
        await hoa.get("/console/flows")
        assert (await hoa.post("/console/flows/publish")).location == "/console/flows?done=pending"
        await lan.get("/console/flows")
        assert (await lan.post("/console/flows/approve")).status == 302
        assert CAVEAT not in texts(await bot.resident("u2").say("đăng ký khai tử"))
