"""Run the service and the fake Zalo as real subprocesses (for kill-and-restart tests)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from tests.kit import zalo_section

ROOT = Path(__file__).resolve().parents[1]


def service_sections(zalo_url: str, port: int, **zalo: Any) -> dict[str, Any]:
    """The configuration sections of a service process on `port` talking to the fake Zalo at `zalo_url`."""
    return {
        "log_level": "WARNING",
        "server": {"port": port},
        "zalo": zalo_section(zalo_url, send_rate_per_second=5000, **zalo),
        # On PostgreSQL a dead process's claimed messages wait for their lease to end (other processes may
        # still be alive); a short lease keeps the tests quick.
        "worker": {"send_lease_seconds": 3},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def wait_for_line(self, marker: str, seconds: float = 30.0) -> str:
        """Read stdout until a line containing `marker` (the process says it is ready)."""
        async with asyncio.timeout(seconds):
            assert self.proc.stdout is not None
            while line := (await self.proc.stdout.readline()).decode():
                if marker in line:
                    return line.strip()
        raise RuntimeError(f"process exited before printing {marker!r} (code {self.proc.returncode})")

    def kill(self) -> None:
        with suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.kill()
                await self.proc.wait()


@asynccontextmanager
async def spawn(*args: str, stderr_to: Path | None = None) -> AsyncIterator[Proc]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with open(stderr_to or os.devnull, "ab") as err:  # noqa: ASYNC230 (opened once, before the process runs)
        proc = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=ROOT, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=err)
        p = Proc(proc)
        try:
            yield p
        finally:
            await p.stop()
