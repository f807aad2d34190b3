"""argon2id password hashing off the event loop.

The service hashes in worker processes at a lower priority (nice +10): no GIL is shared with the loop's
thread, so a worker the kernel has set aside under load cannot hold up the loop, and the workers give
way to the loop for the CPU. One-shot commands (the CLI, the sandbox's demo account) use a thread."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASH_NICENESS = 10
MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory parameters


def _start_worker(parent: int) -> None:
    """In each hashing process: a lower priority, and exit once the service is gone (a service killed
    without its clean-up would otherwise leave its idle workers behind)."""
    with contextlib.suppress(AttributeError, OSError):  # not on every platform; then plain priority
        os.nice(HASH_NICENESS)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _hash(password: str) -> str:
    return _HASHER.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


class Passwords:
    def __init__(self, workers: int = 2, *, processes: bool = True) -> None:
        self._pool: Executor
        if processes:  # spawned, not forked: the service has threads of its own
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(os.getpid(),))
        else:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="argon2")
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """False for a wrong password; with no stored hash (unknown user) the same work is done against a
        dummy, so the answer takes as long either way."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("dummy password, never matches")
            stored = self._dummy
            password = password + "\0"  # never equal to the dummy's
        return await asyncio.get_running_loop().run_in_executor(self._pool, _verify, stored, password)

    def worker_pids(self) -> list[int]:
        processes = getattr(self._pool, "_processes", None) or {}
        return list(processes)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
