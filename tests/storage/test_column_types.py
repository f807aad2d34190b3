"""Datetimes and JSON as the models store them, on both engines: what goes in comes back, and stored
datetimes order and compare as the moments they are (on SQLite they are compared as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Resident

residents = Resident.__table__
HOI_AN = timezone(timedelta(hours=7))


async def test_datetimes_come_back_as_the_same_moments_and_compare_in_order(engine: AsyncEngine) -> None:
    whole_second = datetime(2026, 12, 4, 3, 0, 0, tzinfo=UTC)
    moments = {
        "a-whole-second": whole_second,
        "b-one-microsecond-later": whole_second + timedelta(microseconds=1),
        "c-same-moment-in-hoi-an": (whole_second + timedelta(seconds=1)).astimezone(HOI_AN),
        "d-far-past": datetime(999, 1, 1, tzinfo=UTC),
    }
    async with engine.begin() as conn:
        await conn.execute(residents.insert(), [
            {"zalo_user_id": user, "created_at": at, "last_message_at": at, "state": {}, "state_version": 1}
            for user, at in moments.items()])
    async with engine.connect() as conn:
        stored = dict((await conn.execute(select(residents.c.zalo_user_id, residents.c.last_message_at))).all())
        in_order = (await conn.execute(select(residents.c.zalo_user_id)
                                       .order_by(residents.c.last_message_at))).scalars().all()
        after = (await conn.execute(select(residents.c.zalo_user_id)
                                    .where(residents.c.last_message_at > whole_second))).scalars().all()
    assert stored == moments
    assert all(at.tzinfo is not None for at in stored.values())
    assert in_order == ["d-far-past", "a-whole-second", "b-one-microsecond-later", "c-same-moment-in-hoi-an"]
    assert sorted(after) == ["b-one-microsecond-later", "c-same-moment-in-hoi-an"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL stores timestamps, not text
async def test_sqlite_keeps_the_datetime_text_earlier_versions_wrote(engine: AsyncEngine) -> None:
    """Databases already in use hold SQLAlchemy's own text format; new values must compare with those."""
    async with engine.begin() as conn:
        await conn.execute(residents.insert(), [
            {"zalo_user_id": user, "created_at": at, "state": {}, "state_version": 1} for user, at in (
                ("u1", datetime(2026, 12, 4, 3, 0, tzinfo=UTC)),
                ("u2", datetime(2026, 12, 4, 10, 0, 5, 250, tzinfo=HOI_AN)))])
        raw = (await conn.execute(text("SELECT created_at FROM residents ORDER BY zalo_user_id"))).scalars().all()
    assert raw == ["2026-12-04 03:00:00.000000", "2026-12-04 03:00:05.000250"]


async def test_a_naive_datetime_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with engine.begin() as conn:
            await conn.execute(residents.insert(), [{"zalo_user_id": "u1", "created_at": datetime(2026, 12, 4),
                                                     "state": {}, "state_version": 1}])


async def test_json_comes_back_as_it_went_in(engine: AsyncEngine) -> None:
    state = {"flow": "procedures", "state": "chọn thủ tục", "data": {"thôn": "Võng Nhi", "n": 3, "ok": True,
                                                                      "list": [1.5, None, "Cẩm Thanh"]}}
    async with engine.begin() as conn:
        await conn.execute(residents.insert(), [{"zalo_user_id": "u1", "created_at": datetime.now(UTC),
                                                 "state": state, "state_version": 1}])
    async with engine.connect() as conn:
        assert (await conn.execute(select(residents.c.state))).scalar_one() == state
