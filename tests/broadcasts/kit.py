"""Shared helpers for the households, news and announcements tests: the configuration sections,
onboarding a household through the webhook, and calling the HTTP API."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from bot.api import token_hash
from bot.broadcasts.service import Broadcasting
from tests.kit import BotHarness

THON = [{"slug": "vong-nhi", "name": "Võng Nhi"},
        {"slug": "van-lang", "name": "Vạn Lăng"},
        {"slug": "thanh-nhut", "name": "Thanh Nhứt", "aliases": ["thanh nhut", "thanh nhat"]}]
TOKEN = "staff-token"
APPROVER_TOKEN = "approver-token"
NEWS_ONLY_TOKEN = "news-token"


def sections(**broadcasts: Any) -> dict[str, dict[str, Any]]:
    clients = [{"name": "cms", "token_sha256": token_hash(TOKEN), "scopes": ["news", "announcements"]},
               {"name": "chairman", "token_sha256": token_hash(APPROVER_TOKEN),
                "scopes": ["announcements", "announcements_approve"]},
               {"name": "portal", "token_sha256": token_hash(NEWS_ONLY_TOKEN), "scopes": ["news"]}]
    return {"commune": {"thon": THON}, "api": {"clients": clients},
            "broadcasts": {"rate_per_second": 100000, **broadcasts}}


def broadcasting(bot: BotHarness) -> Broadcasting:
    """The broadcasts feature's scheduler, fan-out and sender, for tests that drive them step by step."""
    work = bot.runtime.background["broadcasts"]
    assert isinstance(work, Broadcasting)
    return work


def cli_sections(**broadcasts: Any) -> dict[str, Any]:
    """What a command-line test's configuration file holds besides the database: the thôn and `[broadcasts]`."""
    return {"commune": {"thon": THON}, "broadcasts": broadcasts}


async def onboard(bot: BotHarness, user: str, thon: str | None, topics: str = "none",
                  phone: str | None = None, name: str = "Nguyễn Văn An") -> None:
    """Follow, then answer onboarding with button payloads; `topics` is a button arg or typed numbers."""
    chat = bot.resident(user)
    await chat.follow()
    await chat.say(f"#onboard:thon:{thon or 'none'}")
    await chat.say(f"#onboard:topics:{topics}" if topics in ("all", "essential", "none") else topics)
    if phone is None:
        await chat.say("#onboard:contact:no")
    else:
        await chat.say("#onboard:contact:yes")
        await chat.send(*bot.events.submit_info(user, name=name, phone=phone, address="Tổ 3"))


async def call(bot: BotHarness, method: str, path: str, body: Any = None,
               token: str | None = TOKEN) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with bot.http.request(method, bot.server.make_url(path), json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def announce(bot: BotHarness, **fields: Any) -> int:
    body = {"title": "Lịch cắt điện", "text": "Thứ Bảy cắt điện từ 7h đến 11h.", "by": "Cán bộ A", **fields}
    status, answer = await call(bot, "POST", "/api/v1/announcements", body)
    assert status == 201, answer
    return int(answer["id"])


def received(bot: BotHarness, title: str, urgent: bool = False) -> Counter[str]:
    """How many copies of the announcement titled `title` each resident got at the fake Zalo."""
    head = f"⚠️ KHẨN CẤP: {title}" if urgent else f"📢 {title}"
    return Counter(r.user_id for r in bot.fake.received if (r.text or "").startswith(head))


class FakeSmsGateway:
    """A local SMS gateway: records every request; `fail_next` requests answer HTTP 500."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0

    async def _send(self, request: web.Request) -> web.Response:
        self.received.append({"body": await request.json(), "headers": dict(request.headers)})
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"error": "busy"}, status=500)
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/sms", self._send)
        return app
