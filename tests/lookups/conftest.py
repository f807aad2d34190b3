"""The lookups tests' `bot`: the service with the hashing key set, so lookups are on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.kit import BotHarness
from tests.lookups.kit import lookup_bot


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[BotHarness]:
    async with lookup_bot(db_url) as harness:
        yield harness
