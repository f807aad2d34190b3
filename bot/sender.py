"""Delivers outbox messages to Zalo: claim, pace, render, send, classify, record.

A message is marked sent only after Zalo accepted it, and a sender that dies mid-send leaves its claim to
expire so another pass sends the rest. `parts_sent` records how many rendered pieces already went out, so
a retry resumes where it stopped instead of repeating them. Outcomes are group-committed while the batch
is still sending. A crash leaves the messages sent since the last commit in doubt (accepted by Zalo,
perhaps, but not recorded). Zalo's send API takes no idempotency key, so before sending an in-doubt
message again the sender reads the resident's conversation history and counts the parts Zalo already has:
nothing is lost and nothing goes out twice. When the history cannot be read, it sends again (a duplicate
beats a loss).

Senders can be given a lane (a priority window): the service runs one for replies and notifications and
one, paced at the broadcast rate, for announcements, so a resident's reply never waits behind a broadcast.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.background import PollingLoop
from bot.config import ZaloConfig
from bot.metrics import Metrics
from bot.ratelimit import RateLimiter
from bot.tokens import TokenManager, TokenUnavailable
from bot.zalo.client import AccessTokenRejected, ZaloClient
from bot.zalo.errors import INTERNAL_ERROR, NO_TOKEN, TIMEOUT, Disposition, describe, night_ban_ends
from bot.zalo.render import render
from flows.replies import reply_from_dict
from storage import queues
from storage.engine import run_transaction
from storage.models import Priority
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
TERMINAL = {Disposition.UNREACHABLE: "unreachable", Disposition.QUOTA: "failed", Disposition.PERMANENT: "failed"}
# Seconds a result write waits for more outcomes to share its commit.
RECORD_LINGER = 0.002
# How often a sender looks for messages claimed by a sender that died (their lease ended).
LEASE_CHECK = timedelta(seconds=1)
# When no access token can be had (Zalo unreachable, or the OA must be reconnected), messages wait this
# long between tries without spending their attempts: the outage is ours, not the message's. A new pair
# stored by an admin makes them due at once.
TOKEN_WAIT = timedelta(minutes=1)
# A lane: the (lowest, highest) outbox priority a sender may claim at a given time; None = unbounded.
Lane = Callable[[datetime], tuple[int | None, int | None]]
# Rows a sender must drop instead of sending, with the reason (e.g. the broadcast was cancelled).
Hold = Callable[[AsyncConnection, list[Any]], Awaitable[dict[int, str]]]


def all_priorities(now: datetime) -> tuple[int | None, int | None]:
    return None, None


def replies_only(now: datetime) -> tuple[int | None, int | None]:
    return None, Priority.URGENT_BROADCAST - 1  # broadcasts have their own paced sender


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_text: int = 2000
    max_buttons: int = 5


def history_skew(z: ZaloConfig) -> timedelta | None:
    """How far back to look in the conversation history for an in-doubt message; None: don't look."""
    return timedelta(seconds=z.history_clock_skew_seconds) if z.check_history_after_crash else None


class Sender(PollingLoop):
    def __init__(self, engine: AsyncEngine, client: ZaloClient, tokens: TokenManager, limiter: RateLimiter,
                 metrics: Metrics, *, batch_size: int, concurrency: int, lease: timedelta, max_attempts: int,
                 limits: RenderLimits, clock: Callable[[], datetime] = utcnow, lane: Lane = all_priorities,
                 hold: Hold | None = None, history_skew: timedelta | None = None,
                 quota_pause: timedelta | None = None,
                 wait_turn: Callable[[], Awaitable[None]] | None = None,
                 marks: Callable[[], AbstractContextManager[Any]] = nullcontext) -> None:
        super().__init__()
        self._engine = engine
        self._client = client
        self._tokens = tokens
        self._limiter = limiter
        self._metrics = metrics
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._lease = lease
        self._max_attempts = max_attempts
        self._limits = limits
        self._clock = clock
        self._lane = lane
        self._hold = hold
        self._history_skew = history_skew
        # With a pause: once Zalo says the quota is spent, stop trying until (time, code) and record the
        # rest as not sent for that reason (one request, not one per remaining household).
        self._quota_pause = quota_pause
        self._quota_stop: tuple[datetime, int] | None = None
        self._wait_turn = wait_turn  # before each claim and send: a broadcast lane waits (conversations_first.py)
        self._marks = marks  # wraps each pass: the reply lane's are conversation work (conversations_first.py)
        self._next_lease_check = datetime.min.replace(tzinfo=UTC)

    def may_have_more(self, busy: int) -> bool:
        # A partial batch means nothing else was due. A resident's next message, held back until this one
        # was sent, waits for the next wake-up or poll (at most poll_interval_seconds) rather than costing
        # an empty pass after every batch.
        return busy >= self._batch_size

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many messages were worked on."""
        with self._marks():
            return await self._pass()

    async def _pass(self) -> int:
        if self._wait_turn is not None:
            await self._wait_turn()  # a claim holds the database too (SQLite: the one connection)
        now = self._clock()
        low, high = self._lane(now)
        # Claims whose sender died are rare (a crash): look for them at most once a lease check interval.
        expired = now >= self._next_lease_check
        if expired:
            self._next_lease_check = now + LEASE_CHECK
        claim = functools.partial(queues.claim_outbox, now=now, lease=self._lease, limit=self._batch_size,
                                  include_expired=expired, min_priority=low, max_priority=high)
        held: dict[int, str] = {}
        if self._hold is None:
            rows = await run_transaction(self._engine, claim)
        else:
            rows, held = await self._claim_and_hold(claim, self._hold)
        if not rows:
            return 0
        for reason in held.values():
            self._metrics.outbox.inc(outcome="cancelled", reason=reason)
        # `concurrency` bounds the requests open at Zalo; commits don't hold a slot (a crash's in-doubt
        # messages are settled from the conversation history, so they need no bound).
        slots = asyncio.Semaphore(self._concurrency)
        tasks = [asyncio.create_task(self._deliver_bounded(r, slots)) for r in rows if r.id not in held]
        try:
            await self._record_as_they_finish(tasks)
        finally:
            for t in tasks:
                t.cancel()  # only reached with tasks left when recording failed (database down)
        return len(rows)

    async def _claim_and_hold(self, claim: Callable[[Connection], list[Any]], hold: Hold
                              ) -> tuple[list[Any], dict[int, str]]:
        """Claim, and in the same transaction settle the claimed rows that `hold` says must not be sent."""
        async with self._engine.begin() as conn:
            rows = await conn.run_sync(claim)
            held = await hold(conn, rows) if rows else {}
            if held:
                await conn.run_sync(queues.finish_outbox, [
                    _finish(r, "cancelled", r.parts_sent, r.next_attempt_at, None, held[r.id])
                    for r in rows if r.id in held])
        return rows, held

    async def _record_as_they_finish(self, tasks: list[asyncio.Task[dict[str, Any]]]) -> None:
        """Commit outcomes while the rest of the batch is still sending (group commit): one write at a time
        takes whatever finished before it started, after lingering a moment so that writes are not one
        message each. The last outcomes are written at once: nothing is left to wait for, and the next pass
        (other residents' replies) starts when this one ends."""
        done: list[dict[str, Any]] = []
        writing: asyncio.Task[None] | None = None
        sending = len(tasks)

        async def write() -> None:
            await asyncio.sleep(RECORD_LINGER)
            batch = done[:]
            done.clear()
            await self._record(batch)

        for next_done in asyncio.as_completed(tasks):
            done.append(await next_done)
            sending -= 1
            if sending and (writing is None or writing.done()):
                if writing is not None:
                    await writing  # re-raises a failed write
                writing = asyncio.create_task(write())
        if writing is not None:
            await writing
        if done:
            await self._record(done)

    async def _record(self, results: list[dict[str, Any]]) -> None:
        await run_transaction(self._engine, queues.finish_outbox, results)
        for r in results:
            if r["status"] != "pending":
                self._metrics.outbox.inc(outcome=r["status"], reason=str(r["error_code"] or 0))

    async def _deliver_bounded(self, row: Any, slots: asyncio.Semaphore) -> dict[str, Any]:
        async with slots:
            try:
                return await self._deliver(row)
            except Exception as e:  # a bug here must not lose the message: retry later
                log.exception("delivery of outbox %s crashed", row.id)
                return self._retry(row, row.parts_sent, INTERNAL_ERROR, f"internal error: {type(e).__name__}",
                                   row.in_doubt_since or row.claimed_at)

    async def _deliver(self, row: Any) -> dict[str, Any]:
        bodies = [body for reply in row.replies
                  for body in render(reply_from_dict(reply), row.zalo_user_id, max_text=self._limits.max_text,
                                     max_buttons=self._limits.max_buttons)]
        sent, msg_id, refreshed = row.parts_sent, row.zalo_msg_id, False
        # In doubt (Zalo may have parts we did not record) until the history has been read: a retry that
        # failed before reading it must still read it next time.
        doubt = row.in_doubt_since
        if doubt is not None and self._history_skew is not None:
            found = await self._parts_zalo_has(row, bodies)
            if found is not None:
                (sent, msg_id), doubt = found, None
        while sent < len(bodies):
            if self._quota_stop is not None and self._clock() < self._quota_stop[0]:
                code = self._quota_stop[1]
                return _finish(row, "failed", sent, row.next_attempt_at, code,
                               f"{describe(code)}: not tried, the quota was spent")
            try:
                token = await self._tokens.current()
            except TokenUnavailable as e:  # ours, not the message's: it waits without spending an attempt
                return _finish(row, "pending", sent, self._clock() + TOKEN_WAIT, NO_TOKEN, str(e), doubt=doubt,
                               attempts=row.attempts - 1)
            if self._wait_turn is not None:
                await self._wait_turn()
            await self._limiter.acquire()
            if self._clock() >= row.lease_until:  # our claim ended: another sender may take it back now
                return _finish(row, "pending", sent, self._clock(), None, "claim ended before all was sent",
                               msg_id=msg_id, doubt=doubt, attempts=row.attempts - 1)
            sending_since = self._clock()
            result = await self._client.send(token, bodies[sent])
            if result.ok:
                sent, msg_id = sent + 1, result.msg_id or msg_id
                continue
            if result.code == TIMEOUT:  # Zalo may have taken it: read the history before sending it again
                doubt = doubt or sending_since
            if result.disposition is Disposition.REFRESH_TOKEN and not refreshed:
                refreshed = True
                try:
                    await self._tokens.refresh(token)
                except TokenUnavailable as e:
                    return _finish(row, "pending", sent, self._clock() + TOKEN_WAIT, NO_TOKEN, str(e),
                                   doubt=doubt, attempts=row.attempts - 1)
                continue
            if result.disposition in (Disposition.RETRY, Disposition.REFRESH_TOKEN):
                return self._retry(row, sent, result.code, result.message, doubt)
            if result.disposition is Disposition.QUOTA and self._quota_pause is not None:
                self._quota_stop = (self._clock() + self._quota_pause, result.code)
                log.warning("Zalo quota exceeded (%s): broadcast sends stop for %s", result.code, self._quota_pause)
            if result.disposition is Disposition.NIGHT_BAN:
                return _finish(row, "pending", sent, night_ban_ends(self._clock()), result.code, result.message,
                               doubt=doubt)
            return _finish(row, TERMINAL[result.disposition], sent, row.next_attempt_at, result.code,
                           f"{describe(result.code)}: {result.message}")
        return _finish(row, "sent", sent, row.next_attempt_at, None, None, sent_at=self._clock(), msg_id=msg_id)

    async def _parts_zalo_has(self, row: Any, bodies: list[dict[str, Any]]) -> tuple[int, str | None] | None:
        """(parts sent, last message id) of an in-doubt message, counting the parts its dead sender got
        through: the next unsent parts, in order, among what the OA sent the resident since the doubt began.
        Only text is compared; a part without text (an image) is sent again. None: the history could not be
        read (the message stays in doubt)."""
        sent, msg_id = row.parts_sent, row.zalo_msg_id
        assert self._history_skew is not None
        since_ms = int((row.in_doubt_since - self._history_skew).timestamp() * 1000)
        try:
            token = await self._tokens.current()
            try:
                history = await self._client.sent_since(token, row.zalo_user_id, since_ms)
            except AccessTokenRejected:  # expired meanwhile: the history is still there to read
                token = await self._tokens.refresh(token)
                history = await self._client.sent_since(token, row.zalo_user_id, since_ms)
        except (TokenUnavailable, AccessTokenRejected):
            return None
        if history is None:
            log.warning("outbox %s in doubt: conversation history unreadable, sending again", row.id)
            return None
        unmatched = iter(history)
        for body in bodies[sent:]:
            text = body["message"].get("text")
            found = next((m for m in unmatched if text is not None and m.text == text), None)
            if found is None:
                break
            sent, msg_id = sent + 1, found.message_id or msg_id
        log.info("outbox %s in doubt: Zalo already had %d of its %d parts", row.id, sent - row.parts_sent,
                 len(bodies) - row.parts_sent)
        return sent, msg_id

    def _retry(self, row: Any, sent: int, code: int, message: str, doubt: datetime | None) -> dict[str, Any]:
        if row.attempts >= self._max_attempts:
            return _finish(row, "failed", sent, row.next_attempt_at, code,
                           f"gave up after {row.attempts} attempts: {message}")
        delay = min(MAX_BACKOFF, timedelta(seconds=2 ** row.attempts)) * random.uniform(0.5, 1.0)
        return _finish(row, "pending", sent, self._clock() + delay, code, message, doubt=doubt)


def _finish(row: Any, status: str, sent: int, next_at: datetime, code: int | None, error: str | None,
            sent_at: datetime | None = None, msg_id: str | None = None, *, doubt: datetime | None = None,
            attempts: int | None = None) -> dict[str, Any]:
    """An outcome for finish_outbox: recorded only if the row is still under this claim (`claimed_at`)."""
    return {"b_id": row.id, "b_claimed_at": row.claimed_at, "status": status, "parts_sent": sent,
            "next_attempt_at": next_at, "error_code": code, "error": error, "sent_at": sent_at,
            "zalo_msg_id": msg_id or row.zalo_msg_id, "in_doubt_since": doubt,
            "attempts": row.attempts if attempts is None else attempts}
