from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from bot.zalo.events import EventError, loads, parse_event

APP = "2553928453557884079"
OA = "3662729599332560487"
USER = "6142494823001"
TS = "1699003881354"


def user_event(name: str, **fields: Any) -> dict[str, Any]:
    return {"app_id": APP, "sender": {"id": USER}, "recipient": {"id": OA}, "event_name": name,
            "timestamp": TS, "user_id_by_app": "979122185046046317", **fields}


def oa_event(name: str, **fields: Any) -> dict[str, Any]:
    return {"app_id": APP, "sender": {"id": OA}, "recipient": {"id": USER}, "event_name": name,
            "timestamp": TS, **fields}


def parse(obj: Any) -> Any:
    return parse_event(orjson.dumps(obj))


def test_text_event() -> None:
    ev = parse(user_event("user_send_text", message={"text": "Chào A4B", "msg_id": "cb31dff1c39642cc1b83",
                                                     "quote_msg_id": "q1"}))
    assert (ev.family, ev.event_name, ev.app_id, ev.user_id, ev.oa_id) == ("text", "user_send_text", APP,
                                                                           USER, OA)
    assert (ev.text, ev.msg_id, ev.event_key) == ("Chào A4B", "cb31dff1c39642cc1b83", "msg:cb31dff1c39642cc1b83")
    assert (ev.timestamp, ev.timestamp_ms) == (TS, 1699003881354)
    assert ev.attachments == () and ev.info is None


def test_parse_with_predecoded_object() -> None:
    obj = user_event("user_send_text", message={"text": "x", "msg_id": "m1"})
    raw = orjson.dumps(obj)
    assert parse_event(raw, obj) == parse_event(raw)


@pytest.mark.parametrize(("name", "kind", "payload", "url"), [
    ("user_send_image", "image", {"url": "https://i/1.jpg", "thumbnail": "https://i/1t.jpg"}, "https://i/1.jpg"),
    ("user_send_gif", "gif", {"url": "https://i/1.gif"}, "https://i/1.gif"),
    ("user_send_sticker", "sticker", {"id": "s1", "url": "https://s/1"}, "https://s/1"),
    ("user_send_file", "file", {"url": "https://f/a.pdf", "name": "a.pdf", "size": "10", "type": "pdf"},
     "https://f/a.pdf"),
    ("user_send_link", "link", {"url": "https://example.vn"}, "https://example.vn"),
    ("user_send_audio", "audio", {"url": "https://a/1.aac"}, "https://a/1.aac"),
    ("user_send_video", "video", {"url": "https://v/1.mp4"}, "https://v/1.mp4"),
    ("user_send_location", "location", {"coordinates": {"latitude": "21.02", "longitude": "105.8"}}, None),
])
def test_attachment_events(name: str, kind: str, payload: dict[str, Any], url: str | None) -> None:
    ev = parse(user_event(name, message={"msg_id": "m-" + kind, "attachments": [{"type": kind,
                                                                                 "payload": payload}]}))
    assert ev.family == "attachment" and ev.user_id == USER and ev.event_key == "msg:m-" + kind
    assert len(ev.attachments) == 1
    att = ev.attachments[0]
    assert (att.type, att.url, att.payload) == (kind, url, payload)


def test_follow_and_unfollow() -> None:
    follow = {"app_id": APP, "oa_id": OA, "event_name": "follow", "timestamp": TS, "source": "oa_profile",
              "follower": {"id": USER}, "user_id_by_app": "979"}
    raw = orjson.dumps(follow)
    ev = parse_event(raw)
    assert (ev.family, ev.user_id, ev.oa_id, ev.msg_id) == ("follow", USER, OA, None)
    assert ev.event_key == "h:" + hashlib.sha256(raw).hexdigest()
    ev = parse({**follow, "event_name": "unfollow"})
    assert (ev.family, ev.user_id) == ("unfollow", USER)


def test_submit_info() -> None:
    info = {"name": "Nguyễn Văn A", "phone": "84912345678", "address": "Thôn 1", "city": "Hà Nội",
            "district": "Ba Vì", "ward": "Tản Lĩnh", "zip": 100000}
    ev = parse(user_event("user_submit_info", info=info))
    assert ev.family == "submit_info" and ev.user_id == USER
    assert ev.info == {**info, "zip": "100000"}
    assert ev.event_key.startswith("h:")


def test_receipts() -> None:
    seen_obj = oa_event("user_seen_message", message={"msg_ids": ["a", "b"]})
    raw = orjson.dumps(seen_obj)
    seen = parse_event(raw)
    assert (seen.family, seen.user_id, seen.oa_id, seen.msg_id) == ("receipt", USER, OA, None)
    assert seen.event_key == "h:" + hashlib.sha256(raw).hexdigest()

    received = parse(oa_event("user_received_message", message={"msg_id": "oa-msg-1"}))
    assert (received.family, received.user_id, received.msg_id) == ("receipt", USER, "oa-msg-1")
    # A receipt carries the id of the message it is about: it must not collide with that message.
    assert received.event_key.startswith("h:")

    reacted = parse(user_event("user_reacted_message", message={"msg_id": "oa-msg-1", "react_icon": "/-heart"}))
    assert (reacted.family, reacted.user_id, reacted.oa_id) == ("receipt", USER, OA)
    assert reacted.event_key.startswith("h:")


def test_oa_echo() -> None:
    ev = parse(oa_event("oa_send_text", message={"text": "Xin chào", "msg_id": "oa-msg-2"}))
    assert (ev.family, ev.user_id, ev.oa_id, ev.text, ev.event_key) == ("oa_echo", USER, OA, "Xin chào",
                                                                        "msg:oa-msg-2")
    assert parse(oa_event("oa_send_image", message={"msg_id": "x"})).family == "oa_echo"


def test_unknown_and_chatnow_are_other() -> None:
    ev = parse(user_event("user_click_chatnow"))
    assert (ev.family, ev.user_id) == ("other", USER)
    ev = parse({"app_id": APP, "event_name": "add_user_to_tag", "timestamp": TS, "tag": {"name": "x"}})
    assert (ev.family, ev.user_id, ev.oa_id) == ("other", None, None)
    assert ev.event_key.startswith("h:")


def test_numeric_timestamp_tolerated() -> None:
    ev = parse({**user_event("user_send_text", message={"text": "x", "msg_id": "m"}), "timestamp": 1699003881354})
    assert (ev.timestamp, ev.timestamp_ms) == (TS, 1699003881354)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"not json", "body is not valid JSON"),
    (b"", "body is not valid JSON"),
    (b"[1, 2]", "body is not a JSON object"),
    (b'"text"', "body is not a JSON object"),
])
def test_body_errors(raw: bytes, reason: str) -> None:
    with pytest.raises(EventError) as info:
        parse_event(raw)
    assert info.value.reason == reason
    with pytest.raises(EventError):
        loads(raw)


def _without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


TEXT = user_event("user_send_text", message={"text": "x", "msg_id": "m"})


@pytest.mark.parametrize(("obj", "reason"), [
    (_without(TEXT, "event_name"), "missing event_name"),
    ({**TEXT, "event_name": ""}, "missing event_name"),
    (_without(TEXT, "app_id"), "missing or non-string app_id"),
    ({**TEXT, "app_id": 2553928453557884079}, "missing or non-string app_id"),
    (_without(TEXT, "timestamp"), "missing timestamp or not digits"),
    ({**TEXT, "timestamp": "16990038x1354"}, "missing timestamp or not digits"),
    ({**TEXT, "timestamp": ""}, "missing timestamp or not digits"),
    ({**TEXT, "timestamp": "-1"}, "missing timestamp or not digits"),
    (_without(TEXT, "sender"), "user_send_text without sender.id"),
    ({**TEXT, "sender": {"id": ""}}, "user_send_text without sender.id"),
    (user_event("user_submit_info", sender={}, info={}), "user_submit_info without sender.id"),
    ({"app_id": APP, "oa_id": OA, "event_name": "follow", "timestamp": TS}, "follow without follower.id"),
    ({"app_id": APP, "oa_id": OA, "event_name": "unfollow", "timestamp": TS, "follower": {}},
     "unfollow without follower.id"),
    (user_event("user_send_text", message={"msg_id": "m"}), "user_send_text without message.text"),
    (user_event("user_send_text", message={"text": "x"}), "user_send_text without message.msg_id"),
    (user_event("user_send_text"), "user_send_text without message.text"),
    (user_event("user_send_image", message={"msg_id": "m"}), "attachment event without a message.attachments list"),
    (user_event("user_send_image", message={"msg_id": "m", "attachments": {"type": "image"}}),
     "attachment event without a message.attachments list"),
])
def test_event_errors(obj: dict[str, Any], reason: str) -> None:
    with pytest.raises(EventError) as info:
        parse(obj)
    assert info.value.reason == reason
    assert str(info.value) == reason


def test_factory_events_parse() -> None:
    from bot.testing.fakezalo import EventFactory

    f = EventFactory(APP, OA, "s")
    cases = [
        (f.text(USER, "hỏi", quote_msg_id="q"), "text"), (f.image(USER, "https://i/x.jpg"), "attachment"),
        (f.file(USER, "https://f/x.pdf"), "attachment"), (f.sticker(USER), "attachment"),
        (f.location(USER, 21.0, 105.8), "attachment"), (f.follow(USER), "follow"),
        (f.unfollow(USER), "unfollow"), (f.submit_info(USER, "A", "0912"), "submit_info"),
        (f.seen(USER, ["a"]), "receipt"), (f.raw("user_click_chatnow", sender={"id": USER}), "other"),
    ]
    for (raw, _headers), family in cases:
        ev = parse_event(raw)
        assert ev.family == family and ev.user_id == USER and ev.app_id == APP
