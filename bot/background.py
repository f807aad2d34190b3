"""A loop that does passes of work, and sleeps until woken (or the poll interval ends) when idle.
Every background task of the service runs on it: the worker, the senders, the broadcaster, and the
periodic jobs (token check, flow configuration reload, retention purge)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable

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


class Periodic(PollingLoop):
    """A job run once per interval (at once when woken). The job reports its own failures: the loop's
    log line would carry the exception's message, which may quote a statement's personal values."""

    def __init__(self, job: Callable[[], object]) -> None:
        super().__init__()
        self._job = job

    async def run_once(self) -> int:
        result = self._job()
        if inspect.isawaitable(result):
            await result
        return 0  # never "busy": the next run waits for the interval
