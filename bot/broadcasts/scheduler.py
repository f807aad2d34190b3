"""Persisted jobs fired by exactly one process at a time.

Jobs live in `scheduled_jobs` under stable ids ("announcement:12") with a JSON trigger; APScheduler's
trigger classes (DateTrigger, CronTrigger) compute the run times. We do not run APScheduler's scheduler
with its SQLAlchemyJobStore: that store is synchronous (it would block the event loop, or need threads and
a second, sync PostgreSQL driver), pickles callables into the database, saves a job's next run time only
after handing the job to an executor (a crash in between fires it again), cannot share a store between
processes, and reads the wall clock (tests would have to sleep).

Here one transaction fires a due occurrence and advances the job's next run time, under the scheduler
lease, so an occurrence is fired once or not at all. After downtime, the latest due occurrence is fired
if it is at most `max_lateness` late, otherwise it is recorded as missed; older ones are recorded missed.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import leases
from storage.broadcasts import announcements as store
from storage.types import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
MAX_OCCURRENCES = 1000  # per job and pass, when catching up after a long downtime
MAX_MISSED_RECORDS = 10  # older missed occurrences are counted in the log, not stored one by one


# --- triggers ----------------------------------------------------------------------------------------

def date_trigger(at: datetime) -> dict[str, Any]:
    return {"type": "date", "at": at.isoformat()}


def cron_trigger(crontab: str, timezone: str, start: datetime | None = None) -> dict[str, Any]:
    """A validated recurring trigger; ValueError says what is wrong with the expression."""
    spec = {"type": "cron", "crontab": " ".join(crontab.split()), "timezone": timezone,
            "start": start.isoformat() if start else None}
    build_trigger(spec)
    return spec


def build_trigger(spec: dict[str, Any]) -> BaseTrigger:
    if spec["type"] == "date":
        return DateTrigger(run_date=datetime.fromisoformat(spec["at"]))
    fields = spec["crontab"].split()
    if len(fields) != 5:
        raise ValueError(f"needs 5 fields (minute hour day month weekday), got {len(fields)}")
    # APScheduler 3 counts weekdays from Monday = 0, crontab from Sunday = 0: only names are unambiguous.
    if re.search(r"\d", fields[4].split("/")[0]):
        raise ValueError("write the weekday as a name (mon, tue, wed, thu, fri, sat, sun), e.g. \"0 7 * * mon\"")
    start = datetime.fromisoformat(spec["start"]) if spec.get("start") else None
    try:
        return CronTrigger(minute=fields[0], hour=fields[1], day=fields[2], month=fields[3], day_of_week=fields[4],
                           timezone=ZoneInfo(spec["timezone"]), start_date=start)
    except ValueError as e:
        raise ValueError(f"not a valid crontab: {e}") from None


def first_run(spec: dict[str, Any], now: datetime) -> datetime | None:
    return build_trigger(spec).get_next_fire_time(None, now)


# --- the scheduler -----------------------------------------------------------------------------------

class JobHandler(Protocol):
    async def fire(self, conn: AsyncConnection, ref_id: int, due_at: datetime, now: datetime) -> None: ...

    async def missed(self, conn: AsyncConnection, ref_id: int, due_at: datetime, now: datetime) -> None: ...


class LostLease(Exception):
    """Another process took the scheduler lease over; this one stops scheduling."""


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Scheduler:
    def __init__(self, engine: AsyncEngine, handlers: dict[str, JobHandler], *, lease_ttl: timedelta,
                 max_lateness: timedelta, holder: str | None = None, clock: Callable[[], datetime] = utcnow,
                 batch_size: int = 50) -> None:
        self._engine = engine
        self._handlers = handlers
        self._ttl = lease_ttl
        self._lateness = max_lateness
        self.holder = holder or new_holder_id()
        self._clock = clock
        self._batch = batch_size
        self.is_leader = False

    async def hold_lease(self) -> bool:
        """Take or renew the scheduler lease; True while this process is the one that schedules."""
        async with self._engine.begin() as conn:
            leader = await leases.acquire(conn, LEASE_NAME, self.holder, self._clock(), self._ttl)
        if leader != self.is_leader:
            log.info("scheduler lease %s by %s", "taken" if leader else "lost", self.holder)
        self.is_leader = leader
        return leader

    async def release(self) -> None:
        if self.is_leader:
            async with self._engine.begin() as conn:
                await leases.release(conn, LEASE_NAME, self.holder)
            self.is_leader = False

    async def run_due(self) -> int:
        """Fire (or record as missed) the jobs due now; returns how many jobs were handled."""
        now = self._clock()
        async with self._engine.begin() as conn:
            due = await store.due_job_ids(conn, now, self._batch)
        handled = 0
        try:
            for job_id in due:
                handled += await self._handle(job_id, now)
        except LostLease:
            self.is_leader = False
            log.warning("scheduler lease lost during a pass; %s stops scheduling", self.holder)
        return handled

    async def _handle(self, job_id: str, now: datetime) -> int:
        async with self._engine.begin() as conn:
            if not await leases.holds(conn, LEASE_NAME, self.holder, now):
                raise LostLease
            job = await store.lock_due_job(conn, job_id, now)
            if job is None:  # done meanwhile (or deleted by a cancel)
                return 0
            handler = self._handlers[job.kind]
            trigger = build_trigger(job.trigger)
            occurrences: list[datetime] = []
            nxt: datetime | None = job.next_run_at
            while nxt is not None and nxt <= now:
                occurrences.append(nxt)
                if len(occurrences) >= MAX_OCCURRENCES:
                    nxt = trigger.get_next_fire_time(None, now)
                    if nxt is not None and nxt <= now:
                        occurrences.append(nxt)
                        nxt = trigger.get_next_fire_time(nxt, now)
                    break
                nxt = trigger.get_next_fire_time(nxt, now)
            latest, older = occurrences[-1], occurrences[:-1]
            if older:
                log.warning("job %s missed %d occurrence(s) during downtime", job_id, len(older))
            for due in older[-MAX_MISSED_RECORDS:]:
                await handler.missed(conn, job.ref_id, due, now)
            if now - latest <= self._lateness:
                await handler.fire(conn, job.ref_id, latest, now)
            else:
                log.warning("job %s was due %s ago, more than the allowed lateness: missed", job_id, now - latest)
                await handler.missed(conn, job.ref_id, latest, now)
            if nxt is None:
                await store.delete_job(conn, job_id)
            else:
                await store.set_job_next(conn, job_id, nxt)
        return 1
