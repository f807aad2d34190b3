"""Read-only figures for the console's dashboard from the shared runtime's tables."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import OutboxMessage, ProcedureFeedback, Resident, UnansweredMessage, ZaloToken

residents = Resident.__table__
outbox, tokens = OutboxMessage.__table__, ZaloToken.__table__
unanswered, feedback = UnansweredMessage.__table__, ProcedureFeedback.__table__


async def handoffs_waiting(conn: AsyncConnection, now: datetime) -> int:
    q = select(func.count()).select_from(residents).where(residents.c.handoff_until > now)
    return int((await conn.execute(q)).scalar_one())


async def token_row(conn: AsyncConnection) -> Any | None:
    q = select(tokens.c.expires_at, tokens.c.updated_at, tokens.c.generation, tokens.c.reconnect_reason)
    return (await conn.execute(q)).first()


async def outbox_backlog(conn: AsyncConnection) -> dict[str, int]:
    lane = case((outbox.c.source.startswith("bc:"), "broadcasts"), else_="replies").label("lane")
    q = select(lane, func.count()).where(outbox.c.status.in_(("pending", "sending"))).group_by(lane)
    counts = {"replies": 0, "broadcasts": 0}
    counts.update({k: int(n) for k, n in (await conn.execute(q)).all()})
    return counts


async def quota_refusals(conn: AsyncConnection, since: datetime, codes: Collection[int]) -> int:
    q = select(func.count()).where(outbox.c.error_code.in_(list(codes)), outbox.c.created_at >= since)
    return int((await conn.execute(q)).scalar_one())


async def unanswered_since(conn: AsyncConnection, since: datetime, limit: int) -> tuple[int, list[Any]]:
    recent = (unanswered.c.created_at >= since) & (unanswered.c.kind == "unanswered")  # not "did you mean"
    total = (await conn.execute(select(func.count()).where(recent))).scalar_one()
    q = (select(unanswered.c.text, unanswered.c.created_at).where(recent)
         .order_by(unanswered.c.id.desc()).limit(limit))
    return int(total), list((await conn.execute(q)).all())


async def helpfulness(conn: AsyncConnection) -> list[Any]:
    helpful = func.sum(case((feedback.c.helpful.is_(True), 1), else_=0))
    q = (select(feedback.c.procedure_slug, helpful.label("helpful"), func.count().label("total"))
         .group_by(feedback.c.procedure_slug).order_by(func.count().desc()))
    return list((await conn.execute(q)).all())
