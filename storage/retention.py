"""What the retention purge deletes, and deleting it a bounded batch at a time.

One DELETE of a year's backlog held SQLite for most of a second, and SQLite statements run on the event
loop's thread (storage/sqlite_driver.py): for that long no webhook was answered. The purge instead
deletes at most `limit` matching rows per transaction, and its caller commits each batch before the
next, so other transactions get in between. These are plain deletes of rows nothing else needs: a purge
stopped half way loses nothing, and the next one goes on from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.engine import Connection

from storage.lookups.models import Dossier, IdCardResult, LookupAudit, LookupOptIn
from storage.models import InboxEvent, OutboxMessage, UnansweredMessage

BATCH = 1000  # rows per transaction: a few ms of SQLite's time
# Outbox rows about one resident's own conversation or records (replies; dossier and card notifications).
PERSONAL_SOURCES = ("reply", "notification")
FINISHED_STATUSES = ("sent", "failed", "unreachable")

optins = LookupOptIn.__table__


@dataclass(frozen=True, slots=True)
class Expiry:
    """Rows of `table` matching `where` are past their retention; so are the `dependents` rows that
    point at them: (table, column holding the id, extra condition)."""

    name: str
    table: Any
    where: ColumnElement[bool]
    dependents: tuple[tuple[Any, Any, ColumnElement[bool]], ...] = ()


def expiries(records_before: datetime, audit_before: datetime, conversations_before: datetime) -> list[Expiry]:
    """Everything the purge deletes, each named as the purge reports it."""
    inbox, outbox, unanswered = InboxEvent.__table__, OutboxMessage.__table__, UnansweredMessage.__table__
    dossiers, cards, audit = Dossier.__table__, IdCardResult.__table__, LookupAudit.__table__
    return [
        # A returned dossier or a collected card, with the residents' requests to hear of its changes.
        Expiry("dossier", dossiers, dossiers.c.finished_at < records_before,
               ((optins, optins.c.record_id, optins.c.kind == "dossier"),)),
        Expiry("id_card", cards, cards.c.finished_at < records_before,
               ((optins, optins.c.record_id, optins.c.kind == "id_card"),)),
        Expiry("audit", audit, audit.c.at < audit_before),
        # What residents wrote and what the bot answered or told them of their records; a message still
        # waiting is never deleted. (Broadcast rows go with their run, see archive_finished_runs.)
        Expiry("inbox", inbox, (inbox.c.status != "pending") & (inbox.c.received_at < conversations_before)),
        Expiry("replies", outbox, outbox.c.source.in_(PERSONAL_SOURCES) & outbox.c.status.in_(FINISHED_STATUSES)
               & (outbox.c.created_at < conversations_before)),
        Expiry("unanswered", unanswered, unanswered.c.created_at < conversations_before),
    ]


def delete_batch(conn: Connection, expiry: Expiry, limit: int) -> int:
    """Delete up to `limit` expired rows and their dependents; returns how many.

    No ORDER BY: sorting would make SQLite collect every expired reply (found through
    ix_outbox_source_status) for each batch; without it the scan
    stops at the limit, and the expired rows are the old ones it meets first."""
    table = expiry.table
    ids = list(conn.execute(select(table.c.id).where(expiry.where).limit(limit)).scalars())
    if not ids:
        return 0
    # The condition again: a row changed since the select (a record reopened by an import) stays, and
    # so do its dependents.
    deleted = list(conn.execute(delete(table).where(table.c.id.in_(ids), expiry.where).returning(table.c.id))
                   .scalars())
    for dependent, column, condition in expiry.dependents if deleted else ():
        conn.execute(delete(dependent).where(condition, column.in_(deleted)))
    return len(deleted)
