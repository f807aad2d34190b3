"""The outbox sender against the fake Zalo: retries with back-off, permanent failures, crash recovery,
order per resident, and one token refresh across several senders."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import zalo_client
from bot.metrics import Metrics
from bot.ratelimit import RateLimiter
from bot.sender import RenderLimits, Sender
from bot.tokens import TokenManager
from bot.zalo.client import ZaloClient
from bot.zalo.render import render
from flows.replies import reply_from_dict
from storage import queues
from storage.engine import create_engine, run_transaction
from storage.models import OutboxMessage
from tests.kit import APP_ID, APP_SECRET, BotHarness, Clock, until


def make_sender(bot: BotHarness, clock: Clock, *, engine=None, max_attempts: int = 5, timeout: float = 2.0) -> Sender:
    rt = bot.runtime
    engine = engine or rt.engine
    client = ZaloClient(rt.http, api_base_url=rt.config.zalo.api_base_url,
                        oauth_base_url=rt.config.zalo.oauth_base_url, app_id=APP_ID, app_secret=APP_SECRET,
                        timeout=timeout)
    tokens = TokenManager(engine, client, rt.metrics, refresh_margin=timedelta(minutes=5), clock=clock)
    return Sender(engine, client, tokens, RateLimiter(10000), Metrics(), batch_size=50, concurrency=8,
                  lease=timedelta(seconds=60), max_attempts=max_attempts, limits=RenderLimits(), clock=clock,
                  history_skew=timedelta(seconds=5))


async def queue_reply(bot: BotHarness, user: str, text: str = "menu") -> None:
    """A resident writes; the worker answers into the outbox (nothing sent yet)."""
    assert (await bot.post(*bot.events.text(user, text))).status == 200
    while await bot.runtime.worker.run_once():
        pass


async def outbox_rows(bot: BotHarness) -> list[OutboxMessage]:
    async with bot.runtime.engine.connect() as conn:
        return list((await conn.execute(select(OutboxMessage.__table__).order_by(OutboxMessage.id))).all())


@asynccontextmanager
async def harness(db_url: str, clock: Clock) -> AsyncIterator[BotHarness]:
    """The service on the test's clock (the worker stamps replies with it too; `Clock()` is a Monday at 10:00
    in Hội An, daytime, no night ban), with tokens valid for long past it, so only the tests that expire
    them see a refresh."""
    async with BotHarness.start(db_url, clock=clock) as bot:
        await bot.runtime.tokens.set_pair("fake-access-0", "fake-refresh-0", timedelta(days=3650))
        yield bot


async def test_rate_limit_errors_back_off_then_deliver_once(db_url: str) -> None:
    clock = Clock()
    async with harness(db_url, clock) as bot:
        sender = make_sender(bot, clock)
        await queue_reply(bot, "u1")
        bot.fake.inject_error(-32, times=2)
        assert await sender.run_once() == 1
        [row] = await outbox_rows(bot)
        assert (row.status, row.error_code, row.attempts) == ("pending", -32, 1)
        assert row.next_attempt_at > clock.now
        assert await sender.run_once() == 0, "retried before its back-off ended"
        clock.advance(minutes=5)
        await sender.run_once()
        clock.advance(minutes=5)
        await sender.run_once()
        [row] = await outbox_rows(bot)
        assert (row.status, row.attempts) == ("sent", 3)
        assert len(bot.fake.messages_for("u1")) == 2  # the menu's two parts (8 buttons, 5 per message)


async def test_permanent_failures_are_recorded_and_never_retried(db_url: str) -> None:
    clock = Clock()
    async with harness(db_url, clock) as bot:
        sender = make_sender(bot, clock, max_attempts=3)
        bot.fake.set_user_error("away", -230)
        bot.fake.set_user_error("odd", -201)
        for user in ("away", "odd"):
            await queue_reply(bot, user)
        await sender.run_once()
        await queue_reply(bot, "flaky")
        bot.fake.inject_http_status(500, times=100)
        for _ in range(5):
            await sender.run_once()
            clock.advance(hours=1)
        rows = {r.zalo_user_id: r for r in await outbox_rows(bot)}
        assert (rows["away"].status, rows["away"].error_code) == ("unreachable", -230)
        assert rows["odd"].status == "failed" and rows["odd"].error_code == -201
        assert rows["flaky"].status == "failed" and rows["flaky"].error.startswith("gave up after 3 attempts")
        assert await sender.run_once() == 0


async def test_a_message_claimed_by_a_dead_sender_is_sent_after_its_lease(db_url: str) -> None:
    clock = Clock()
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")
        async with bot.runtime.engine.begin() as conn:  # a sender claims it, then its process dies
            claimed = await conn.run_sync(queues.claim_outbox, clock.now, timedelta(seconds=60), 10)
        assert len(claimed) == 1
        sender = make_sender(bot, clock)
        assert await sender.run_once() == 0, "claimed by a live lease"
        clock.advance(seconds=61)
        assert await sender.run_once() == 1
        assert [r.status for r in await outbox_rows(bot)] == ["sent"]
        assert len(bot.fake.messages_for("u1")) == 2


async def die_mid_send(bot: BotHarness, clock: Clock, user: str, parts_through: int) -> None:
    """What a sender killed mid-send leaves: the claim taken, some parts accepted by Zalo, nothing recorded."""
    async with bot.runtime.engine.begin() as conn:
        [row] = await conn.run_sync(queues.claim_outbox, clock.now, timedelta(seconds=60), 10)
    bodies = [b for r in row.replies for b in render(reply_from_dict(r), user)]
    client = zalo_client(bot.runtime.http, bot.runtime.config.zalo)
    for body in bodies[:parts_through]:
        assert (await client.send("fake-access-0", body)).ok


@pytest.mark.parametrize("parts_through", [0, 1, 2])
async def test_a_message_in_doubt_after_a_crash_goes_out_exactly_once(db_url: str, parts_through: int) -> None:
    clock = Clock.at(datetime.now(UTC))  # matched against the fake Zalo's real-time history
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")  # the menu: two parts
        await die_mid_send(bot, clock, "u1", parts_through)
        clock.advance(seconds=61)  # the dead sender's lease ends
        assert await make_sender(bot, clock).run_once() == 1
        texts = [m.text for m in bot.fake.messages_for("u1")]
        assert len(texts) == 2 and len(set(texts)) == 2, f"sent twice or lost: {texts}"
        [row] = await outbox_rows(bot)
        assert (row.status, row.parts_sent, row.in_doubt_since) == ("sent", 2, None)
        assert row.zalo_msg_id == f"fakemsg{bot.fake.messages_for('u1')[-1].seq:012d}"


async def test_unreadable_history_sends_again_rather_than_lose_a_message(db_url: str) -> None:
    clock = Clock.at(datetime.now(UTC))
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")
        await die_mid_send(bot, clock, "u1", parts_through=1)
        bot.fake.inject_http_status(500, route="conversation")
        clock.advance(seconds=61)
        await make_sender(bot, clock).run_once()
        first, second, third = [m.text for m in bot.fake.messages_for("u1")]
        assert first == second != third, "at least once: the first part again, then the second"
        assert [r.status for r in await outbox_rows(bot)] == ["sent"]


async def test_a_residents_later_message_waits_for_the_earlier_one(db_url: str) -> None:
    clock = Clock()
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1", "menu")
        await queue_reply(bot, "u1", "cho toi gap can bo")
        bot.fake.inject_error(-32, times=1)
        sender = make_sender(bot, clock)
        await sender.run_once()
        await sender.run_once()
        assert bot.fake.messages_for("u1") == [], "the second reply overtook the first"
        clock.advance(minutes=5)
        while await sender.run_once():
            pass
        first, second = await outbox_rows(bot)
        assert first.sent_at <= second.sent_at


async def test_expired_token_is_refreshed_exactly_once_by_four_senders(db_url: str) -> None:
    clock = Clock()
    async with harness(db_url, clock) as bot:
        for u in range(8):
            await queue_reply(bot, f"u{u}")
        bot.fake.expire_access_token()
        engines = [create_engine(db_url) for _ in range(4)]  # four processes' worth of connections
        try:
            senders = [make_sender(bot, clock, engine=e) for e in engines]
            await asyncio.gather(*(s.run_once() for s in senders))
            while sum(await asyncio.gather(*(s.run_once() for s in senders))):
                pass
        finally:
            for e in engines:
                await e.dispose()
        assert bot.fake.refresh_calls == 1
        assert {r.status for r in await outbox_rows(bot)} == {"sent"}
        stored = await bot.runtime.tokens.read()
        assert stored is not None and stored.refresh_token == bot.fake.refresh_token, "the new refresh token was lost"
        assert stored.generation == 3  # set by the harness (2), refreshed once (3)


async def test_rejected_refresh_keeps_messages_waiting(db_url: str) -> None:
    clock = Clock()
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")
        await bot.runtime.tokens.set_pair("fake-access-0", "spent-elsewhere", timedelta(days=3650))
        bot.fake.expire_access_token()
        sender = make_sender(bot, clock, max_attempts=3)
        for _ in range(10):  # ten minutes until an admin reconnects the OA
            await sender.run_once()
            clock.advance(minutes=1)
        [row] = await outbox_rows(bot)
        assert row.status == "pending" and "tokens set" in row.error
        assert row.attempts == 0, "the outage is ours: it must not use up the message's attempts"
        assert bot.fake.refresh_calls == 1, "a refresh token Zalo refused was offered again"

        await bot.runtime.tokens.set_pair(bot.fake.access_token, bot.fake.refresh_token, timedelta(hours=25))
        await sender.run_once()
        assert [r.status for r in await outbox_rows(bot)] == ["sent"] and len(bot.fake.messages_for("u1")) == 2


async def test_a_retry_that_failed_before_reading_the_history_still_reads_it(db_url: str) -> None:
    clock = Clock.at(datetime.now(UTC))
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")  # the menu: two parts
        await die_mid_send(bot, clock, "u1", parts_through=1)
        clock.advance(seconds=61)
        bot.fake.inject_http_status(500, route="conversation")  # the history can't be read once...
        bot.fake.inject_http_status(500, route="send")  # ...and the send fails too
        sender = make_sender(bot, clock)
        await sender.run_once()
        [row] = await outbox_rows(bot)
        assert row.status == "pending" and row.in_doubt_since is not None, "the doubt was forgotten"
        clock.advance(minutes=5)
        await sender.run_once()
        texts = [m.text for m in bot.fake.messages_for("u1")]
        assert len(texts) == 2 and len(set(texts)) == 2, f"sent twice or lost: {texts}"


@pytest.mark.parametrize("token_expires_meanwhile", [False, True])
async def test_a_send_that_timed_out_is_checked_against_the_history_before_it_goes_again(
        db_url: str, token_expires_meanwhile: bool) -> None:
    """With the access token expiring meanwhile, the history is read again with a fresh token: -216 does
    not make it unreadable (that sent the part twice)."""
    clock = Clock.at(datetime.now(UTC))
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")
        bot.fake.inject_late_answer(1.0)  # Zalo takes the first part, but answers too late
        sender = make_sender(bot, clock, timeout=0.2)
        await sender.run_once()
        [row] = await outbox_rows(bot)
        assert row.status == "pending" and row.in_doubt_since is not None
        if token_expires_meanwhile:
            bot.fake.expire_access_token()
        clock.advance(minutes=5)
        await sender.run_once()
        texts = [m.text for m in bot.fake.messages_for("u1")]
        assert len(texts) == 2 and len(set(texts)) == 2, f"sent twice or lost: {texts}"
        assert [r.status for r in await outbox_rows(bot)] == ["sent"]
        assert bot.fake.refresh_calls == int(token_expires_meanwhile)


async def test_a_sender_that_outlives_its_claim_stops_and_cannot_overwrite_the_new_one(db_url: str) -> None:
    clock = Clock.at(datetime.now(UTC))
    async with harness(db_url, clock) as bot:
        await queue_reply(bot, "u1")  # the menu: two parts
        first, second = make_sender(bot, clock), make_sender(bot, clock)  # two processes on PostgreSQL
        bot.fake.inject_delay(1.0, route="send")  # Zalo is slow with the first sender's first part
        slow = asyncio.create_task(first.run_once())
        await until(lambda: bot.fake.delays_injected == 1)
        clock.advance(seconds=61)  # ... past the first sender's lease
        await second.run_once()  # takes the message back and sends both parts
        await slow  # the slow part lands; the first sender must not send the second part again
        assert len(bot.fake.messages_for("u1")) == 3, "only the part in flight may arrive twice"
        [row] = await outbox_rows(bot)
        assert (row.status, row.parts_sent) == ("sent", 2), "the stale sender overwrote the outcome"
        clock.advance(minutes=5)
        assert await second.run_once() == 0


async def test_webhooks_are_stored_while_a_token_refresh_waits_for_zalo(db_url: str) -> None:
    async with BotHarness.start(db_url, server={"store_timeout_seconds": 0.3}) as bot:
        tokens = bot.runtime.tokens
        bot.fake.expire_access_token()
        bot.fake.inject_delay(1.0, route="token")  # Zalo's OAuth takes longer than a webhook may wait
        refreshing = asyncio.create_task(tokens.refresh("fake-access-0"))
        await until(lambda: bot.fake.delays_injected == 1)
        resp = await bot.post(*bot.events.text("u1", "menu"))
        assert resp.status == 200, "the refresh held the database while it waited for Zalo"
        assert await refreshing == bot.fake.access_token
        stored = await tokens.read()
        assert stored is not None and stored.refresh_token == bot.fake.refresh_token


def broadcast_row(key: str, priority: int, now: datetime, due: datetime) -> dict[str, object]:
    return {"idempotency_key": key, "zalo_user_id": "u1", "replies": [{"kind": "text", "text": key}],
            "parts_sent": 0, "priority": priority, "source": "run:1", "status": "pending", "attempts": 0,
            "next_attempt_at": due, "created_at": now}


async def test_an_urgent_message_overtakes_a_waiting_routine_one_but_equals_keep_their_order(db_url: str) -> None:
    now = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    later = now + timedelta(minutes=30)
    engine = create_engine(db_url)
    try:
        await run_transaction(engine, queues.enqueue, [
            broadcast_row("routine, backing off", 20, now, later),
            broadcast_row("urgent", 10, now, now),
            broadcast_row("urgent, newer", 10, now, now),
        ])
        claim = functools.partial(queues.claim_outbox, now=now, lease=timedelta(seconds=60), limit=10,
                                  min_priority=10)
        [urgent] = await run_transaction(engine, claim)
        assert urgent.idempotency_key == "urgent"
        assert await run_transaction(engine, claim) == [], "a second message to the resident while one is sent"
        await run_transaction(engine, queues.finish_outbox, [{
            "b_id": urgent.id, "b_claimed_at": urgent.claimed_at, "status": "sent", "parts_sent": 1,
            "next_attempt_at": now, "error_code": None, "error": None, "sent_at": now, "zalo_msg_id": None,
            "in_doubt_since": None, "attempts": 1}])
        claim_later = functools.partial(claim, now=later)
        assert [r.idempotency_key for r in await run_transaction(engine, claim_later)] == ["urgent, newer"]
    finally:
        await engine.dispose()


async def test_a_more_urgent_message_is_not_sent_alongside_a_routine_one_due_too(db_url: str) -> None:
    now = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    engine = create_engine(db_url)
    try:
        await run_transaction(engine, queues.enqueue, [broadcast_row("routine", 20, now, now),
                                                       broadcast_row("urgent", 10, now, now)])
        claim = functools.partial(queues.claim_outbox, now=now, lease=timedelta(seconds=60), limit=10,
                                  min_priority=10)
        assert [r.idempotency_key for r in await run_transaction(engine, claim)] == ["urgent"]
    finally:
        await engine.dispose()
