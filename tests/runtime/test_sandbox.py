"""The sandbox without a browser: a fresh one has its own hash key and demo data, so the demo dossier, the
demo căn cước and news answer with data; the page's conversation holds both sides."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.testing.demo import DEMO_CARDS, DEMO_CODES, DEMO_PHONE_TAIL
from bot.testing.sandbox import RunningSandbox
from tests.runtime.test_sandbox_browser import sandbox  # noqa: F401 (fixture)


@pytest.fixture
async def page(sandbox: RunningSandbox) -> AsyncIterator[Any]:  # noqa: F811
    async with aiohttp.ClientSession(sandbox.base_url) as http:
        yield http


async def say(http: aiohttp.ClientSession, text: str, user: str = "demo-tester") -> None:
    async with http.post("/sandbox/api/say", json={"user_id": user, "text": text}) as resp:
        assert resp.status == 200 and (await resp.json())["webhook_status"] == 200


async def answer_containing(http: aiohttp.ClientSession, words: str, user: str = "demo-tester") -> list[dict[str, Any]]:
    async with asyncio.timeout(15):
        while True:
            async with http.get("/sandbox/api/messages", params={"user_id": user}) as resp:
                conversation = await resp.json()
            if any(m["who"] == "bot" and words in (m["text"] or "") for m in conversation):
                return list(conversation)
            await asyncio.sleep(0.05)  # the service answers in its own time


async def test_a_fresh_sandbox_answers_its_demo_lookups_and_news(page: aiohttp.ClientSession) -> None:
    async with page.get("/sandbox/api/demo") as resp:
        hints = await resp.json()
    assert any(DEMO_CODES["processing"] in h["say"] for h in hints)
    await say(page, DEMO_CODES["processing"])
    await answer_containing(page, "4 số cuối")
    await say(page, DEMO_PHONE_TAIL)
    await answer_containing(page, "đang xử lý")
    receipt, _, birth, _ = DEMO_CARDS[0]
    for text, then in (("căn cước xong chưa", "Bạn có đồng ý"), ("#idcard:consent", "số biên nhận"),
                       (receipt, "ngày sinh"), (birth, "đã có thẻ"), ("tin tức", "")):
        await say(page, text)
        if then:
            await answer_containing(page, then)
    conversation = await answer_containing(page, "Tin tức địa phương")
    assert any("(Tin mẫu)" in str(m.get("body")) for m in conversation)
    mine = [m["text"] for m in conversation if m["who"] == "me"]
    assert mine[:2] == [DEMO_CODES["processing"], DEMO_PHONE_TAIL]
    assert [m["index"] for m in conversation] == list(range(len(conversation)))
