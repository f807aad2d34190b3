"""The broadcasts feature's part of the retention purge: finished runs keep only their counts, and the
unreachable-household CSV files (names, phones, addresses) go."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.broadcasts.announcements import archive_finished_runs
from bot.broadcasts.channels import CSV_PATTERN


class Periods(Protocol):
    """The `[privacy]` retention periods this purge reads."""

    @property
    def broadcast_retention_days(self) -> int: ...
    @property
    def export_retention_days(self) -> int: ...


async def purge(engine: AsyncEngine, config: Periods, exports: Path, now: datetime) -> dict[str, int]:
    runs = await archive_finished_runs(engine, now - timedelta(days=config.broadcast_retention_days))
    files = _delete_files_before(exports, CSV_PATTERN, now - timedelta(days=config.export_retention_days))
    return {"broadcast_runs": runs, "exports": files}


def _delete_files_before(folder: Path, pattern: str, before: datetime) -> int:
    deleted = 0
    for path in folder.glob(pattern) if folder.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):  # another process's purge got there first
            if path.stat().st_mtime < before.timestamp():
                path.unlink()
                deleted += 1
    return deleted
