"""Announcements: creating, approving, cancelling and reporting — the one implementation behind both
the CLI and the HTTP API — and the scheduler's handler that turns a due occurrence into a run."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.broadcasts.scheduler import cron_trigger, date_trigger, first_run
from bot.config import AppConfig
from bot.errors import InvalidInput, NotFound
from bot.zalo.errors import Disposition, classify, describe
from storage.broadcasts import announcements as store

JOB_KIND = "announcement"
MAX_TEXT = 8000  # split into Zalo-sized messages when sent
PAST_TOLERANCE = timedelta(minutes=5)  # a send time this little in the past means "now"
REPORT_UNREACHABLE_LIMIT = 500
REPORT_RUNS = 10
_URL = re.compile(r"^https?://\S+$")


def job_id(announcement_id: int) -> str:
    return f"{JOB_KIND}:{announcement_id}"


def http_url(v: str | None) -> str | None:
    if v is not None and not _URL.match(v):
        raise ValueError("must be an http:// or https:// address")
    return v


def by_field(older_name: str) -> Any:
    """Who does it: `by` in requests, as the command line's --by (the older name is still accepted)."""
    return Field(min_length=1, max_length=100, validation_alias=AliasChoices("by", older_name))


class AnnouncementIn(BaseModel):
    """What staff give to create an announcement. Empty `thon` and `topics` mean every household."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    image_url: str | None = None
    link: str | None = None
    thon: list[str] = []
    topics: list[str] = []
    urgent: bool = False
    send_at: AwareDatetime | None = None
    repeat: str | None = Field(None, description="crontab in the commune's time zone, e.g. \"0 7 * * mon\"")
    created_by: str = by_field("created_by")

    _urls = field_validator("image_url", "link")(http_url)


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    approved_by: str = by_field("approved_by")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    cancelled_by: str = by_field("cancelled_by")


def check_references(spec: AnnouncementIn, config: AppConfig) -> list[str]:
    thon = {t.slug for t in config.commune.thon}
    topics = {t.slug for t in config.topics}
    problems = [f"thon.{i}: unknown thôn {s!r} (known: {', '.join(sorted(thon))})"
                for i, s in enumerate(spec.thon) if s not in thon]
    problems += [f"topics.{i}: unknown topic {s!r} (known: {', '.join(sorted(topics))})"
                 for i, s in enumerate(spec.topics) if s not in topics]
    return problems


def _trigger(spec: AnnouncementIn, config: AppConfig, now: datetime) -> dict[str, Any]:
    if spec.send_at is not None and spec.send_at < now - PAST_TOLERANCE:
        raise InvalidInput([f"send_at: {spec.send_at.isoformat()} is in the past"])
    if spec.repeat:
        try:
            return cron_trigger(spec.repeat, config.commune.timezone, spec.send_at)
        except ValueError as e:
            raise InvalidInput([f"repeat: {e}"]) from None
    return date_trigger(max(spec.send_at, now) if spec.send_at else now)


async def _schedule(conn: AsyncConnection, announcement_id: int, trigger: dict[str, Any], now: datetime) -> Any:
    nxt = first_run(trigger, now)
    await store.put_job(conn, job_id(announcement_id), JOB_KIND, announcement_id, trigger, nxt, now)
    await store.set_announcement(conn, announcement_id, status="scheduled")
    return nxt


async def create(engine: AsyncEngine, config: AppConfig, spec: AnnouncementIn, now: datetime) -> dict[str, Any]:
    problems = check_references(spec, config)
    if problems:
        raise InvalidInput(problems)
    trigger = _trigger(spec, config, now)
    needs_approval = config.broadcasts.approval_required
    async with engine.begin() as conn:
        announcement_id = await store.insert_announcement(conn, {
            **spec.model_dump(), "status": "pending_approval", "created_at": now})
        nxt = None if needs_approval else await _schedule(conn, announcement_id, trigger, now)
    return {"id": announcement_id, "status": "pending_approval" if needs_approval else "scheduled",
            "next_run_at": nxt.isoformat() if nxt else None}


async def approve(engine: AsyncEngine, config: AppConfig, announcement_id: int, by: str,
                  now: datetime) -> dict[str, Any]:
    async with engine.begin() as conn:
        row = await store.get_announcement(conn, announcement_id, lock=True)
        if row is None:
            raise NotFound(f"announcement {announcement_id} does not exist")
        if row.status != "pending_approval":
            raise InvalidInput([f"id: announcement {announcement_id} is {row.status}, not waiting for approval"])
        if by.casefold() == row.created_by.casefold():
            raise InvalidInput(["approved_by: must be a second person, not the one who created the announcement"])
        spec = AnnouncementIn.model_validate({k: getattr(row, k) for k in AnnouncementIn.model_fields})
        trigger = (cron_trigger(spec.repeat, config.commune.timezone, spec.send_at) if spec.repeat
                   else date_trigger(spec.send_at or now))  # a send time passed meanwhile: the lateness rule decides
        await store.set_announcement(conn, announcement_id, approved_by=by, approved_at=now)
        nxt = await _schedule(conn, announcement_id, trigger, now)
    return {"id": announcement_id, "status": "scheduled", "next_run_at": nxt.isoformat() if nxt else None}


async def cancel(engine: AsyncEngine, announcement_id: int, by: str, now: datetime) -> dict[str, Any]:
    """Stop an announcement: no further occurrence fires, and queued messages not yet sent are dropped
    (a message already handed to Zalo cannot be called back)."""
    async with engine.begin() as conn:
        # The job's lock first, then the announcement's: the scheduler firing this job takes them in that
        # order, and the opposite order deadlocks the two on PostgreSQL.
        await store.lock_job(conn, job_id(announcement_id))
        row = await store.get_announcement(conn, announcement_id, lock=True)
        if row is None:
            raise NotFound(f"announcement {announcement_id} does not exist")
        if row.status == "cancelled":
            raise InvalidInput([f"id: announcement {announcement_id} is already cancelled"])
        await store.delete_job(conn, job_id(announcement_id))
        stopped = await store.cancel_runs(conn, announcement_id, now)
        await store.set_announcement(conn, announcement_id, status="cancelled", cancelled_by=by, cancelled_at=now)
    return {"id": announcement_id, "status": "cancelled", "runs_stopped": len(stopped)}


class AnnouncementJobs:
    """The scheduler's handler for announcement jobs: a due occurrence becomes a run to expand."""

    async def fire(self, conn: AsyncConnection, ref_id: int, due_at: datetime, now: datetime) -> None:
        await self._record_run(conn, ref_id, due_at, now, run_status="expanding", once_status="started")

    async def missed(self, conn: AsyncConnection, ref_id: int, due_at: datetime, now: datetime) -> None:
        await self._record_run(conn, ref_id, due_at, now, run_status="missed", once_status="missed")

    @staticmethod
    async def _record_run(conn: AsyncConnection, ref_id: int, due_at: datetime, now: datetime, *,
                          run_status: str, once_status: str) -> None:
        """One occurrence becomes a run; a one-off announcement takes the run's outcome as its status."""
        row = await store.get_announcement(conn, ref_id)
        if row is None or row.status == "cancelled":
            return
        await store.create_run(conn, ref_id, due_at, run_status, now)
        if not row.repeat:
            await store.set_announcement(conn, ref_id, status=once_status)


# --- reporting ---------------------------------------------------------------------------------------

QUOTA_CODES = (-211, -218)
ARCHIVE_BATCH = 100  # runs archived per retention pass (the purge runs hourly)


def outcome(status: str, error_code: int | None) -> str:
    """queued | sent | unreachable | failed | cancelled — quota errors count as unreachable: Zalo will not
    carry the message now, another channel may."""
    if status in store.OPEN_STATUSES:
        return "queued"
    if status == "failed" and error_code is not None and classify(error_code) is Disposition.QUOTA:
        return "unreachable"
    return status if status in ("sent", "unreachable", "cancelled") else "failed"


def mask_name(name: str | None) -> str:
    """"Nguyễn Văn An" → "Nguyễn V*** A***": the family name, then initials."""
    words = (name or "").split()
    if not words:
        return ""
    return " ".join([words[0], *(w[0] + "***" for w in words[1:])])


def mask_phone(phone: str | None) -> str:
    p = phone or ""
    return p[:2] + "*" * (len(p) - 4) + p[-2:] if len(p) > 4 else "*" * len(p)


def mask_id(value: str) -> str:
    return value[:3] + "…" + value[-2:] if len(value) > 6 else "…"


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


async def archive_finished_runs(engine: AsyncEngine, finished_before: datetime) -> int:
    """Retention: replace the per-household records of runs finished before `finished_before` by their
    report's counts (no household list), one run per transaction. Returns the number of runs archived."""
    archived = 0
    while archived < ARCHIVE_BATCH:
        async with engine.begin() as conn:
            found = await store.runs_to_archive(conn, finished_before, 1)
            if not found:
                break
            summary = {**await _run_report(conn, found[0], {}), "unreachable": [], "archived": True}
            await store.archive_run(conn, found[0].id, summary)
        archived += 1
        await asyncio.sleep(0)  # let whoever waits for the connection in first
    return archived


async def _run_report(conn: AsyncConnection, run: Any, thon_names: dict[str, str]) -> dict[str, Any]:
    if run.archived_report is not None:
        return dict(run.archived_report)
    source = store.run_source(run.id)
    totals: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    by_thon: dict[str, Counter[str]] = defaultdict(Counter)
    for thon_slug, status, code, cancel_reason, n in await store.outcome_counts(conn, source):
        kind = outcome(status, code)
        totals[kind] += n
        if kind in ("unreachable", "failed"):
            reasons[kind][str(code)] += n
        elif kind == "cancelled":
            reasons[kind][cancel_reason or "cancelled"] += n
        by_thon[thon_slug or "-"][kind] += n
    unreachable = await store.unreachable_households(conn, source, QUOTA_CODES, limit=REPORT_UNREACHABLE_LIMIT)
    channels: dict[str, dict[str, int]] = defaultdict(dict)
    for channel, status, n in await store.channel_counts(conn, run.id):
        channels[channel][status] = n
    return {
        "run_id": run.id, "due_at": _iso(run.due_at), "status": run.status, "fired_at": _iso(run.fired_at),
        "finished_at": _iso(run.finished_at), "audience": run.queued,
        "outcomes": {k: totals.get(k, 0) for k in ("queued", "sent", "unreachable", "failed", "cancelled")},
        "unreachable_by_reason": dict(reasons["unreachable"]), "failed_by_reason": dict(reasons["failed"]),
        "cancelled_by_reason": dict(reasons["cancelled"]),
        "by_thon": {slug: dict(c) for slug, c in sorted(by_thon.items())},
        "unreachable": [{"thon": thon_names.get(u.thon_slug or "", u.thon_slug or "-"), "name": mask_name(u.name),
                         "phone": mask_phone(u.phone), "zalo_user": mask_id(u.zalo_user_id),
                         "reason": u.error_code, "reason_text": describe(u.error_code)} for u in unreachable],
        "other_channels": dict(channels),
        "archived": False,  # True once retention reduced the run to its counts (archive_finished_runs)
    }


async def report(engine: AsyncEngine, config: AppConfig, announcement_id: int) -> dict[str, Any]:
    thon_names = {t.slug: t.name for t in config.commune.thon}
    async with engine.connect() as conn:
        row = await store.get_announcement(conn, announcement_id)
        if row is None:
            raise NotFound(f"announcement {announcement_id} does not exist")
        job = await store.get_job(conn, job_id(announcement_id))
        runs = [await _run_report(conn, r, thon_names) for r in await store.runs_of(conn, announcement_id, REPORT_RUNS)]
    return {
        "id": row.id, "title": row.title, "status": row.status, "urgent": row.urgent,
        "audience": {"thon": row.thon, "topics": row.topics}, "send_at": _iso(row.send_at), "repeat": row.repeat,
        "next_run_at": _iso(job.next_run_at) if job else None, "created_by": row.created_by,
        "approved_by": row.approved_by, "cancelled_by": row.cancelled_by, "runs": runs,
    }
