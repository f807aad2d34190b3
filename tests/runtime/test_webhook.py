"""POST /webhook/zalo through a real socket: signature, bad input, duplicates, storage failure."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging

import pytest
from sqlalchemy import func, select, text

from bot.testing.fakezalo import FakeZalo
from storage.models import InboxEvent, OutboxMessage
from tests.kit import APP_SECRET, OA_SECRET, BotHarness, texts

# The captured real text event from the platform reference, values as published (ids shortened there).
CAPTURED_APP_ID = "2553928453557884079"
CAPTURED = (b'{"app_id":"2553928453557884079","sender":{"id":"6142494823"},"recipient":{"id":"3662729599332560487"},'
            b'"event_name":"user_send_text","message":{"text":"Ch\xc3\xa0o A4B","msg_id":"cb31dff1c39642cc1b83"},'
            b'"timestamp":"1699003881354","user_id_by_app":"979122185046046317"}')


def zalo_mac(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's scheme, computed here independently of the code under test."""
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


async def stored_events(bot: BotHarness) -> int:
    async with bot.runtime.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(InboxEvent))).scalar_one()


async def test_captured_event_with_correct_signature_is_accepted_and_answered(db_url: str) -> None:
    fake = FakeZalo(app_id=CAPTURED_APP_ID, app_secret=APP_SECRET)
    async with BotHarness.start(db_url, fake=fake, zalo={"app_id": CAPTURED_APP_ID}) as bot:
        headers = {"X-ZEvent-Signature": zalo_mac(CAPTURED_APP_ID, CAPTURED, "1699003881354", OA_SECRET)}
        resp = await bot.post(CAPTURED, headers)
        assert resp.status == 200
        await bot.runtime.drain()
        replies = bot.fake.messages_for("6142494823")
        assert replies and replies[0].body["recipient"] == {"user_id": "6142494823"}


async def test_oa_id_variant_is_accepted_only_when_configured(db_url: str) -> None:
    async with BotHarness.start(db_url) as bot:
        raw, _ = bot.events.text("u1", "menu")
        ts = json.loads(raw)["timestamp"]
        oa_signed = {"X-ZEvent-Signature": zalo_mac("test-oa", raw, ts, OA_SECRET)}
        assert (await bot.post(raw, oa_signed)).status == 401
    async with BotHarness.start(db_url, zalo={"signature_ids": ["app_id", "oa_id"]}) as bot:
        raw, _ = bot.events.text("u1", "menu")
        ts = json.loads(raw)["timestamp"]
        assert (await bot.post(raw, {"X-ZEvent-Signature": zalo_mac("test-oa", raw, ts, OA_SECRET)})).status == 200


async def test_bad_signatures_get_401_and_store_nothing(bot: BotHarness) -> None:
    raw, headers = bot.events.text("u1", "menu")
    ts = json.loads(raw)["timestamp"]
    cases = {
        "wrong secret": {"X-ZEvent-Signature": zalo_mac("test-app", raw, ts, "not-the-secret")},
        "missing header": {},
        "garbled header": {"X-ZEvent-Signature": "mac=zzz"},
    }
    for name, hdrs in cases.items():
        resp = await bot.post(raw, hdrs)
        assert resp.status == 401, name
    tampered = raw.replace(b"menu", b"unem")
    assert (await bot.post(tampered, headers)).status == 401
    assert await stored_events(bot) == 0
    assert bot.runtime.metrics.events_rejected.value(reason="signature") == 4


async def test_malformed_bodies_get_400_with_a_reason(bot: BotHarness) -> None:
    resp = await bot.post(b"{not json", {"X-ZEvent-Signature": "mac=" + "0" * 64})
    assert resp.status == 400
    # Signed correctly but missing the message text: the reason names what is missing.
    raw, headers = bot.events.raw("user_send_text", sender={"id": "u1"}, recipient={"id": "oa"},
                                  message={"msg_id": "m-1"})
    async with bot.http.post(bot.webhook_url, data=raw, headers=headers) as r:
        assert r.status == 400
        assert "message.text" in (await r.json())["error"]
    assert await stored_events(bot) == 0


async def test_body_over_the_limit_gets_413(db_url: str) -> None:
    async with BotHarness.start(db_url, server={"max_body_bytes": 2048}) as bot:
        raw, headers = bot.events.text("u1", "x" * 3000)
        assert (await bot.post(raw, headers)).status == 413
        raw, headers = bot.events.text("u1", "nho")
        assert (await bot.post(raw, headers)).status == 200
        assert await stored_events(bot) == 1


async def test_duplicate_delivery_is_acknowledged_and_processed_once(bot: BotHarness) -> None:
    raw, headers = bot.events.text("u1", "menu")
    first = await bot.post(raw, headers)
    again = await bot.post(raw, headers)
    assert (first.status, again.status) == (200, 200)
    await bot.runtime.drain()
    assert await stored_events(bot) == 1
    async with bot.runtime.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(OutboxMessage))).scalar_one() == 1
    sent = [m.text for m in bot.fake.messages_for("u1")]
    assert sent and len(sent) == len(set(sent)), "a reply went out twice"
    assert bot.runtime.metrics.events_received.value(result="duplicate") == 1


async def test_unknown_event_names_are_stored_and_ignored(bot: BotHarness) -> None:
    raw, headers = bot.events.raw("user_did_something_new", sender={"id": "u1"}, recipient={"id": "oa"})
    assert (await bot.post(raw, headers)).status == 200
    await bot.runtime.drain()
    assert bot.fake.received == []
    async with bot.runtime.engine.connect() as conn:
        status = (await conn.execute(select(InboxEvent.status))).scalar_one()
    assert status == "ignored"


async def test_storage_failure_answers_503_then_the_retry_is_processed_once(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    raw, headers = bot.events.text("u1", "menu")
    async with bot.runtime.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox_events RENAME TO inbox_events_away"))
    assert (await bot.post(raw, headers)).status == 503
    async with bot.runtime.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox_events_away RENAME TO inbox_events"))
    replies = await chat.send(raw, headers)  # Zalo's retry of the same event
    assert "Bạn cần giúp gì" in texts(replies)
    assert await stored_events(bot) == 1
    assert bot.runtime.metrics.events_rejected.value(reason="storage") == 1


async def test_an_event_not_stored_in_time_answers_503_and_zalos_retry_is_processed_once(db_url: str) -> None:
    async with BotHarness.start(db_url, server={"store_timeout_seconds": 0.2}) as bot:
        raw, headers = bot.events.text("u1", "menu")
        async with bot.runtime.engine.connect() as held:  # another writer holds the inbox
            await held.begin()
            if held.dialect.name == "postgresql":
                await held.execute(text("LOCK TABLE inbox_events IN EXCLUSIVE MODE"))
            else:  # the write lock (BEGIN IMMEDIATE goes with the first statement) and the one connection
                await held.execute(text("SELECT 1"))
            status = (await bot.post(raw, headers)).status
            await held.rollback()
        assert status == 503
        assert bot.runtime.metrics.events_rejected.value(reason="storage") == 1
        replies = await bot.resident("u1").send(raw, headers)  # Zalo's retry of the same event
        assert "Bạn cần giúp gì" in texts(replies)
        assert await stored_events(bot) == 1
        assert len(bot.fake.received) == len(replies), "answered once, not once per delivery"


@pytest.mark.parametrize("path", ["/webhook/zalo", "/api/v1/dossiers"])
async def test_a_body_that_trickles_in_is_cut_off_and_counted(db_url: str, path: str) -> None:
    """A client that sends its headers and part of its body, then nothing: the request ends with 408 after
    the configured time instead of holding its socket open forever, and /metrics counts it."""
    async with BotHarness.start(db_url, server={"body_timeout_seconds": 0.3}) as bot:
        reader, writer = await asyncio.open_connection(bot.server.host, bot.server.port)
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 100\r\n\r\n{{".encode())
        await writer.drain()
        async with asyncio.timeout(10):
            status_line = await reader.readline()
        writer.close()
        assert status_line.split()[1] == b"408", status_line
        async with bot.http.get(bot.server.make_url("/metrics")) as resp:
            assert f'motcua_request_bodies_cut_total{{route="{path}"}} 1' in await resp.text()


async def test_rejected_requests_are_logged_with_their_reason_a_few_a_minute(
        bot: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    raw, _ = bot.events.text("u1", "menu")
    with caplog.at_level(logging.WARNING, logger="bot.webhook"):
        for _ in range(8):
            assert (await bot.post(raw, {"X-ZEvent-Signature": "mac=zzz"})).status == 401
        assert (await bot.post(b"{not json", {})).status == 400
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.webhook"]
    assert sum("401 (signature)" in line for line in lines) == 5, lines
    assert sum("400 (malformed)" in line for line in lines) == 1, lines
