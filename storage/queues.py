"""Inbox and outbox repositories: batched inserts, claims and completions in SQLAlchemy Core.

Claims lock rows with FOR UPDATE SKIP LOCKED on PostgreSQL so several processes share the work;
on SQLite a single process works the queues and BEGIN IMMEDIATE serialises writers.

The functions take a synchronous Connection: callers run them with `run_transaction` (storage/engine.py
says why) or, inside an async transaction, with `conn.run_sync`. The statements on a message's way
through are built once (per dialect and shape) with bound parameters, not per call: building a claim and
computing its cache keys cost more CPU than running it. Statements are immutable, so a cached one is safe
to share and to extend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, exists, func, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import ColumnClause

from storage.models import InboxEvent, OutboxMessage, Resident

inbox = InboxEvent.__table__
outbox = OutboxMessage.__table__
# Written as literals, not bound parameters, so the planner can see the condition matches the WHERE of
# the partial index ix_outbox_user_open. With `status IN (?, ?)` SQLite could not use it and scanned every
# open message for each candidate, a claim then growing with the queue.
_OPEN_STATUSES: tuple[ColumnClause[Any], ...] = (literal_column("'pending'"), literal_column("'sending'"))
residents = Resident.__table__


def insert_ignoring_duplicates(conn: AsyncConnection | Connection, table: Any) -> Any:
    return _insert_ignoring(conn.dialect.name, table)


@cache
def _insert_ignoring(dialect_name: str, table: Any) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def _locking(dialect_name: str, stmt: Any) -> Any:
    return stmt.with_for_update(skip_locked=True) if dialect_name == "postgresql" else stmt


def _limit() -> Any:
    return bindparam("limit", type_=Integer)


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True)


# --- inbox -------------------------------------------------------------------------------------------

def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert events, skipping known event keys; returns the keys that were new."""
    result = conn.execute(_insert_events(conn.dialect.name), list(rows))
    return {r[0] for r in result.all()}


@cache
def _insert_events(dialect_name: str) -> Any:
    return _insert_ignoring(dialect_name, inbox).returning(inbox.c.event_key)


def pending_users(conn: Connection, limit: int) -> list[str]:
    return [r[0] for r in conn.execute(_pending_users(), {"limit": limit}).all()]


@cache
def _pending_users() -> Any:
    return (
        select(inbox.c.zalo_user_id)
        .where(inbox.c.status == "pending", inbox.c.zalo_user_id.is_not(None))
        .group_by(inbox.c.zalo_user_id)
        .order_by(func.min(inbox.c.id))
        .limit(_limit())
    )


def ignore_userless_events(conn: Connection, now: datetime) -> int:
    result = conn.execute(
        update(inbox)
        .where(inbox.c.status == "pending", inbox.c.zalo_user_id.is_(None))
        .values(status="ignored", processed_at=now)
    )
    return result.rowcount or 0


def ensure_residents(conn: Connection, user_ids: Sequence[str], now: datetime) -> None:
    stmt = insert_ignoring_duplicates(conn, residents)
    conn.execute(stmt, [{"zalo_user_id": u, "created_at": now, "is_follower": False, "state": {},
                         "state_version": 1, "window_count": 0} for u in user_ids])


def mark_followers(conn: Connection, user_ids: Sequence[str], now: datetime) -> int:
    """Residents Zalo lists as the OA's followers (those who followed before the bot saw a follow event):
    their rows created, and marked as followers. Returns how many were not marked before."""
    if not user_ids:
        return 0
    ensure_residents(conn, user_ids, now)
    return conn.execute(update(residents).where(residents.c.zalo_user_id.in_(list(user_ids)),
                                                residents.c.is_follower.is_(False))
                        .values(is_follower=True)).rowcount or 0


def lock_residents(conn: Connection, user_ids: Sequence[str]) -> list[Any]:
    """Lock the residents' rows (skipping ones another worker holds) and return them."""
    return list(conn.execute(_lock_residents(conn.dialect.name), {"users": list(user_ids)}).all())


@cache
def _lock_residents(dialect_name: str) -> Any:
    q = select(residents).where(residents.c.zalo_user_id.in_(_ids("users"))).order_by(residents.c.id)
    return _locking(dialect_name, q)


def pending_events_for(conn: Connection, user_ids: Sequence[str], limit: int) -> list[Any]:
    return list(conn.execute(_pending_events_for(), {"users": list(user_ids), "limit": limit}).all())


@cache
def _pending_events_for() -> Any:
    return (
        select(inbox.c.id, inbox.c.zalo_user_id, inbox.c.body, inbox.c.family, inbox.c.received_at)
        .where(inbox.c.status == "pending", inbox.c.zalo_user_id.in_(_ids("users")))
        .order_by(inbox.c.id)
        .limit(_limit())
    )


def finish_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """rows: {"b_id", "status", "processed_at", "error"}."""
    if rows:
        conn.execute(_finish_events(), list(rows))


@cache
def _finish_events() -> Any:
    return (update(inbox).where(inbox.c.id == bindparam("b_id"))
            .values(status=bindparam("status"), processed_at=bindparam("processed_at"),
                    error=bindparam("error")))


def save_residents(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_save_residents(tuple(k for k in rows[0] if k != "b_id")), list(rows))


@cache
def _save_residents(columns: tuple[str, ...]) -> Any:
    return update(residents).where(residents.c.id == bindparam("b_id")).values(
        **{k: bindparam(k) for k in columns})


def queue_depths(conn: Connection) -> dict[str, int]:
    inbox_pending = conn.execute(
        select(func.count()).select_from(inbox).where(inbox.c.status == "pending")).scalar_one()
    outbox_rows = conn.execute(
        select(outbox.c.status, func.count()).group_by(outbox.c.status)
        .where(outbox.c.status.in_(("pending", "sending")))).all()
    depths = {"inbox_pending": inbox_pending, "outbox_pending": 0, "outbox_sending": 0}
    for status, count in outbox_rows:
        depths[f"outbox_{status}"] = count
    return depths


# --- outbox ------------------------------------------------------------------------------------------

def enqueue(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert_ignoring_duplicates(conn, outbox), list(rows))


def claim_outbox(conn: Connection, now: datetime, lease: timedelta, limit: int, *,
                 include_expired: bool = True, min_priority: int | None = None,
                 max_priority: int | None = None) -> list[Any]:
    """Claim due messages, at most one per resident and only a resident's oldest unsent one, so a
    resident's messages go out in order even with several senders. A more urgent message (lower
    priority) is not held back by less urgent ones: an urgent announcement overtakes a routine one
    waiting out its back-off.

    With a priority window (a sender lane, e.g. replies vs broadcasts) only rows in the window are claimed
    and only rows in the window hold a resident's later ones back: a reply never waits for a broadcast.
    `include_expired`: also take back messages whose sender died holding them (their lease ended)."""
    dialect = conn.dialect.name
    lane = (min_priority is not None, max_priority is not None)
    params = {"now": now, "lease_until": now + lease, "low": min_priority, "high": max_priority}
    # Each walk claims in one statement (UPDATE … WHERE id IN (the walk) RETURNING). A dead sender's claims
    # go first (rare, and older than anything due now), then due messages, `limit` in all.
    claimed: list[Any] = []
    for expired in (True, False) if include_expired else (False,):
        if len(claimed) < limit:
            claimed += conn.execute(_claim(dialect, expired, *lane), {**params, "limit": limit - len(claimed)}).all()
    return sorted(claimed, key=lambda r: (r.priority, r.id))


@cache
def _claim(dialect_name: str, expired: bool, low: bool, high: bool) -> Any:
    """Claim the rows of one walk of ix_outbox_claim in (priority, id) order, stopping after `limit`
    rows, rather than one OR that makes the database sort every due row first (a broadcast queues
    100,000): pending and due, or (`expired`) sending with their lease ended."""
    def in_lane(table: Any) -> list[Any]:
        return ([table.c.priority >= bindparam("low")] if low else []) + \
            ([table.c.priority <= bindparam("high")] if high else [])

    # Held back by another open message of the resident: an older one at least as urgent (lower number) or
    # being sent, or a newer, more urgent one (it goes first). One message per resident at a time.
    # Two EXISTS, each a range of ix_outbox_user_open: one OR across both made SQLite scan every open
    # message in the lane for each candidate instead.
    older, newer = outbox.alias("older"), outbox.alias("newer")
    blocked = or_(
        exists().where(older.c.zalo_user_id == outbox.c.zalo_user_id, older.c.status.in_(_OPEN_STATUSES),
                       older.c.id < outbox.c.id, *in_lane(older),
                       or_(older.c.priority <= outbox.c.priority, older.c.status == literal_column("'sending'"))),
        exists().where(newer.c.zalo_user_id == outbox.c.zalo_user_id, newer.c.status.in_(_OPEN_STATUSES),
                       newer.c.id > outbox.c.id, *in_lane(newer), newer.c.priority < outbox.c.priority),
    )
    now = bindparam("now", type_=outbox.c.next_attempt_at.type)
    due = ((outbox.c.status == "sending", outbox.c.lease_until < now) if expired
           else (outbox.c.status == "pending", outbox.c.next_attempt_at <= now))
    walk = (select(outbox.c.id).where(*due, ~blocked, *in_lane(outbox))
            .order_by(outbox.c.priority, outbox.c.id).limit(_limit()))
    return (update(outbox).where(outbox.c.id.in_(_locking(dialect_name, walk)))
            .values(status="sending", lease_until=bindparam("lease_until"), attempts=outbox.c.attempts + 1,
                    claimed_at=now, in_doubt_since=_in_doubt_since())
            .returning(outbox))


def _in_doubt_since() -> Any:
    """A row still "sending" when claimed again was held by a sender that died: Zalo may have the message.
    The doubt dates from the earliest unresolved claim (SET expressions read the row's old values)."""
    return case((outbox.c.status == "sending", func.coalesce(outbox.c.in_doubt_since, outbox.c.claimed_at)),
                else_=outbox.c.in_doubt_since)


def release_claims(conn: Connection) -> int:
    """Give back every claimed message (at start-up of the only process on SQLite: its claimers are gone),
    marked in doubt so the next sender checks with Zalo before sending again."""
    result = conn.execute(update(outbox).where(outbox.c.status == "sending")
                          .values(status="pending", lease_until=None, in_doubt_since=_in_doubt_since()))
    return result.rowcount or 0


def finish_outbox(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """rows: {"b_id", "b_claimed_at", "status", "parts_sent", "next_attempt_at", "error_code", "error",
    "sent_at", "zalo_msg_id", "in_doubt_since", "attempts"}; the lease is cleared.

    An outcome is recorded only while its claim stands (the row is still "sending" under the same
    `claimed_at`): a sender that outlived its lease, whose messages another sender took back, must not
    overwrite the newer outcome."""
    if rows:
        conn.execute(_finish_outbox(), list(rows))


@cache
def _finish_outbox() -> Any:
    claimed_at = bindparam("b_claimed_at", type_=outbox.c.claimed_at.type)
    return update(outbox).where(
        outbox.c.id == bindparam("b_id"), outbox.c.status == "sending", outbox.c.claimed_at == claimed_at,
    ).values(
        status=bindparam("status"), parts_sent=bindparam("parts_sent"),
        next_attempt_at=bindparam("next_attempt_at"), error_code=bindparam("error_code"),
        error=bindparam("error"), sent_at=bindparam("sent_at"), zalo_msg_id=bindparam("zalo_msg_id"),
        in_doubt_since=bindparam("in_doubt_since"), attempts=bindparam("attempts"), lease_until=None,
    )
