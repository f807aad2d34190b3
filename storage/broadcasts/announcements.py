"""Announcements, their runs and scheduled jobs, audiences, and delivery outcomes.

A run's messages are outbox rows whose `source` is "bc:<run id>" and whose idempotency key is
"bc:<run id>:<resident id>": expanding an audience twice (after a crash) queues nobody twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.models import (
    Announcement,
    AnnouncementRun,
    ChannelDelivery,
    Household,
    HouseholdTopic,
    ScheduledJob,
)
from storage.models import OutboxMessage, Resident
from storage.queues import insert_ignoring_duplicates

announcements = Announcement.__table__
runs = AnnouncementRun.__table__
jobs = ScheduledJob.__table__
deliveries = ChannelDelivery.__table__
households = Household.__table__
household_topics = HouseholdTopic.__table__
residents = Resident.__table__
outbox = OutboxMessage.__table__

SOURCE_PREFIX = "bc:"
OPEN_STATUSES = ("pending", "sending")
FINISHED_RUN_STATUSES = ("done", "missed", "cancelled")


def run_source(run_id: int) -> str:
    return f"{SOURCE_PREFIX}{run_id}"


def run_of_source(source: str) -> int | None:
    rest = source[len(SOURCE_PREFIX):] if source.startswith(SOURCE_PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def _lock(conn: AsyncConnection, q: Any, skip_locked: bool = False) -> Any:
    return q.with_for_update(skip_locked=skip_locked) if conn.dialect.name == "postgresql" else q


# --- announcements -----------------------------------------------------------------------------------

async def insert_announcement(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return int((await conn.execute(announcements.insert().values(**values).returning(announcements.c.id)))
               .scalar_one())


async def get_announcement(conn: AsyncConnection, announcement_id: int, lock: bool = False) -> Any | None:
    q = select(announcements).where(announcements.c.id == announcement_id)
    return (await conn.execute(_lock(conn, q) if lock else q)).first()


async def list_announcements(conn: AsyncConnection, limit: int) -> list[Any]:
    q = select(announcements).order_by(announcements.c.id.desc()).limit(limit)
    return list((await conn.execute(q)).all())


async def set_announcement(conn: AsyncConnection, announcement_id: int, **values: Any) -> None:
    await conn.execute(update(announcements).where(announcements.c.id == announcement_id).values(**values))


async def next_sends(conn: AsyncConnection, now: datetime, until: datetime) -> list[Any]:
    """Announcements due to be sent between now and `until`, soonest first."""
    q = (select(jobs.c.next_run_at, announcements.c.id, announcements.c.title, announcements.c.thon,
                announcements.c.urgent)
         .join(announcements, and_(jobs.c.kind == "announcement", jobs.c.ref_id == announcements.c.id))
         .where(jobs.c.next_run_at >= now, jobs.c.next_run_at < until).order_by(jobs.c.next_run_at))
    return list((await conn.execute(q)).all())


async def handoffs_waiting_in(conn: AsyncConnection, now: datetime, thon: Sequence[str]) -> int:
    """Residents of these thôn who asked for a member of staff and are waiting."""
    q = (select(func.count()).select_from(residents.join(households, households.c.resident_id == residents.c.id))
         .where(residents.c.handoff_until > now, households.c.thon_slug.in_(list(thon))))
    return int((await conn.execute(q)).scalar_one())


# --- scheduled jobs ----------------------------------------------------------------------------------

async def put_job(conn: AsyncConnection, job_id: str, kind: str, ref_id: int, trigger: dict[str, Any],
                  next_run_at: datetime | None, now: datetime) -> None:
    await conn.execute(jobs.delete().where(jobs.c.id == job_id))
    await conn.execute(jobs.insert().values(id=job_id, kind=kind, ref_id=ref_id, trigger=trigger,
                                            next_run_at=next_run_at, created_at=now))


async def lock_job(conn: AsyncConnection, job_id: str) -> None:
    """Take the job's row lock (PostgreSQL), as the scheduler does before it touches the announcement."""
    await conn.execute(_lock(conn, select(jobs.c.id).where(jobs.c.id == job_id)))


async def delete_job(conn: AsyncConnection, job_id: str) -> None:
    await conn.execute(jobs.delete().where(jobs.c.id == job_id))


async def get_job(conn: AsyncConnection, job_id: str) -> Any | None:
    return (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()


async def due_job_ids(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    q = (select(jobs.c.id).where(jobs.c.next_run_at.is_not(None), jobs.c.next_run_at <= now)
         .order_by(jobs.c.next_run_at).limit(limit))
    return [r[0] for r in (await conn.execute(q)).all()]


async def lock_due_job(conn: AsyncConnection, job_id: str, now: datetime) -> Any | None:
    q = select(jobs).where(jobs.c.id == job_id, jobs.c.next_run_at.is_not(None), jobs.c.next_run_at <= now)
    return (await conn.execute(_lock(conn, q, skip_locked=True))).first()


async def set_job_next(conn: AsyncConnection, job_id: str, next_run_at: datetime | None) -> None:
    await conn.execute(update(jobs).where(jobs.c.id == job_id).values(next_run_at=next_run_at))


# --- runs --------------------------------------------------------------------------------------------

async def create_run(conn: AsyncConnection, announcement_id: int, due_at: datetime, status: str,
                     now: datetime) -> int | None:
    """A run for this occurrence, or None when it already exists (the occurrence was handled)."""
    stmt = insert_ignoring_duplicates(conn, runs).values(
        announcement_id=announcement_id, due_at=due_at, status=status, cursor=0, queued=0,
        fired_at=now if status == "expanding" else None,
        finished_at=None if status == "expanding" else now).returning(runs.c.id)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def runs_in(conn: AsyncConnection, status: str, limit: int) -> list[Any]:
    q = select(runs).where(runs.c.status == status).order_by(runs.c.id).limit(limit)
    return list((await conn.execute(q)).all())


async def lock_run(conn: AsyncConnection, run_id: int) -> Any | None:
    return (await conn.execute(_lock(conn, select(runs).where(runs.c.id == run_id)))).first()


async def get_run(conn: AsyncConnection, run_id: int) -> Any | None:
    return (await conn.execute(select(runs).where(runs.c.id == run_id))).first()


async def update_run(conn: AsyncConnection, run_id: int, **values: Any) -> None:
    await conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


async def runs_of(conn: AsyncConnection, announcement_id: int, limit: int) -> list[Any]:
    q = select(runs).where(runs.c.announcement_id == announcement_id).order_by(runs.c.id.desc()).limit(limit)
    return list((await conn.execute(q)).all())


async def runs_to_archive(conn: AsyncConnection, finished_before: datetime, limit: int) -> list[Any]:
    q = (select(runs).where(runs.c.status.in_(FINISHED_RUN_STATUSES), runs.c.finished_at < finished_before,
                            runs.c.archived_report.is_(None))
         .order_by(runs.c.id).limit(limit))
    return list((await conn.execute(q)).all())


async def archive_run(conn: AsyncConnection, run_id: int, report: dict[str, Any]) -> None:
    """Keep the run's report; delete its per-household rows (finished outbox rows, other-channel deliveries)."""
    await conn.execute(update(runs).where(runs.c.id == run_id).values(archived_report=report))
    await conn.execute(delete(outbox).where(outbox.c.source == run_source(run_id),
                                            outbox.c.status.not_in(OPEN_STATUSES)))
    await conn.execute(delete(deliveries).where(deliveries.c.run_id == run_id))


async def cancel_runs(conn: AsyncConnection, announcement_id: int, now: datetime) -> list[int]:
    q = select(runs.c.id).where(runs.c.announcement_id == announcement_id,
                                runs.c.status.in_(("expanding", "sending")))
    ids = [r[0] for r in (await conn.execute(q)).all()]
    if ids:
        await conn.execute(update(runs).where(runs.c.id.in_(ids)).values(status="cancelled", finished_at=now))
        await conn.execute(update(outbox).where(outbox.c.source.in_([run_source(i) for i in ids]),
                                                outbox.c.status == "pending")
                           .values(status="cancelled", error="cancelled", lease_until=None))
    return ids


# --- audiences ---------------------------------------------------------------------------------------

async def audience_batch(conn: AsyncConnection, *, thon: Sequence[str], topics: Sequence[str], urgent: bool,
                         after: int, limit: int) -> list[Any]:
    """The next residents (by id, after `after`) who should get an announcement.

    Followers only. Non-urgent: not unsubscribed (a follower without a household profile counts as
    subscribed) and, when topics are given, subscribed to one of them. Urgent ignores both.
    """
    q = _audience(select(residents.c.id, residents.c.zalo_user_id), thon=thon, topics=topics, urgent=urgent)
    return list((await conn.execute(q.where(residents.c.id > after).order_by(residents.c.id).limit(limit))).all())


def _audience(q: Any, *, thon: Sequence[str], topics: Sequence[str], urgent: bool) -> Any:
    q = (q.select_from(residents.outerjoin(households, households.c.resident_id == residents.c.id))
         .where(residents.c.is_follower.is_(True)))
    if thon:
        q = q.where(households.c.thon_slug.in_(list(thon)))
    if not urgent:
        q = q.where(or_(households.c.subscribed.is_(None), households.c.subscribed.is_(True)))
        if topics:
            q = q.where(exists().where(household_topics.c.resident_id == residents.c.id,
                                       household_topics.c.topic.in_(list(topics))))
    return q


def _last_broadcast_unreachable() -> Any:
    """The household's latest broadcast message was one Zalo could not deliver (and none got through since)."""
    later = outbox.alias("later")
    return exists().where(
        outbox.c.zalo_user_id == residents.c.zalo_user_id, outbox.c.source.startswith(SOURCE_PREFIX),
        outbox.c.status == "unreachable",
        ~exists().where(later.c.zalo_user_id == outbox.c.zalo_user_id, later.c.id > outbox.c.id,
                        later.c.source.startswith(SOURCE_PREFIX), later.c.status == "sent"))


async def audience_preview(conn: AsyncConnection, *, thon: Sequence[str], topics: Sequence[str],
                           urgent: bool) -> dict[str, Any]:
    """Who an announcement would reach, per thôn and per topic, before it is sent: the audience, the
    households left out because they unsubscribed, and those Zalo could not reach last time."""
    slug = households.c.thon_slug
    audience = _audience(select(slug, func.count(), func.count().filter(_last_broadcast_unreachable())),
                         thon=thon, topics=topics, urgent=urgent).group_by(slug)
    per_thon = {s: {"audience": n, "unreachable": u, "unsubscribed": 0}
                for s, n, u in (await conn.execute(audience)).all()}
    if not urgent:
        joined = residents.join(households, households.c.resident_id == residents.c.id)
        q = (select(slug, func.count()).select_from(joined)
             .where(residents.c.is_follower.is_(True), households.c.subscribed.is_(False)).group_by(slug))
        if thon:
            q = q.where(slug.in_(list(thon)))
        for s, n in (await conn.execute(q)).all():
            per_thon.setdefault(s, {"audience": 0, "unreachable": 0, "unsubscribed": 0})["unsubscribed"] = n
    per_topic = {}
    for topic in ([] if urgent else topics):
        q = _audience(select(func.count()), thon=thon, topics=[topic], urgent=False)
        per_topic[topic] = int((await conn.execute(q)).scalar_one())
    return {"per_thon": per_thon, "per_topic": per_topic}


async def cancelled_runs(conn: AsyncConnection, run_ids: Iterable[int]) -> set[int]:
    q = select(runs.c.id).where(runs.c.id.in_(list(run_ids)), runs.c.status == "cancelled")
    return {r[0] for r in (await conn.execute(q)).all()}


async def reach_states(conn: AsyncConnection, zalo_user_ids: Iterable[str]) -> dict[str, tuple[bool, bool | None]]:
    """(is_follower, subscribed) per Zalo user; subscribed is None without a household profile."""
    q = (select(residents.c.zalo_user_id, residents.c.is_follower, households.c.subscribed)
         .select_from(residents.outerjoin(households, households.c.resident_id == residents.c.id))
         .where(residents.c.zalo_user_id.in_(list(zalo_user_ids))))
    return {u: (follower, subscribed) for u, follower, subscribed in (await conn.execute(q)).all()}


# --- outcomes ----------------------------------------------------------------------------------------

async def refresh_outbox_statistics(conn: AsyncConnection) -> None:
    """PostgreSQL plans sender claims from table statistics. Taken while the outbox was nearly empty, they
    make it choose plans that scan the whole table per candidate once a fan-out has queued 100,000 rows
    (seconds per claim instead of milliseconds); a fan-out refreshes them after its first batch."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("ANALYZE outbox_messages"))


async def has_open_messages(conn: AsyncConnection, source: str) -> bool:
    q = select(outbox.c.id).where(outbox.c.source == source, outbox.c.status.in_(OPEN_STATUSES)).limit(1)
    return (await conn.execute(q)).first() is not None


async def outcome_counts(conn: AsyncConnection, source: str) -> list[Any]:
    """(thon_slug, status, error_code, cancel reason, count) for one run's messages."""
    cancel_reason = case((outbox.c.status == "cancelled", outbox.c.error), else_=None)
    q = (select(households.c.thon_slug, outbox.c.status, outbox.c.error_code, cancel_reason, func.count())
         .select_from(outbox.join(residents, residents.c.zalo_user_id == outbox.c.zalo_user_id)
                      .outerjoin(households, households.c.resident_id == residents.c.id))
         .where(outbox.c.source == source)
         .group_by(households.c.thon_slug, outbox.c.status, outbox.c.error_code, cancel_reason))
    return list((await conn.execute(q)).all())


def _unreachable(quota_codes: Iterable[int]) -> Any:
    return or_(outbox.c.status == "unreachable",
               and_(outbox.c.status == "failed", outbox.c.error_code.in_(list(quota_codes))))


async def unreachable_households(conn: AsyncConnection, source: str, quota_codes: Iterable[int],
                                 limit: int | None = None) -> list[Any]:
    """Households Zalo could not reach for this run, with what other channels need to reach them."""
    q = (select(residents.c.id.label("resident_id"), residents.c.zalo_user_id, households.c.thon_slug,
                households.c.name, households.c.phone, households.c.address, outbox.c.error_code)
         .select_from(outbox.join(residents, residents.c.zalo_user_id == outbox.c.zalo_user_id)
                      .outerjoin(households, households.c.resident_id == residents.c.id))
         .where(outbox.c.source == source, _unreachable(quota_codes))
         .order_by(households.c.thon_slug, residents.c.id))
    if limit is not None:
        q = q.limit(limit)
    return list((await conn.execute(q)).all())


async def delivered_on(conn: AsyncConnection, run_id: int, channel: str) -> set[int]:
    q = select(deliveries.c.resident_id).where(deliveries.c.run_id == run_id, deliveries.c.channel == channel,
                                               deliveries.c.status == "sent")
    return {r[0] for r in (await conn.execute(q)).all()}


async def record_deliveries(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """rows: {run_id, resident_id, channel, status, detail, created_at}; a later attempt replaces an earlier."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(deliveries)
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_id", "resident_id", "channel"],
        set_={"status": stmt.excluded.status, "detail": stmt.excluded.detail, "created_at": stmt.excluded.created_at})
    await conn.execute(stmt, list(rows))


async def channel_counts(conn: AsyncConnection, run_id: int) -> list[Any]:
    q = (select(deliveries.c.channel, deliveries.c.status, func.count()).where(deliveries.c.run_id == run_id)
         .group_by(deliveries.c.channel, deliveries.c.status))
    return list((await conn.execute(q)).all())

