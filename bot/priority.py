"""Residents first: broadcast work steps aside while residents' events and replies are being worked on.

Everything shares one event loop and (on SQLite) one database connection, so an unthrottled broadcast
would otherwise slow every conversation. The worker and the reply sender mark their passes; the
broadcast sender and the fan-out wait for those to end before each step, but never longer than
`max_wait`, so a steady stream of conversations cannot stall a broadcast.
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
        """Around a pass of conversation work (the worker's, the reply sender's)."""
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
