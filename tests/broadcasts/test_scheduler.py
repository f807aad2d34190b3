"""Two services on one database: exactly one schedules (a lease), the other takes over when it dies, and
a fan-out cut short by a crash resumes with no duplicates and no losses."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.broadcasts.announcements import cancel, job_id
from bot.testing.fakezalo import FakeZalo
from storage import queues
from storage.broadcasts.models import Announcement, AnnouncementRun, ScheduledJob
from storage.models import Lease
from storage.types import utcnow
from tests.broadcasts.kit import announce, broadcasting, onboard, received, sections
from tests.databases import PostgresDatabases
from tests.kit import APP_ID, APP_SECRET, BotHarness, Clock

USERS = [f"u{i}" for i in range(6)]


async def runs_count(bot: BotHarness) -> int:
    async with bot.runtime.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(AnnouncementRun.__table__))).scalar_one()


async def lease_holder(bot: BotHarness) -> str:
    async with bot.runtime.engine.connect() as conn:
        return (await conn.execute(select(Lease.__table__.c.holder))).scalar_one()


async def test_two_services_never_both_schedule(db_url: str) -> None:
    clock, fake = Clock(), FakeZalo(app_id=APP_ID, app_secret=APP_SECRET)
    async with BotHarness.start(db_url, clock=clock, fake=fake, **sections()) as a, \
            BotHarness.start(db_url, clock=clock, fake=fake, **sections()) as b:
        for user in USERS:
            await onboard(a, user, "vong-nhi")
        titles = [f"Thông báo {i}" for i in range(8)]
        for title in titles:
            await announce(a if len(title) % 2 else b, title=title)
        await announce(a, title="Mỗi giờ", repeat="0 * * * *")
        loops = [broadcasting(x).loop for x in (a, b)]
        for _ in range(3):  # passes of both services racing each other, several at a time in each
            await asyncio.gather(*(loop.run_once() for loop in loops for _ in range(4)))
            clock.advance(minutes=31)
        leaders = [loop for loop in loops if loop.scheduler.is_leader]
        assert len(leaders) == 1 and await lease_holder(a) == leaders[0].scheduler.holder

        follower = next(loop for loop in loops if not loop.scheduler.is_leader)
        await announce(a, title="Chỉ một lần")
        assert await follower.scheduler.run_due() == 0, "a process without the lease fired a job"
        while await broadcasting(a).run_once() + await broadcasting(b).run_once():
            pass
        for title in [*titles, "Chỉ một lần"]:
            assert received(a, title) == Counter(dict.fromkeys(USERS, 1)), title
        assert received(a, "Mỗi giờ") == Counter(dict.fromkeys(USERS, 2))  # 10:00 → 11:33: the 11:00 run
        assert await runs_count(a) == len(titles) + 1 + 2


async def test_another_service_takes_over_when_the_holder_dies(db_url: str) -> None:
    clock, fake = Clock(), FakeZalo(app_id=APP_ID, app_secret=APP_SECRET)
    async with BotHarness.start(db_url, clock=clock, fake=fake, **sections(lease_seconds=30)) as a, \
            BotHarness.start(db_url, clock=clock, fake=fake, **sections(lease_seconds=30)) as b:
        await onboard(a, "u1", "vong-nhi")
        loop_a, loop_b = broadcasting(a).loop, broadcasting(b).loop
        await announce(a, title="Trước")
        assert await loop_a.run_once() > 0 and loop_a.scheduler.is_leader
        assert await loop_b.run_once() == 0
        # A stops renewing (its process hangs or died); before the lease ends B still waits.
        await announce(a, title="Sau")
        clock.advance(seconds=29)
        assert await loop_b.run_once() == 0 and received(a, "Sau") == Counter()
        clock.advance(seconds=2)
        while await broadcasting(b).run_once():
            pass
        assert loop_b.scheduler.is_leader and received(a, "Sau") == Counter({"u1": 1})
        # A comes back: it finds the lease taken and stays out.
        assert await loop_a.run_once() == 0 and not loop_a.scheduler.is_leader
        assert await lease_holder(a) == loop_b.scheduler.holder


async def test_a_crash_mid_fanout_resumes_without_duplicates_or_losses(db_url: str) -> None:
    clock, fake = Clock(), FakeZalo(app_id=APP_ID, app_secret=APP_SECRET)
    config = sections(expand_batch_size=2, send_batch_size=2)
    async with BotHarness.start(db_url, clock=clock, fake=fake, **config) as a:
        for user in USERS:
            await onboard(a, user, "vong-nhi")
        await announce(a, title="Giữa chừng")
        bc = broadcasting(a)
        await bc.loop.run_once()  # fired; the first two households queued
        await bc.sender.run_once()  # both sent
        await bc.loop.run_once()  # two more queued
        async with a.runtime.engine.begin() as conn:  # a sender claims them, then the process dies
            claimed = await conn.run_sync(queues.claim_outbox, clock(), timedelta(seconds=60), 10, min_priority=10)
        assert len(claimed) == 2
    assert sum(received(a, "Giữa chừng").values()) == 2
    clock.advance(minutes=2)  # past the scheduler lease and the message claims
    async with BotHarness.start(db_url, clock=clock, fake=fake, **config) as b:
        await b.runtime.drain()
        assert received(b, "Giữa chừng") == Counter(dict.fromkeys(USERS, 1))
        assert await runs_count(b) == 1


async def test_a_cancel_while_the_scheduler_fires_the_job_does_not_deadlock(
        postgres_databases: PostgresDatabases | None) -> None:
    """PostgreSQL only: SQLite runs one write transaction at a time, so the two cannot interleave."""
    if postgres_databases is None:
        pytest.skip("PostgreSQL only: set MOTCUA_TEST_POSTGRES_URL")
    url = await postgres_databases.create()
    try:
        async with BotHarness.start(url, **sections()) as bot:
            engine = bot.runtime.engine
            ann = await announce(bot, title="Họp dân", send_at=(utcnow() + timedelta(hours=1)).isoformat())
            async with engine.begin() as firing:  # the scheduler's pass: the job locked, the announcement next
                await firing.execute(select(ScheduledJob).where(ScheduledJob.id == job_id(ann)).with_for_update())
                cancelling = asyncio.create_task(cancel(engine, ann, "Cán bộ A", utcnow()))
                await until_a_lock_is_awaited(engine)
                await firing.execute(update(Announcement).where(Announcement.id == ann).values(status="started"))
            assert (await asyncio.wait_for(cancelling, 10))["status"] == "cancelled"
    finally:
        await postgres_databases.drop(url)


async def until_a_lock_is_awaited(engine: AsyncEngine) -> None:
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")
    async with asyncio.timeout(5):
        while True:
            async with engine.connect() as conn:
                if (await conn.execute(query)).scalar_one():
                    return
            await asyncio.sleep(0.01)
