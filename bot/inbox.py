"""Durable inbox writes with group commit.

Each webhook request waits until its event is committed before Zalo gets its 200, but concurrent
requests share one transaction: a single writer task drains whatever is queued and inserts it in one
batch. Throughput then grows with load instead of paying one commit per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import queues

log = logging.getLogger(__name__)


class StorageUnavailable(Exception):
    """The event could not be stored; the webhook must answer 503 so Zalo retries."""


class InboxWriter:
    def __init__(self, engine: AsyncEngine, on_commit: Callable[[], None], max_batch: int = 500) -> None:
        self._engine = engine
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[bool]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def submit(self, row: dict[str, Any]) -> bool:
        """Store one event; True if new, False if its key was already stored."""
        if self._task is None or self._task.done():
            raise StorageUnavailable("inbox writer is not running")
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((row, fut))
        return await fut

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]) -> None:
        rows: dict[str, dict[str, Any]] = {}
        for row, _ in batch:
            rows.setdefault(row["event_key"], row)
        try:
            async with self._engine.begin() as conn:
                new_keys = await queues.insert_events(conn, list(rows.values()))
        except Exception as e:  # any storage failure must become a 503, never a 200
            log.error("inbox write failed: %s", type(e).__name__)
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(StorageUnavailable(type(e).__name__))
            return
        for row, fut in batch:
            if not fut.done():
                key = row["event_key"]
                fut.set_result(key in new_keys)
                new_keys.discard(key)  # a key repeated within the batch counts once as new
        self._on_commit()
