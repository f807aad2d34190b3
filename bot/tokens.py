"""The OA's access/refresh token pair, kept in the database.

Zalo refresh tokens are single-use: a refresh spends the old pair. So exactly one refresh runs at a
time (PostgreSQL: the token row is locked FOR UPDATE for the duration, across processes; SQLite, served
by one process: an asyncio lock) and the new pair is committed before anyone uses it. A process that
waited sees the new pair and does not refresh again. A refresh token Zalo refused is not offered again:
messages wait until an admin stores a new pair.
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
from storage.engine import run_durable_transaction
from storage.models import ZaloToken
from storage.queues import insert_ignoring_duplicates
from storage.types import utcnow

log = logging.getLogger(__name__)
tokens = ZaloToken.__table__
SAVE_PATIENCE = 120.0  # seconds: how long a refreshed pair's store waits out other writers (SQLite)


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
                 refresh_margin: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._client = client
        self._metrics = metrics
        self._margin = refresh_margin
        self._clock = clock
        self._cached: TokenState | None = None
        self._lock = asyncio.Lock()
        self._rejected_generation: int | None = None  # the stored pair whose refresh token Zalo refused

    async def read(self) -> TokenState | None:
        row = await self._row()
        return None if row is None else TokenState(row.access_token, row.refresh_token, row.expires_at,
                                                   row.generation)

    async def set_pair(self, access_token: str, refresh_token: str, expires_in: timedelta,
                       only_if_missing: bool = False) -> bool:
        """Store a pair from an admin (CLI) or the configuration's initial pair; returns True if written."""
        now = self._clock()
        values = {"access_token": access_token, "refresh_token": refresh_token,
                  "expires_at": now + expires_in, "updated_at": now}
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

    async def keep_fresh(self, every_seconds: float) -> None:
        """Refresh ahead of expiry even when nothing is sent, so the refresh token (valid ~3 months,
        renewed by every refresh) never lapses on a quiet OA."""
        while True:
            try:
                await self.current()
            except TokenUnavailable as e:
                log.warning("Zalo token not refreshed: %s", e)
            except Exception as e:  # database or network down: try again next round
                log.error("token check failed: %s", type(e).__name__)
            await asyncio.sleep(every_seconds)

    async def refresh(self, stale_access_token: str) -> str:
        """Replace the pair whose access token was `stale_access_token`, unless someone already did.

        PostgreSQL: the token row stays locked (FOR UPDATE) across Zalo's OAuth call, so processes refresh
        one at a time. SQLite holds no transaction across the call: its one write lock would stop every
        webhook for as long as Zalo takes (up to the client timeout). One process serves SQLite, and the
        lock above serialises its refreshes; the new pair is written only if the stored one is still the
        one refreshed (an admin's `tokens set` meanwhile wins)."""
        async with self._lock:
            if self._engine.dialect.name == "postgresql":
                async with self._engine.begin() as conn:
                    row = (await conn.execute(select(tokens).where(tokens.c.id == 1).with_for_update())).first()
                    state = self._fresh_or_none(row, stale_access_token)
                    if state is not None:
                        return state.access_token
                    pair, expires_at = await self._exchange(row)
                    await conn.execute(self._store(pair, expires_at, row.generation))
            else:
                row = await self._row()
                state = self._fresh_or_none(row, stale_access_token)
                if state is not None:
                    return state.access_token
                pair, expires_at = await self._exchange(row)
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

    async def _row(self) -> Any:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(tokens).where(tokens.c.id == 1))).first()

    def _fresh_or_none(self, row: Any, stale_access_token: str) -> TokenState | None:
        """The stored pair if another refresh already replaced the stale one; None if this one must."""
        if row is None:
            raise TokenUnavailable("no Zalo token pair stored; run `python -m bot tokens set`", True)
        if row.generation == self._rejected_generation:  # Zalo refused this refresh token; don't ask again
            raise TokenUnavailable("Zalo rejected the refresh token: the OA must be reconnected by an admin "
                                   "(`python -m bot tokens set`)", True)
        if row.access_token != stale_access_token and row.expires_at - self._margin > self._clock():
            self._metrics.token_refreshes.inc(outcome="already_done")
            self._cached = TokenState(row.access_token, row.refresh_token, row.expires_at, row.generation)
            return self._cached
        return None

    async def _exchange(self, row: Any) -> tuple[Any, datetime]:
        """Zalo's new pair for the stored refresh token, and when its access token expires."""
        now = self._clock()
        try:
            pair = await self._client.refresh(row.refresh_token)
        except TokenRefreshError as e:
            self._metrics.token_refreshes.inc(outcome="retryable" if e.retryable else "rejected")
            if not e.retryable:
                self._rejected_generation = row.generation
                log.critical("Zalo rejected the refresh token (code %s): the OA must be reconnected "
                             "by an admin (`python -m bot tokens set`)", e.code)
            raise TokenUnavailable(f"token refresh failed: {e}", not e.retryable) from e
        return pair, now + timedelta(seconds=pair.expires_in)

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
                    log.critical("the new Zalo token pair could not be stored (%s): the OA must be "
                                 "reconnected by an admin (`python -m bot tokens set`)", type(e).__name__)
                    raise TokenUnavailable("the new token pair could not be stored", True) from e
                log.warning("storing the new Zalo token pair failed (%s); trying again", type(e).__name__)
                await asyncio.sleep(1)

    def _store(self, pair: Any, expires_at: datetime, generation: int) -> Any:
        return update(tokens).where(tokens.c.id == 1, tokens.c.generation == generation).values(
            access_token=pair.access_token, refresh_token=pair.refresh_token, expires_at=expires_at,
            updated_at=self._clock(), generation=generation + 1)


def _execute_rowcount(conn: Connection, statement: Any) -> int:
    return conn.execute(statement).rowcount
