"""The test kit: the real service on a real socket, a fake Zalo, and a resident to chat as.

    async with BotHarness.start(db_url) as bot:
        replies = await bot.resident("u1").say("menu")   # signed webhook in, fake Zalo's messages out

`say` posts a correctly signed event, lets the worker and sender run until the queues are empty
(deterministic: no sleeps, no background timing), and returns what the fake Zalo received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.config import AppConfig, build_config
from bot.runtime import RUNTIME, Runtime
from bot.testing.fakezalo import EventFactory, FakeZalo, Received
from flows.base import Flow
from storage.types import utcnow

APP_ID, OA_ID, OA_SECRET, APP_SECRET = "test-app", "test-oa", "test-oa-secret", "test-app-secret"


@dataclass(frozen=True)
class Msg:
    """One message as the fake Zalo received it."""

    text: str
    buttons: list[tuple[str, Any]]  # (title, payload) — payload is the hidden text or {"url": ...}
    elements: list[dict[str, Any]]
    body: dict[str, Any]

    @classmethod
    def of(cls, r: Received) -> Msg:
        attachment = r.body.get("message", {}).get("attachment") or {}
        elements = (attachment.get("payload") or {}).get("elements") or []
        return cls(r.text or "", [(b["title"], b.get("payload")) for b in r.buttons], elements, r.body)

    def button_titles(self) -> list[str]:
        return [t for t, _ in self.buttons]


def zalo_section(zalo_url: str, **values: Any) -> dict[str, Any]:
    """`[zalo]` for a service talking to the fake Zalo at `zalo_url` with the test OA's ids and secrets."""
    return {"app_id": APP_ID, "oa_id": OA_ID, "oa_secret_key": OA_SECRET, "app_secret": APP_SECRET,
            "api_base_url": zalo_url, "oauth_base_url": zalo_url, "access_token": "fake-access-0",
            "refresh_token": "fake-refresh-0", **values}


def make_config(db_url: str, zalo_url: str, **sections: dict[str, Any]) -> AppConfig:
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "zalo": zalo_section(zalo_url, send_rate_per_second=10000),
        "commune": {"name": "UBND phường Thử Nghiệm", "office_phone": "0236 000 000",
                    "office_address": "Số 1 đường Thử", "office_phone_verified": True, "office_address_verified": True,
                    "thon": [{"slug": "thon-mot", "name": "Thôn Một"}]},
        "log_level": "WARNING",
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return build_config(data, environ={})


def write_config(path: Path, db_url: str, **sections: Any) -> Path:
    """A configuration file on the test's database, for the command line or a service process. Each
    keyword is a section (`privacy={"hash_key": ...}`; a dict in it is a sub-table, a list of dicts an
    array of tables) or a top-level value (`log_level="WARNING"`)."""
    data = {"database": {"url": db_url}, **sections}
    lines = [f"{_toml_key(k)} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in data.items():
        if isinstance(table, dict):
            lines += _toml_table(_toml_key(name), table)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_table(name: str, table: dict[str, Any]) -> list[str]:
    def is_tables(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(isinstance(item, dict) for item in v)

    def values(t: dict[str, Any]) -> list[str]:
        return [f"{_toml_key(k)} = {json.dumps(v)}" for k, v in t.items() if not (isinstance(v, dict) or is_tables(v))]

    lines = [f"[{name}]", *values(table)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += _toml_table(f"{name}.{_toml_key(key)}", value)
        elif is_tables(value):
            for item in value:
                lines += [f"[[{name}.{_toml_key(key)}]]", *values(item)]
    return lines


class BotHarness:
    def __init__(self, server: TestServer, fake: FakeZalo, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.fake = fake
        self.http = http
        self.events = EventFactory(APP_ID, OA_ID, OA_SECRET)

    @property
    def runtime(self) -> Runtime:
        return self.server.app[RUNTIME]

    @property
    def webhook_url(self) -> str:
        return str(self.server.make_url("/webhook/zalo"))

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, db_url: str, *, fake: FakeZalo | None = None, extra_flows: Iterable[Flow] = (),
                    background: bool = False, clock: Callable[[], datetime] = utcnow,
                    **sections: dict[str, Any]) -> AsyncIterator[BotHarness]:
        fake = fake or FakeZalo(app_id=APP_ID, app_secret=APP_SECRET)
        fake_server = TestServer(fake.app())
        await fake_server.start_server()
        config = make_config(db_url, str(fake_server.make_url("")).rstrip("/"), **sections)
        server = TestServer(create_app(config, extra_flows=extra_flows, background=background, clock=clock))
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                yield cls(server, fake, http)
        finally:
            await server.close()
            await fake_server.close()

    async def post(self, raw: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
        async with self.http.post(self.webhook_url, data=raw, headers=headers) as resp:
            await resp.read()
            return resp

    def resident(self, user_id: str) -> ResidentChat:
        return ResidentChat(self, user_id)


class ResidentChat:
    def __init__(self, bot: BotHarness, user_id: str) -> None:
        self.bot = bot
        self.user_id = user_id
        self.seen = 0
        self.last: list[Msg] = []

    async def send(self, raw: bytes, headers: dict[str, str]) -> list[Msg]:
        resp = await self.bot.post(raw, headers)
        assert resp.status == 200, f"webhook answered {resp.status}"
        await self.bot.runtime.drain()
        received = [r for r in self.bot.fake.messages_for(self.user_id) if r.seq > self.seen]
        if received:
            self.seen = received[-1].seq
        self.last = [Msg.of(r) for r in received]
        return self.last

    async def say(self, text: str) -> list[Msg]:
        return await self.send(*self.bot.events.text(self.user_id, text))

    async def follow(self) -> list[Msg]:
        return await self.send(*self.bot.events.follow(self.user_id))

    async def click(self, title: str) -> list[Msg]:
        """Tap a button (or list item) from the last replies, as Zalo would: its hidden payload comes back."""
        for msg in self.last:
            for t, payload in msg.buttons:
                if t == title and isinstance(payload, str):
                    return await self.say(payload)
            for el in msg.elements:
                action = el.get("default_action") or {}
                if el.get("title") == title and isinstance(action.get("payload"), str):
                    return await self.say(action["payload"])
        raise AssertionError(f"no button {title!r} in {[m.button_titles() for m in self.last]}")


def texts(msgs: list[Msg]) -> str:
    return "\n".join(m.text for m in msgs)


VN = ZoneInfo("Asia/Ho_Chi_Minh")  # the commune's wall clock


class Clock:
    """The service's clock in tests: moved by hand, never slept on. `Clock(*local)` starts at a Hội An wall
    time (a Monday at 10:00 by default), `Clock.at(moment)` at any moment."""

    def __init__(self, *local: int) -> None:
        self.now = local_time(*local) if local else local_time(2026, 11, 30, 10, 0)  # a Monday, 10:00 in Hội An

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)

    def set_local(self, *local: int) -> None:
        self.now = local_time(*local)

    @classmethod
    def at(cls, moment: datetime) -> Clock:
        clock = cls()
        clock.now = moment
        return clock


def local_time(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=VN).astimezone(UTC)


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    """Wait for something another task does that offers nothing to await (a counter in the fake Zalo)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
