"""The SQLite driver: what the rest of the code relies on from a DBAPI cursor, transactions whose BEGIN
travels with their first statement, statements run on the event loop's thread, and another process's
lock waited for without blocking the event loop. SQLite only: PostgreSQL runs asyncpg."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_driver
from storage.engine import create_engine, run_durable_transaction, run_transaction


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3")
    async with eng.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield eng
    await eng.dispose()


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()


async def test_rowcount_lastrowid_executemany_and_returning(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert first.lastrowid == 1
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v) ON CONFLICT DO NOTHING"),
                                  [{"v": "a"}, {"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2  # 'a' was there
        updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE v != 'a'"))
        assert updated.rowcount == 2
        back = await conn.execute(text("DELETE FROM t WHERE v = 'c!' RETURNING id, v"))
        assert back.all() == [(3, "c!")]
    assert await count(engine) == 2


async def test_a_failed_transaction_leaves_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
    assert await count(engine) == 0


async def test_statements_run_on_the_event_loops_thread(engine: AsyncEngine) -> None:
    threads: list[int] = []
    async with engine.begin() as conn:
        raw = await conn.get_raw_connection()
        raw.driver_connection._conn.create_function("whose", 0, lambda: threads.append(threading.get_ident()))
        await conn.execute(text("SELECT whose()"))
    assert threads == [threading.get_ident()]


async def test_another_processs_lock_is_waited_for_in_the_event_loop(engine: AsyncEngine, tmp_path: Path) -> None:
    async with engine.connect() as conn:  # SQLite's own busy handler would hold the event loop while it waits
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() == 0
    other = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)  # a CLI import, say
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('theirs')")

    async def ours() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('ours')"))

    writing = asyncio.create_task(ours())
    loop_ran = asyncio.Event()
    asyncio.get_running_loop().call_soon(loop_ran.set)
    await loop_ran.wait()
    assert not writing.done()  # still waiting for the lock
    other.execute("COMMIT")
    other.close()
    await writing
    assert await count(engine) == 2


async def test_a_lock_held_too_long_fails_the_statement(engine: AsyncEngine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT", 0.02)
    other = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(exc.OperationalError, match="locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (v) VALUES ('ours')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await count(engine) == 0


async def test_a_streamed_query_first_in_a_transaction_takes_the_write_lock(engine: AsyncEngine,
                                                                           tmp_path: Path) -> None:
    async with engine.begin() as conn:
        rows = [r async for r in await conn.stream(text("SELECT v FROM t"))]
        assert rows == []
        other = sqlite3.connect(tmp_path / "t.sqlite3", timeout=0.05)  # another process, say
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO t (v) VALUES ('meanwhile')")
        finally:
            other.close()


def insert(conn: Connection, v: str) -> None:
    conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": v})


async def test_a_durable_transaction_alone_commits_with_a_synced_wal(engine: AsyncEngine) -> None:
    """What Zalo got a 200 for must survive a power cut: that commit runs with synchronous=FULL (2), the
    others with NORMAL (1), which syncs nothing at commit."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection._conn  # the sqlite3 connection
    levels: list[int] = []
    raw.set_trace_callback(lambda sql: levels.append(raw.execute("PRAGMA synchronous").fetchone()[0])
                           if sql.startswith("COMMIT") else None)
    try:
        await run_durable_transaction(engine, insert, "stored")
        await run_transaction(engine, insert, "worked on")
        with pytest.raises(exc.IntegrityError):  # a durable one that fails leaves NORMAL behind too
            await run_durable_transaction(engine, insert, "stored")
        await run_transaction(engine, insert, "again")
    finally:
        raw.set_trace_callback(None)
    assert levels == [2, 1, 1]
    assert await count(engine) == 3


async def test_a_durable_commit_cancelled_midway_ends_before_the_connection_is_used_again(
        engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled while aiosqlite's thread syncs the COMMIT (a slow disk): the commit ends first, and the
    connection goes back at NORMAL, outside any transaction."""
    started, release = threading.Event(), threading.Event()

    async def slow_commit(self: aiosqlite.Connection) -> None:
        def work() -> None:
            started.set()
            release.wait(5)
            self._conn.commit()
        await self._execute(work)

    monkeypatch.setattr(aiosqlite.Connection, "commit", slow_commit)
    storing = asyncio.create_task(run_durable_transaction(engine, insert, "stored"))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    storing.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await storing
    with pytest.raises(RuntimeError):  # the next transaction fails: it must leave nothing behind
        await run_transaction(engine, insert_then_fail, "not stored")
    assert await count(engine) == 1
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == 1


def insert_then_fail(conn: Connection, v: str) -> None:
    insert(conn, v)
    raise RuntimeError("rolled back")
