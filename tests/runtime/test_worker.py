"""The worker: per-resident order with concurrent workers, flow failures, abuse limit, handoff pause."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.dispatcher import Dispatcher
from bot.worker import Worker
from flows.base import Conversation, Flow, Incoming, Step
from flows.context import TurnContext
from flows.replies import Text
from handlers.middlewares import default_middlewares
from storage.models import InboxEvent
from tests.kit import BotHarness, texts


# A flow that numbers each message in its conversation state: if two workers ran one resident's
# events at once, or out of order, the numbers would repeat or the echoes would be shuffled.
async def _count_start(ctx: TurnContext, arg: str) -> Step:
    return Step([Text("start#0")], next=Conversation("count", "counting", {"n": 0}))


async def _counting(ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
    if msg.text == "boom":
        raise RuntimeError("flow bug")
    n = conv.data["n"] + 1
    return Step([Text(f"{msg.text}#{n}")], next=Conversation("count", "counting", {"n": n}))


COUNT = Flow("count", states={"counting": _counting}, commands={"start": _count_start})


async def pending(bot: BotHarness) -> int:
    async with bot.runtime.engine.connect() as conn:
        q = select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "pending")
        return (await conn.execute(q)).scalar_one()


async def test_order_per_resident_kept_with_four_concurrent_workers(db_url: str) -> None:
    users, per_user = 12, 10
    async with BotHarness.start(db_url, extra_flows=[COUNT]) as bot:
        events = [[bot.events.text(f"u{u}", "#count:start")] for u in range(users)]
        for u in range(users):
            events[u] += [bot.events.text(f"u{u}", f"m{i}") for i in range(1, per_user + 1)]
        for i in range(per_user + 1):  # interleave residents, as real traffic arrives
            statuses = await asyncio.gather(*(bot.post(*events[u][i]) for u in range(users)))
            assert {s.status for s in statuses} == {200}

        rt = bot.runtime
        workers = [Worker(rt.engine, Dispatcher(rt.flows, default_middlewares(100)), rt.services, rt.metrics,
                          batch_size=3, on_commit=lambda: None) for _ in range(4)]
        passes = [0] * 4

        async def work(k: int) -> None:
            while await pending(bot):
                passes[k] += 1
                await workers[k].run_once()

        await asyncio.gather(*(work(k) for k in range(4)))
        await rt.drain()

        assert sum(1 for p in passes if p) > 1, "the workers did not run concurrently"
        for u in range(users):
            got = [m.text for m in bot.fake.messages_for(f"u{u}")]
            assert got == ["start#0"] + [f"m{i}#{i}" for i in range(1, per_user + 1)], f"u{u}: {got}"


async def test_a_failing_flow_gets_an_apology_and_does_not_block_others(db_url: str) -> None:
    async with BotHarness.start(db_url, extra_flows=[COUNT]) as bot:
        a, b = bot.resident("a"), bot.resident("b")
        await a.say("#count:start")
        await b.say("#count:start")
        # Both events are pending together, so they are processed in one pass.
        await bot.post(*bot.events.text("a", "boom"))
        replies_b = await b.say("hello")
        assert texts(replies_b) == "hello#1"
        apology, again = [m.text for m in await a.say("again")]
        assert apology.startswith("Xin lỗi, hệ thống đang gặp trục trặc")
        assert "Traceback" not in apology and "RuntimeError" not in apology
        assert again == "again#1"  # the state from before the failure is kept
        async with bot.runtime.engine.connect() as conn:
            statuses = (await conn.execute(select(InboxEvent.status, InboxEvent.error)
                                           .where(InboxEvent.zalo_user_id == "a"))).all()
        assert ("failed", "RuntimeError") in statuses


async def test_abuse_limit_warns_once_then_stays_quiet(db_url: str) -> None:
    async with BotHarness.start(db_url, worker={"per_resident_limit_per_minute": 3}) as bot:
        chat = bot.resident("spammer")
        answered = [bool(await chat.say("menu")) for _ in range(3)]
        warning = await chat.say("menu")
        silent = await chat.say("menu")
        assert answered == [True, True, True]
        assert "gửi nhiều tin quá nhanh" in texts(warning)
        assert silent == []
        assert await bot.resident("other").say("menu"), "another resident is not limited"


async def test_handoff_pauses_the_bot_until_the_resident_asks_for_the_menu(bot: BotHarness) -> None:
    chat = bot.resident("u1")
    await chat.say("menu")
    handoff = await chat.click("Gặp cán bộ")
    assert "chuyển tin nhắn của bạn cho cán bộ" in texts(handoff)
    assert await chat.say("cho tôi hỏi về đất đai") == []
    back = await chat.say("menu")
    assert "Bot đã quay lại" in texts(back)
    assert await chat.say("menu")


async def test_follow_gets_a_welcome(bot: BotHarness) -> None:
    welcome = await bot.resident("new").follow()
    assert "UBND phường Thử Nghiệm" in texts(welcome)
