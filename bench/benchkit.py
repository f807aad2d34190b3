"""What the benchmark scripts share: the project on the import path, the fake Zalo's ids, percentiles, a
free port, children that die with the bench."""

from __future__ import annotations

import ctypes
import math
import signal
import socket
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the scripts import the service's modules
    sys.path.insert(0, str(ROOT))

APP_ID, OA_ID, OA_SECRET, APP_SECRET = "bench-app", "bench-oa", "bench-oa-secret", "bench-app-secret"

try:
    _LIBC: Any = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded here, not in a forked child
except OSError:
    _LIBC = None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (NaN when empty)."""
    s = sorted(values)
    if not s:
        return math.nan
    return s[max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the bench dies, so no server outlives an interrupted run."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
