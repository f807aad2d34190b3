"""Understanding resident messages: intents, procedure ranking, typos, codes, villages, lexicon errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.procedures.catalog import load_catalog
from flows.text.lexicon import LexiconError, load_lexicon
from flows.text.understand import (
    INTENTS,
    Understander,
    Understanding,
    decide,
    find_dossier_code,
    load_default_understander,
)
from flows.tomlfile import FlowFiles

THON = ["Thanh Nhứt", "Thanh Tam Đông", "Thanh Tam Tây", "Thanh Đông", "Võng Nhi", "Vạn Lăng"]
TOPICS = ["dien-nuoc", "thien-tai-bao-lu", "y-te-dich-benh", "moi-truong"]


@pytest.fixture(scope="module")
def u() -> Understander:
    return Understander(load_catalog(), load_lexicon(), THON, TOPICS)


def top(x: Understanding) -> str | None:
    return x.procedures[0][0] if x.procedures else None


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("con gái tôi mới chào đời, đi khai sinh mang gì", "ho-tich/dang-ky-khai-sinh"),
        ("khai sinh 3 trong 1 cho bé trên điện thoại", "ho-tich/lien-thong-khai-sinh-thuong-tru-bhyt"),
        ("sắp cưới vợ, đăng ký kết hôn ở phường cần gì", "ho-tich/dang-ky-ket-hon"),
        ("ông nội tôi vừa qua đời, làm giấy báo tử ở đâu", "ho-tich/dang-ky-khai-tu"),
        ("xin giấy xác nhận độc thân mất mấy ngày", "ho-tich/xac-nhan-tinh-trang-hon-nhan"),
        ("cần thêm một bản trích lục khai sinh", "ho-tich/cap-ban-sao-trich-luc"),
        ("giấy khai sinh ghi sai năm sinh của con", "ho-tich/thay-doi-cai-chinh-bo-sung"),
        ("sao y bằng đại học", "chung-thuc/ban-sao-tu-ban-chinh"),
        ("chứng thực hợp đồng tặng cho nhà đất", "chung-thuc/hop-dong-giao-dich"),
        ("xin tiền hương khói cho chú liệt sĩ", "nguoi-co-cong/tro-cap-tho-cung-liet-si"),
        ("bé 2 tuổi chưa có thẻ bảo hiểm y tế", "bhxh/cap-the-bhyt-tre-duoi-6-tuoi"),
        ("ông tôi 82 tuổi không có lương hưu", "bhxh/tro-cap-huu-tri-xa-hoi"),
        ("đăng ký chiếc ghe máy chở khách", "gtvt/dang-ky-phuong-tien-thuy-noi-dia"),
        ("cán bộ đòi phong bì mới giải quyết hồ sơ", "don-thu/to-cao"),
    ],
)
def test_procedures(u: Understander, text: str, slug: str) -> None:
    x = u.understand(text)
    assert x.intent == "procedure", (text, x)
    assert top(x) == slug, (text, x.procedures[:3])
    assert 0.0 <= x.procedures[-1][1] <= x.procedures[0][1] <= 1.0 and len(x.procedures) <= 5


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("ddang kys khai sinhf cho con", "ho-tich/dang-ky-khai-sinh"),  # Telex leftovers
        ("dang ky ket hon can giay to gi", "ho-tich/dang-ky-ket-hon"),  # no accents
        ("đăg kí kết hôn", "ho-tich/dang-ky-ket-hon"),  # dropped letter
        ("dangky kethon", "ho-tich/dang-ky-ket-hon"),  # missing spaces
        ("khai xinh cho con", "ho-tich/dang-ky-khai-sinh"),  # s/x confusion
        ("dam ho cho chau mo coi", "ho-tich/dang-ky-giam-ho"),  # d/gi confusion
        ("tro cấp thờ cúg liệt sỹ", "nguoi-co-cong/tro-cap-tho-cung-liet-si"),
        ("chứng thưc chữ kí", "chung-thuc/chu-ky"),
        ("mất thẻ bhyt rùi làm lại sao", "bhxh/cap-lai-doi-the-bhyt"),
        ("dk xe may moi mua o cong an", "gtvt/dang-ky-xe-tai-cong-an-xa"),
        ("mạ tui mới mất, chừ khai tử ở mô", "ho-tich/dang-ky-khai-tu"),  # dialect
    ],
)
def test_typos_abbreviations_dialect(u: Understander, text: str, slug: str) -> None:
    x = u.understand(text)
    assert x.intent == "procedure" and top(x) == slug, (text, x)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("các thủ tục hộ tịch ở phường", "browse"),
        ("chứng thực", "browse"),
        ("thứ 4 không hẹn là gì", "wednesday_info"),
        ("thứ tư có lấy ngay trong ngày không", "wednesday_info"),
        ("những thủ tục nào làm ngay thứ tư", "browse"),
        ("hồ sơ nộp tuần rồi xong chưa", "dossier_lookup"),
        ("giấy hẹn trả kết quả hôm qua mà chưa thấy", "dossier_lookup"),
        ("căn cước của tôi có chưa", "id_card_lookup"),
        ("cccd đổi tháng trước lấy ở đâu", "id_card_lookup"),
        ("tin tức phường hôm nay", "news"),
        ("có lịch cúp nước không", "news"),
        ("đăng ký nhận thông báo thôn Vạn Lăng", "subscribe"),
        ("có tin bão thì nhắn cho tôi", "subscribe"),
        ("hủy nhận tin", "unsubscribe"),
        ("đừng gửi thông báo cho tôi nữa", "unsubscribe"),
        ("cho tôi gặp cán bộ", "handoff"),
        ("I need to talk to a real person", "handoff"),
        ("số điện thoại bộ phận một cửa", "contact"),
        ("ubnd phường làm việc mấy giờ", "contact"),
        ("trụ sở phường ở mô", "contact"),
        ("chào ad", "greeting"),
        ("alo", "greeting"),
        ("xin chào bạn", "greeting"),
        ("giá vàng bao nhiêu", "out_of_scope"),
        ("bóng đá tối nay", "out_of_scope"),
        ("", "out_of_scope"),
        ("😀", "out_of_scope"),
    ],
)
def test_intents(u: Understander, text: str, intent: str) -> None:
    x = u.understand(text)
    assert x.intent == intent, (text, x)
    assert x.intent in INTENTS
    if intent != "procedure":
        assert x.procedures == ()


def test_id_card_mentioned_inside_a_procedure_question(u: Understander) -> None:
    x = u.understand("photo công chứng cccd mấy tiền một trang")
    assert x.intent == "procedure" and top(x) == "chung-thuc/ban-sao-tu-ban-chinh"


def test_browse_field(u: Understander) -> None:
    assert u.understand("danh sách thủ tục bảo hiểm xã hội").field == "bhxh"
    assert u.understand("các thủ tục người có công").field == "nguoi-co-cong"
    assert u.understand("có những thủ tục gì").field is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tra cứu 000.31.25.H47-250312-0007 giúp", "000.31.25.H47-250312-0007"),
        ("mã hs h57.132-260804-0583", "H57.132-260804-0583"),
        ("H48.12 - 260301 - 0042 xong chưa", "H48.12-260301-0042"),
        ("ma so 000.12.34.h48 –  251231 – 1234.", "000.12.34.H48-251231-1234"),
        ("hồ sơ H47.3 260101 0002", "H47.3-260101-0002"),
    ],
)
def test_dossier_codes(u: Understander, text: str, code: str) -> None:
    assert find_dossier_code(text) == code
    x = u.understand(text)
    assert x.intent == "dossier_lookup" and x.dossier_code == code


@pytest.mark.parametrize("text", ["gọi 0905-123456-7890", "ngày 2026-13-01", "số 12-250312-001", "abc"])
def test_not_dossier_codes(text: str) -> None:
    assert find_dossier_code(text) is None


def test_village_and_topic(u: Understander) -> None:
    x = u.understand("nhận tin của thôn thanh nhut về lịch cúp điện")
    assert x.intent == "subscribe" and x.thon == "Thanh Nhứt" and x.topic == "dien-nuoc"
    assert u.understand("đăng ký nhận tin thôn Thanh Tam Đông").thon == "Thanh Tam Đông"
    assert u.understand("đăng ký nhận tin thôn Võng Nhi").thon == "Võng Nhi"
    assert u.understand("đăng ký nhận tin").thon is None


def test_decide() -> None:
    card = Understanding("procedure", (("a", 0.95), ("b", 0.40)), 0.95)
    close = Understanding("procedure", (("a", 0.95), ("b", 0.94)), 0.95)
    weak = Understanding("procedure", (("a", 0.45),), 0.45)
    assert decide(card) == "card"
    assert decide(close) == "suggest"
    assert decide(weak) == "suggest"
    assert decide(Understanding("procedure", (("a", 0.2),), 0.2)) == "none"
    assert decide(Understanding("greeting")) == "none"


def test_clear_question_gets_a_card(u: Understander) -> None:
    assert decide(u.understand("đăng ký kết hôn cần giấy tờ gì")) == "card"


def test_understanding_is_frozen(u: Understander) -> None:
    x = u.understand("chào")
    with pytest.raises(AttributeError):
        x.intent = "news"  # type: ignore[misc]


def test_default_understander_answers_a_mix() -> None:
    """Speed is measured by bench/nlu.py, not here: timed assertions are flaky on a loaded machine."""
    u = load_default_understander()
    got = [u.understand(m).intent for m in (
        "làm giấy khai sinh cho con cần gì", "mat the bhyt roi lam lai sao", "cho gặp cán bộ",
        "Ông tôi là thương binh vừa qua đời, gia đình muốn xin tiền mai táng và làm giấy khai tử luôn")]
    assert got == ["procedure", "procedure", "handoff", "procedure"]


def test_lexicon_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(LexiconError) as e:
        load_lexicon(FlowFiles({"lexicon.toml": '[classes]\nkin = ["ba"]\n[cues]\nhandoff = ["gặp {nguoi}"]\n'
                                '[[situation]]\nname = "qua-doi"\nwhen = ["{kin} mất", "*"]\nweight = "nặng"\n'}))
    assert "lexicon: situation qua-doi: weight: Input should be a valid number" in str(e.value)
    with pytest.raises(LexiconError) as e:
        load_lexicon(FlowFiles({"lexicon.toml": '[classes]\nkin = ["ba"]\n[cues]\nhandoff = ["gặp {nguoi}"]\n'
                                '[[situation]]\nname = "qua-doi"\nwhen = ["{kin} mất", "*"]\n'}))
    problems = e.value.problems
    assert "lexicon: cues: handoff[0]: unknown class {nguoi}" in problems
    assert "lexicon: situation qua-doi: when[1]: pattern matches anything" in problems
    assert "lexicon: cues: missing group 'news'" in problems
