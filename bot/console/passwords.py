"""argon2id password hashing on a small pool of low-priority threads, so sign-ins never stall the event
loop: argon2 releases the GIL, and its threads yield the CPU to the loop's thread (nice +10)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASH_THREAD_NICENESS = 10
MIN_PASSWORD_LENGTH = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not on every platform; then plain priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


class Passwords:
    def __init__(self, threads: int = 2) -> None:
        self._hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory parameters
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="argon2", initializer=_lower_priority)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """False for a wrong password; with no stored hash (unknown user) the same work is done against a
        dummy, so the answer takes as long either way."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("dummy password, never matches")
            stored = self._dummy
            password = password + "\0"  # never equal to the dummy's
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, self._hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
