"""`python -m bot import dossiers|id-cards FILE` on messy CSV and XLSX exports written here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from storage.lookups.models import Dossier, IdCardResult
from tests.kit import texts, write_config
from tests.lookups.kit import (
    BIRTH,
    BIRTH_2,
    CODE,
    CODE_2,
    ID_NUMBER,
    ID_NUMBER_2,
    PHONE,
    PRIVACY,
    lookup_bot,
    notifications,
    rows,
    run_cli,
    write_csv,
    write_xlsx,
)

DOSSIER_HEADER = [" Mã hồ sơ ", "Tên thủ tục", "Họ tên người nộp", "Số điện thoại", "Trạng thái ", "Ngày tiếp nhận",
                  "Ngày hẹn trả", "Giấy tờ cần bổ sung"]
FIRST = [f"{CODE} ", "Đăng ký khai sinh", "Nguyễn Văn An", "0905 123 456", "  Đang xử lý", "12/03/2025", "45730", ""]


def messy_dossiers(path: Path, first: list[str] = FIRST) -> Path:
    return write_csv(path, [
        ["DANH SÁCH HỒ SƠ TIẾP NHẬN THÁNG 3/2025", "", "", "", "", "", "", ""],  # 1: a title block
        [],  # 2
        DOSSIER_HEADER,  # 3
        first,  # 4
        first,  # 5: exported twice
        [CODE_2.lower(), "Chứng thực bản sao", "Trần Thị Bình", "0935246810", "Yêu cầu bổ sung", "04/08/2026",
         "06/08/2026 17:00", "Bản chính giấy khai sinh;\nCăn cước"],  # 6
        [CODE, "Đăng ký khai sinh", "Nguyễn Văn An", "0905123456", "Đã có kết quả", "12/03/2025", "", ""],  # 7
        ["không có mã", "Đăng ký kết hôn", "Lê Văn Cường", "0911000111", "Đang xử lý", "", "", ""],  # 8
        ["000.31.25.H47-250313-0001", "Đăng ký kết hôn", "Lê Văn Cường", "0911000111", "Đang bay", "", "", ""],  # 9
        ["000.31.25.H47-250313-0002", "Đăng ký kết hôn", "Lê Văn Cường", "0911000111", "Đang xử lý", "",
         "31/02/2025", ""],  # 10
        ["", "", "", "", "", "", "", ""],  # 11: blank
    ])


async def test_messy_csv_rows_reported_by_number_and_reimport_changes_nothing(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "motcua.toml", db_url, privacy=PRIVACY)
    file = messy_dossiers(tmp_path / "mot-cua.csv")
    assert await run_cli("import", "dossiers", str(file), "--config", str(config)) == 1
    out, err = capsys.readouterr()
    assert "row 5: same as row 4, skipped" in out
    assert "7 rows read: 1 new, 0 updated, 0 unchanged, 1 duplicates skipped, 5 rejected" in out
    errors = err.splitlines()
    # Rows 4 and 7 disagree on the same dossier: neither is stored (which is right is not for us to guess).
    assert errors[0].startswith("row 4: 'Mã hồ sơ' (code): the same code as row 7 but different values")
    assert errors[1].startswith("row 7: 'Mã hồ sơ' (code): the same code as row 4 but different values")
    assert errors[2].startswith("row 8: 'Mã hồ sơ' (code): is not a dossier code")
    assert errors[3].startswith("row 9: 'Trạng thái' (status): unknown status")
    assert errors[4] == "row 10: 'Ngày hẹn trả' (due_on): is not a real calendar date"

    async with lookup_bot(db_url) as bot:
        stored = await rows(bot, Dossier)
        [second] = stored
        assert (second.code, second.status, second.due_on) == (CODE_2, "need_more", date(2026, 8, 6))
        assert second.missing_papers == "Bản chính giấy khai sinh\nCăn cước"
        dump = " ".join(str(v) for row in stored for v in row)
        assert "Nguyễn" not in dump and "Trần" not in dump and PHONE not in dump  # never read

        assert await run_cli("import", "dossiers", str(file), "--config", str(config)) == 1
        assert "0 new, 0 updated, 1 unchanged" in capsys.readouterr().out
        assert await rows(bot, Dossier) == stored

        chat = bot.resident("u1")  # the imported phone digits verify the resident
        await chat.say(f"hồ sơ {CODE_2}")
        assert "Bản chính giấy khai sinh" in texts(await chat.say("6810"))


def card_sheet(path: Path, ready_status: str = "Đã có thẻ") -> Path:
    return write_xlsx(path, [
        ["DANH SÁCH CÔNG DÂN ĐĂNG KÝ CẤP THẺ CĂN CƯỚC"],  # 1
        ["STT", "Họ và tên", "Số định danh", "Ngày sinh", "Số biên nhận", "Tình trạng", "Nơi trả", "Ngày hẹn trả"],
        # 3: the number lost its leading zero in Excel; a real date cell; a serial date number
        [1, "Nguyễn Văn An", int(ID_NUMBER), datetime(1990, 9, 5), "BN2026-000123", ready_status,
         "Công an phường Hội An Đông", 46101],
        # 4: two zeros lost, shown in scientific notation; dates typed as text
        [2, "Trần Thị Bình", "1.185004321E+09", BIRTH_2, " BN2026-000999 ", "Đang sản xuất", None, "25/03/2026"],
    ])


async def test_xlsx_restores_lost_leading_zeros_and_residents_find_their_card(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "motcua.toml", db_url, privacy=PRIVACY)
    assert await run_cli("import", "id-cards", str(card_sheet(tmp_path / "cong-an.xlsx")), "--config", str(config)) == 0
    assert "2 rows read: 2 new" in capsys.readouterr().out
    async with lookup_bot(db_url) as bot:
        first, second = await rows(bot, IdCardResult)
        assert (first.id_last4, first.ready_on, first.status) == (ID_NUMBER[-4:], date(2026, 3, 20), "ready")
        assert (second.receipt_no, second.status, second.pickup_place) == ("BN2026000999", "processing", "")
        for user, number, born, status in (("u1", ID_NUMBER, BIRTH, "đã có thẻ"),
                                           ("u2", ID_NUMBER_2, BIRTH_2, "đang làm thẻ")):
            chat = bot.resident(user)
            await chat.say("#idcard:start")
            await chat.click("Đồng ý")
            await chat.say(number)
            assert status in texts(await chat.say(born))


async def test_status_change_by_import_notifies_opted_in_residents_once(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "motcua.toml", db_url, privacy=PRIVACY)
    sheet = card_sheet(tmp_path / "cong-an.xlsx", ready_status="Đang sản xuất")
    assert await run_cli("import", "id-cards", str(sheet), "--config", str(config)) == 0
    async with lookup_bot(db_url) as bot:
        chat = bot.resident("u1")
        await chat.say("#idcard:start")
        await chat.click("Đồng ý")
        await chat.say("BN2026-000123")
        await chat.say(BIRTH)
        await chat.click("Báo khi có thay đổi")
        seen = len(bot.fake.messages_for("u1"))

        assert await run_cli("import", "id-cards", str(sheet), "--config", str(config)) == 0  # unchanged
        changed = card_sheet(tmp_path / "cong-an-2.xlsx")
        assert await run_cli("import", "id-cards", str(changed), "--config", str(config)) == 0
        assert await run_cli("import", "id-cards", str(changed), "--config", str(config)) == 0
        assert "1 notifications queued" in capsys.readouterr().out
        await bot.runtime.drain()
        [note] = bot.fake.messages_for("u1")[seen:]
        assert "đã có thẻ" in note.text and "********0123" in note.text and "Công an" in note.text
        assert len(await notifications(bot)) == 1


async def test_unusable_files_exit_2_and_store_nothing(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "motcua.toml", db_url, privacy=PRIVACY)
    no_phone = write_csv(tmp_path / "no-phone.csv", [["Mã hồ sơ", "Trạng thái"], [CODE, "Đang xử lý"]])
    assert await run_cli("import", "dossiers", str(no_phone), "--config", str(config)) == 2
    assert "missing columns: phone (accepted headers: Số điện thoại" in capsys.readouterr().err
    no_header = write_csv(tmp_path / "other.csv", [["a", "b"], ["1", "2"]])
    assert await run_cli("import", "dossiers", str(no_header), "--config", str(config)) == 2
    assert "no header row with a code column" in capsys.readouterr().err
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert await run_cli("import", "id-cards", str(pdf), "--config", str(config)) == 2
    assert "unsupported file type .pdf" in capsys.readouterr().err
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert await run_cli("import", "id-cards", str(broken), "--config", str(config)) == 2
    assert "not a readable .xlsx file" in capsys.readouterr().err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Mã hồ sơ;Trạng thái\n".encode("cp1258", errors="replace"))  # one byte a letter: not UTF-8
    assert await run_cli("import", "dossiers", str(latin), "--config", str(config)) == 2
    assert "CSV UTF-8" in capsys.readouterr().err
    keyless = tmp_path / "keyless.toml"
    keyless.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    assert await run_cli("import", "dossiers", str(messy_dossiers(tmp_path / "m.csv")), "--config", str(keyless)) == 2
    assert "privacy.hash_key is not set" in capsys.readouterr().err
    async with lookup_bot(db_url) as bot:
        assert await rows(bot, Dossier) == [] and await rows(bot, IdCardResult) == []


async def test_column_mapping_and_status_labels_come_from_the_configuration(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "motcua.toml", db_url, privacy=PRIVACY,
                          imports={"dossier_columns": {"code": ["Số phiếu"]},
                                   "dossier_statuses": {"Chờ Chủ tịch ký": "processing"}})
    file = write_csv(tmp_path / "h57.csv", [["Số phiếu", "SĐT", "Tình trạng"], [CODE_2, "2468", "chờ chủ tịch ký"]],
                     delimiter=";")
    assert await run_cli("import", "dossiers", str(file), "--config", str(config)) == 0
    assert "1 new" in capsys.readouterr().out
    async with lookup_bot(db_url) as bot:
        [row] = await rows(bot, Dossier)
        assert (row.code, row.status) == (CODE_2, "processing")
