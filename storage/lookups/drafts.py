"""Import drafts: a file read and checked in the console, waiting to be committed or discarded. The rows
are the records as they will be stored (personal values already hashed), so any process can commit them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class ImportDraft(Base):
    __tablename__ = "import_drafts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # dossier | id_card
    filename: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # draft | committed | discarded
    rows: Mapped[str] = mapped_column(Text)  # JSON lines, one row each, written and read off the event loop;
    # emptied once committed or discarded
    preview: Mapped[dict[str, Any]]  # mapping, counts, problems, masked samples
    result: Mapped[dict[str, Any] | None]  # what the commit did
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]


drafts = ImportDraft.__table__


async def add(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return int((await conn.execute(drafts.insert().values(**values).returning(drafts.c.id))).scalar_one())


async def get(conn: AsyncConnection, draft_id: int) -> Any | None:
    return (await conn.execute(select(drafts).where(drafts.c.id == draft_id))).first()


async def latest(conn: AsyncConnection, limit: int) -> list[Any]:
    q = (select(drafts.c.id, drafts.c.kind, drafts.c.filename, drafts.c.created_by, drafts.c.created_at,
                drafts.c.status, drafts.c.decided_at).order_by(drafts.c.id.desc()).limit(limit))
    return list((await conn.execute(q)).all())


async def decide(conn: AsyncConnection, draft_id: int, status: str, by: str, at: datetime,
                 result: dict[str, Any] | None = None) -> str | None:
    """Move a draft out of "draft" once (the rows it held, or None when another request was first)."""
    q = (update(drafts).where(drafts.c.id == draft_id, drafts.c.status == "draft")
         .values(status=status, decided_by=by, decided_at=at, rows="", result=result).returning(drafts.c.id))
    row = await get(conn, draft_id)
    if row is None or (await conn.execute(q)).first() is None:
        return None
    return str(row.rows)


async def set_result(conn: AsyncConnection, draft_id: int, result: dict[str, Any]) -> None:
    await conn.execute(update(drafts).where(drafts.c.id == draft_id).values(result=result))
