"""Shared pieces of the lookup tests: made-up personal values, a bot configured for lookups, the push
API, spreadsheet writers and readers of the audit and outbox tables.

Every personal value a lookup test uses is listed in PERSONAL_VALUES: the session-wide log watch in
conftest.py fails the run if any of them reaches a log record.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.api import token_hash
from bot.cli import main
from storage.lookups.models import LookupAudit, LookupOptIn
from storage.models import OutboxMessage
from tests.kit import BotHarness

HASH_KEY = "test-only-hash-key-0123456789abcdefghij"
PRIVACY = {"hash_key": HASH_KEY}  # `[privacy]` of a command-line test's configuration
TOKEN, NEWS_TOKEN = "lookups-integration-token", "news-integration-token"

# Made-up personal values (not real people).
ID_NUMBER, BIRTH, PHONE = "049190001234", "05/09/1990", "0905123456"
ID_NUMBER_2, BIRTH_2, PHONE_2 = "001185004321", "17/02/1985", "0935246810"
PERSONAL_VALUES = (
    ID_NUMBER, ID_NUMBER[1:], ID_NUMBER_2, ID_NUMBER_2[2:], PHONE, "0905 123 456", PHONE_2, PHONE[1:], PHONE_2[1:],
    BIRTH, "1990-09-05", "1990, 9, 5", BIRTH_2, "1985-02-17", "1985, 2, 17",
)

CODE = "000.31.25.H47-250312-0007"
CODE_2 = "H57.132-260804-0583"
RECEIPT = "BN2026-000123"


def lookup_sections(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {
        "privacy": {"hash_key": HASH_KEY},
        "api": {"clients": [
            {"name": "mot-cua", "token_sha256": token_hash(TOKEN), "scopes": ["dossiers", "id_cards"]},
            {"name": "news-site", "token_sha256": token_hash(NEWS_TOKEN), "scopes": ["news"]},
        ]},
    }
    for name, values in overrides.items():
        sections.setdefault(name, {}).update(values)
    return sections


@contextlib.asynccontextmanager
async def lookup_bot(db_url: str, **overrides: dict[str, Any]) -> AsyncIterator[BotHarness]:
    async with BotHarness.start(db_url, **lookup_sections(**overrides)) as bot:
        yield bot


def dossier(code: str = CODE, status: str = "processing", phone: str = PHONE, **fields: Any) -> dict[str, Any]:
    return {"code": code, "procedure": "Đăng ký khai sinh", "status": status, "phone": phone,
            "received_on": "2025-03-12", "due_on": "2025-03-14", **fields}


def card(receipt: str = RECEIPT, id_number: str = ID_NUMBER, birth_date: str = BIRTH, status: str = "processing",
         **fields: Any) -> dict[str, Any]:
    return {"receipt_no": receipt, "id_number": id_number, "birth_date": birth_date, "status": status,
            "pickup_place": "Công an phường Hội An Đông", "ready_on": "20/03/2026", **fields}


async def push(bot: BotHarness, path: str, body: Any, token: str | None = TOKEN) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with bot.http.post(bot.server.make_url(path), json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def push_ok(bot: BotHarness, path: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    status, body = await push(bot, path, {"items": items})
    assert status == 200, body
    await bot.runtime.drain()  # deliver any notifications
    return body


async def rows(bot: BotHarness, model: Any, *where: Any) -> list[Any]:
    table = model.__table__
    async with bot.runtime.engine.connect() as conn:
        return list((await conn.execute(select(table).where(*where).order_by(table.c.id))).all())


async def audit_rows(bot: BotHarness) -> list[Any]:
    return await rows(bot, LookupAudit)


async def optin_rows(bot: BotHarness) -> list[Any]:
    return await rows(bot, LookupOptIn)


async def notifications(bot: BotHarness) -> list[Any]:
    return await rows(bot, OutboxMessage, OutboxMessage.__table__.c.source == "notification")


# --- files and the command line -------------------------------------------------------------------------

def write_csv(path: Path, table: Sequence[Sequence[Any]], delimiter: str = ",", encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f, delimiter=delimiter).writerows(table)
    return path


def write_xlsx(path: Path, table: Sequence[Sequence[Any]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in table:
        sheet.append(list(row))
    book.save(path)
    return path


async def run_cli(*argv: str) -> int:
    """`python -m bot ...` in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(main, list(argv))
