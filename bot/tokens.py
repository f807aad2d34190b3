"""The OA's access/refresh token pair, kept in the database.

Zalo refresh tokens are single-use: a refresh spends the old pair. So exactly one refresh runs at a
time across all processes (the token row is locked for the duration: SELECT ... FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) and the new pair is committed before anyone uses it. A process
that waited on the lock sees the new pair and does not refresh again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import Metrics
from bot.zalo.client import TokenRefreshError, ZaloClient
from storage.models import ZaloToken
from storage.queues import insert_ignoring_duplicates
from storage.types import utcnow

log = logging.getLogger(__name__)
tokens = ZaloToken.__table__


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

    async def read(self) -> TokenState | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(tokens).where(tokens.c.id == 1))).first()
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
        """Replace the pair whose access token was `stale_access_token`, unless someone already did."""
        async with self._lock:
            async with self._engine.begin() as conn:
                q = select(tokens).where(tokens.c.id == 1)
                if conn.dialect.name == "postgresql":
                    q = q.with_for_update()
                row = (await conn.execute(q)).first()
                if row is None:
                    raise TokenUnavailable("no Zalo token pair stored; run `python -m bot tokens set`", True)
                now = self._clock()
                if row.access_token != stale_access_token and row.expires_at - self._margin > now:
                    self._metrics.token_refreshes.inc(outcome="already_done")
                    self._cached = TokenState(row.access_token, row.refresh_token, row.expires_at, row.generation)
                    return row.access_token
                try:
                    pair = await self._client.refresh(row.refresh_token)
                except TokenRefreshError as e:
                    self._metrics.token_refreshes.inc(outcome="retryable" if e.retryable else "rejected")
                    if not e.retryable:
                        log.critical("Zalo rejected the refresh token (code %s): the OA must be reconnected "
                                     "by an admin (`python -m bot tokens set`)", e.code)
                    raise TokenUnavailable(f"token refresh failed: {e}", not e.retryable) from e
                expires_at = now + timedelta(seconds=pair.expires_in)
                await conn.execute(update(tokens).where(tokens.c.id == 1).values(
                    access_token=pair.access_token, refresh_token=pair.refresh_token, expires_at=expires_at,
                    updated_at=now, generation=row.generation + 1))
            # committed: only now is the new access token handed out
            self._metrics.token_refreshes.inc(outcome="refreshed")
            self._cached = TokenState(pair.access_token, pair.refresh_token, expires_at, row.generation + 1)
            log.info("Zalo token refreshed (generation %s)", row.generation + 1)
            return pair.access_token
