"""The retention purge: expired records, audit and messages, then each feature's own part (broadcast rows
and exported files); a CLI command, and hourly in the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features import FEATURES
from bot.lookups.config import PrivacyConfig
from storage import retention
from storage.engine import run_transaction

log = logging.getLogger(__name__)


async def purge_expired(engine: AsyncEngine, config: PrivacyConfig, exports: Path, now: datetime,
                        batch: int = retention.BATCH) -> dict[str, int]:
    """Delete records finished longer ago than the retention period, audit rows past theirs,
    conversations past theirs, then what each feature's `retention` purges (finished broadcast runs'
    per-household rows, their counts staying, and the unreachable-household CSV files in `exports`).

    Rows go `batch` at a time, each batch its own transaction (storage/retention.py says why)."""
    counts: dict[str, int] = {}
    for expiry in retention.expiries(now - timedelta(days=config.record_retention_days),
                                     now - timedelta(days=config.audit_retention_days),
                                     now - timedelta(days=config.conversation_retention_days)):
        counts[expiry.name] = 0
        while True:
            deleted = await run_transaction(engine, retention.delete_batch, expiry, batch)
            counts[expiry.name] += deleted
            if deleted < batch:
                break
            await asyncio.sleep(0)  # whoever waits for the connection (SQLite has one) takes it now
    for feature in FEATURES:
        if feature.retention is not None:
            counts.update(await feature.retention(engine, config, exports, now))
    return counts


async def purge_and_log(engine: AsyncEngine, config: PrivacyConfig, exports: Path,
                        clock: Callable[[], datetime]) -> None:
    """Retention runs by itself; running it in several processes at once is harmless (plain deletes)."""
    try:
        counts = await purge_expired(engine, config, exports, now=clock())
        if any(counts.values()):
            log.info("retention purge: %s", counts)
    except Exception as e:
        log.error("retention purge failed: %s", type(e).__name__)
