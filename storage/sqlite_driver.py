"""aiosqlite, as SQLAlchemy drives it, with one trip to the connection's thread per statement.

SQLAlchemy's adapter makes four (open a cursor, execute, fetch all, close), and every trip is a hand-off
to aiosqlite's thread and a wake-up of the event loop on the way back. On a small VM those hand-offs,
not SQLite, were most of a statement's cost: a worker pass answering one message took 2.7 ms of the
event loop's CPU, 1.7 ms with one trip. Here the cursor does the four steps in one function on that
thread. Results are fetched whole, as the adapter already did; server-side cursors are not used with
SQLite here. A transaction's BEGIN IMMEDIATE travels with its first statement, too.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_

BEGIN = "BEGIN IMMEDIATE"  # every transaction takes the write lock up front (storage/engine.py says why)


def _run(conn: sqlite3.Connection, begin: bool, many: bool, operation: str, parameters: Any
         ) -> tuple[Any, list[Any], int, Any]:
    """On aiosqlite's thread: the whole statement (after BEGIN IMMEDIATE, for a transaction's first),
    returning what the cursor would have been asked."""
    if begin:
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
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
        return None  # the statement's cursor was closed on the thread already

    async def _trip(self, many: bool, operation: Any, parameters: Any) -> None:
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            begin, adapted._begin_with_next = adapted._begin_with_next, False
            self._description, rows, self._rowcount, self._lastrowid = await self._connection._execute(
                _run, self._connection._conn, begin, many, operation, parameters)
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(True, operation, seq_of_parameters)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin_with_next",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin_with_next = False

    def begin_with_next_statement(self) -> None:
        """Start a transaction (BEGIN IMMEDIATE) on the trip of the next statement, not a trip of its own."""
        self._begin_with_next = True

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self._begin_with_next:  # a streamed query (aiosqlite's own cursor) begins too
            self._begin_with_next = False
            await_(self._connection.execute(BEGIN))
        return super().cursor(server_side)

    def commit(self) -> None:
        self._begin_with_next = False  # a transaction without statements: nothing was begun
        super().commit()

    def rollback(self) -> None:
        self._begin_with_next = False
        super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    """For create_async_engine(module=...): the aiosqlite dialect, driven through OneTripCursor."""
    return OneTripDBAPI(aiosqlite, sqlite3)
