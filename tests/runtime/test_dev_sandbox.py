"""`python3 dev.py sandbox`, as a newcomer runs it, and Ctrl-C to stop it: no traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, free_port

pytestmark = pytest.mark.slow


async def test_ctrl_c_stops_the_sandbox_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "MOTCUA_SERVER__PORT": str(free_port()), "PYTHONUNBUFFERED": "1",
           "MOTCUA_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path}/motcua.sqlite3"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "dev.py", "sandbox", cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                start_new_session=True)  # its own group, as a terminal's job
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(120):
            while b"/sandbox" not in (line := await proc.stdout.readline()):
                assert line, "the sandbox exited before it was ready"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode == 0, err.decode()
