"""Delivers outbox messages to Zalo: claim, pace, render, send, classify, record.

Delivery is at least once: a message is marked sent only after Zalo accepted it, and a sender that
dies mid-send leaves its claim to expire so another pass sends the rest. `parts_sent` records how many
rendered pieces already went out, so a retry resumes where it stopped instead of repeating them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.background import PollingLoop
from bot.metrics import Metrics
from bot.ratelimit import RateLimiter
from bot.tokens import TokenManager, TokenUnavailable
from bot.zalo.client import ZaloClient
from bot.zalo.errors import INTERNAL_ERROR, Disposition, describe, night_ban_ends
from bot.zalo.render import render
from flows.replies import reply_from_dict
from storage import queues
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
TERMINAL = {Disposition.UNREACHABLE: "unreachable", Disposition.QUOTA: "failed", Disposition.PERMANENT: "failed"}


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_text: int = 2000
    max_buttons: int = 5


class Sender(PollingLoop):
    def __init__(self, engine: AsyncEngine, client: ZaloClient, tokens: TokenManager, limiter: RateLimiter,
                 metrics: Metrics, *, batch_size: int, concurrency: int, lease: timedelta, max_attempts: int,
                 limits: RenderLimits, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self._engine = engine
        self._client = client
        self._tokens = tokens
        self._limiter = limiter
        self._metrics = metrics
        self._batch_size = batch_size
        self._semaphore = asyncio.Semaphore(concurrency)
        self._lease = lease
        self._max_attempts = max_attempts
        self._limits = limits
        self._clock = clock

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many messages were worked on."""
        async with self._engine.begin() as conn:
            rows = await queues.claim_outbox(conn, self._clock(), self._lease, self._batch_size)
        if not rows:
            return 0
        results = await asyncio.gather(*(self._deliver_bounded(r) for r in rows))
        async with self._engine.begin() as conn:
            await queues.finish_outbox(conn, results)
        for r in results:
            if r["status"] != "pending":
                self._metrics.outbox.inc(outcome=r["status"], reason=str(r["error_code"] or 0))
        return len(rows)

    async def _deliver_bounded(self, row: Any) -> dict[str, Any]:
        async with self._semaphore:
            try:
                return await self._deliver(row)
            except Exception as e:  # a bug here must not lose the message: retry later
                log.exception("delivery of outbox %s crashed", row.id)
                return self._retry(row, row.parts_sent, INTERNAL_ERROR, f"internal error: {type(e).__name__}")

    async def _deliver(self, row: Any) -> dict[str, Any]:
        bodies = [body for reply in row.replies
                  for body in render(reply_from_dict(reply), row.zalo_user_id, max_text=self._limits.max_text,
                                     max_buttons=self._limits.max_buttons)]
        sent, msg_id, refreshed = row.parts_sent, row.zalo_msg_id, False
        while sent < len(bodies):
            try:
                token = await self._tokens.current()
            except TokenUnavailable as e:
                return self._retry(row, sent, -216, str(e))
            await self._limiter.acquire()
            result = await self._client.send(token, bodies[sent])
            if result.ok:
                sent, msg_id = sent + 1, result.msg_id or msg_id
                continue
            if result.disposition is Disposition.REFRESH_TOKEN and not refreshed:
                refreshed = True
                try:
                    await self._tokens.refresh(token)
                except TokenUnavailable as e:
                    return self._retry(row, sent, result.code, str(e))
                continue
            if result.disposition in (Disposition.RETRY, Disposition.REFRESH_TOKEN):
                return self._retry(row, sent, result.code, result.message)
            if result.disposition is Disposition.NIGHT_BAN:
                return _finish(row, "pending", sent, night_ban_ends(self._clock()), result.code, result.message)
            return _finish(row, TERMINAL[result.disposition], sent, row.next_attempt_at, result.code,
                           f"{describe(result.code)}: {result.message}")
        return _finish(row, "sent", sent, row.next_attempt_at, None, None, sent_at=self._clock(), msg_id=msg_id)

    def _retry(self, row: Any, sent: int, code: int, message: str) -> dict[str, Any]:
        if row.attempts >= self._max_attempts:
            return _finish(row, "failed", sent, row.next_attempt_at, code,
                           f"gave up after {row.attempts} attempts: {message}")
        delay = min(MAX_BACKOFF, timedelta(seconds=2 ** row.attempts)) * random.uniform(0.5, 1.0)
        return _finish(row, "pending", sent, self._clock() + delay, code, message)


def _finish(row: Any, status: str, sent: int, next_at: datetime, code: int | None, error: str | None,
            sent_at: datetime | None = None, msg_id: str | None = None) -> dict[str, Any]:
    return {"b_id": row.id, "status": status, "parts_sent": sent, "next_attempt_at": next_at,
            "error_code": code, "error": error, "sent_at": sent_at, "zalo_msg_id": msg_id or row.zalo_msg_id}
