"""Storing validated records (from an import or the push API) and telling opted-in residents about
status changes, in one transaction: the outbox rows commit with the change or not at all.

Notification keys name the record, the new status, when it changed and the opt-in, so a retry or a
re-import never sends one twice; the sender marks residents outside Zalo's window as unreachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.lookups.validate import DossierIn, IdCardIn
from bot.services import Services
from flows.lookups.answers import TextFn, notification, office_hours
from storage import queues
from storage.lookups.repo import LookupStore, StatusChange
from storage.models import Priority, Resident


@dataclass(frozen=True, slots=True)
class SyncReport:
    inserted: int
    updated: int
    unchanged: int
    notified: int

    def to_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
                "notified": self.notified}


async def store_records(conn: AsyncConnection, kind: str, records: Sequence[DossierIn | IdCardIn],
                        services: Services, source: str, now: datetime) -> SyncReport:
    hasher = services.hasher
    if hasher is None:
        raise RuntimeError("privacy.hash_key is not configured")
    return await store_rows(conn, kind, [r.to_row(hasher, source[:100]) for r in records], services, now)


async def store_rows(conn: AsyncConnection, kind: str, rows: Sequence[dict[str, Any]], services: Services,
                     now: datetime) -> SyncReport:
    """Rows as `to_row` makes them (hashed): what a console import draft holds until it is committed."""
    store = LookupStore(conn)
    result = await store.upsert(kind, rows, now)
    notified = await _notify(conn, store, kind, result.changes, services, now)
    return SyncReport(result.inserted, result.updated, result.unchanged, notified)


async def _notify(conn: AsyncConnection, store: LookupStore, kind: str, changes: list[StatusChange],
                  services: Services, now: datetime) -> int:
    by_record = {c.record_id: c for c in changes}
    optins = await store.optins_for(kind, list(by_record))
    if not optins:
        return 0

    users = sorted({o.zalo_user_id for o in optins})
    language = dict((await conn.execute(
        select(Resident.zalo_user_id, Resident.language).where(Resident.zalo_user_id.in_(users)))).tuples().all())

    def texts_in(lang: str) -> TextFn:
        texts = services.texts_for(lang).texts

        def text(key: str, **values: str) -> str:
            return texts.get(key, **{**services.text_defaults_for(lang), **values})
        return text

    by_language = {lang: texts_in(lang) for lang in {language.get(u) or "vi" for u in users}}
    hours = {lang: office_hours(fn, services.commune.office_hours, lang) for lang, fn in by_language.items()}
    rows: list[dict[str, Any]] = []
    records = {rid: await store.record(kind, rid) for rid in {o.record_id for o in optins}}
    for optin in optins:
        change, record = by_record[optin.record_id], records[optin.record_id]
        lang = language.get(optin.zalo_user_id) or "vi"
        text = by_language[lang]
        stamp = int(change.changed_at.timestamp())
        rows.append({
            "idempotency_key": f"notify:{kind}:{record.id}:{change.status}:{stamp}:{optin.id}",
            "zalo_user_id": optin.zalo_user_id, "replies": [notification(text, kind, record, hours[lang]).to_dict()],
            "parts_sent": 0, "priority": Priority.NOTIFICATION, "source": "notification", "status": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now,
        })
    await conn.run_sync(queues.enqueue, rows)
    return len(rows)
