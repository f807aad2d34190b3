"""Residents first: broadcast work steps aside while residents' events and replies are being worked on.

Everything shares one event loop and (on SQLite) one database connection, so an unthrottled broadcast
would otherwise slow every conversation: a reply is some twenty steps (store the event, run the flow,
claim, send), and each waited behind a loop iteration full of broadcast sends. A conversation counts
from the moment its event is stored (`event_stored`) through the worker's pass and the reply sender's
pass (`working`). The broadcast sender and the fan-out wait for them to end before each step, but never
longer than `max_wait`, so a steady stream of conversations cannot stall a broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class ConversationsFirst:
    def __init__(self, max_wait: float = 0.1) -> None:
        self._working = 0
        self._stored = False  # events stored that no worker pass has started on yet
        self._idle = asyncio.Event()
        self._idle.set()
        self._max_wait = max_wait

    def event_stored(self) -> None:
        """Residents' events were committed to the inbox: the worker is about to take them."""
        self._stored = True
        self._idle.clear()

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Around a pass of conversation work (the reply sender's; the worker's is `worker_pass`)."""
        self._working += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._working -= 1
            if not self._working and not self._stored:
                self._idle.set()

    @contextlib.contextmanager
    def worker_pass(self) -> Iterator[None]:
        """Around a worker pass: it picks up the stored events."""
        self._stored = False
        with self.working():
            yield

    @property
    def busy(self) -> bool:
        """Conversation work is going on or due: broadcast steps wait."""
        return bool(self._working or self._stored)

    async def wait_turn(self) -> None:
        """Before a step of broadcast work: at once when no conversation work is going on."""
        if self.busy:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._max_wait):
                    await self._idle.wait()
