"""Structured (one JSON object per line) logs. Callers never pass residents' texts, phone numbers or
ID numbers; events are referred to by inbox id."""

from __future__ import annotations

import json
import logging
import sys
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
