"""Turn channel-agnostic replies into request bodies for `POST /v3.0/oa/message/cs`.

Pure: no I/O. One reply may become several messages (long text, many buttons, long lists);
nothing is dropped silently.

Shapes follow the reference and public v3 integrations. Text with buttons puts
`attachment: {type: "template", payload: {buttons: [...]}}` beside `text`. Limits are
parameters because sources disagree (button titles: 20 in one client schema, 100 in another).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flows.replies import Button, Image, ListItem, ListReply, Reply, RequestInfo, Text

ELLIPSIS = "…"
MAX_BUTTON_TITLE = 40  # characters; longer titles are shortened with an ellipsis
# Text of a follow-up message that only carries buttons beyond the per-message limit.
OVERFLOW_TEXT = "Lựa chọn khác:"


_BOUNDARIES = (
    re.compile(r"\n[ \t\r\f\v]*\n"),  # paragraph (blank line, tolerating \r\n and trailing spaces)
    re.compile(r"\n"),  # line
    re.compile(r"[ \t\r\f\v]"),  # word; not U+00A0, which is there to keep words together
)


def _cut_in(window: str) -> int:
    """Index in `window` where the chunk should end, preferring the coarsest boundary; -1 if none."""
    for pattern in _BOUNDARIES:
        last = -1
        for m in pattern.finditer(window):
            last = m.start()
        # The chunk before the boundary must be non-blank, or we would emit an empty message.
        if last > 0 and window[:last].strip():
            return last
    return -1


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries; each chunk has at most `limit` chars.

    Only whitespace at the cut points is removed. A word longer than `limit` is cut mid-word.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    text = text.strip()  # edge whitespace means nothing once the text spans several messages
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    pos, n = 0, len(text)
    while n - pos > limit:
        window = text[pos:pos + limit + 1]  # +1: a boundary right after the limit still fits
        i = _cut_in(window)
        if i > 0:
            cut = pos + i
        else:
            cut = pos + limit
            # Keep a letter with its combining marks (Vietnamese in NFD form).
            while cut > pos + 1 and unicodedata.combining(text[cut]):
                cut -= 1
        chunk = text[pos:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        pos = cut
        while pos < n and text[pos].isspace():
            pos += 1
    rest = text[pos:].rstrip()
    if rest:
        chunks.append(rest)
    return chunks


def shorten(title: str, limit: int) -> str:
    if len(title) <= limit:
        return title
    return title[:max(limit - 1, 0)].rstrip() + ELLIPSIS


def render_button(button: Button, max_title: int) -> dict[str, Any]:
    title = shorten(button.title, max_title)
    if button.payload is not None:
        return {"title": title, "type": "oa.query.hide", "payload": button.payload}
    if button.url is not None:
        return {"title": title, "type": "oa.open.url", "payload": {"url": button.url}}
    if button.phone is not None:
        return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": button.phone}}
    # A button with no action: send its title back, as if the resident typed it.
    return {"title": title, "type": "oa.query.hide", "payload": button.title}


def _body(user_id: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"recipient": {"user_id": user_id}, "message": message}


def _template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "template", "payload": payload}


def _render_text(reply: Text, user_id: str, max_text: int, max_buttons: int,
                 max_title: int, overflow_text: str) -> list[dict[str, Any]]:
    chunks = split_text(reply.text, max_text)
    buttons = [render_button(b, max_title) for b in reply.buttons]
    groups = [buttons[i:i + max_buttons] for i in range(0, len(buttons), max_buttons)]
    out = [_body(user_id, {"text": c}) for c in chunks]
    if groups:
        out[-1]["message"]["attachment"] = _template({"buttons": groups[0]})
        for group in groups[1:]:
            more = {"text": reply.more or overflow_text, "attachment": _template({"buttons": group})}
            out.append(_body(user_id, more))
    return out


def _list_element(item: ListItem) -> dict[str, Any]:
    el: dict[str, Any] = {"title": item.title}
    if item.subtitle:
        el["subtitle"] = item.subtitle
    if item.image_url:
        el["image_url"] = item.image_url
    if item.payload:
        el["default_action"] = {"type": "oa.query.hide", "payload": item.payload}
    elif item.url:
        el["default_action"] = {"type": "oa.open.url", "url": item.url}
    return el


def _render_list(reply: ListReply, user_id: str, max_items: int) -> list[dict[str, Any]]:
    elements = [_list_element(i) for i in reply.items]
    return [
        _body(user_id, {"attachment": _template({"template_type": "list",
                                                 "elements": elements[i:i + max_items]})})
        for i in range(0, len(elements), max_items)
    ]


def _render_image(reply: Image, user_id: str, max_text: int) -> list[dict[str, Any]]:
    media = _template({"template_type": "media", "elements": [{"media_type": "image", "url": reply.url}]})
    if reply.caption and len(reply.caption) <= max_text:
        return [_body(user_id, {"text": reply.caption, "attachment": media})]
    out = [_body(user_id, {"attachment": media})]
    if reply.caption:  # too long for a caption: follow the image with text messages
        out += [_body(user_id, {"text": c}) for c in split_text(reply.caption, max_text)]
    return out


def _render_request_info(reply: RequestInfo, user_id: str) -> list[dict[str, Any]]:
    element = {"title": reply.title, "subtitle": reply.subtitle, "image_url": reply.image_url}
    return [_body(user_id, {"attachment": _template({"template_type": "request_user_info",
                                                     "elements": [element]})})]


def render(reply: Reply, user_id: str, *, max_text: int = 2000, max_buttons: int = 5,
           max_button_title: int = MAX_BUTTON_TITLE, max_list_items: int = 5,
           overflow_text: str = OVERFLOW_TEXT) -> list[dict[str, Any]]:
    """Request bodies, in sending order, for one reply to `user_id`."""
    if max_buttons < 1 or max_list_items < 1 or max_button_title < 1:
        raise ValueError("limits must be positive")
    if isinstance(reply, Text):
        return _render_text(reply, user_id, max_text, max_buttons, max_button_title, overflow_text)
    if isinstance(reply, ListReply):
        return _render_list(reply, user_id, max_list_items)
    if isinstance(reply, Image):
        return _render_image(reply, user_id, max_text)
    if isinstance(reply, RequestInfo):
        return _render_request_info(reply, user_id)
    raise TypeError(f"cannot render {type(reply).__name__}")
