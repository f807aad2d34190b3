"""Household profiles and topic subscriptions, read and changed inside the worker's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.models import Household, HouseholdTopic
from storage.models import Resident
from storage.queues import insert_ignoring_duplicates

households = Household.__table__
household_topics = HouseholdTopic.__table__
residents = Resident.__table__


@dataclass(frozen=True, slots=True)
class HouseholdView:
    resident_id: int
    thon_slug: str | None
    subscribed: bool
    onboarded: bool
    has_contact: bool
    topics: frozenset[str]


class HouseholdRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _resident_id(self, zalo_user_id: str) -> int:
        q = select(residents.c.id).where(residents.c.zalo_user_id == zalo_user_id)
        return (await self.conn.execute(q)).scalar_one()

    async def get(self, zalo_user_id: str) -> HouseholdView | None:
        q = (select(households).join(residents, residents.c.id == households.c.resident_id)
             .where(residents.c.zalo_user_id == zalo_user_id))
        row = (await self.conn.execute(q)).first()
        if row is None:
            return None
        topics = await self.conn.execute(
            select(household_topics.c.topic).where(household_topics.c.resident_id == row.resident_id))
        shared = any(v is not None for v in (row.name, row.phone, row.address))  # what they can ask us to delete
        return HouseholdView(row.resident_id, row.thon_slug, row.subscribed, row.onboarded_at is not None,
                             shared, frozenset(t for (t,) in topics.all()))

    async def ensure(self, zalo_user_id: str, now: datetime) -> HouseholdView:
        resident_id = await self._resident_id(zalo_user_id)
        await self.conn.execute(insert_ignoring_duplicates(self.conn, households).values(
            resident_id=resident_id, subscribed=True, created_at=now, updated_at=now))
        view = await self.get(zalo_user_id)
        assert view is not None
        return view

    async def _update(self, resident_id: int, now: datetime, **values: object) -> None:
        await self.conn.execute(update(households).where(households.c.resident_id == resident_id)
                                .values(updated_at=now, **values))

    async def set_thon(self, resident_id: int, thon_slug: str | None, now: datetime) -> None:
        await self._update(resident_id, now, thon_slug=thon_slug)

    async def set_topics(self, resident_id: int, topics: Iterable[str], now: datetime) -> None:
        await self.conn.execute(delete(household_topics).where(household_topics.c.resident_id == resident_id))
        rows = [{"resident_id": resident_id, "topic": t} for t in sorted(set(topics))]
        if rows:
            await self.conn.execute(household_topics.insert(), rows)
        await self._update(resident_id, now)

    async def mark_onboarded(self, resident_id: int, now: datetime) -> None:
        await self._update(resident_id, now, onboarded_at=now)

    async def set_subscribed(self, resident_id: int, subscribed: bool, now: datetime) -> None:
        await self._update(resident_id, now, subscribed=subscribed)

    async def set_contact(self, resident_id: int, name: str | None, phone: str | None, address: str | None,
                          now: datetime) -> None:
        await self._update(resident_id, now, name=name, phone=phone, address=address, consent_at=now)

    async def clear_contact(self, resident_id: int, now: datetime) -> None:
        await self._update(resident_id, now, name=None, phone=None, address=None, consent_at=None)
