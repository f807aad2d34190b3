"""Queries for the versioned flow configuration: seed, read the active set, drafts, publish, roll back.

Rules the editor relies on: one open draft (or pending) version per kind; publishing a draft requires that
it was made from the version active now (else the admin rebases); roll back publishes a copy of an old
version, so history only grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import FlowActive, FlowVersion

versions = FlowVersion.__table__
active = FlowActive.__table__
OPEN = ("draft", "pending")


class StaleDraft(Exception):
    """Drafts made from a version that is no longer active; `kinds` names them."""

    def __init__(self, kinds: list[str]) -> None:
        super().__init__(", ".join(kinds))
        self.kinds = kinds


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def seed(conn: AsyncConnection, files: Mapping[str, str], now: datetime, author: str = "seed") -> list[str]:
    """Version 1 of every kind the database does not have yet, published; returns the kinds seeded. Safe
    when several processes start at once (the loser's insert conflicts and is skipped)."""
    known = set((await conn.execute(select(active.c.kind))).scalars())
    seeded = []
    for kind, content in files.items():
        if kind in known:
            continue
        try:
            async with conn.begin_nested():
                await conn.execute(versions.insert().values(
                    kind=kind, number=1, content=content, hash=_hash(content), base_number=None, author=author,
                    comment="cấu hình đi kèm phần mềm", status="published", created_at=now, updated_at=now,
                    published_by=author, published_at=now))
                await conn.execute(active.insert().values(kind=kind, number=1, published_at=now))
            seeded.append(kind)
        except IntegrityError:
            continue
    return seeded


async def active_stamp(conn: AsyncConnection) -> tuple[tuple[str, int], ...]:
    """Which version of each kind is active: what processes poll to notice a publish."""
    rows = await conn.execute(select(active.c.kind, active.c.number).order_by(active.c.kind))
    return tuple((str(k), int(n)) for k, n in rows)


async def active_contents(conn: AsyncConnection) -> dict[str, str]:
    q = (select(versions.c.kind, versions.c.content)
         .join(active, (active.c.kind == versions.c.kind) & (active.c.number == versions.c.number)))
    return {str(k): str(c) for k, c in await conn.execute(q)}


async def active_authors(conn: AsyncConnection) -> dict[str, str]:
    """Who published the active version of each kind."""
    q = (select(versions.c.kind, versions.c.author)
         .join(active, (active.c.kind == versions.c.kind) & (active.c.number == versions.c.number)))
    return {str(k): str(a) for k, a in await conn.execute(q)}


async def open_drafts(conn: AsyncConnection) -> list[Any]:
    q = select(versions).where(versions.c.status.in_(OPEN)).order_by(versions.c.kind)
    return list((await conn.execute(q)).all())


async def version(conn: AsyncConnection, kind: str, number: int) -> Any | None:
    q = select(versions).where(versions.c.kind == kind, versions.c.number == number)
    return (await conn.execute(q)).first()


async def history(conn: AsyncConnection, kind: str | None = None, limit: int = 100) -> list[Any]:
    q = select(versions).where(versions.c.status == "published")
    if kind is not None:
        q = q.where(versions.c.kind == kind)
    q = q.order_by(versions.c.published_at.desc(), versions.c.id.desc()).limit(limit)
    return list((await conn.execute(q)).all())


async def active_numbers(conn: AsyncConnection) -> dict[str, int]:
    return dict(await active_stamp(conn))


async def _next_number(conn: AsyncConnection, kind: str) -> int:
    highest = (await conn.execute(select(func.max(versions.c.number)).where(versions.c.kind == kind))).scalar()
    return int(highest or 0) + 1


async def save_draft(conn: AsyncConnection, kind: str, content: str, author: str, now: datetime,
                     comment: str = "", base_number: int | None = None) -> int:
    """Create or update the kind's open draft; returns its number. A new draft is based on the active
    version unless `base_number` says otherwise (an import made from an older export)."""
    open_ = (await conn.execute(select(versions.c.number).where(versions.c.kind == kind,
                                                                 versions.c.status.in_(OPEN)))).scalar()
    if open_ is not None:
        await conn.execute(update(versions).where(versions.c.kind == kind, versions.c.number == open_).values(
            content=content, hash=_hash(content), author=author, comment=comment or versions.c.comment,
            status="draft", requested_by=None, updated_at=now))
        return int(open_)
    if base_number is None:
        base_number = (await active_numbers(conn)).get(kind)
    number = await _next_number(conn, kind)
    await conn.execute(versions.insert().values(
        kind=kind, number=number, content=content, hash=_hash(content), base_number=base_number, author=author,
        comment=comment, status="draft", created_at=now, updated_at=now))
    return number


async def rebase(conn: AsyncConnection, kind: str, now: datetime) -> None:
    """Mark the kind's draft as made from the version active now (the admin has seen the difference)."""
    base = (await active_numbers(conn)).get(kind)
    await conn.execute(update(versions).where(versions.c.kind == kind, versions.c.status.in_(OPEN))
                       .values(base_number=base, updated_at=now))


async def set_pending(conn: AsyncConnection, kinds: list[str], requested_by: str | None, now: datetime) -> None:
    status = "draft" if requested_by is None else "pending"
    await conn.execute(update(versions).where(versions.c.kind.in_(kinds), versions.c.status.in_(OPEN))
                       .values(status=status, requested_by=requested_by, updated_at=now))


async def discard(conn: AsyncConnection, kind: str, now: datetime) -> None:
    await conn.execute(update(versions).where(versions.c.kind == kind, versions.c.status.in_(OPEN))
                       .values(status="discarded", updated_at=now))


async def publish_drafts(conn: AsyncConnection, kinds: list[str], by: str, now: datetime) -> dict[str, int]:
    """Publish these kinds' open drafts together; raises StaleDraft when one was made from a version no
    longer active. Returns kind → number published."""
    current = await active_numbers(conn)
    drafts = [d for d in await open_drafts(conn) if d.kind in kinds]
    stale = [d.kind for d in drafts if d.base_number != current.get(d.kind)]
    if stale:
        raise StaleDraft(stale)
    for d in drafts:
        await _activate(conn, d.kind, d.number, by, now)
    return {d.kind: d.number for d in drafts}


async def publish_copy(conn: AsyncConnection, kind: str, content: str, by: str, now: datetime, comment: str) -> int:
    """A new version with this content, published at once (roll back, confirm a figure)."""
    number = await _next_number(conn, kind)
    await conn.execute(versions.insert().values(
        kind=kind, number=number, content=content, hash=_hash(content),
        base_number=(await active_numbers(conn)).get(kind), author=by, comment=comment, status="published",
        created_at=now, updated_at=now))
    await _activate(conn, kind, number, by, now)
    return number


async def _activate(conn: AsyncConnection, kind: str, number: int, by: str, now: datetime) -> None:
    await conn.execute(update(versions).where(versions.c.kind == kind, versions.c.number == number)
                       .values(status="published", published_by=by, published_at=now, updated_at=now))
    done = await conn.execute(update(active).where(active.c.kind == kind).values(number=number, published_at=now))
    if not done.rowcount:
        await conn.execute(active.insert().values(kind=kind, number=number, published_at=now))
