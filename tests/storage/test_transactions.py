"""run_transaction: the queue functions' way into the database, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import queues
from storage.engine import run_transaction
from storage.models import Resident
from storage.types import utcnow


async def residents(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(Resident))).scalar_one()


def add_and_count(conn: Connection, users: list[str]) -> int:
    queues.ensure_residents(conn, users, utcnow())
    return conn.execute(select(func.count()).select_from(Resident)).scalar_one()


async def test_commits_and_returns_what_the_work_returns(engine: AsyncEngine) -> None:
    assert await run_transaction(engine, add_and_count, ["u1", "u2"]) == 2
    assert await residents(engine) == 2


async def test_work_that_raises_leaves_nothing(engine: AsyncEngine) -> None:
    def add_then_fail(conn: Connection) -> None:
        add_and_count(conn, ["u1"])
        raise RuntimeError("flow bug")

    with pytest.raises(RuntimeError, match="flow bug"):
        await run_transaction(engine, add_then_fail)
    assert await residents(engine) == 0
