"""Typed Zalo webhook events.

This runs on the webhook hot path (answer within 2 s), so it is plain frozen dataclasses and
explicit checks: no validation library. Unknown event names parse (family `other`) as long as the
common fields exist, because Zalo adds events and a failed request only makes it retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

TEXT = "text"
ATTACHMENT = "attachment"
FOLLOW = "follow"
UNFOLLOW = "unfollow"
SUBMIT_INFO = "submit_info"
RECEIPT = "receipt"
OA_ECHO = "oa_echo"
OTHER = "other"

# Attachment-carrying user events from the reference; any other user_send_* is `other`.
ATTACHMENT_EVENTS = frozenset({
    "user_send_image", "user_send_file", "user_send_sticker", "user_send_gif", "user_send_link",
    "user_send_audio", "user_send_video", "user_send_location",
})
# The resident is recipient.id here (the OA is the sender).
_RECIPIENT_IS_USER = frozenset({"user_received_message", "user_seen_message"})
_RECEIPTS = frozenset({"user_received_message", "user_seen_message", "user_reacted_message"})


class EventError(ValueError):
    """The body is not an event we can use; `reason` says why (logged, never sent to Zalo)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Attachment:
    type: str
    url: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ZaloEvent:
    event_name: str
    app_id: str
    timestamp: str  # as in the body: the signature is computed over this string
    timestamp_ms: int
    user_id: str | None  # the resident, whichever side of the message they are on
    oa_id: str | None
    msg_id: str | None
    text: str | None
    attachments: tuple[Attachment, ...]
    info: dict[str, str] | None
    event_key: str  # de-duplication key: Zalo retries deliveries
    family: str


def loads(raw: bytes) -> dict[str, Any]:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise EventError("body is not valid JSON") from None
    if not isinstance(obj, dict):
        raise EventError("body is not a JSON object")
    return obj


def _id_of(obj: dict[str, Any], key: str) -> str | None:
    part = obj.get(key)
    if isinstance(part, dict):
        value = part.get("id")
        if isinstance(value, str) and value:
            return value
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _family(name: str) -> str:
    if name == "user_send_text":
        return TEXT
    if name in ATTACHMENT_EVENTS:
        return ATTACHMENT
    if name == "follow":
        return FOLLOW
    if name == "unfollow":
        return UNFOLLOW
    if name == "user_submit_info":
        return SUBMIT_INFO
    if name in _RECEIPTS:
        return RECEIPT
    if name.startswith("oa_send_"):
        return OA_ECHO
    return OTHER


def _attachments(message: dict[str, Any]) -> tuple[Attachment, ...]:
    items = message.get("attachments")
    if not isinstance(items, list):
        raise EventError("attachment event without a message.attachments list")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise EventError("message.attachments item is not an object")
        payload = item.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        out.append(Attachment(type=str(item.get("type") or ""), url=_str_or_none(payload.get("url")),
                              payload=payload))
    return tuple(out)


def _info(obj: dict[str, Any]) -> dict[str, str] | None:
    info = obj.get("info")
    if not isinstance(info, dict):
        return None
    # Newer form variants may add fields or non-string values: keep them all, as strings.
    return {str(k): v if isinstance(v, str) else str(v) for k, v in info.items() if v is not None}


def parse_event(raw_body: bytes, obj: dict[str, Any] | None = None) -> ZaloEvent:
    """Parse a webhook body. Pass `obj` when the caller already decoded `raw_body`."""
    if obj is None:
        obj = loads(raw_body)
    elif not isinstance(obj, dict):
        raise EventError("body is not a JSON object")

    name = obj.get("event_name")
    if not isinstance(name, str) or not name:
        raise EventError("missing event_name")
    app_id = obj.get("app_id")
    if not isinstance(app_id, str) or not app_id:
        raise EventError("missing or non-string app_id")
    timestamp = obj.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)  # documented as a string; tolerate a number
    if not isinstance(timestamp, str) or not timestamp.isascii() or not timestamp.isdigit():
        raise EventError("missing timestamp or not digits")

    family = _family(name)
    message = obj.get("message")
    if not isinstance(message, dict):
        message = {}

    if family in (FOLLOW, UNFOLLOW):
        user_id = _id_of(obj, "follower")
        if user_id is None:
            raise EventError(f"{name} without follower.id")
        oa_id = _str_or_none(obj.get("oa_id"))
    elif family == OA_ECHO or name in _RECIPIENT_IS_USER:
        user_id = _id_of(obj, "recipient")
        oa_id = _id_of(obj, "sender")
    else:
        user_id = _id_of(obj, "sender")
        oa_id = _id_of(obj, "recipient")
        if user_id is None and (name.startswith("user_send_") or family in (SUBMIT_INFO, RECEIPT)):
            raise EventError(f"{name} without sender.id")

    msg_id = _str_or_none(message.get("msg_id"))
    text = message.get("text") if isinstance(message.get("text"), str) else None
    attachments: tuple[Attachment, ...] = ()
    if family == TEXT:
        if text is None:
            raise EventError("user_send_text without message.text")
        if msg_id is None:
            raise EventError("user_send_text without message.msg_id")
    elif family == ATTACHMENT:
        attachments = _attachments(message)

    # msg_id identifies the message itself only for these families; a receipt or reaction
    # shares the msg_id of the message it is about, so those de-duplicate on the exact body.
    if msg_id is not None and family in (TEXT, ATTACHMENT, SUBMIT_INFO, OA_ECHO):
        event_key = "msg:" + msg_id
    else:
        event_key = "h:" + hashlib.sha256(raw_body).hexdigest()

    return ZaloEvent(
        event_name=name, app_id=app_id, timestamp=timestamp, timestamp_ms=int(timestamp),
        user_id=user_id, oa_id=oa_id, msg_id=msg_id, text=text, attachments=attachments,
        info=_info(obj) if family == SUBMIT_INFO else None, event_key=event_key, family=family,
    )
