"""Durable inbox writes with group commit.

Each webhook request waits until its event is committed before Zalo gets its 200, but concurrent
requests share one transaction: a single writer task drains whatever is queued and inserts it in one
batch. Throughput then grows with load instead of paying one commit per request.

A request waits at most `timeout`; then it gets StorageUnavailable (the webhook answers 503 and Zalo
retries). One timer checks all waiting requests instead of one timer each, which cost a measurable
share of a request (README, "Figures behind the code").
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import queues
from storage.engine import run_durable_transaction

log = logging.getLogger(__name__)

EXPIRY_CHECK = 0.1  # seconds between checks for requests waiting past the timeout, while any wait


class StorageUnavailable(Exception):
    """The event could not be stored; the webhook must answer 503 so Zalo retries."""


class InboxWriter:
    def __init__(self, engine: AsyncEngine, on_commit: Callable[[list[dict[str, Any]]], None], *, timeout: float,
                 max_batch: int = 500) -> None:
        self._engine = engine
        self._on_commit = on_commit
        self._timeout = timeout
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[bool]]] = asyncio.Queue()
        self._waiting: deque[tuple[float, asyncio.Future[bool]]] = deque()  # (deadline, request), in order
        self._someone_waits = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._expiry: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-writer")
        self._expiry = asyncio.create_task(self._expire(), name="inbox-expiry")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._expiry) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = self._expiry = None

    async def submit(self, row: dict[str, Any]) -> bool:
        """Store one event; True if new, False if its key was already stored. StorageUnavailable if the
        database failed or the event was not stored within the timeout."""
        if self._task is None or self._task.done():
            raise StorageUnavailable("inbox writer is not running")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        self._queue.put_nowait((row, fut))
        self._waiting.append((loop.time() + self._timeout, fut))
        self._someone_waits.set()
        return await fut

    async def _expire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._someone_waits.wait()
            await asyncio.sleep(EXPIRY_CHECK)
            now, waiting = loop.time(), self._waiting
            while waiting and (waiting[0][1].done() or waiting[0][0] <= now):
                _, fut = waiting.popleft()
                if not fut.done():  # its write may still commit: Zalo's retry is then a duplicate, done once
                    fut.set_exception(StorageUnavailable("not stored in time"))
            if not waiting:
                self._someone_waits.clear()

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
            new_keys = await run_durable_transaction(self._engine, queues.insert_events, list(rows.values()))
        except Exception as e:  # any storage failure must become a 503, never a 200
            log.error("inbox write failed: %s", type(e).__name__)
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(StorageUnavailable(type(e).__name__))
            return
        new_rows = [row for key, row in rows.items() if key in new_keys]
        for row, fut in batch:
            if not fut.done():
                key = row["event_key"]
                fut.set_result(key in new_keys)
                new_keys.discard(key)  # a key repeated within the batch counts once as new
        if new_rows:
            self._on_commit(new_rows)
