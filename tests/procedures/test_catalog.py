"""The procedure catalog: the shipped file loads and matches the facts sheet; bad files fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.procedures.catalog import (
    FIELD_SLUGS,
    HANDLER_NAMES,
    CatalogError,
    Procedure,
    load_catalog,
)
from flows.tomlfile import FlowFiles

# Every `####` heading of section 1 of the facts sheet (35 procedures).
FACTS_SHEET_SLUGS = {
    "ho-tich/dang-ky-khai-sinh", "ho-tich/lien-thong-khai-sinh-thuong-tru-bhyt",
    "ho-tich/khai-sinh-ket-hop-nhan-cha-me-con", "ho-tich/dang-ky-ket-hon", "ho-tich/dang-ky-khai-tu",
    "ho-tich/lien-thong-khai-tu-xoa-thuong-tru-mai-tang", "ho-tich/dang-ky-nhan-cha-me-con",
    "ho-tich/xac-nhan-tinh-trang-hon-nhan", "ho-tich/cap-ban-sao-trich-luc", "ho-tich/dang-ky-lai-khai-sinh",
    "ho-tich/thay-doi-cai-chinh-bo-sung", "ho-tich/dang-ky-giam-ho", "ho-tich/dang-ky-lai-ket-hon",
    "chung-thuc/ban-sao-tu-ban-chinh", "chung-thuc/chu-ky", "chung-thuc/hop-dong-giao-dich",
    "chung-thuc/chu-ky-nguoi-dich", "chung-thuc/cap-ban-sao-tu-so-goc",
    "nguoi-co-cong/tro-cap-mai-tang-khi-tu-tran", "nguoi-co-cong/tro-cap-tho-cung-liet-si",
    "nguoi-co-cong/giay-gioi-thieu-chinh-hinh-phcn", "nguoi-co-cong/ho-tro-tham-vieng-mo-liet-si",
    "nguoi-co-cong/xac-nhan-che-do-uu-dai", "bhxh/cap-the-bhyt-tre-duoi-6-tuoi", "bhxh/bhyt-ho-gia-dinh",
    "bhxh/bhxh-tu-nguyen", "bhxh/cap-lai-doi-the-bhyt", "bhxh/tro-cap-huu-tri-xa-hoi",
    "gtvt/dang-ky-phuong-tien-thuy-noi-dia", "gtvt/dang-ky-xe-tai-cong-an-xa",
    "gtvt/su-dung-tam-thoi-long-duong-he-pho", "don-thu/kien-nghi-phan-anh", "don-thu/khieu-nai-lan-dau",
    "don-thu/to-cao", "don-thu/tiep-cong-dan",
}
# Procedures residents ask the commune about but the police decide (not in the facts sheet).
POLICE_SLUGS = {
    "cu-tru/cap-doi-cap-lai-can-cuoc", "cu-tru/dang-ky-thuong-tru", "cu-tru/dang-ky-tam-tru",
    "cu-tru/thong-bao-luu-tru", "cu-tru/xac-nhan-thong-tin-cu-tru",
}

VALID = '''
[[procedure]]
slug = "ho-tich/dang-ky-khai-sinh"
name = "Đăng ký khai sinh"
short_name = "Đăng ký khai sinh"
field = "ho-tich"
papers = ["Tờ khai"]
time_text = "Trong ngày"
fee_text = "Miễn phí"
fee_amount = 0
where = "UBND phường"
verified = true
'''


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def write(tmp_path: Path, text: str) -> FlowFiles:
    return FlowFiles({"catalog.toml": text})


def test_every_facts_sheet_procedure_is_in_the_catalog(catalog) -> None:
    assert len(FACTS_SHEET_SLUGS) == 35
    assert set(catalog.by_slug) == FACTS_SHEET_SLUGS | POLICE_SLUGS
    assert len(catalog.procedures) == 40


def test_default_path_points_into_flows_default() -> None:
    assert "catalog.toml" in FlowFiles.from_folder()


def test_seven_fields_with_display_names(catalog) -> None:
    assert set(catalog.fields) == set(FIELD_SLUGS) and len(FIELD_SLUGS) == 7
    assert catalog.fields["ho-tich"].name == "Hộ tịch"
    assert {p.field for p in catalog.procedures} == set(FIELD_SLUGS)
    assert all(p.slug.startswith(p.field + "/") for p in catalog.procedures)
    assert len(catalog.in_field("chung-thuc")) == 5


def test_unverified_matches_the_flag(catalog) -> None:
    for p in catalog.procedures:
        assert p.verified == (not p.unverified), p.slug
        assert set(p.unverified) <= set(Procedure.model_fields), p.slug
    # The sheet marks these figures "chưa xác minh".
    assert "fee_text" in catalog.by_slug["ho-tich/dang-ky-khai-sinh"].unverified
    assert "code" in catalog.by_slug["chung-thuc/chu-ky-nguoi-dich"].unverified
    assert catalog.by_slug["chung-thuc/chu-ky"].verified


def test_police_and_social_insurance_are_named(catalog) -> None:
    assert catalog.by_slug["gtvt/dang-ky-xe-tai-cong-an-xa"].handled_by == "cong_an"
    for slug in ("bhxh/cap-the-bhyt-tre-duoi-6-tuoi", "bhxh/bhyt-ho-gia-dinh", "bhxh/bhxh-tu-nguyen"):
        assert catalog.by_slug[slug].handled_by == "bhxh"
    assert catalog.by_slug["bhxh/tro-cap-huu-tri-xa-hoi"].handled_by == "ubnd"
    assert set(HANDLER_NAMES) >= {p.handled_by for p in catalog.procedures}


def test_figures_from_the_sheet(catalog) -> None:
    assert catalog.by_slug["ho-tich/cap-ban-sao-trich-luc"].fee_amount == 8000
    assert catalog.by_slug["chung-thuc/chu-ky"].fee_amount == 10000
    assert catalog.by_slug["chung-thuc/hop-dong-giao-dich"].fee_amount == 50000
    assert catalog.by_slug["ho-tich/dang-ky-khai-sinh"].code == "1.001193"
    assert catalog.by_slug["ho-tich/xac-nhan-tinh-trang-hon-nhan"].working_days == 3
    assert catalog.by_slug["ho-tich/dang-ky-khai-tu"].working_days == 0
    assert all(p.online == "none" or p.online_url for p in catalog.procedures)
    assert all(p.papers and p.informal_names and p.keywords for p in catalog.procedures)


def test_the_wednesday_list_is_the_facts_sheets_twenty(catalog) -> None:
    """The sheet's 20 items: those solved the same day, and those only received (khiếu nại and tố cáo are
    one item: received, entered in the book, guided — not solved the same day)."""
    same_day, received = catalog.wednesday_list()
    assert len(same_day) + len(received) == 20
    assert "Đăng ký khai sinh" in same_day and "Chứng thực bản sao (sao y bản chính)" in same_day
    assert "Tiếp nhận đơn khiếu nại, tố cáo (vào sổ, hướng dẫn)" in received
    slugs = {p.slug for p in catalog.same_day()}
    assert not slugs & {"don-thu/khieu-nai-lan-dau", "don-thu/to-cao", "gtvt/dang-ky-xe-tai-cong-an-xa"}
    assert "CHƯA XÁC MINH" in catalog.note


def test_the_same_day_badge_is_only_where_the_cards_time_is_same_day(catalog) -> None:
    for p in catalog.procedures:
        if p.same_day_wednesday:
            assert p.working_days == 0, p.slug
            assert any(words in p.time_text.lower() for words in ("trong ngày", "ngay khi nhận")), p.slug
            assert p.wednesday_received is None, p.slug


def test_a_same_day_badge_on_a_procedure_that_takes_days_is_refused(tmp_path: Path) -> None:
    text = VALID.replace('time_text = "Trong ngày"', 'time_text = "3 ngày làm việc"\nworking_days = 3')
    with pytest.raises(CatalogError) as e:
        load_catalog(write(tmp_path, text + "same_day_wednesday = true\n"))
    assert "procedure ho-tich/dang-ky-khai-sinh: same_day_wednesday: " in str(e.value)
    with pytest.raises(CatalogError) as e:
        load_catalog(write(tmp_path, VALID + 'working_days = 0\nsame_day_wednesday = true\nwednesday_received = "x"\n'))
    assert "wednesday_received: " in str(e.value)


def test_minimal_valid_file(tmp_path: Path) -> None:
    cat = load_catalog(write(tmp_path, VALID))
    assert list(cat.by_slug) == ["ho-tich/dang-ky-khai-sinh"]
    assert cat.fields["bhxh"].name  # defaults fill the display names


def test_bad_value_names_slug_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("fee_amount = 0", 'fee_amount = "tám nghìn"'))
    with pytest.raises(CatalogError) as e:
        load_catalog(path)
    assert str(e.value).startswith(
        "catalog: procedure ho-tich/dang-ky-khai-sinh: fee_amount: Input should be a valid integer"
    )
    assert "\n" not in str(e.value)


def test_every_problem_is_one_line(tmp_path: Path) -> None:
    second = VALID.replace("ho-tich/dang-ky-khai-sinh", "ho-tich/khac").replace('field = "ho-tich"', 'field = "y-te"')
    text = VALID.replace("verified = true", 'verified = true\nunverified = ["fee_text"]\ncolour = "red"') + second
    with pytest.raises(CatalogError) as e:
        load_catalog(write(tmp_path, text))
    lines = e.value.problems
    assert any(line.startswith("catalog: procedure ho-tich/dang-ky-khai-sinh: unverified:") for line in lines)
    assert any(line.startswith("catalog: procedure ho-tich/dang-ky-khai-sinh: colour:") for line in lines)
    assert any(line.startswith("catalog: procedure ho-tich/khac: field:") for line in lines)
    assert str(e.value).count("\n") == len(lines) - 1


def test_duplicate_slug(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as e:
        load_catalog(write(tmp_path, VALID + VALID))
    assert "catalog: procedure ho-tich/dang-ky-khai-sinh: slug: duplicate" in str(e.value)


def test_unverified_needs_flag_false_and_known_names(tmp_path: Path) -> None:
    text = VALID.replace("verified = true", 'verified = false\nunverified = ["price"]')
    with pytest.raises(CatalogError) as e:
        load_catalog(write(tmp_path, text))
    assert "unverified: Value error, names unknown fields: price" in str(e.value)
    with pytest.raises(CatalogError, match=r"unverified: .*verified must be false"):
        load_catalog(write(tmp_path, VALID.replace("verified = true", "verified = false")))


def test_online_needs_url_and_slug_needs_field(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"online_url: .*required"):
        load_catalog(write(tmp_path, VALID + 'online = "full"\n'))
    with pytest.raises(CatalogError, match=r"procedure chung-thuc/x: field: .*must start"):
        load_catalog(write(tmp_path, VALID.replace('slug = "ho-tich/dang-ky-khai-sinh"', 'slug = "chung-thuc/x"')))


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="file not found"):
        load_catalog(FlowFiles({}))
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(write(tmp_path, "[[procedure]\n"))


def test_police_procedures_say_who_decides_and_cite_sources(catalog) -> None:
    for slug in POLICE_SLUGS:
        p = catalog.by_slug[slug]
        assert p.handled_by == "cong_an" and p.field == "cu-tru", slug
        assert "Công an phường" in p.where and "không phải UBND" in p.where, slug
        assert p.sources and not p.verified and p.unverified, slug  # figures not all confirmed
    guests = catalog.by_slug["cu-tru/thong-bao-luu-tru"]
    assert "23 giờ" in guests.time_text and guests.fee_amount == 0
    assert catalog.by_slug["cu-tru/cap-doi-cap-lai-can-cuoc"].working_days == 7
