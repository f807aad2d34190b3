"""Shared fixtures: a fresh migrated database on each engine, and the bot harness on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine
from tests.databases import PG_ENV, PostgresDatabases, SqliteDatabases, postgres_url
from tests.kit import BotHarness
from tests.logwatch import PersonalDataWatch
from tests.lookups.kit import PERSONAL_VALUES

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", autouse=True)
def personal_data_never_logged() -> Iterator[None]:
    """Every log record of the whole run, at DEBUG, is checked for the personal values tests use."""
    watch = PersonalDataWatch(PERSONAL_VALUES)
    with watch.installed():
        yield
    assert not watch.leaks, "personal data reached the logs:\n" + "\n".join(watch.leaks[:20])


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    return SqliteDatabases(Path(tmp_path_factory.mktemp("sqlite")))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    url = postgres_url()
    if url is None:
        yield None
        return
    dbs = PostgresDatabases(url)
    yield dbs
    dbs.close()


@pytest.fixture(params=ENGINES)
async def db_url(request: pytest.FixtureRequest, sqlite_databases: SqliteDatabases,
                 postgres_databases: PostgresDatabases | None) -> AsyncIterator[str]:
    """A fresh, migrated database: every storage test runs once per engine."""
    if request.param == "sqlite":
        dbs: SqliteDatabases | PostgresDatabases = sqlite_databases
    else:
        if postgres_databases is None:
            pytest.skip(f"PostgreSQL variant: set {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
        dbs = postgres_databases
    url = await dbs.create()
    yield url
    await dbs.drop(url)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on that database, for tests that drive storage directly."""
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[BotHarness]:
    async with BotHarness.start(db_url) as harness:
        yield harness
