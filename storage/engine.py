"""Engine and session setup for the two supported engines.

SQLite (embedded default) runs in WAL mode with foreign keys, and every transaction starts with BEGIN
IMMEDIATE: one process writes at a time, so taking the write lock up front avoids the "database is
locked" upgrade failures of deferred transactions. A lock held by another process is waited for in the
event loop (storage/sqlite_driver.py). PostgreSQL is the multi-process engine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from storage.sqlite_driver import inline_dbapi

P = ParamSpec("P")
T = TypeVar("T")


async def run_transaction(engine: AsyncEngine, work: Callable[Concatenate[Connection, P], T],
                          *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(conn, *args, **kwargs)` in one transaction, on SQLAlchemy's synchronous API, in one greenlet.

    The async API spends a greenlet on every call (connect, begin, each statement, commit, close), which
    doubled a short transaction's CPU (README, "Figures behind the code"). The driver's I/O still yields
    to the event loop; `work` itself must not block."""
    return await greenlet_spawn(partial(_in_transaction, engine.sync_engine, False, work, *args, **kwargs))


async def run_durable_transaction(engine: AsyncEngine, work: Callable[Concatenate[Connection, P], T],
                                  *args: P.args, **kwargs: P.kwargs) -> T:
    """run_transaction for what must survive a power cut once committed (what Zalo got a 200 for: it
    does not send that event again). SQLite then syncs its WAL at this commit (one fsync); PostgreSQL
    commits are durable anyway."""
    return await greenlet_spawn(partial(_in_transaction, engine.sync_engine, True, work, *args, **kwargs))


def _in_transaction(engine: Engine, durable: bool, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with engine.begin() as conn:
        if durable and conn.dialect.name == "sqlite":
            conn.connection.dbapi_connection.make_durable()  # type: ignore[union-attr]
        return work(conn, *args, **kwargs)


def is_sqlite(engine_or_url: AsyncEngine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # JSON columns (conversation states, replies) are written and read on every event: orjson does that
    # in a fifth of the standard library's time, and stores Vietnamese as UTF-8 rather than \u escapes.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if not is_sqlite(url):
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        return create_async_engine(url, **kwargs)

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Every transaction takes the write lock (BEGIN IMMEDIATE), so a second connection in this
        # process could only wait for it inside SQLite's busy handler, which sleeps in growing steps and
        # is unfair: under load the inbox writer starved behind the worker (slow acks, 503s). One pooled
        # connection makes them queue in the event loop instead,
        # first come first served, handed over the moment a transaction ends.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 10)  # like busy_timeout: a stuck transaction fails, not hangs
    # The pool's rollback-on-return would be one more call per transaction, and it is redundant here: a
    # connection always goes back through Connection.close(), which rolls back a transaction still open,
    # and `engine.begin()` has committed or rolled back already.
    kwargs.setdefault("pool_reset_on_return", None)
    kwargs.setdefault("module", inline_dbapi())
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # BEGIN IMMEDIATE goes with the first statement (a transaction without statements begins nothing),
        # and waiting for another process's lock there is that statement's (sqlite_driver.py).
        conn.connection.dbapi_connection.begin_with_next_statement()

    return engine
