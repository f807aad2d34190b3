"""Fan-out: a fired run's audience goes into the outbox in batches; a finished run is closed, and the
households Zalo could not reach are handed to the fallback channel.

Expansion walks residents by id with a cursor kept on the run. Rows are inserted with the idempotency
key (run, household) before the cursor moves, so a crash between the two re-inserts nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.broadcasts.announcements import QUOTA_CODES
from bot.broadcasts.channels import BroadcastMessage, DeliveryChannel, Recipient, ZaloChannel
from storage.broadcasts import announcements as store
from storage.models import Priority

log = logging.getLogger(__name__)

RUNS_PER_PASS = 10


class QuietHours:
    """Local hours during which non-urgent broadcasts wait (e.g. "21:00-07:00"; "" = never)."""

    def __init__(self, spec: str, timezone: str) -> None:
        self._tz = ZoneInfo(timezone)
        self._range: tuple[time, time] | None = None
        if spec:
            start, _, end = spec.partition("-")
            self._range = (time.fromisoformat(start), time.fromisoformat(end))

    def active(self, now: datetime) -> bool:
        if self._range is None:
            return False
        start, end = self._range
        t = now.astimezone(self._tz).time()
        return (start <= t < end) if start <= end else (t >= start or t < end)


def broadcast_lane(quiet: QuietHours) -> Callable[[datetime], tuple[int | None, int | None]]:
    """Outbox priorities the broadcast sender may claim now: urgent only during quiet hours."""
    def lane(now: datetime) -> tuple[int | None, int | None]:
        return Priority.URGENT_BROADCAST, (Priority.URGENT_BROADCAST if quiet.active(now) else None)
    return lane


async def hold_broadcasts(conn: AsyncConnection, rows: list[Any]) -> dict[int, str]:
    """Claimed broadcast rows that must not be sent, with why: their run was cancelled, or the household
    unfollowed, or (non-urgent) unsubscribed since the audience was expanded."""
    cancelled = await store.cancelled_runs(conn, {store.run_of_source(r.source) or 0 for r in rows})
    states = await store.reach_states(conn, {r.zalo_user_id for r in rows})
    held: dict[int, str] = {}
    for r in rows:
        follower, subscribed = states.get(r.zalo_user_id, (False, None))
        if store.run_of_source(r.source) in cancelled:
            held[r.id] = "cancelled"
        elif not follower:
            held[r.id] = "unfollowed"
        elif subscribed is False and r.priority > Priority.URGENT_BROADCAST:
            held[r.id] = "unsubscribed"
    return held


def message_of(announcement: Any, run_id: int) -> BroadcastMessage:
    return BroadcastMessage(announcement.id, run_id, announcement.title, announcement.text, announcement.image_url,
                            announcement.link, announcement.urgent)


async def deliver_fallback(engine: AsyncEngine, channel: DeliveryChannel, run_id: int,
                           now: datetime) -> Counter[str]:
    """Carry a run's announcement over `channel` to the households Zalo could not reach and that this
    channel has not reached yet; returns the count of deliveries by status. Run later by staff, it asks
    again what the Zalo sender asked: nothing once the announcement or run was cancelled, and nothing but
    urgent ones to a household that has unsubscribed since."""
    async with engine.connect() as conn:
        run = await store.get_run(conn, run_id)
        if run is None:
            return Counter()
        announcement = await store.get_announcement(conn, run.announcement_id)
        if announcement is None or announcement.status == "cancelled" or run.status == "cancelled":
            return Counter()
        unreachable = await store.unreachable_households(conn, store.run_source(run_id), QUOTA_CODES)
        done = await store.delivered_on(conn, run_id, channel.name)
        states = await store.reach_states(conn, {u.zalo_user_id for u in unreachable})
    opted_out = {user for user, (_, subscribed) in states.items() if subscribed is False and not announcement.urgent}
    recipients = [Recipient(u.resident_id, u.zalo_user_id, u.thon_slug, u.name, u.phone, u.address, u.error_code)
                  for u in unreachable if u.resident_id not in done and u.zalo_user_id not in opted_out]
    if not recipients:
        return Counter()
    results = await channel.deliver(message_of(announcement, run_id), recipients)
    async with engine.begin() as conn:
        await store.record_deliveries(conn, [
            {"run_id": run_id, "resident_id": d.resident_id, "channel": channel.name, "status": d.status,
             "detail": d.detail, "created_at": now} for d in results])
    counts = Counter(d.status for d in results)
    log.info("run %s: %s fallback deliveries %s", run_id, channel.name, dict(counts))
    return counts


class FanOut:
    def __init__(self, engine: AsyncEngine, zalo: ZaloChannel, *, batch_size: int, clock: Callable[[], datetime],
                 on_queued: Callable[[], None], fallback: DeliveryChannel | None = None) -> None:
        self._engine = engine
        self._zalo = zalo
        self._batch = batch_size
        self._clock = clock
        self._on_queued = on_queued
        self._fallback = fallback

    async def expand_once(self) -> int:
        """One batch for each run being expanded; returns the number of messages queued."""
        async with self._engine.connect() as conn:
            expanding = await store.runs_in(conn, "expanding", RUNS_PER_PASS)
        queued = 0
        for run in expanding:
            queued += await self._expand(run.id)
        if queued:
            self._on_queued()
        return queued

    async def _expand(self, run_id: int) -> int:
        async with self._engine.begin() as conn:
            run = await store.lock_run(conn, run_id)
            if run is None or run.status != "expanding":
                return 0
            a = await store.get_announcement(conn, run.announcement_id)
            if a is None:  # runs reference their announcement (a foreign key): a broken database
                raise LookupError(f"run {run_id}: announcement {run.announcement_id} does not exist")
            batch = await store.audience_batch(conn, thon=a.thon, topics=a.topics, urgent=a.urgent,
                                               after=run.cursor, limit=self._batch)
        results = await self._zalo.deliver(message_of(a, run_id), [Recipient(r.id, r.zalo_user_id) for r in batch])
        queued = sum(d.status == "queued" for d in results)
        if run.cursor == 0 and queued:
            async with self._engine.begin() as conn:
                await store.refresh_outbox_statistics(conn)
        async with self._engine.begin() as conn:
            run = await store.lock_run(conn, run_id)
            if run is None or run.status != "expanding":
                return queued  # cancelled meanwhile: the sender holds back whatever was just queued
            values: dict[str, Any] = {"queued": run.queued + queued}
            if batch:
                values["cursor"] = max(run.cursor, batch[-1].id)
            if len(batch) < self._batch:
                values["status"] = "sending"
            await store.update_run(conn, run_id, **values)
        return queued

    async def complete_once(self) -> int:
        """Close runs with nothing left to send, after handing the unreachable to the fallback channel."""
        async with self._engine.connect() as conn:
            sending = await store.runs_in(conn, "sending", RUNS_PER_PASS * 10)
            finished = [r.id for r in sending if not await store.has_open_messages(conn, store.run_source(r.id))]
        for run_id in finished:
            if self._fallback is not None:
                await deliver_fallback(self._engine, self._fallback, run_id, self._clock())
            async with self._engine.begin() as conn:
                run = await store.lock_run(conn, run_id)
                if run is not None and run.status == "sending":
                    await store.update_run(conn, run_id, status="done", finished_at=self._clock())
        return len(finished)
