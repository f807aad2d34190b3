"""Channel-agnostic replies that flows return.

Flows never build Zalo JSON: they return these values, the outbox stores them as plain dicts
(`to_dict`), and `bot/zalo/render.py` turns them into OpenAPI payloads at send time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """One button. Exactly one of payload (hidden text sent back as the resident's message),
    url (opens a page) or phone (starts a call) is set."""

    title: str
    payload: str | None = None
    url: str | None = None
    phone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("title", self.title), ("payload", self.payload), ("url", self.url),
                                  ("phone", self.phone)) if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Button:
        return cls(title=d["title"], payload=d.get("payload"), url=d.get("url"), phone=d.get("phone"))


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    buttons: tuple[Button, ...] = ()
    # The text of a further message carrying the buttons beyond Zalo's per-message limit, in the resident's
    # language (the worker fills it in; empty: the renderer's default).
    more: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": "text", "text": self.text}
        if self.buttons:
            d["buttons"] = [b.to_dict() for b in self.buttons]
        if self.more:
            d["more"] = self.more
        return d


@dataclass(frozen=True, slots=True)
class ListItem:
    title: str
    subtitle: str = ""
    image_url: str | None = None
    payload: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("title", self.title), ("subtitle", self.subtitle),
                                  ("image_url", self.image_url), ("payload", self.payload),
                                  ("url", self.url)) if v}


@dataclass(frozen=True, slots=True)
class ListReply:
    """A list of tappable items (Zalo's list template). Long lists are split by the renderer."""

    items: tuple[ListItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "list", "items": [i.to_dict() for i in self.items]}


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    caption: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "image", "url": self.url, "caption": self.caption}


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Zalo's request-user-info form; answered by a `user_submit_info` event."""

    title: str
    subtitle: str
    image_url: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "request_info", "title": self.title, "subtitle": self.subtitle,
                "image_url": self.image_url}


Reply = Text | ListReply | Image | RequestInfo


def with_more(reply: Reply, more: str) -> Reply:
    """`reply` with the text for its overflowing buttons, when it has buttons and none yet."""
    return replace(reply, more=more) if isinstance(reply, Text) and reply.buttons and not reply.more else reply


def reply_from_dict(d: dict[str, Any]) -> Reply:
    kind = d["kind"]
    if kind == "text":
        return Text(d["text"], tuple(Button.from_dict(b) for b in d.get("buttons", ())), d.get("more", ""))
    if kind == "list":
        return ListReply(tuple(ListItem(**i) for i in d["items"]))
    if kind == "image":
        return Image(d["url"], d.get("caption", ""))
    if kind == "request_info":
        return RequestInfo(d["title"], d["subtitle"], d["image_url"])
    raise ValueError(f"unknown reply kind {kind!r}")
