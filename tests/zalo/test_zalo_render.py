from __future__ import annotations

import re

import pytest

from bot.zalo.render import render, shorten, split_text
from flows.replies import Button, Image, ListItem, ListReply, RequestInfo, Text

UID = "6142494823001"


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def assert_preserved(text: str, chunks: list[str], limit: int) -> None:
    assert all(0 < len(c) <= limit for c in chunks), [len(c) for c in chunks]
    assert squash("".join(chunks)) == squash(text)
    if all(len(w) <= limit for w in text.split()):
        assert " ".join(chunks).split() == text.split()  # no word was cut
    assert all(c == c.strip() for c in chunks)


def test_short_text_is_one_plain_message() -> None:
    assert render(Text("Xin chào"), UID) == [{"recipient": {"user_id": UID}, "message": {"text": "Xin chào"}}]


def test_split_prefers_paragraphs() -> None:
    p1, p2, p3 = "Thủ tục khai sinh cần giấy chứng sinh.", "Nộp tại bộ phận một cửa.", "Lệ phí miễn."
    text = f"{p1}\n\n{p2}\n\n{p3}"
    chunks = split_text(text, len(p1) + len(p2) + 3)
    assert chunks == [f"{p1}\n\n{p2}", p3]


def test_split_falls_back_to_lines_then_words() -> None:
    lines = "\n".join(f"Dòng số {i} của hướng dẫn" for i in range(30))
    chunks = split_text(lines, 60)
    assert_preserved(lines, chunks, 60)
    assert all(re.fullmatch(r"(Dòng số \d+ của hướng dẫn\n?)+", c) for c in chunks)

    words = " ".join(f"từ{i}" for i in range(400))
    chunks = split_text(words, 50)
    assert_preserved(words, chunks, 50)
    assert len(chunks) > 1


def test_split_realistic_long_answer() -> None:
    para = ("Công dân nộp hồ sơ tại Bộ phận tiếp nhận và trả kết quả của Ủy ban nhân dân xã, "
            "mang theo căn cước công dân và giấy tờ liên quan. ") * 12
    text = "\n\n".join([para, "Danh sách:\n" + "\n".join(f"- mục {i}" for i in range(80)), para])
    chunks = split_text(text, 2000)
    assert len(chunks) >= 2
    assert_preserved(text, chunks, 2000)


def test_long_word_cut_only_when_needed() -> None:
    text = "ngắn " + "x" * 25 + " cuối"
    chunks = split_text(text, 10)
    assert all(len(c) <= 10 for c in chunks)
    assert "".join(chunks).replace(" ", "") == text.replace(" ", "")
    assert chunks[0] == "ngắn"


def test_hard_cut_keeps_combining_marks() -> None:
    text = "a" * 9 + "e\u0301" + "b" * 5  # "é" in NFD across the limit
    chunks = split_text(text, 10)
    assert chunks[0] == "a" * 9 and chunks[1].startswith("e\u0301")


def test_split_exact_limit_and_leading_whitespace() -> None:
    assert split_text("a" * 10, 10) == ["a" * 10]
    chunks = split_text(" " * 15 + "abc def", 5)
    assert all(0 < len(c) <= 5 for c in chunks) and squash("".join(chunks)) == "abcdef"


def test_buttons_go_on_last_chunk() -> None:
    text = "\n\n".join(["Đoạn " + "a" * 40] * 5)
    msgs = render(Text(text, (Button("Có", payload="#yes"), Button("Không", payload="#no"))), UID, max_text=60)
    assert len(msgs) == 5
    assert all("attachment" not in m["message"] for m in msgs[:-1])
    last = msgs[-1]["message"]
    assert last["text"].startswith("Đoạn")
    assert last["attachment"] == {"type": "template", "payload": {"buttons": [
        {"title": "Có", "type": "oa.query.hide", "payload": "#yes"},
        {"title": "Không", "type": "oa.query.hide", "payload": "#no"},
    ]}}
    assert all(m["recipient"] == {"user_id": UID} for m in msgs)


def test_button_kinds() -> None:
    msgs = render(Text("Liên hệ", (Button("Trang web", url="https://xa.gov.vn"),
                                   Button("Gọi", phone="84912345678"), Button("Chỉ tiêu đề"))), UID)
    assert msgs[0]["message"]["attachment"]["payload"]["buttons"] == [
        {"title": "Trang web", "type": "oa.open.url", "payload": {"url": "https://xa.gov.vn"}},
        {"title": "Gọi", "type": "oa.open.phone", "payload": {"phone_code": "84912345678"}},
        {"title": "Chỉ tiêu đề", "type": "oa.query.hide", "payload": "Chỉ tiêu đề"},
    ]


def test_button_overflow_continues_on_further_messages() -> None:
    buttons = tuple(Button(f"Lựa chọn {i}", payload=f"#{i}") for i in range(12))
    msgs = render(Text("Chọn thủ tục", buttons), UID, max_buttons=5, overflow_text="Thêm:")
    assert len(msgs) == 3
    assert msgs[0]["message"]["text"] == "Chọn thủ tục"
    assert [m["message"]["text"] for m in msgs[1:]] == ["Thêm:", "Thêm:"]
    sent = [b["payload"] for m in msgs for b in m["message"]["attachment"]["payload"]["buttons"]]
    assert sent == [f"#{i}" for i in range(12)]
    assert [len(m["message"]["attachment"]["payload"]["buttons"]) for m in msgs] == [5, 5, 2]


def test_button_title_shortened() -> None:
    long_title = "Đăng ký khai sinh cho trẻ em dưới sáu tuổi tại xã"
    msgs = render(Text("x", (Button(long_title, payload="#ks"),)), UID, max_button_title=20)
    title = msgs[0]["message"]["attachment"]["payload"]["buttons"][0]["title"]
    assert len(title) <= 20 and title.endswith("…") and long_title.startswith(title[:-1])
    assert shorten("ngắn", 20) == "ngắn"


def test_list_split_and_elements() -> None:
    items = tuple(ListItem(f"Mục {i}", subtitle=f"Mô tả {i}", image_url="https://img/x.png" if i == 0 else None,
                           payload=f"#m{i}" if i % 2 == 0 else None,
                           url=None if i % 2 == 0 else f"https://xa.gov.vn/{i}") for i in range(7))
    msgs = render(ListReply(items), UID, max_list_items=5)
    assert len(msgs) == 2
    payloads = [m["message"]["attachment"]["payload"] for m in msgs]
    assert all(p["template_type"] == "list" and m["message"]["attachment"]["type"] == "template"
               for p, m in zip(payloads, msgs, strict=True))
    assert [len(p["elements"]) for p in payloads] == [5, 2]
    first, second = payloads[0]["elements"][0], payloads[0]["elements"][1]
    assert first == {"title": "Mục 0", "subtitle": "Mô tả 0", "image_url": "https://img/x.png",
                     "default_action": {"type": "oa.query.hide", "payload": "#m0"}}
    assert second == {"title": "Mục 1", "subtitle": "Mô tả 1",
                      "default_action": {"type": "oa.open.url", "url": "https://xa.gov.vn/1"}}
    assert render(ListReply(()), UID) == []


def test_image_shapes() -> None:
    media = {"type": "template", "payload": {"template_type": "media",
                                             "elements": [{"media_type": "image", "url": "https://img/a.jpg"}]}}
    assert render(Image("https://img/a.jpg"), UID) == [{"recipient": {"user_id": UID},
                                                        "message": {"attachment": media}}]
    assert render(Image("https://img/a.jpg", "Lịch tiếp dân"), UID)[0]["message"] == {
        "text": "Lịch tiếp dân", "attachment": media}
    long_caption = " ".join(["chú thích"] * 50)
    msgs = render(Image("https://img/a.jpg", long_caption), UID, max_text=100)
    assert msgs[0]["message"] == {"attachment": media}
    assert_preserved(long_caption, [m["message"]["text"] for m in msgs[1:]], 100)


def test_request_info_shape() -> None:
    msgs = render(RequestInfo("Chia sẻ thông tin", "Để cán bộ liên hệ lại", "https://img/form.png"), UID)
    assert msgs == [{"recipient": {"user_id": UID}, "message": {"attachment": {"type": "template", "payload": {
        "template_type": "request_user_info",
        "elements": [{"title": "Chia sẻ thông tin", "subtitle": "Để cán bộ liên hệ lại",
                      "image_url": "https://img/form.png"}]}}}}]


def test_render_rejects_bad_input() -> None:
    with pytest.raises(TypeError):
        render("text", UID)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render(Text("x"), UID, max_buttons=0)


def test_split_fuzz_invariants() -> None:
    import random

    rng = random.Random(20240601)
    pieces = ["xã", "phường", "hồ sơ", "căn cước", "\n", "\n\n", " ", "  ", "\t", "một-cửa", "đ"]
    for _ in range(300):
        limit = rng.randint(8, 80)
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 200)))
        chunks = split_text(text, limit)
        if len(text) <= limit:
            assert chunks == [text]
            continue
        assert_preserved(text, chunks, limit)
