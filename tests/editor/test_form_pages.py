"""The editors that fit the data, over HTTP: a procedure as a form, the menu as an ordered list, the lexicon
and aspect words as tables with a "test a sentence" box. A valid edit lands in the draft (the diff shows
it and nothing else), a bad value is named beside its field, and only admins may edit."""

from __future__ import annotations

import html
import re
import tomllib
from typing import Any, get_args

import pytest

from bot.editor.procedure_pages import CHECKABLE, FIELDS, HANDLER_NAMES, ONLINE_NAMES, find, shown_values
from flows.procedures.catalog import Procedure
from flows.tomlfile import FlowFiles
from tests.console.kit import Page, StaffClient, add_staff
from tests.console.test_import_pages import shown
from tests.kit import BotHarness, texts

CONSOLE = {"console": {"require_totp_for": []}}
BIRTH = "ho-tich/dang-ky-khai-sinh"
FORM = f"/console/flows/procedures/{BIRTH}"


def procedure_form(slug: str = BIRTH, **changes: Any) -> list[tuple[str, str]]:
    """The shipped procedure as its form posts it, with `changes` (field → what the admin typed)."""
    item = find(tomllib.loads(FlowFiles.from_folder()["catalog.toml"]), slug)
    assert item is not None
    values = {**shown_values(item), **changes}
    form: list[tuple[str, str]] = [("unverified", name) for name in values.pop("unverified")]
    for name, value in values.items():
        if isinstance(value, bool):
            form += [(name, "1")] if value else []
        else:
            form.append((name, str(value)))
    return form


def diff_lines(page: Page) -> list[str]:
    """The changed lines of a raw page's diff (without the file headers)."""
    body = page.text.split('id="diff"', 1)[1].split("</pre>", 1)[0] if 'id="diff"' in page.text else ""
    lines = html.unescape(re.sub(r"<[^>]+>", "", body)).splitlines()
    return [x for x in lines if x[:1] in "+-" and not x.startswith(("+++", "---"))]


def error_beside(page: Page, field: str, message: str) -> bool:
    """The message is in the field's own block of the form."""
    block = page.text.split(f'id="field-{field}"', 1)[1].split('<div class="field"', 1)[0]
    return message in block


async def admin(bot: BotHarness, staff: StaffClient) -> None:
    await add_staff(bot, "hoa", "admin")
    await staff.login("hoa")


async def test_a_procedure_form_edits_only_the_changed_fields_and_residents_see_them(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        listed = await staff.get("/console/flows/procedures?q=khai sinh")
        assert listed.status == 200 and shown(listed, "Đăng ký khai sinh") and not shown(listed, "Đăng ký kết hôn")
        assert shown(await staff.get("/console/flows/procedures?q=ket hon"), "Đăng ký kết hôn")  # without accents
        page = await staff.get(FORM)
        assert page.status == 200 and shown(page, "Giấy chứng sinh bản chính")

        fee = "Lệ phí 12.000 đồng mỗi lần khai."
        saved = await staff.post(FORM, procedure_form(fee_text=fee, fee_amount="12.000"))
        assert saved.status == 302 and saved.location == f"{FORM}?saved=1"
        assert shown(await staff.get(saved.location), "Đã lưu vào bản nháp")
        raw = await staff.get("/console/flows/raw/catalog.toml")
        assert sorted(diff_lines(raw)) == sorted([
            '-fee_text = "Miễn phí nếu khai đúng hạn (trong 60 ngày). Khai quá hạn có thể thu 8.000 đồng, nhưng Đà '
            'Nẵng cũng miễn cho trẻ em — nên hỏi lại cán bộ một cửa."', f'+fee_text = "{fee}"',
            "-fee_amount = 0", "+fee_amount = 12000"])
        assert shown(await staff.get("/console/flows/procedures?q=khai sinh"), "đã sửa trong bản nháp")

        assert (await staff.post("/console/flows/publish")).status == 302
        card = texts(await bot.resident("u1").say("đăng ký khai sinh"))
        assert f"Lệ phí: {fee.rstrip('.')}" in card


async def test_an_informal_name_shows_in_the_sentence_box_of_the_procedure(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        sentence = "ghi tên thằng cu vô sổ"
        before, after = readings(await staff.get(f"{FORM}?text={sentence}"))
        assert "Không có thủ tục nào hợp" in before and "Không có thủ tục nào hợp" in after
        item = find(tomllib.loads(FlowFiles.from_folder()["catalog.toml"]), BIRTH)
        assert item is not None
        names = "\n".join([*item["informal_names"], sentence])
        saved = await staff.post(FORM, [*procedure_form(informal_names=names), ("text", sentence)])
        assert saved.status == 302 and "text=" in saved.location
        before, after = readings(await staff.get(saved.location))
        assert "Không có thủ tục nào hợp" in before and "hợp nhất: Đăng ký khai sinh (" in " ".join(after.split())
        assert diff_lines(await staff.get("/console/flows/raw/catalog.toml")) == [f'+  "{sentence}",']


async def test_bad_procedure_values_are_named_beside_their_fields(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        not_a_number = await staff.post(FORM, procedure_form(fee_amount="tám nghìn"))
        assert not_a_number.status == 422
        assert error_beside(not_a_number, "fee_amount", "không phải một số nguyên")
        assert 'value="tám nghìn"' in not_a_number.text  # shown as typed
        assert shown(await staff.get("/console/flows"), "Không có bản nháp"), "nothing was stored"

        negative = await staff.post(FORM, procedure_form(fee_amount="-5", working_days="3"))
        assert negative.status == 422
        assert error_beside(negative, "fee_amount", "must not be negative")
        assert error_beside(negative, "same_day_wednesday", "only for a procedure done within the day")
        overview = await staff.get("/console/flows")
        assert shown(overview, f"catalog: procedure {BIRTH}: fee_amount: Value error, must not be negative")

        unverified = await staff.post(FORM, procedure_form(fee_amount="0", working_days="0", verified=True))
        assert unverified.status == 422
        assert error_beside(unverified, "unverified", "verified must be false exactly when this list is non-empty")
        fixed = await staff.post(FORM, procedure_form(unverified=[], verified=True))
        assert fixed.status == 302
        raw = await staff.get("/console/flows/raw/catalog.toml")
        assert "+verified = true" in diff_lines(raw)
        assert shown(await staff.get(FORM), "Đã xác minh mọi số liệu")


async def test_the_menu_is_reordered_added_to_and_checked_across_languages(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        page = await staff.get("/console/flows/menu")
        assert page.status == 200 and 'value="Hướng dẫn thủ tục"' in page.text
        assert '<option value="#proc:browse" selected>' in page.text

        data = tomllib.loads(FlowFiles.from_folder()["texts.toml"])["menu"]
        form = [(k, e[k]) for e in data for k in ("title", "payload")]
        moved = await staff.post("/console/flows/menu?lang=vi", [*form, ("op", "down-0")])
        assert moved.status == 302 and moved.location == "/console/flows/menu?lang=vi&saved=1"
        assert (await staff.post("/console/flows/publish")).status == 302
        titles = [t for msg in await bot.resident("u1").say("menu") for t, _ in msg.buttons]
        assert titles[:2] == ["Thứ Tư không hẹn", "Hướng dẫn thủ tục"]

        # Removing an entry from one language only: both menus must offer the same commands.
        removed = await staff.post("/console/flows/menu?lang=vi", [*form, ("op", "remove-2")])
        assert removed.status == 422
        assert shown(removed, "texts.en.toml: menu: offers") and shown(removed, "'#dossier:start'")
        # A title Zalo would cut: named beside that entry.
        long = "Một tiêu đề rất dài mà Zalo không hiện hết được"
        cut = await staff.post("/console/flows/menu?lang=vi", [("title", long), *form[1:], ("op", "save")])
        assert cut.status == 422
        entry = cut.text.split('id="entry-0"', 1)[1].split("</li>", 1)[0]
        assert "characters; Zalo shows" in entry and 'aria-invalid="true"' in entry
        # Added in both languages: the residents' menu has it.
        for lang, title in (("en", "Topics"), ("vi", "Chủ đề tin")):
            current = tomllib.loads(FlowFiles.from_folder()[f"texts{'.en' if lang == 'en' else ''}.toml"])["menu"]
            fields = [(k, e[k]) for e in current for k in ("title", "payload")]
            added = await staff.post(f"/console/flows/menu?lang={lang}",
                                     [*fields, ("new_title", title), ("new_payload", "#news:topics"), ("op", "save")])
            assert added.status == (302 if lang == "vi" else 422), lang  # English alone offers one more
        assert (await staff.post("/console/flows/publish")).status == 302
        titles = [t for msg in await bot.resident("u2").say("menu") for t, _ in msg.buttons]
        assert titles[-1] == "Chủ đề tin"


def test_the_forms_choices_are_the_catalogs() -> None:
    fields = Procedure.model_fields
    assert set(HANDLER_NAMES) == set(get_args(fields["handled_by"].annotation))
    assert set(ONLINE_NAMES) == set(get_args(fields["online"].annotation))
    assert set(CHECKABLE) <= set(fields)
    assert {f.name for f in FIELDS} | {"slug", "field", "unverified"} == set(fields), "every field has a control"


@pytest.mark.parametrize("role", ["desk", "approver"])
async def test_only_admins_edit_with_the_forms(db_url: str, role: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "lan", role)
        await staff.login("lan")
        for path in ("/console/flows/menu", "/console/flows/procedures", FORM, "/console/flows/lexicon",
                     "/console/flows/lexicon/abbreviations"):
            assert (await staff.get(path)).status == 403, path
        for path in ("/console/flows/menu", FORM, "/console/flows/lexicon/cues"):
            assert (await staff.post(path, {"op": "save"})).status == 403, path


def row_form(page: Page) -> list[tuple[str, str]]:
    """The table form's fields as the page shows them (filtered rows only), without csrf."""
    form = page.text.split('id="rows"', 1)[1].split("</form>", 1)[0]
    out: list[tuple[str, str]] = []
    for m in re.finditer(r'<input type="hidden" name="(q|text|original)" value="([^"]*)"|'
                         r'<input name="(key|value)" value="([^"]*)"|<textarea name="value"[^>]*>([^<]*)</textarea>',
                         form):
        if m.group(1):
            out.append((m.group(1), html.unescape(m.group(2))))
        elif m.group(3):
            out.append((m.group(3), html.unescape(m.group(4))))
        else:
            out.append(("value", html.unescape(m.group(5))))
    return out


def filled(form: list[tuple[str, str]], key: str, value: str) -> list[tuple[str, str]]:
    """The first empty new row given `key` and `value`."""
    out, done = list(form), False
    for i in range(len(out) - 2):
        if not done and out[i] == ("original", "") and out[i + 1] == ("key", ""):
            out[i + 1], out[i + 2], done = ("key", key), ("value", value), True
    assert done
    return out


def readings(page: Page) -> tuple[str, str]:
    def text(name: str) -> str:
        block = page.text.split(f'id="reading-{name}"', 1)[1].split("</div>", 1)[0]
        return html.unescape(re.sub(r"<[^>]+>", " ", block))

    return text("active"), text("draft")


async def test_an_abbreviation_added_changes_how_a_sentence_is_read(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        sentence = "lam kss cho con"
        page = await staff.get(f"/console/flows/lexicon/abbreviations?q=khai sinh&text={sentence}")
        assert page.status == 200 and 'value="gks"' in page.text and 'value="tks"' not in page.text  # filtered
        saved = await staff.post("/console/flows/lexicon/abbreviations", filled(row_form(page), "kss", "khai sinh"))
        assert saved.status == 302 and "saved=1" in saved.location
        raw = await staff.get("/console/flows/raw/lexicon.toml")
        assert diff_lines(raw) == ['+kss = "khai sinh"']

        before, after = readings(await staff.get(saved.location))
        assert "lam kss cho con" in before and "Không có thủ tục nào hợp" in before
        assert "lam khai sinh cho con" in after and "Đăng ký khai sinh" in after
        assert after.count("(0.") + after.count("(1.") == 3, "the top three"

        # Removing a row (the filter keeps the other rows untouched).
        page = await staff.get("/console/flows/lexicon/abbreviations?q=kss")
        form = [*row_form(page), ("remove", "0")]
        assert (await staff.post("/console/flows/lexicon/abbreviations", form)).status == 302
        assert diff_lines(await staff.get("/console/flows/raw/lexicon.toml")) == []


async def test_bad_lexicon_rows_are_named_beside_them(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        page = await staff.get("/console/flows/lexicon/cues?q=liệt kê")
        form = [(k, v + "\n{khongco} thủ tục" if k == "value" and "liệt kê" in v else v) for k, v in row_form(page)]
        bad = await staff.post("/console/flows/lexicon/cues", form)
        assert bad.status == 422
        row = bad.text.split('id="row-browse"', 1)[1].split("</tr>", 1)[0]
        assert "unknown class {khongco}" in row

        page = await staff.get("/console/flows/lexicon/abbreviations?q=kss")  # "dk" is not shown, but taken
        taken = await staff.post("/console/flows/lexicon/abbreviations", filled(row_form(page), "dk", "điều kiện"))
        assert taken.status == 422 and shown(taken, "abbreviations.dk: already a row of this table")

        page = await staff.get("/console/flows/lexicon/dialect")
        bad = await staff.post("/console/flows/lexicon/dialect", filled(row_form(page), "hai chữ", "x"))
        assert bad.status == 422 and shown(bad, "keys must be single words: hai chữ")


async def test_aspect_words_and_conversation_cues_are_tables_too(db_url: str) -> None:
    async with BotHarness.start(db_url, **CONSOLE) as bot, StaffClient(bot) as staff:
        await admin(bot, staff)
        page = await staff.get("/console/flows/lexicon/aspects?q=fee")
        form = [(k, v + "\ntốn nhiêu" if k == "value" and "lệ phí" in v else v) for k, v in row_form(page)]
        assert (await staff.post("/console/flows/lexicon/aspects", form)).status == 302
        changed = diff_lines(await staff.get("/console/flows/raw/conversation.toml"))
        assert len(changed) == 2 and changed[1].startswith("+") and '"tốn nhiêu"' in changed[1]
        page = await staff.get("/console/flows/lexicon/aspects")
        bad = await staff.post("/console/flows/lexicon/aspects", filled(row_form(page), "gia", "giá"))
        assert bad.status == 422
        assert "Input should be &#39;papers&#39;" in bad.text.split('id="row-gia"', 1)[1].split("</tr>", 1)[0]
        assert 'value="grief"' in (await staff.get("/console/flows/lexicon/talk_cues")).text
        index = await staff.get("/console/flows/lexicon?text=tốn nhiêu")
        assert index.status == 200 and shown(index, "Từ hỏi về từng khía cạnh")
