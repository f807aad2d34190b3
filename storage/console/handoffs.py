"""Queries for handoff cases: opening and closing them from the residents' handoff pause, the inbox each
member may see, a case's conversation (inbox and outbox rows still within retention) and its notes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.models import Household
from storage.console.handoff_models import HandoffCase, HandoffNote
from storage.console.models import ConsoleUser
from storage.models import InboxEvent, OutboxMessage, Resident
from storage.queues import insert_ignoring_duplicates

cases, notes = HandoffCase.__table__, HandoffNote.__table__
residents, households = Resident.__table__, Household.__table__
inbox, outbox = InboxEvent.__table__, OutboxMessage.__table__
users = ConsoleUser.__table__


async def sync(conn: AsyncConnection, now: datetime, pause: timedelta) -> tuple[int, int]:
    """Open a case for every resident in a handoff pause without one (routed to the household's thôn,
    else the desk); close the open cases whose pause ended (timed out, or the resident went back to the
    bot). Returns (opened, closed). Safe with several processes: one open case per resident is unique."""
    q = (select(residents.c.zalo_user_id, residents.c.handoff_until, households.c.thon_slug)
         .select_from(residents.outerjoin(households, households.c.resident_id == residents.c.id)
                      .outerjoin(cases, cases.c.open_key == residents.c.zalo_user_id))
         .where(residents.c.handoff_until > now, cases.c.id.is_(None)))
    new = [{"zalo_user_id": r.zalo_user_id, "open_key": r.zalo_user_id, "thon_slug": r.thon_slug,
            "opened_at": min(now, r.handoff_until - pause)} for r in (await conn.execute(q)).all()]
    if new:
        await conn.execute(insert_ignoring_duplicates(conn, cases), new)
    q = (select(cases.c.id, residents.c.handoff_until)
         .join(residents, residents.c.zalo_user_id == cases.c.zalo_user_id)
         .where(cases.c.open_key.is_not(None),
                or_(residents.c.handoff_until.is_(None), residents.c.handoff_until <= now)))
    ended = (await conn.execute(q)).all()
    for row in ended:
        await close(conn, row.id, now, "bot", "timeout" if row.handoff_until is not None else "resident")
    return len(new), len(ended)


async def close(conn: AsyncConnection, case_id: int, now: datetime, by: str, reason: str) -> bool:
    q = (update(cases).where(cases.c.id == case_id, cases.c.open_key.is_not(None))
         .values(open_key=None, closed_at=now, closed_by=by, close_reason=reason))
    return bool((await conn.execute(q)).rowcount)


def _visible(q: Any, scope: Collection[str] | None) -> Any:
    return q if scope is None else q.where(cases.c.thon_slug.in_(list(scope)))


async def list_cases(conn: AsyncConnection, scope: Collection[str] | None, *, open_: bool, limit: int) -> list[Any]:
    q = (select(cases, households.c.name.label("household_name"))
         .select_from(cases.outerjoin(residents, residents.c.zalo_user_id == cases.c.zalo_user_id)
                      .outerjoin(households, households.c.resident_id == residents.c.id))
         .where(cases.c.open_key.is_not(None) if open_ else cases.c.open_key.is_(None)))
    order = cases.c.opened_at.asc() if open_ else cases.c.closed_at.desc()
    return list((await conn.execute(_visible(q, scope).order_by(order).limit(limit))).all())


async def waiting_counts(conn: AsyncConnection, scope: Collection[str] | None, me: str) -> dict[str, int]:
    """Open cases this member may see: assigned to them, unassigned, and in all."""
    q = _visible(select(cases.c.assigned_to, func.count()).where(cases.c.open_key.is_not(None))
                 .group_by(cases.c.assigned_to), scope)
    counts = {"mine": 0, "unassigned": 0, "all": 0}
    for who, n in (await conn.execute(q)).all():
        counts["all"] += n
        if who is None:
            counts["unassigned"] += n
        elif who == me:
            counts["mine"] += n
    return counts


async def get_case(conn: AsyncConnection, case_id: int) -> Any | None:
    q = (select(cases, residents.c.last_message_at, residents.c.handoff_until, residents.c.id.label("resident_id"),
                households.c.name.label("household_name"), households.c.phone)
         .select_from(cases.outerjoin(residents, residents.c.zalo_user_id == cases.c.zalo_user_id)
                      .outerjoin(households, households.c.resident_id == residents.c.id))
         .where(cases.c.id == case_id))
    return (await conn.execute(q)).first()


async def set_case(conn: AsyncConnection, case_id: int, **values: Any) -> None:
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))


async def end_pause(conn: AsyncConnection, zalo_user_id: str) -> None:
    await conn.execute(update(residents).where(residents.c.zalo_user_id == zalo_user_id).values(handoff_until=None))


async def add_note(conn: AsyncConnection, case_id: int, at: datetime, author: str, text: str) -> None:
    await conn.execute(notes.insert().values(case_id=case_id, at=at, author=author, text=text))


async def case_notes(conn: AsyncConnection, case_id: int) -> list[Any]:
    q = select(notes).where(notes.c.case_id == case_id).order_by(notes.c.id)
    return list((await conn.execute(q)).all())


async def conversation(conn: AsyncConnection, zalo_user_id: str, limit: int) -> tuple[list[Any], list[Any]]:
    """The resident's latest messages and the OA's latest messages to them (what retention kept)."""
    said = (select(inbox.c.id, inbox.c.received_at, inbox.c.family, inbox.c.body)
            .where(inbox.c.zalo_user_id == zalo_user_id, inbox.c.family.in_(("text", "payload", "attachment")))
            .order_by(inbox.c.id.desc()).limit(limit))
    sent = (select(outbox.c.id, outbox.c.created_at, outbox.c.sent_at, outbox.c.source, outbox.c.status,
                   outbox.c.replies, outbox.c.error)
            .where(outbox.c.zalo_user_id == zalo_user_id).order_by(outbox.c.id.desc()).limit(limit))
    return list((await conn.execute(said)).all()), list((await conn.execute(sent)).all())


async def active_staff(conn: AsyncConnection) -> list[Any]:
    """Console members who are not disabled: the choices for assigning a case."""
    q = select(users.c.name, users.c.roles, users.c.thon).where(users.c.disabled.is_(False)).order_by(users.c.name)
    return list((await conn.execute(q)).all())
