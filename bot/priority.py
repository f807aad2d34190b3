"""Residents first: broadcast work steps aside while residents' events and replies are being worked on.

Everything shares one event loop and (on SQLite) one database connection, so an unthrottled broadcast
would otherwise slow every conversation. The worker marks its passes (running residents' flows is the
CPU- and database-heavy part of a reply); the broadcast sender and the fan-out wait for them to end
before each step, but never longer than `max_wait`, so a steady stream of conversations cannot stall a
broadcast. The reply sender is not marked: its passes are mostly waiting on Zalo, and marking them too
cost a fifth of the broadcast rate on PostgreSQL for no better reply latency.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class ConversationsFirst:
    def __init__(self, max_wait: float = 0.1) -> None:
        self._working = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._max_wait = max_wait

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Around a pass of conversation work (the worker's)."""
        self._working += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._working -= 1
            if not self._working:
                self._idle.set()

    async def wait_turn(self) -> None:
        """Before a step of broadcast work: at once when no conversation work is going on."""
        if self._working:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._max_wait):
                    await self._idle.wait()
