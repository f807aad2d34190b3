"""A local sandbox: the real service wired to a fake Zalo, with a browser chat page and a terminal chat.

Messages typed in the sandbox travel the real road: a correctly signed webhook event is posted to the
service's own /webhook/zalo, and the page shows what the fake Zalo received from the bot.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import create_app
from bot.config import AppConfig
from bot.runtime import RUNTIME, Runtime
from bot.testing.demo import DEMO_HINTS, sandbox_hash_key, seed_demo
from bot.testing.fakezalo import EventFactory, FakeZalo, FakeZaloServer, post, run_fake_zalo

PAGE = Path(__file__).with_name("sandbox.html")
INFO_FIELDS = ("name", "phone", "address")
SANDBOX_DATABASE = "sqlite+aiosqlite:///data/sandbox.sqlite3"
DEMO_ADMIN = ("admin", "motcua-sandbox")  # the sandbox's own database only; printed at start
SANDBOX_ZALO = {
    "app_id": "sandbox-app", "oa_id": "sandbox-oa", "oa_secret_key": "sandbox-oa-secret",
    "app_secret": "sandbox-app-secret", "access_token": "sandbox-access-0", "refresh_token": "sandbox-refresh-0",
}


def sandbox_database(url: str) -> str:
    """The sandbox's own SQLite file, never the configured database: run from a deployment's folder, a
    sandbox on the real database would take back the live service's claims and send its queued
    messages to the fake Zalo. `.../motcua.sqlite3` → `.../motcua.sandbox.sqlite3`; with PostgreSQL
    configured, `data/sandbox.sqlite3`."""
    if not url.startswith("sqlite"):
        return SANDBOX_DATABASE
    prefix, _, path = url.partition(":///")
    file = Path(path)
    suffix = file.suffix or ".sqlite3"
    return f"{prefix}:///{file.with_name(f'{file.stem}.sandbox{suffix}')}"


def sandbox_config(config: AppConfig, fake_url: str, own_key: bool = True) -> AppConfig:
    """The configuration with the fake Zalo, the sandbox's own database and (`own_key`) its own hash key,
    so lookups work without the deployment's secret, and never with it."""
    zalo = config.zalo.model_copy(update={**SANDBOX_ZALO, "api_base_url": fake_url, "oauth_base_url": fake_url,
                                          "signature_ids": ["app_id"], "send_rate_per_second": 50.0})
    database = config.database.model_copy(update={"url": sandbox_database(config.database.url)})
    # The demo admin signs in with a password alone: a newcomer needs no authenticator app to look around.
    console = config.console.model_copy(update={"require_totp_for": []})
    privacy = config.privacy
    if own_key:
        privacy = privacy.model_copy(update={"hash_key": sandbox_hash_key(database.url)})
    return config.model_copy(update={"zalo": zalo, "database": database, "console": console, "privacy": privacy})


async def ensure_demo_admin(runtime: Runtime) -> None:
    from bot.console import users
    from bot.console.passwords import Passwords
    from bot.console.users import InvalidInput

    passwords = Passwords(1, processes=False)
    try:
        name, password = DEMO_ADMIN
        spec = users.UserIn(name=name, roles=["admin"])
        await users.add(runtime.engine, runtime.config, passwords, spec, password, runtime.clock(), "sandbox")
    except InvalidInput:
        pass  # made by an earlier sandbox run
    finally:
        passwords.close()


async def start_fake_zalo() -> FakeZaloServer:
    z = SANDBOX_ZALO
    return await run_fake_zalo(app_id=z["app_id"], app_secret=z["app_secret"], access_token=z["access_token"],
                               refresh_token=z["refresh_token"])


class SandboxClient:
    """Plays residents: signs events as Zalo would and reads what the bot sent back. What each resident
    said is kept too, so the page shows both sides of a conversation after a reload."""

    def __init__(self, fake: FakeZalo) -> None:
        z = SANDBOX_ZALO
        self.fake = fake
        self.events = EventFactory(z["app_id"], z["oa_id"], z["oa_secret_key"])
        self.webhook_url = ""  # known once the server listens
        self.http: aiohttp.ClientSession | None = None
        self._said: dict[str, list[dict[str, Any]]] = {}

    async def _post(self, raw: bytes, headers: dict[str, str]) -> int:
        assert self.http is not None, "sandbox client used before the app started"
        return await post(self.http, self.webhook_url, raw, headers)

    def _remember(self, user_id: str, shown: str) -> None:
        self._said.setdefault(user_id, []).append({"who": "me", "text": shown, "at": time.time()})

    async def say(self, user_id: str, text: str, shown: str | None = None) -> int:
        """`text` as the resident typed it, or a button's hidden payload shown as its title (`shown`)."""
        self._remember(user_id, shown or text)
        return await self._post(*self.events.text(user_id, text))

    async def follow(self, user_id: str) -> int:
        return await self._post(*self.events.follow(user_id))

    async def submit_info(self, user_id: str, info: dict[str, str]) -> int:
        self._remember(user_id, " · ".join(v for v in info.values() if v))
        return await self._post(*self.events.submit_info(user_id, **info))

    def messages(self, user_id: str, after: int = 0) -> list[dict[str, Any]]:
        """What the bot sent `user_id`, after message `seq` number `after`."""
        return [m.to_dict() for m in self.fake.messages_for(user_id) if m.seq > after]

    def conversation(self, user_id: str, after: int = 0) -> list[dict[str, Any]]:
        """Both sides, oldest first, each with its `index`; from index `after` on."""
        bot = [{**m.to_dict(), "who": "bot"} for m in self.fake.messages_for(user_id)]
        both = sorted([*self._said.get(user_id, []), *bot], key=lambda m: m["at"])
        return [{**m, "index": i} for i, m in enumerate(both) if i >= after]


SANDBOX = web.AppKey("sandbox", SandboxClient)


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("user_id"), str) or not body["user_id"].strip():
        raise web.HTTPBadRequest(text="user_id (a non-empty string) is required")
    return body


async def _say(request: web.Request) -> web.Response:
    body = await _json_body(request)
    text, shown = body.get("text"), body.get("shown")
    if not isinstance(text, str) or not text.strip():
        raise web.HTTPBadRequest(text="text (a non-empty string) is required")
    if shown is not None and not isinstance(shown, str):
        raise web.HTTPBadRequest(text="shown, when given, is a string (a button's title)")
    status = await request.app[SANDBOX].say(body["user_id"], text, shown)
    return web.json_response({"webhook_status": status})


async def _submit_info(request: web.Request) -> web.Response:
    """The resident fills Zalo's contact form (request_user_info): name, phone, address."""
    body = await _json_body(request)
    info = {k: body.get(k) for k in INFO_FIELDS}
    if not all(isinstance(v, str) for v in info.values()) or not (info["name"] or "").strip():
        raise web.HTTPBadRequest(text=f"{', '.join(INFO_FIELDS)} are strings; name is required")
    status = await request.app[SANDBOX].submit_info(body["user_id"], {k: str(v).strip() for k, v in info.items()})
    return web.json_response({"webhook_status": status})


async def _demo(request: web.Request) -> web.Response:
    return web.json_response(DEMO_HINTS)


async def _follow(request: web.Request) -> web.Response:
    body = await _json_body(request)
    return web.json_response({"webhook_status": await request.app[SANDBOX].follow(body["user_id"])})


async def _messages(request: web.Request) -> web.Response:
    user_id = request.query.get("user_id", "")
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="after must be an integer") from None
    return web.json_response(request.app[SANDBOX].conversation(user_id, after))


def add_sandbox(app: web.Application, fake: FakeZalo) -> SandboxClient:
    client = SandboxClient(fake)
    app[SANDBOX] = client

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            client.http = http
            yield

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/sandbox", _page)
    app.router.add_post("/sandbox/api/say", _say)
    app.router.add_post("/sandbox/api/follow", _follow)
    app.router.add_post("/sandbox/api/submit_info", _submit_info)
    app.router.add_get("/sandbox/api/demo", _demo)
    app.router.add_get("/sandbox/api/messages", _messages)
    return client


@dataclass
class RunningSandbox:
    runner: web.AppRunner
    fake_server: FakeZaloServer
    client: SandboxClient
    base_url: str

    async def close(self) -> None:
        await self.runner.cleanup()
        await self.fake_server.close()


async def start_sandbox(config: AppConfig, background: bool = True, demo: bool = True) -> RunningSandbox:
    """Start the fake Zalo, then the service with the sandbox page (port 0 picks a free port).
    Without `background`, nothing is processed until `drain()` is called (the terminal chat). With `demo`,
    the sandbox uses its own hash key and its demo data; without, the caller's key and data (an eval)."""
    fake_server = await start_fake_zalo()
    cfg = sandbox_config(config, fake_server.url, own_key=demo)
    app = create_app(cfg, background=background)
    client = add_sandbox(app, fake_server.fake)
    runner = web.AppRunner(app, access_log=None)
    try:
        await runner.setup()
        await web.TCPSite(runner, cfg.server.host, cfg.server.port).start()
        if demo:
            await seed_demo(app[RUNTIME], app[RUNTIME].clock())
    except BaseException:
        await runner.cleanup()
        await fake_server.close()
        raise
    if cfg.console.enabled:
        await ensure_demo_admin(app[RUNTIME])
    port = runner.addresses[0][1] if runner.addresses else cfg.server.port
    base = f"http://{cfg.server.host}:{port}"
    client.webhook_url = f"{base}/webhook/zalo"
    return RunningSandbox(runner, fake_server, client, base)


async def terminal_chat(config: AppConfig, user_id: str = "terminal-user") -> None:
    sandbox = await start_sandbox(config.model_copy(
        update={"server": config.server.model_copy(update={"port": 0})}), background=False)
    client, runtime = sandbox.client, sandbox.runner.app[RUNTIME]
    print("motcua — trò chuyện thử với bot (gõ 'thoat' để thoát; gõ số để bấm nút).", flush=True)
    seen = 0
    buttons: list[str] = []
    loop = asyncio.get_running_loop()
    try:
        await client.follow(user_id)
        while True:
            await runtime.drain()  # the whole answer is out before the next prompt
            new = client.messages(user_id, seen)
            if new:  # buttons are numbered across one answer's messages (Zalo shows 5 per message)
                seen, buttons = new[-1]["seq"], []
                for m in new:
                    buttons += _print_message(m, first_number=len(buttons) + 1)
            print("bạn> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip().lower() in {"thoat", "thoát", "exit", "quit"}:
                return
            text = line.strip()
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]
            if text:
                await client.say(user_id, text)
    finally:
        await sandbox.close()


def _print_message(m: dict[str, Any], first_number: int) -> list[str]:
    """Print one message; returns the hidden payloads of its buttons, numbered from `first_number`."""
    if m["text"]:
        print(f"\nbot> {m['text']}")
    payloads: list[str] = []
    elements = (m["body"].get("message", {}).get("attachment") or {}).get("payload", {}).get("elements") or []
    for item in [*m["buttons"], *elements]:
        action = item.get("payload") if "payload" in item else (item.get("default_action") or {}).get("payload")
        label = item.get("title", "")
        if isinstance(action, str):
            payloads.append(action)
            print(f"   [{first_number + len(payloads) - 1}] {label}")
        elif isinstance(action, dict) and ("url" in action or "phone_code" in action):
            print(f"   ({label}: {action.get('url') or action.get('phone_code')})")
    return payloads
