"""aiosqlite, as SQLAlchemy drives it, with statements, COMMIT and ROLLBACK run on the event loop's thread.

SQLAlchemy's adapter hands every step (open a cursor, execute, fetch, close, commit) to aiosqlite's
thread, and the event loop is woken on the way back. On a small VM a hand-off costs several times the
statement (a thread that sleeps and is woken is a VM exit). Run inline, a statement costs only itself,
and the event loop is blocked no longer than SQLite works; the service's statements are short and the
one connection serialises them anyway.

A lock held by another process (a CLI import, `db upgrade`) must not block the event loop, so SQLite's
busy handler is off (busy_timeout 0) and a statement refused with SQLITE_BUSY is retried here, after an
asyncio sleep, for up to BUSY_TIMEOUT. Every transaction begins with BEGIN IMMEDIATE, sent with its first
statement, so that is where the wait happens, before anything was done. aiosqlite's thread still opens
and closes the connection; server-side cursors (not used with SQLite here) still go through it too.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_

BEGIN = "BEGIN IMMEDIATE"  # every transaction takes the write lock up front (storage/engine.py says why)
DURABLE, NOT_DURABLE = "PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"  # see make_durable
BUSY_TIMEOUT = 10.0  # seconds a statement waits for another process's lock before it fails
_BUSY_CODES = (sqlite3.SQLITE_BUSY, 261)  # 261: SQLITE_BUSY_RECOVERY (another connection recovers the WAL)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _BUSY_CODES


def _run(conn: sqlite3.Connection, begin: bool, durable: bool, many: bool, operation: str, parameters: Any
         ) -> tuple[Any, list[Any], int, Any]:
    """The whole statement (after BEGIN IMMEDIATE, for a transaction's first), returning what the cursor
    would have been asked."""
    if begin and not conn.in_transaction:  # a retry after SQLITE_BUSY may find the BEGIN done
        if durable:  # only settable outside a transaction
            conn.execute(DURABLE)
        conn.execute(BEGIN)
    cur = conn.cursor()
    try:
        if many:
            cur.executemany(operation, parameters)
        elif parameters is None:
            cur.execute(operation)
        else:
            cur.execute(operation, parameters)
        description = cur.description
        return description, cur.fetchall() if description else [], cur.rowcount, cur.lastrowid
    finally:
        cur.close()


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no aiosqlite cursor: nothing to open or close
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: Any = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return None  # the statement's cursor was closed already

    async def _statement(self, many: bool, operation: Any, parameters: Any) -> None:
        adapted = cast("InlineConnection", self._adapt_connection)
        conn = self._connection._conn
        async with adapted._execute_mutex:
            begin, adapted._begin_with_next = adapted._begin_with_next, False
            deadline, pause = time.monotonic() + BUSY_TIMEOUT, 0.001
            while True:
                try:
                    self._description, rows, self._rowcount, self._lastrowid = _run(
                        conn, begin, adapted._durable, many, operation, parameters)
                    break
                except sqlite3.OperationalError as e:
                    # SQLite guarantees a statement refused with BUSY did nothing and may be run again.
                    if not _is_busy(e) or time.monotonic() + pause > deadline:
                        raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._statement(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._statement(True, operation, seq_of_parameters)


class InlineConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin_with_next", "_durable")
    _cursor_cls = InlineCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin_with_next = False
        self._durable = False

    def begin_with_next_statement(self) -> None:
        """Start a transaction (BEGIN IMMEDIATE) with the next statement, not on its own."""
        self._begin_with_next = True

    def make_durable(self) -> None:
        """The transaction about to begin commits with synchronous=FULL: the WAL is synced, so the commit
        survives an OS crash or a power cut. The others keep synchronous=NORMAL (a process crash loses
        nothing; an OS crash may lose the last commits), which costs no fsync per commit."""
        self._durable = True

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self._begin_with_next:  # a streamed query (aiosqlite's own cursor) begins too
            self._begin_with_next = False
            await_(self._connection.execute(BEGIN))
        return super().cursor(server_side)

    def commit(self) -> None:
        self._begin_with_next = False  # a transaction without statements: nothing was begun
        if not self._durable:
            self._inline(sqlite3.Connection.commit)
            return
        # A synced commit waits for the disk (quick, but a busy disk can take far longer): on aiosqlite's
        # thread, so the event loop goes on serving requests that need no database meanwhile.
        committing = asyncio.ensure_future(self._connection.commit())
        try:
            await_(asyncio.shield(committing))
        except asyncio.CancelledError:
            await_(committing)  # the COMMIT is under way on the thread: nothing may use the connection first
            raise
        except Exception as error:
            self._handle_exception(error)
        finally:
            conn = self._connection._connection
            if conn is not None and not conn.in_transaction:  # else the rollback to come resets it
                self._durable = False
                _not_durable(conn)

    def rollback(self) -> None:
        self._begin_with_next = False
        self._inline(sqlite3.Connection.rollback)

    def _inline(self, step: Any) -> None:
        conn = self._connection._connection
        if conn is None:  # closed already, as the adapter's own commit and rollback allow
            return
        try:
            step(conn)  # in WAL mode with the write lock held, COMMIT never waits for a lock
            if self._durable:
                self._durable = False
                _not_durable(conn)
        except Exception as error:
            self._handle_exception(error)


def _not_durable(conn: sqlite3.Connection) -> None:
    conn.execute(NOT_DURABLE)


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> InlineConnection:
        kw["check_same_thread"] = False  # opened on aiosqlite's thread, used on the event loop's
        kw["timeout"] = 0  # no busy handler: it would block the event loop (see _statement)
        adapted = super().connect(*arg, **kw)
        return InlineConnection(self, adapted._connection)


def inline_dbapi() -> InlineDBAPI:
    """For create_async_engine(module=...): the aiosqlite dialect, driven through InlineCursor."""
    return InlineDBAPI(aiosqlite, sqlite3)
