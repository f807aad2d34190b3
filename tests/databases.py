"""Fresh, migrated databases for tests, on SQLite and on PostgreSQL.

Each engine is migrated once per test session into a template (a file for SQLite, a template
database for PostgreSQL); every test then gets its own copy, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from pathlib import Path

import asyncpg

from storage.engine import create_engine
from storage.migrate import upgrade

PG_ENV = "MOTCUA_TEST_POSTGRES_URL"
_counter = itertools.count()


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _remove_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


class SqliteDatabases:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.sqlite3"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{self.template}"))

    async def create(self) -> str:
        path = self.folder / f"t{next(_counter)}.sqlite3"
        await asyncio.to_thread(shutil.copyfile, self.template, path)
        return f"sqlite+aiosqlite:///{path}"

    async def drop(self, url: str) -> None:
        await asyncio.to_thread(_remove_sqlite, url.split("///", 1)[1])


class PostgresDatabases:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"motcua_t{os.getpid()}"
        self.template = f"{self.prefix}_tmpl"
        asyncio.run(self._make_template())

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(_dsn(self.admin_url))

    async def _make_template(self) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            await conn.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await conn.close()
        await _migrate(_with_database(self.admin_url, self.template))

    async def create(self) -> str:
        name = f"{self.prefix}_{next(_counter)}"
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await conn.close()
        return _with_database(self.admin_url, name)

    async def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def close(self) -> None:
        async def drop_template() -> None:
            conn = await self._admin()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            finally:
                await conn.close()
        asyncio.run(drop_template())
