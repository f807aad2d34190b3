from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.testing.fakezalo import FakeZalo
from bot.zalo.client import AccessTokenRejected, SendResult, TokenRefreshError, ZaloClient
from bot.zalo.errors import NETWORK_ERROR, TIMEOUT, Disposition
from bot.zalo.render import render
from flows.replies import Button, Text

APP_ID, SECRET = "app-1", "app-secret-1"
UID = "6142494823001"


@pytest.fixture
def fake() -> FakeZalo:
    return FakeZalo(app_id=APP_ID, app_secret=SECRET, access_token="at-0", refresh_token="rt-0")


@pytest.fixture
async def server(fake: FakeZalo) -> AsyncIterator[TestServer]:
    srv = TestServer(fake.app(), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def make_client(session: aiohttp.ClientSession, base: str, *, secret: str = SECRET,
                timeout: float = 10.0) -> ZaloClient:
    return ZaloClient(session, api_base_url=base, oauth_base_url=base, app_id=APP_ID, app_secret=secret,
                      timeout=timeout)


@pytest.fixture
def client(session: aiohttp.ClientSession, server: TestServer) -> ZaloClient:
    return make_client(session, str(server.make_url("")))


def body(text: str = "Xin chào", uid: str = UID) -> dict:
    return {"recipient": {"user_id": uid}, "message": {"text": text}}


async def test_send_success(client: ZaloClient, fake: FakeZalo) -> None:
    reply = Text("Chọn", (Button("Khai sinh", payload="#ks"),))
    result = await client.send("at-0", render(reply, UID)[0])
    assert result.ok and result.code == 0 and result.disposition is Disposition.OK
    assert result.msg_id and result.http_status == 200
    [rec] = fake.received
    assert (rec.user_id, rec.text, rec.access_token) == (UID, "Chọn", "at-0")
    assert rec.buttons == [{"title": "Khai sinh", "type": "oa.query.hide", "payload": "#ks"}]


async def test_invalid_token_asks_for_refresh(client: ZaloClient, fake: FakeZalo) -> None:
    result = await client.send("wrong-token", body())
    assert (result.ok, result.code, result.disposition) == (False, -216, Disposition.REFRESH_TOKEN)
    fake.expire_access_token()
    assert (await client.send("at-0", body())).disposition is Disposition.REFRESH_TOKEN
    assert fake.received == []


async def test_invalid_body_is_permanent(client: ZaloClient) -> None:
    result = await client.send("at-0", {"recipient": {}, "message": {"text": "x"}})
    assert (result.code, result.disposition) == (-100, Disposition.PERMANENT)


async def test_injected_rate_limit_is_retry(client: ZaloClient, fake: FakeZalo) -> None:
    fake.inject_error(-32, times=2)
    results = [await client.send("at-0", body()) for _ in range(3)]
    assert [(r.code, r.disposition) for r in results] == [
        (-32, Disposition.RETRY), (-32, Disposition.RETRY), (0, Disposition.OK)]
    assert len(fake.received) == 1 and fake.errors_injected == 2


async def test_http_500_is_retry(client: ZaloClient, fake: FakeZalo) -> None:
    fake.inject_http_status(500)
    result = await client.send("at-0", body())
    assert (result.ok, result.http_status, result.disposition) == (False, 500, Disposition.RETRY)
    fake.inject_http_status(429)
    assert (await client.send("at-0", body())).disposition is Disposition.RETRY
    fake.inject_http_status(404)
    assert (await client.send("at-0", body())).disposition is Disposition.PERMANENT
    assert (await client.send("at-0", body())).ok


async def test_user_error_is_unreachable(client: ZaloClient, fake: FakeZalo) -> None:
    fake.set_user_error(UID, -230)
    for _ in range(2):
        result = await client.send("at-0", body())
        assert (result.code, result.disposition) == (-230, Disposition.UNREACHABLE)
    assert (await client.send("at-0", body(uid="other-user"))).ok
    fake.set_user_error(UID, None)
    assert (await client.send("at-0", body())).ok


@pytest.mark.parametrize(("code", "disposition"), [
    (-234, Disposition.NIGHT_BAN), (-211, Disposition.QUOTA), (-213, Disposition.UNREACHABLE),
    (-220, Disposition.REFRESH_TOKEN), (-999, Disposition.PERMANENT),
])
async def test_other_codes(client: ZaloClient, fake: FakeZalo, code: int, disposition: Disposition) -> None:
    fake.inject_error(code, user_id=UID)
    assert (await client.send("at-0", body(uid="someone-else"))).ok  # injection is for UID only
    result = await client.send("at-0", body())
    assert (result.code, result.disposition) == (code, disposition)


async def test_timeout_is_retry(session: aiohttp.ClientSession, server: TestServer, fake: FakeZalo) -> None:
    client = make_client(session, str(server.make_url("")), timeout=0.05)
    fake.inject_delay(1.0)
    result = await client.send("at-0", body())
    assert (result.ok, result.code, result.disposition) == (False, TIMEOUT, Disposition.RETRY)


async def test_connection_error_is_retry(session: aiohttp.ClientSession) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = await make_client(session, f"http://127.0.0.1:{port}").send("at-0", body())
    assert result == SendResult(False, NETWORK_ERROR, result.message, Disposition.RETRY, None)


async def test_refresh_success_and_single_use(client: ZaloClient, fake: FakeZalo) -> None:
    pair = await client.refresh("rt-0")
    assert pair.access_token != "at-0" and pair.refresh_token != "rt-0"
    assert pair.expires_in == 90000 and fake.refresh_calls == 1
    assert (await client.send(pair.access_token, body())).ok
    assert (await client.send("at-0", body())).disposition is Disposition.REFRESH_TOKEN

    with pytest.raises(TokenRefreshError) as info:
        await client.refresh("rt-0")  # spent
    assert info.value.code == -14014 and not info.value.retryable

    pair2 = await client.refresh(pair.refresh_token)
    assert pair2.refresh_token != pair.refresh_token


async def test_refresh_can_keep_old_access_token(session: aiohttp.ClientSession) -> None:
    fake = FakeZalo(app_id=APP_ID, app_secret=SECRET, access_token="at-0", refresh_token="rt-0",
                    refresh_invalidates_access=False)
    srv = TestServer(fake.app(), host="127.0.0.1")
    await srv.start_server()
    try:
        client = make_client(session, str(srv.make_url("")))
        pair = await client.refresh("rt-0")
        assert (await client.send("at-0", body())).ok
        assert (await client.send(pair.access_token, body())).ok
    finally:
        await srv.close()


async def test_refresh_wrong_secret(session: aiohttp.ClientSession, server: TestServer) -> None:
    client = make_client(session, str(server.make_url("")), secret="not-the-secret")
    with pytest.raises(TokenRefreshError) as info:
        await client.refresh("rt-0")
    assert not info.value.retryable and info.value.code != 0


async def test_refresh_server_error_is_retryable(client: ZaloClient, fake: FakeZalo) -> None:
    fake.inject_http_status(502, route="token")
    with pytest.raises(TokenRefreshError) as info:
        await client.refresh("rt-0")
    assert info.value.retryable
    assert (await client.refresh("rt-0")).access_token  # the injected failure did not spend it


async def test_sent_since_pages_through_the_conversation_back_to_the_given_time(
        client: ZaloClient, fake: FakeZalo) -> None:
    for i in range(25):
        assert (await client.send("at-0", body(f"tin {i}"))).ok
    cutoff_ms = int(fake.messages_for(UID)[7].at * 1000)
    found = await client.sent_since("at-0", UID, cutoff_ms)
    assert found is not None
    assert [m.text for m in found] == [f"tin {i}" for i in range(25) if int(fake.received[i].at * 1000) >= cutoff_ms]
    assert found[0].text is not None and found[-1].text == "tin 24"  # oldest first, three pages read
    assert await client.sent_since("at-0", "someone-else", 0) == []


async def test_sent_since_is_none_when_the_history_cannot_be_read(client: ZaloClient, fake: FakeZalo) -> None:
    fake.inject_http_status(502, route="conversation")
    assert await client.sent_since("at-0", UID, 0) is None


async def test_sent_since_says_when_the_access_token_was_refused(client: ZaloClient) -> None:
    """-216 says nothing about the history: a fresh token can still read it (the sender refreshes)."""
    with pytest.raises(AccessTokenRejected) as refused:
        await client.sent_since("wrong-token", UID, 0)
    assert refused.value.code == -216
