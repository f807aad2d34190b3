from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.testing.fakezalo import EventFactory, FakeZalo, post, run_fake_zalo
from bot.zalo.client import ZaloClient
from bot.zalo.events import parse_event
from bot.zalo.signature import verify_signature

UID = "u-1"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
async def base(fake: FakeZalo) -> AsyncIterator[str]:
    srv = TestServer(fake.app(), host="127.0.0.1")
    await srv.start_server()
    yield str(srv.make_url("")).rstrip("/")
    await srv.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def client_for(session: aiohttp.ClientSession, base: str) -> ZaloClient:
    return ZaloClient(session, api_base_url=base, oauth_base_url=base, app_id="fake-app-id",
                      app_secret="fake-app-secret")


def msg(text: str, uid: str = UID) -> dict:
    return {"recipient": {"user_id": uid}, "message": {"text": text}}


async def test_wait_for_count_wakes_on_records(fake: FakeZalo, base: str,
                                               session: aiohttp.ClientSession) -> None:
    client = client_for(session, base)
    waiter = asyncio.create_task(fake.wait_for_count(3, user_id=UID, timeout=5))
    other = asyncio.create_task(fake.wait_for_count(4, timeout=5))
    await asyncio.gather(*(client.send(fake.access_token, msg(f"m{i}")) for i in range(3)),
                         client.send(fake.access_token, msg("x", uid="u-2")))
    got = await waiter
    assert sorted(r.text for r in got) == ["m0", "m1", "m2"]
    assert len(await other) == 4
    assert [r.seq for r in fake.received] == [1, 2, 3, 4]
    # Already satisfied: returns at once.
    assert len(await fake.wait_for_count(1, user_id="u-2", timeout=0.01)) == 1


async def test_wait_for_count_times_out_with_details(fake: FakeZalo, base: str,
                                                     session: aiohttp.ClientSession) -> None:
    await client_for(session, base).send(fake.access_token, msg("chỉ một tin"))
    with pytest.raises(TimeoutError) as info:
        await fake.wait_for_count(2, user_id=UID, timeout=0.05)
    text = str(info.value)
    assert "wanted 2" in text and "got 1" in text and "chỉ một tin" in text and UID in text


async def test_control_routes(fake: FakeZalo, base: str, session: aiohttp.ClientSession) -> None:
    client = client_for(session, base)

    async def call(method: str, path: str, payload: dict | None = None) -> object:
        async with session.request(method, base + path, data=orjson.dumps(payload) if payload else None) as r:
            assert r.status == 200, await r.text()
            return orjson.loads(await r.read())

    await call("POST", "/_fake/inject", {"code": -32, "times": 1, "user_id": None})
    await call("POST", "/_fake/inject", {"http_status": 500, "times": 1})
    assert (await client.send(fake.access_token, msg("a"))).http_status == 500  # HTTP first, then code
    assert (await client.send(fake.access_token, msg("a"))).code == -32
    assert (await client.send(fake.access_token, msg("a"))).ok
    await client.send(fake.access_token, msg("b", uid="u-2"))

    rows = await call("GET", "/_fake/messages")
    assert [r["text"] for r in rows] == ["a", "b"]
    rows = await call("GET", f"/_fake/messages?user_id=u-2&after={rows[0]['seq']}")
    assert [(r["user_id"], r["text"]) for r in rows] == [("u-2", "b")]

    stats = await call("GET", "/_fake/stats")
    assert stats == {"received": 2, "refresh_calls": 0, "errors_injected": 2, "delays_injected": 0,
                     "codes": {"-32": 1, "0": 2}}

    await call("POST", "/_fake/user_error", {"user_id": UID, "code": -213})
    assert (await client.send(fake.access_token, msg("c"))).code == -213
    await call("POST", "/_fake/expire_access_token")
    assert (await client.send(fake.access_token, msg("c", uid="u-3"))).code == -216

    await call("POST", "/_fake/reset", {"tokens": True})
    assert fake.received == [] and (await call("GET", "/_fake/stats"))["received"] == 0
    tokens = await call("GET", "/_fake/tokens")
    assert (await client.send(tokens["access_token"], msg("d"))).ok

    async with session.post(base + "/_fake/inject", data=b'{"times": 2}') as r:
        assert r.status == 400


async def test_delay_injection_via_route(fake: FakeZalo, base: str, session: aiohttp.ClientSession) -> None:
    async with session.post(base + "/_fake/inject", data=orjson.dumps({"delay_ms": 1, "times": 2})) as r:
        assert r.status == 200
    client = client_for(session, base)
    for _ in range(3):
        assert (await client.send(fake.access_token, msg("x"))).ok
    assert fake.delays_injected == 2


async def test_event_factory_signs_and_posts(session: aiohttp.ClientSession) -> None:
    seen: list[tuple[bytes, str | None]] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append((await request.read(), request.headers.get("X-ZEvent-Signature")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        for variant, ids_ok, ids_bad in (("app_id", ["app"], ["oa"]), ("oa_id", ["oa"], ["app"])):
            factory = EventFactory("app", "oa", "oa-secret", id_variant=variant)
            raw, headers = factory.text(UID, "Xin chào", quote_msg_id="q-1")
            assert await post(session, str(srv.make_url("/webhook")), raw, headers) == 200
            body, sig = seen[-1]
            assert body == raw
            ev = parse_event(body)
            assert verify_signature(body, sig, ev.timestamp, "oa-secret", ids_ok)
            assert not verify_signature(body, sig, ev.timestamp, "oa-secret", ids_bad)
    finally:
        await srv.close()


def test_event_factory_unique_ids_and_timestamps() -> None:
    factory = EventFactory("app", "oa", "s", clock=lambda: 1699003881.354)
    events = [parse_event(factory.text(UID, "x")[0]) for _ in range(5)]
    assert len({e.msg_id for e in events}) == 5
    stamps = [e.timestamp_ms for e in events]
    assert stamps == sorted(set(stamps)) and stamps[0] == 1699003881354
    with pytest.raises(ValueError):
        EventFactory("app", "oa", "s", id_variant="nope")


async def test_run_fake_zalo_in_process(session: aiohttp.ClientSession) -> None:
    server = await run_fake_zalo("127.0.0.1", 0, access_token="tok")
    try:
        assert not server.url.endswith(":0")
        result = await client_for(session, server.url).send("tok", msg("hello"))
        assert result.ok and len(server.fake.received) == 1
    finally:
        await server.close()


@pytest.mark.slow
async def test_standalone_process(session: aiohttp.ClientSession) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.testing.fakezalo", "--port", "0", "--access-token", "tok",
        stdout=asyncio.subprocess.PIPE, cwd=REPO_ROOT)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().split()
        assert line[0] == "FAKEZALO_READY"
        url = line[1]
        assert (await client_for(session, url).send("tok", msg("hi"))).ok
        async with session.get(url + "/_fake/messages") as r:
            assert [m["text"] for m in orjson.loads(await r.read())] == ["hi"]
    finally:
        proc.terminate()
        await proc.wait()
