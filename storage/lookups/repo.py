"""Repository for lookup records, opt-ins and the audit trail (SQLAlchemy Core, one connection).

Records are upserted by natural key (dossier code, receipt number): a row is inserted, updated when a
stored value differs, or left alone; status changes are returned so callers can notify opted-in residents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.lookups.models import FAILURES, FINISHED, FOUND, Dossier, IdCardResult, LookupAudit, LookupOptIn
from storage.models import InboxEvent, OutboxMessage
from storage.queues import insert_ignoring_duplicates
from storage.retention import FINISHED_STATUSES, PERSONAL_SOURCES

dossiers = Dossier.__table__
cards = IdCardResult.__table__
optins = LookupOptIn.__table__
audit = LookupAudit.__table__
inbox = InboxEvent.__table__
outbox = OutboxMessage.__table__

# kind → (table, natural key column)
TABLES: dict[str, tuple[Any, str]] = {"dossier": (dossiers, "code"), "id_card": (cards, "receipt_no")}
# Bookkeeping columns: not compared when deciding whether a row changed.
_META = ("source", "updated_at", "status_changed_at", "finished_at")


@dataclass(frozen=True, slots=True)
class StatusChange:
    record_id: int
    status: str
    changed_at: datetime


@dataclass(slots=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[StatusChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OptIn:
    id: int
    zalo_user_id: str
    record_id: int


class LookupStore:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # --- records -------------------------------------------------------------------------------------

    async def upsert(self, kind: str, rows: Sequence[dict[str, Any]], now: datetime) -> UpsertResult:
        """rows: the record's columns (natural key, values, hashes, source), one per key."""
        table, key = TABLES[kind]
        result = UpsertResult()
        if not rows:
            return result
        finished = FINISHED[kind]
        # Sorted by key, inserts and row locks are taken in one order: concurrent batches cannot deadlock.
        fresh = sorted(({**r, "updated_at": now, "status_changed_at": now,
                         "finished_at": now if r["status"] in finished else None} for r in rows), key=lambda r: r[key])
        # Insert first, so two writers racing on a new key cannot both insert it.
        stmt = insert_ignoring_duplicates(self.conn, table).returning(table.c[key])
        inserted = {r[0] for r in (await self.conn.execute(stmt, fresh)).all()}
        result.inserted = len(inserted)
        rest = {r[key]: r for r in rows if r[key] not in inserted}
        if not rest:
            return result
        q = select(table).where(table.c[key].in_(list(rest))).order_by(table.c[key])
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        for old in (await self.conn.execute(q)).mappings().all():
            new = rest[old[key]]
            diff = {c: v for c, v in new.items() if c not in _META and old[c] != v}
            if not diff:
                result.unchanged += 1
                continue
            values: dict[str, Any] = {**diff, "source": new["source"], "updated_at": now}
            if "status" in diff:
                values["status_changed_at"] = now
                values["finished_at"] = now if diff["status"] in finished else None
                result.changes.append(StatusChange(old["id"], diff["status"], now))
            await self.conn.execute(update(table).where(table.c.id == old["id"]).values(**values))
            result.updated += 1
        return result

    async def dossier(self, code: str) -> Any:
        return (await self.conn.execute(select(dossiers).where(dossiers.c.code == code))).first()

    async def card_by_receipt(self, receipt_no: str) -> Any:
        return (await self.conn.execute(select(cards).where(cards.c.receipt_no == receipt_no))).first()

    async def cards_by_id_hash(self, id_hash: str) -> list[Any]:
        q = select(cards).where(cards.c.id_hash == id_hash).order_by(cards.c.updated_at.desc(), cards.c.id.desc())
        return list((await self.conn.execute(q)).all())

    async def record(self, kind: str, record_id: int) -> Any:
        table, _ = TABLES[kind]
        return (await self.conn.execute(select(table).where(table.c.id == record_id))).first()

    # --- opt-ins -------------------------------------------------------------------------------------

    async def add_optin(self, zalo_user_id: str, kind: str, record_id: int, now: datetime) -> None:
        await self.conn.execute(insert_ignoring_duplicates(self.conn, optins).values(
            zalo_user_id=zalo_user_id, kind=kind, record_id=record_id, created_at=now))

    async def remove_optin(self, zalo_user_id: str, kind: str, record_id: int) -> int:
        result = await self.conn.execute(delete(optins).where(
            optins.c.zalo_user_id == zalo_user_id, optins.c.kind == kind, optins.c.record_id == record_id))
        return result.rowcount or 0

    async def optins_for(self, kind: str, record_ids: Sequence[int]) -> list[OptIn]:
        if not record_ids:
            return []
        q = (select(optins.c.id, optins.c.zalo_user_id, optins.c.record_id)
             .where(optins.c.kind == kind, optins.c.record_id.in_(list(record_ids))).order_by(optins.c.id))
        return [OptIn(*r) for r in (await self.conn.execute(q)).all()]

    # --- audit ---------------------------------------------------------------------------------------

    async def audit(self, *, zalo_user_id: str | None, user_ref: str, kind: str, outcome: str, at: datetime,
                    key_hash: str | None = None, record_id: int | None = None) -> None:
        await self.conn.execute(audit.insert().values(
            at=at, zalo_user_id=zalo_user_id, user_ref=user_ref, kind=kind, key_hash=key_hash,
            outcome=outcome, record_id=record_id))

    async def failures_since(self, user_ref: str, since: datetime) -> int:
        q = select(func.count()).select_from(audit).where(
            audit.c.user_ref == user_ref, audit.c.at >= since, audit.c.outcome.in_(FAILURES))
        return (await self.conn.execute(q)).scalar_one()

    async def verified_since(self, zalo_user_id: str, kind: str, record_id: int, since: datetime) -> bool:
        """Whether the resident passed verification for this record recently (opt-ins require it)."""
        q = select(exists().where(
            audit.c.zalo_user_id == zalo_user_id, audit.c.kind == kind, audit.c.record_id == record_id,
            audit.c.outcome == FOUND, audit.c.at >= since))
        return bool((await self.conn.execute(q)).scalar_one())

    # --- retention and erasure -----------------------------------------------------------------------

    async def erase_resident(self, zalo_user_id: str) -> dict[str, int]:
        """A resident's "delete my data": opt-ins, the messages they sent, and the bot's finished answers and
        notifications to them are deleted; audit rows lose the Zalo user id and keep only the keyed user
        reference the law's processing log needs."""
        counts = {
            "optins": (await self.conn.execute(
                delete(optins).where(optins.c.zalo_user_id == zalo_user_id))).rowcount or 0,
            "audit": (await self.conn.execute(
                update(audit).where(audit.c.zalo_user_id == zalo_user_id).values(zalo_user_id=None))).rowcount or 0,
            # Processed events only: the one being answered now is still pending in this transaction.
            "messages": (await self.conn.execute(delete(inbox).where(
                inbox.c.zalo_user_id == zalo_user_id, inbox.c.status != "pending"))).rowcount or 0,
            # What the bot sent them (answers, notifications of their records), once delivered or given up.
            "replies": (await self.conn.execute(delete(outbox).where(
                outbox.c.zalo_user_id == zalo_user_id, outbox.c.source.in_(PERSONAL_SOURCES),
                outbox.c.status.in_(FINISHED_STATUSES)))).rowcount or 0,
        }
        return counts


async def last_import_times(conn: AsyncConnection) -> dict[str, datetime | None]:
    """When dossier and căn cước records were last written (by an import or the API)."""
    return {"dossiers": (await conn.execute(select(func.max(dossiers.c.updated_at)))).scalar_one(),
            "id_cards": (await conn.execute(select(func.max(cards.c.updated_at)))).scalar_one()}
