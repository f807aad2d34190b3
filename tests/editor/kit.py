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


@asynccontextmanager
async def admin_and_approver(db_url: str, *, approval: bool = False,
                             **sections: Any) -> AsyncIterator[tuple[BotHarness, StaffClient, StaffClient]]:
    """The service, Hoa (an admin) and Lan (an approver), each signed in in a browser of her own; with
    `approval`, publishing a flow change needs a second person."""
    console = {**CONSOLE, "flow_approval_required": approval}
    async with BotHarness.start(db_url, console=console, **sections) as bot, StaffClient(bot) as hoa, \
            StaffClient(bot) as lan:
        await add_staff(bot, "hoa", "admin")
        await add_staff(bot, "lan", "approver")
        await hoa.login("hoa")
        await lan.login("lan")
        yield bot, hoa, lan
