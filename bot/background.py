"""A loop that does passes of work, and sleeps until woken (or the poll interval ends) when idle."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

ERROR_PAUSE = 1.0  # seconds; a failing pass (database down) is retried at this pace, not in a tight loop


class PollingLoop:
    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        raise NotImplementedError

    def may_have_more(self, busy: int) -> bool:
        """After a pass that did `busy` things and was not woken meanwhile: could a pass right away find
        more? Yes unless a loop knows better (an empty extra pass costs a transaction per wake-up)."""
        return True

    async def run_forever(self, poll_interval: float) -> None:
        while True:
            # Cleared before the pass, so a wake-up during it (work committed after we looked) is kept.
            self._wake.clear()
            try:
                busy = await self.run_once()
                pause = poll_interval
            except Exception as e:
                log.error("%s pass failed: %s: %s", type(self).__name__, type(e).__name__, e)
                busy, pause = 0, max(poll_interval, ERROR_PAUSE)
            if busy and (self._wake.is_set() or self.may_have_more(busy)):
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
