"""The OA's access/refresh token pair, kept in the database.

Zalo refresh tokens are single-use: a refresh spends the old pair, whether or not its answer arrives. So a
refresh token is offered to Zalo once, by one process: the offer is committed first (a compare-and-set on
the pair's generation, so two processes cannot both win it), and the new pair is committed before anyone
uses it. A process that finds the offer taken waits for the new pair instead of asking again. When the
outcome of a refresh is unknown (its answer was lost, or the offering process died) or Zalo refused the
refresh token, nobody retries: the OA "must be reconnected", which /healthz, /metrics and a critical log
line show, and messages wait (without spending their attempts) until an admin stores a new pair, which
makes them due again at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import Metrics
from bot.zalo.client import TokenRefreshError, ZaloClient
from bot.zalo.errors import NO_TOKEN
from storage.engine import run_durable_transaction
from storage.models import ZaloToken
from storage.queues import insert_ignoring_duplicates, outbox
from storage.types import utcnow

log = logging.getLogger(__name__)
tokens = ZaloToken.__table__
SAVE_PATIENCE = 120.0  # seconds: how long a refreshed pair's store waits out other writers (SQLite)
OFFER_POLL = 0.1  # seconds between looks at the stored pair while another process refreshes it
RECONNECT = "the OA must be reconnected by an admin (`python -m bot tokens set`)"


class TokenUnavailable(Exception):
    """No usable access token: sends wait; permanent when an admin must redo the OA consent."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class TokenState:
    access_token: str
    refresh_token: str
    expires_at: datetime
    generation: int


def mask(token: str) -> str:
    return "(none)" if not token else f"{token[:4]}…{token[-4:]} ({len(token)} chars)"


class TokenManager:
    def __init__(self, engine: AsyncEngine, client: ZaloClient, metrics: Metrics, *,
                 refresh_margin: timedelta, refresh_timeout: timedelta = timedelta(seconds=30),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._client = client
        self._metrics = metrics
        self._margin = refresh_margin
        self._refresh_timeout = refresh_timeout  # the client's: an offer older than this has an answer or none
        self._clock = clock
        self._cached: TokenState | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> TokenState | None:
        row = await self._row()
        return None if row is None else TokenState(row.access_token, row.refresh_token, row.expires_at,
                                                   row.generation)

    async def reconnect_reason(self) -> str | None:
        """Why the OA must be reconnected by an admin; None while its tokens can be refreshed."""
        row = await self._row()
        return None if row is None else row.reconnect_reason

    async def set_pair(self, access_token: str, refresh_token: str, expires_in: timedelta,
                       only_if_missing: bool = False) -> bool:
        """Store a pair from an admin (CLI) or the configuration's initial pair; returns True if written.
        Messages that waited for a usable token are due again at once."""
        now = self._clock()
        values = {"access_token": access_token, "refresh_token": refresh_token, "expires_at": now + expires_in,
                  "updated_at": now, "refresh_offered_at": None, "reconnect_reason": None}
        async with self._engine.begin() as conn:
            if only_if_missing:
                stmt = insert_ignoring_duplicates(conn, tokens).values(id=1, generation=1, **values)
                written = (await conn.execute(stmt)).rowcount == 1
            else:
                result = await conn.execute(update(tokens).where(tokens.c.id == 1)
                                            .values(generation=tokens.c.generation + 1, **values))
                if not result.rowcount:
                    await conn.execute(tokens.insert().values(id=1, generation=1, **values))
                written = True
            if written:
                await conn.execute(update(outbox).where(outbox.c.status == "pending", outbox.c.error_code == NO_TOKEN)
                                   .values(next_attempt_at=now))
        self._cached = None
        return written

    async def current(self) -> str:
        now = self._clock()
        state = self._cached
        if state is None or state.expires_at - self._margin <= now:
            state = await self.read()
            if state is None:
                raise TokenUnavailable("no Zalo token pair stored; run `python -m bot tokens set`", True)
            if state.expires_at - self._margin <= now:
                return await self.refresh(state.access_token)
            self._cached = state
        return state.access_token

    async def check(self) -> None:
        """Refresh ahead of expiry even when nothing is sent, so the refresh token (valid ~3 months,
        renewed by every refresh) never lapses on a quiet OA. Run periodically by the service."""
        try:
            await self.current()
        except TokenUnavailable as e:
            log.warning("Zalo token not refreshed: %s", e)
        except Exception as e:  # database or network down: try again next round
            log.error("token check failed: %s", type(e).__name__)

    async def refresh(self, stale_access_token: str) -> str:
        """Replace the pair whose access token was `stale_access_token`, unless someone already did.

        No transaction is held across Zalo's OAuth call (SQLite's one write lock would stop every webhook
        for as long as Zalo takes); the committed offer keeps other processes from asking too, and the lock
        below serialises this process's refreshes. The new pair is written only if the stored one is still
        the one refreshed (an admin's `tokens set` meanwhile wins)."""
        async with self._lock:
            row = await self._row()
            state = self._fresh_or_none(row, stale_access_token)
            if state is not None:
                return state.access_token
            if row.refresh_offered_at is None and await self._offer(row.generation):
                return await self._exchange(row)
            return await self._await_other_refresh(row, stale_access_token)

    async def _row(self) -> Any:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(tokens).where(tokens.c.id == 1))).first()

    def _fresh_or_none(self, row: Any, stale_access_token: str) -> TokenState | None:
        """The stored pair if another refresh already replaced the stale one; None if this one must."""
        if row is None:
            raise TokenUnavailable("no Zalo token pair stored; run `python -m bot tokens set`", True)
        if row.reconnect_reason is not None:  # never ask Zalo again with this refresh token
            raise TokenUnavailable(f"{RECONNECT}: {row.reconnect_reason}", True)
        if row.access_token != stale_access_token and row.expires_at - self._margin > self._clock():
            self._metrics.token_refreshes.inc(outcome="already_done")
            self._cached = TokenState(row.access_token, row.refresh_token, row.expires_at, row.generation)
            return self._cached
        return None

    async def _offer(self, generation: int) -> bool:
        """Commit that this process offers the pair's refresh token; False: another process got there first
        (or an admin replaced the pair)."""
        try:
            return await run_durable_transaction(self._engine, _execute_rowcount, update(tokens).where(
                tokens.c.id == 1, tokens.c.generation == generation, tokens.c.refresh_offered_at.is_(None),
                tokens.c.reconnect_reason.is_(None)).values(refresh_offered_at=self._clock())) > 0
        except DBAPIError as e:  # not offered: nothing is spent, a later try may refresh
            raise TokenUnavailable(f"the token refresh could not be recorded ({type(e).__name__})", False) from e

    async def _exchange(self, row: Any) -> str:
        """Offer the stored refresh token to Zalo (once) and store the new pair it gives."""
        now = self._clock()
        try:
            pair = await self._client.refresh(row.refresh_token)
        except TokenRefreshError as e:
            if not e.reached_zalo:  # the token never left: withdraw the offer, a later try may refresh
                self._metrics.token_refreshes.inc(outcome="retryable")
                await self._update_quietly(row.generation, refresh_offered_at=None)
                raise TokenUnavailable(f"token refresh failed: {e}", False) from e
            self._metrics.token_refreshes.inc(outcome="unknown" if e.retryable else "rejected")
            reason = (f"the refresh token was offered but Zalo's answer was lost ({e.message}); it may be spent"
                      if e.retryable else f"Zalo rejected the refresh token (code {e.code})")
            raise await self._must_reconnect(row.generation, reason) from e
        expires_at = now + timedelta(seconds=pair.expires_in)
        if not await self._save(pair, expires_at, row.generation):
            log.warning("Zalo token pair replaced during a refresh; the refreshed pair is dropped")
            self._cached = None
            replaced = await self._row()  # not current(): it could refresh, and this lock is held
            return str(replaced.access_token)
        # committed: only now is the new access token handed out
        self._metrics.token_refreshes.inc(outcome="refreshed")
        self._cached = TokenState(pair.access_token, pair.refresh_token, expires_at, row.generation + 1)
        log.info("Zalo token refreshed (generation %s)", row.generation + 1)
        return pair.access_token

    async def _await_other_refresh(self, offered: Any, stale_access_token: str) -> str:
        """Another process offered this refresh token: wait for the pair it stores. An offer older than the
        refresh timeout plus the store's patience has no answer coming (that process died): its outcome is
        unknown, so the OA must be reconnected."""
        deadline = time.monotonic() + self._refresh_timeout.total_seconds() + 5
        while time.monotonic() < deadline:
            await asyncio.sleep(OFFER_POLL)
            row = await self._row()
            state = self._fresh_or_none(row, stale_access_token)  # raises once the OA must be reconnected
            if state is not None:
                return state.access_token
            if row.generation != offered.generation or row.refresh_offered_at is None:
                raise TokenUnavailable("a token refresh by another process did not succeed; trying later", False)
        row = await self._row()
        if (row is not None and row.generation == offered.generation and row.refresh_offered_at is not None
                and self._clock() - row.refresh_offered_at > self._refresh_timeout + timedelta(seconds=SAVE_PATIENCE)):
            raise await self._must_reconnect(row.generation, "a process offered the refresh token and stopped "
                                                             "before storing the answer; it may be spent")
        raise TokenUnavailable("a token refresh by another process is taking long; trying later", False)

    async def _must_reconnect(self, generation: int, reason: str) -> TokenUnavailable:
        """Record that the OA must be reconnected (unless an admin stored a new pair meanwhile)."""
        await self._update_quietly(generation, reconnect_reason=reason)
        self._cached = None
        log.critical("%s: %s", RECONNECT, reason)
        return TokenUnavailable(f"{RECONNECT}: {reason}", True)

    async def _update_quietly(self, generation: int, **values: Any) -> None:
        try:
            await run_durable_transaction(self._engine, _execute_rowcount, update(tokens).where(
                tokens.c.id == 1, tokens.c.generation == generation).values(**values))
        except DBAPIError as e:  # the offer stays: its age makes the next look decide
            log.error("the token state could not be recorded (%s)", type(e).__name__)
    async def _save(self, pair: Any, expires_at: datetime, generation: int) -> bool:
        """SQLite: store the pair Zalo just gave (its old refresh token is spent). Another process's long
        write (a CLI import) is waited out for up to SAVE_PATIENCE, since giving up would lose the only
        valid refresh token; the commit is synced (power cut). False: an admin stored a pair meanwhile."""
        deadline = time.monotonic() + SAVE_PATIENCE
        while True:
            try:
                return await run_durable_transaction(self._engine, _execute_rowcount,
                                                     self._store(pair, expires_at, generation)) > 0
            except DBAPIError as e:
                if time.monotonic() >= deadline:
                    log.critical("the new Zalo token pair could not be stored (%s): %s", type(e).__name__,
                                 RECONNECT)
                    raise TokenUnavailable("the new token pair could not be stored", True) from e
                log.warning("storing the new Zalo token pair failed (%s); trying again", type(e).__name__)
                await asyncio.sleep(1)

    def _store(self, pair: Any, expires_at: datetime, generation: int) -> Any:
        return update(tokens).where(tokens.c.id == 1, tokens.c.generation == generation).values(
            access_token=pair.access_token, refresh_token=pair.refresh_token, expires_at=expires_at,
            updated_at=self._clock(), generation=generation + 1, refresh_offered_at=None, reconnect_reason=None)


def _execute_rowcount(conn: Connection, statement: Any) -> int:
    return conn.execute(statement).rowcount
