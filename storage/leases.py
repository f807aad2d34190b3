"""Named leases: one holder at a time, taken over once the holder stops renewing.

PostgreSQL: the lease row is locked FOR UPDATE to take or renew it, and FOR SHARE by work that must only
run under the lease (a takeover then waits until that work commits, and that work sees a completed
takeover and stops). SQLite: every transaction is BEGIN IMMEDIATE, so these reads are already exclusive.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Lease
from storage.queues import insert_ignoring_duplicates

leases = Lease.__table__


async def acquire(conn: AsyncConnection, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + ttl."""
    await conn.execute(insert_ignoring_duplicates(conn, leases).values(name=name, holder=holder,
                                                                        expires_at=now + ttl))
    q = select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = (await conn.execute(q)).one()
    if row.holder != holder and row.expires_at > now:
        return False
    await conn.execute(update(leases).where(leases.c.name == name).values(holder=holder, expires_at=now + ttl))
    return True


async def holds(conn: AsyncConnection, name: str, holder: str, now: datetime) -> bool:
    """Whether `holder` still holds the lease; call inside the transaction doing the guarded work."""
    q = select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(read=True)
    row = (await conn.execute(q)).first()
    return row is not None and row.holder == holder and row.expires_at > now


async def release(conn: AsyncConnection, name: str, holder: str) -> None:
    """Give the lease up (clean shutdown), so another process need not wait for it to expire."""
    await conn.execute(update(leases).where(leases.c.name == name, leases.c.holder == holder)
                       .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
