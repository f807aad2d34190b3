"""Headless Chromium for the browser tests: Debian's `chromium` package through Playwright's async API;
a test using it is skipped when none is installed."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 15_000  # generous for a loaded CI machine; each wait returns as soon as the text shows


def chromium_executable() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no Chromium found: install the Debian chromium package")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
