"""Works the inbox: in order per resident, concurrently across residents, safe across processes.

One pass claims residents with pending events and holds their rows locked (SKIP LOCKED on PostgreSQL)
while it runs their events through the dispatcher. The new conversation states, the outbox rows and
the inbox completions are written in the same transaction, so a crash anywhere leaves the events
pending and a restart processes them; nothing is half done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.background import PollingLoop
from bot.dispatcher import Dispatcher
from bot.metrics import Metrics
from bot.services import BoundServices, Services
from bot.zalo.events import EventError, ZaloEvent, parse_event
from flows.base import STATE_VERSION, Conversation, Incoming, Step
from flows.context import ResidentView, TurnContext
from flows.replies import Text, with_more
from handlers.middlewares import Turn
from storage import queues
from storage.engine import run_transaction
from storage.models import Priority
from storage.types import utcnow

log = logging.getLogger(__name__)

DISPATCHED_FAMILIES = frozenset({"text", "attachment", "follow", "unfollow", "submit_info"})


def to_incoming(event: ZaloEvent) -> Incoming:
    if event.family == "text":
        text = event.text or ""
        return Incoming("payload" if text.startswith("#") else "text", text)
    if event.family == "attachment":
        return Incoming("attachment", attachment_type=event.attachments[0].type if event.attachments else None)
    if event.family == "submit_info":
        return Incoming("submit_info", info=event.info or {})
    return Incoming(event.family)


def load_conversation(row: Any) -> Conversation | None:
    state = row.state or {}
    if row.state_version != STATE_VERSION or "flow" not in state:
        return None  # older state format: start over rather than misread it
    return Conversation(state["flow"], state["state"], dict(state.get("data") or {}))


class Worker(PollingLoop):
    def __init__(self, engine: AsyncEngine, dispatcher: Dispatcher, services: Services, metrics: Metrics, *,
                 batch_size: int, on_commit: Callable[[], None], clock: Callable[[], datetime] = utcnow,
                 marks: Callable[[], AbstractContextManager[Any]] = nullcontext) -> None:
        super().__init__()
        self._engine = engine
        self._dispatcher = dispatcher
        self._services = services
        self._metrics = metrics
        self._batch_size = batch_size
        self._on_commit = on_commit
        self._clock = clock
        self._marks = marks  # wraps each pass (residents-first signalling, bot/conversations_first.py)

    async def run_once(self) -> int:
        """One pass over some pending residents; returns the number of events finished."""
        with self._marks():
            return await self._pass()

    async def _pass(self) -> int:
        users = await run_transaction(self._engine, _pending_users, self._batch_size, self._clock())
        if not users:
            return 0
        try:
            done = await self._process(users, careful=False)
        except _RetryCarefully:
            done = await self._process(users, careful=True)
        if done:
            self._on_commit()
        return done

    def may_have_more(self, busy: int) -> bool:
        # A pass takes every pending event of up to batch_size residents (at most batch_size events);
        # finishing fewer means it took all there were, and new ones wake us up.
        return busy >= self._batch_size

    async def _process(self, users: list[str], careful: bool) -> int:
        async with self._engine.begin() as conn:
            residents, events = await conn.run_sync(_lock_residents_and_events, users, self._batch_size)
            if not residents:
                return 0
            services = self._services.bind(conn, self._clock)
            by_user: dict[str, list[Any]] = {}
            for ev in events:
                by_user.setdefault(ev.zalo_user_id, []).append(ev)
            saved: list[dict[str, Any]] = []
            outbox: list[dict[str, Any]] = []
            finished: list[dict[str, Any]] = []
            for user_id, user_events in by_user.items():
                saved.append(await self._run_resident(conn, services, residents[user_id], user_events,
                                                      outbox, finished, careful))
            await conn.run_sync(_save, outbox, saved, finished)
        now = self._clock()
        for ev in events:
            self._metrics.processing_latency.observe(max(0.0, (now - ev.received_at).total_seconds()))
        for row in finished:
            self._metrics.events_processed.inc(status=row["status"])
        return len(finished)

    async def _run_resident(self, conn: AsyncConnection, services: BoundServices, resident: Any, events: list[Any],
                            outbox: list[dict[str, Any]], finished: list[dict[str, Any]], careful: bool
                            ) -> dict[str, Any]:
        row = {
            "last_message_at": resident.last_message_at, "window_started_at": resident.window_started_at,
            "window_count": resident.window_count, "state_updated_at": resident.state_updated_at,
        }
        view = ResidentView(resident.zalo_user_id, resident.is_follower, resident.handoff_until, resident.language)
        conv = load_conversation(resident)
        for ev in events:
            now = self._clock()
            try:
                event = parse_event(ev.body.encode())
            except EventError as e:  # stored by an older version with different rules
                finished.append(_finish(ev.id, "failed", now, f"unparseable: {e}"))
                continue
            if event.family not in DISPATCHED_FAMILIES:
                finished.append(_finish(ev.id, "ignored", now, None))
                continue
            ctx = TurnContext(resident.zalo_user_id, now, services.texts, services, view, services.menu)
            turn = Turn(to_incoming(event), ctx, conv, row)
            try:
                if careful:
                    async with conn.begin_nested():
                        step = await self._dispatcher.dispatch(turn)
                else:
                    step = await self._dispatcher.dispatch(turn)
            except Exception as e:
                if not careful:
                    raise _RetryCarefully from e
                # The resident gets an apology, never a stack trace; the event is kept as failed.
                log.exception("flow failed for event %s", ev.id)
                step = Step([Text(ctx.text("error"))], next=conv)
                finished.append(_finish(ev.id, "failed", now, f"{type(e).__name__}"))
            else:
                finished.append(_finish(ev.id, "done", now, None))
            row["state_updated_at"] = now
            conv = step.next
            if step.replies:
                more = services.texts_for(view.language or "").texts.more_choices  # the language after the turn
                outbox.append({
                    "idempotency_key": f"in:{ev.id}", "zalo_user_id": resident.zalo_user_id,
                    "replies": [with_more(r, more).to_dict() for r in step.replies], "parts_sent": 0,
                    "priority": Priority.REPLY,
                    "source": "reply", "status": "pending", "attempts": 0, "next_attempt_at": now,
                    "created_at": now,
                })
        return {
            "b_id": resident.id, **row,
            "state": conv.to_dict() if conv is not None else {}, "state_version": STATE_VERSION,
            "handoff_until": view.handoff_until, "is_follower": view.is_follower, "language": view.language,
        }


def _pending_users(conn: Connection, limit: int, now: datetime) -> list[str]:
    """Residents with pending events (their rows created), committed before they are locked for work."""
    users = queues.pending_users(conn, limit)
    if users:
        queues.ensure_residents(conn, users, now)
    else:  # housekeeping on idle passes only (one statement less per busy pass): nobody waits on these
        queues.ignore_userless_events(conn, now)
    return users


def _lock_residents_and_events(conn: Connection, users: list[str], limit: int) -> tuple[dict[str, Any], list[Any]]:
    residents = {r.zalo_user_id: r for r in queues.lock_residents(conn, users)}
    return residents, queues.pending_events_for(conn, list(residents), limit) if residents else []


def _save(conn: Connection, outbox: list[dict[str, Any]], saved: list[dict[str, Any]],
          finished: list[dict[str, Any]]) -> None:
    queues.enqueue(conn, outbox)
    queues.save_residents(conn, saved)
    queues.finish_events(conn, finished)


class _RetryCarefully(Exception):
    """A flow raised in the fast path: redo the pass with a savepoint around every event."""


def _finish(event_id: int, status: str, now: datetime, error: str | None) -> dict[str, Any]:
    return {"b_id": event_id, "status": status, "processed_at": now, "error": error}
