"""The editor's tests start the same way: the service with an admin signed in to its console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness

CONSOLE = {"require_totp_for": []}


@asynccontextmanager
async def admin_console(db_url: str, **sections: Any) -> AsyncIterator[tuple[BotHarness, StaffClient]]:
    """The service (with these configuration sections) and Hoa, an admin, signed in to its console."""
    async with BotHarness.start(db_url, console=CONSOLE, **sections) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "hoa", "admin")
        await staff.login("hoa")
        yield bot, staff
