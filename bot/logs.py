"""Structured (one JSON object per line) logs. Callers never pass residents' texts, phone numbers or
ID numbers; events are referred to by inbox id."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# Loggers kept above the configured level. aiosqlite logs every statement with its parameters at DEBUG,
# which would copy residents' messages (a typed số định danh, a date of birth) into the logs.
PINNED_LEVELS = {"aiohttp.access": logging.WARNING, "alembic": logging.WARNING, "aiosqlite": logging.INFO}


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name, pinned in PINNED_LEVELS.items():
        logging.getLogger(name).setLevel(pinned)


class Throttled:
    """Logs at most `burst` lines per key in each `window` seconds; the first line of the next window says
    how many were left out. For what an outsider can make happen at will (rejected webhooks)."""

    def __init__(self, logger: logging.Logger, level: int = logging.WARNING, burst: int = 5, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._logger, self._level, self._burst, self._window, self._clock = logger, level, burst, window, clock
        self._windows: dict[str, tuple[float, int]] = {}  # key → (window start, lines asked for in it)

    def log(self, key: str, msg: str, *args: object) -> None:
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self._window:
            if count > self._burst:
                msg += f" ({count - self._burst} more like this not logged in the previous {self._window:g} s)"
            start, count = now, 0
        self._windows[key] = (start, count + 1)
        if count < self._burst:
            self._logger.log(self._level, msg, *args)
