"""The conversation layer's data: aspect words, cues and the detail matcher, on the shipped files."""

from __future__ import annotations

import pytest

from flows.text.lexicon import load_lexicon
from flows.text.talk import Talk, TalkError, load_talk
from flows.text.understand import load_default_understander
from flows.tomlfile import FlowFiles


@pytest.fixture(scope="module")
def talk() -> Talk:
    lexicon = load_lexicon()
    u = load_default_understander()
    return load_talk(FlowFiles.from_folder(), u.canon, lexicon.classes, set(u.catalog.by_slug), lexicon.cues)


@pytest.mark.parametrize(("said", "aspect"), [
    ("cần mang giấy gì", "papers"),
    ("bản gốc hay bản sao", "papers"),
    ("mấy bộ", "papers"),
    ("thế lệ phí bao nhiêu?", "fee"),
    ("có mất tiền không", "fee"),
    ("het bn tien 1 ban", "fee"),  # abbreviations, no diacritics
    ("bao lâu thì có", "time"),
    ("mấy bựa thì xong", "time"),  # dialect
    ("khi nào có", "time"),
    ("từ tháng trước rồi, giờ còn nộp được không", "time"),  # still in time: the time limit
    ("chừ còn kịp không", "time"),
    ("nộp ở mô", "place"),  # dialect: "mô" = "đâu"
    ("ai giải quyết", "place"),
    ("làm trên mạng được không", "online"),  # "được không" ends it, yet it asks about doing it online
    ("có làm trên VNeID được không", "online"),
    ("con 17 tuổi kết hôn được chưa", "conditions"),
    ("ai được làm", "conditions"),
    ("thứ tư lấy liền được không", "wednesday"),
    ("nộp ở đâu, lệ phí bao nhiêu", "fee"),  # the last one asked
])
def test_aspects(talk: Talk, said: str, aspect: str) -> None:
    assert talk.aspect(talk.words(said)) == aspect


@pytest.mark.parametrize("said", ["đăng ký kết hôn", "vợ là người Han Quoc", "chào bạn"])
def test_no_aspect(talk: Talk, said: str) -> None:
    assert talk.aspect(talk.words(said)) is None  # "Han" is not "hạn"


def test_switch_and_refer_back(talk: Talk) -> None:
    assert talk.starts_switch("Còn đăng ký kết hôn thì sao?")
    assert talk.starts_switch("còn kết hôn")
    assert talk.starts_switch("con khai tu thi sao")
    assert not talk.starts_switch("con tôi 7 tuổi")
    assert talk.has("refer_back", talk.words("dùng giấy đó để đăng ký kết hôn được không"))


def test_cues(talk: Talk) -> None:
    assert talk.has("thanks", talk.words("ok tks ad"))
    assert talk.has("bot_identity", talk.words("bạn là người thật hay máy vậy"))
    assert not talk.has("bot_identity", talk.words("cho gặp người thật"))  # a request, not a question
    assert talk.has("wait", talk.words("đợi xíu để tui tìm"))
    assert talk.has("grief", talk.words("ba tui mới mất"))
    assert not talk.has("grief", talk.words("làm giấy khai sinh cho con có mất tiền không"))
    assert talk.has("upset", talk.words("làm ăn kiểu gì vậy"))
    assert talk.has("out_of_scope", talk.words("thời tiết mai thế nào"))  # the lexicon's cue group


def test_the_closest_detail_wins_and_the_name_says_nothing(talk: Talk) -> None:
    slug = "ho-tich/xac-nhan-tinh-trang-hon-nhan"
    match = talk.best_fact([slug], "giấy đó dùng được bao lâu", "time")
    assert match is not None and "06 tháng" in match.fact.text
    assert talk.best_fact([slug], "xác nhận tình trạng hôn nhân", None,
                          ignore="Cấp Giấy xác nhận tình trạng hôn nhân") is None
    assert talk.best_fact(["#subscribe"], "bão lũ có gửi cho tôi không", None) is not None
    assert talk.best_fact(["#subscribe"], "zzz", None) is None


def test_bad_data_is_refused_with_the_place(talk: Talk) -> None:
    good = {"aspects": {"fee": ["lệ phí"]}, "cues": {c: ["x"] for c in (
        "thanks", "bot_identity", "wait", "upset", "grief", "switch", "switch_start", "refer_back", "confidential",
        "office_hours", "handoff_request", "news_more")}}
    with pytest.raises(TalkError, match="conversation: cues: missing group 'wait'"):
        Talk({**good, "cues": {k: v for k, v in good["cues"].items() if k != "wait"}}, {}, talk.canon, {})
    with pytest.raises(TalkError, match="details: topic ho-tich/khong-co: unknown procedure"):
        Talk(good, {"topic": [{"slug": "ho-tich/khong-co", "facts": [{"text": "x"}]}]}, talk.canon, {}, set())
    with pytest.raises(TalkError, match=r"details: topic\.0\.facts\.0\.aspect"):
        Talk(good, {"topic": [{"slug": "#x", "facts": [{"aspect": "price", "text": "x"}]}]}, talk.canon, {})
